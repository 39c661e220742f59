"""Training speed of AnimeGAN v1/v2: steps/s at 256x256, batch 4, next to the FLOPs a step does.

    python scripts/bench_train.py                      # both architectures, 3 timed steps each
    python scripts/bench_train.py --arch animegan-v2 --steps 20 --xla --mixed-precision   # on a GPU

The step is the real one (``AnimeGANTrainer.adversarial_step``: discriminator update, then generator
update with VGG19 content/style, colour and TV losses) on synthetic batches, so file decoding is not
measured. FLOPs are counted analytically from the conv layers (2 x multiply-adds; a depthwise-separable
conv counts both parts) at the benchmark's size, and the generator's forward+backward is taken as 3x
its forward. ``--vgg-weights random`` (the default here) costs the same as ImageNet weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def conv_macs(model, height: int, width: int) -> int:
    """Multiply-adds of a flat functional model's conv layers for one (height, width) image."""
    import keras
    import numpy as np

    convs = []
    for layer in model.layers:
        inner = layer.layer if isinstance(layer, keras.layers.SpectralNormalization) else layer
        if isinstance(inner, keras.layers.SeparableConv2D):
            weights = int(np.prod(inner.depthwise_kernel.shape)) + int(np.prod(inner.pointwise_kernel.shape))
        elif isinstance(inner, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            weights = int(np.prod(inner.kernel.shape))
        else:
            continue
        convs.append((layer, weights))
    # Every conv's output pixel costs one multiply-add per kernel weight (depthwise: per channel tap).
    probe = keras.Model(model.inputs, [layer.output for layer, _ in convs])
    outputs = probe([np.zeros((1, height, width, 3), np.float32)])
    return sum(int(out.shape[1]) * int(out.shape[2]) * weights for out, (_, weights) in zip(outputs, convs))


def vgg_macs(height: int, width: int) -> int:
    """The content model's convs: VGG19 through block4_conv4 (what the loss runs)."""
    import keras

    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    upto = keras.Model(vgg.input, vgg.get_layer("block4_conv4").output)
    return conv_macs(upto, height, width)


def device_name() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"{len(gpus)} x {details.get('device_name', 'GPU')}"
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def bench(arch: str, args) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    from animegan.losses import build_vgg19_content_model
    from animegan.models import AnimeGANDiscriminator, build_generator
    from animegan.training.animegan import AnimeGANTrainer, LossWeights
    from animegan.training.base import adam

    keras.utils.set_random_seed(0)
    generator = build_generator(arch)
    discriminator = AnimeGANDiscriminator(ch=64, n_dis=3, norm="instance" if arch == "animegan-v1" else "layer")
    trainer = AnimeGANTrainer(generator, discriminator, build_vgg19_content_model(args.vgg_weights), LossWeights())
    trainer.compile(adam(2e-5), adam(4e-5), adam(2e-4), jit_compile=args.xla)
    trainer.build_optimizers()
    trainer.set_epoch(0 if args.phase == "init" else 1)  # init_epochs=0: epoch 1 is adversarial

    b, s = args.batch_size, args.image_size
    rng = np.random.default_rng(0)
    batch = {k: rng.uniform(-1, 1, (b, s, s, 3)).astype(np.float32) for k in ("photo", "style", "style_gray", "smooth_gray")}
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat().prefetch(2))
    trainer.make_train_function()

    def step():
        logs = trainer.train_function(iterator)
        return float(next(iter(logs.values())))  # waits for the step to finish

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = (time.perf_counter() - start) / args.steps

    g = 2 * conv_macs(generator, s, s)  # forward FLOPs per image
    d = 2 * conv_macs(discriminator, s, s)
    v = 2 * vgg_macs(s, s)
    g_train = 3 * g * b  # generator forward + backward per step
    if args.phase == "init":  # G fwd+bwd, VGG fwd on photo and output, VGG bwd through the output
        step_flops = g_train + v * 2 * b + 2 * v * b
    else:  # D step: G fwd, D fwd+bwd on 4 batches; G step: G fwd+bwd, D fwd+bwd(input), VGG 3 fwd + 1 bwd
        step_flops = g * b + 3 * d * 4 * b + g_train + 3 * d * b + v * 3 * b + 2 * v * b
    return {
        "arch": arch,
        "params": generator.count_params(),
        "g_fwd": g,
        "g_train": g_train,
        "step_flops": step_flops,
        "steps_per_s": 1.0 / seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=("animegan-v1", "animegan-v2", "both"), default="both")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first, incl. tracing (default 1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--phase", choices=("adversarial", "init"), default="adversarial")
    parser.add_argument("--vgg-weights", default="random", help="random (default), imagenet or a path")
    parser.add_argument("--xla", action="store_true", help="jit_compile the train step")
    parser.add_argument("--mixed-precision", action="store_true", help="mixed_float16 (GPU)")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    print(
        f"AnimeGAN {args.phase} training step, {args.image_size}x{args.image_size}, batch {args.batch_size}; "
        f"{device_name()}; TF {tf.__version__}, Keras {keras.__version__}; "
        f"{'mixed_float16' if args.mixed_precision else 'float32'}, XLA {'on' if args.xla else 'off'}; "
        f"{args.steps} timed steps after {args.warmup} warm-up"
    )
    header = (
        f"{'arch':<12} {'G params':>9} {'G fwd GFLOP/img':>16} {'G fwd+bwd GFLOP/step':>21} "
        f"{'step GFLOP (est.)':>18} {'steps/s':>8} {'G GFLOP/s':>10} {'step GFLOP/s':>13}"
    )
    print(header)
    archs = ("animegan-v1", "animegan-v2") if args.arch == "both" else (args.arch,)
    for arch in archs:
        r = bench(arch, args)
        print(
            f"{r['arch']:<12} {r['params'] / 1e6:>8.2f}M {r['g_fwd'] / 1e9:>16.1f} {r['g_train'] / 1e9:>21.1f} "
            f"{r['step_flops'] / 1e9:>18.1f} {r['steps_per_s']:>8.3f} {r['g_train'] * r['steps_per_s'] / 1e9:>10.1f} "
            f"{r['step_flops'] * r['steps_per_s'] / 1e9:>13.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
