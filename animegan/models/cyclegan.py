"""CycleGAN networks: the ResNet generator and the 70x70 PatchGAN discriminator.

Both follow junyanz/pytorch-CycleGAN-and-pix2pix (``ResnetGenerator``, ``NLayerDiscriminator``) with the
normalization from the shared factory. Differences from the reference, on purpose:

- The factory's instance norm is ``GroupNormalization`` with a learnt scale and offset; PyTorch's
  ``InstanceNorm2d`` has none (``affine=False``). That adds 2 x channels per norm: 10,496 parameters to
  ResNet-9 (11,378,179 -> 11,388,675) and 1,792 to the PatchGAN (2,764,737 -> 2,766,529).
- The x2 up-sampling is ``Conv2DTranspose(padding="same")`` (exactly 2H x 2W and a plain TFLite
  ``TRANSPOSE_CONV``). It equals PyTorch's ``padding=1, output_padding=1`` up to a one-pixel shift of
  the output grid, which matters only for importing PyTorch weights, not for training here.

Convolutions carry a bias except before batch norm (whose offset makes it redundant), and every
kernel starts as N(0, 0.02) as in the reference's ``init_weights(init_type="normal")``.
"""

from __future__ import annotations

import keras

from animegan.layers.norms import check_norm, make_norm
from animegan.layers.padding import ReflectionPadding2D
from animegan.layers.serialization import register
from animegan.models.generator_base import ImageGenerator, tanh_output

INIT_STDDEV = 0.02


def _conv_kwargs(norm: str) -> dict:
    # A fresh initializer per layer: Keras 3 warns when one unseeded instance is reused (same values).
    return {
        "use_bias": norm != "batch",
        "kernel_initializer": keras.initializers.RandomNormal(0.0, INIT_STDDEV),
    }


def _residual_block(x, name: str, norm: str):
    channels = x.shape[-1]
    h = ReflectionPadding2D(1, name=f"{name}.pad1")(x)
    h = keras.layers.Conv2D(channels, 3, name=f"{name}.conv1", **_conv_kwargs(norm))(h)
    h = make_norm(norm, name=f"{name}.norm1")(h)
    h = keras.layers.ReLU(name=f"{name}.relu")(h)
    h = ReflectionPadding2D(1, name=f"{name}.pad2")(h)
    h = keras.layers.Conv2D(channels, 3, name=f"{name}.conv2", **_conv_kwargs(norm))(h)
    h = make_norm(norm, name=f"{name}.norm2")(h)
    return keras.layers.Add(name=f"{name}.add")([x, h])


@register
class CycleGANGenerator(ImageGenerator):
    """ResNet generator: 7x7 stem, two stride-2 convs, ``n_blocks`` residual blocks, two x2 up, 7x7 out.

    Fully convolutional; H and W must be multiples of 4. ``n_blocks`` is 9 for 256x256 training in the
    paper, 6 for 128x128.
    """

    architecture = "cyclegan-resnet"
    stride = 4
    default_norm = "instance"

    def __init__(self, n_blocks: int = 9, ngf: int = 64, norm: str | None = None, **kwargs):
        # === Config === (read by _build, which the base class calls before keras.Model is set up)
        self.n_blocks = int(n_blocks)
        self.ngf = int(ngf)
        kwargs.pop("upsample", None)  # the base's resize mode does not apply: this net uses transposed convs
        super().__init__(norm=norm, **kwargs)
        self.upsample = "transposed-conv"  # what export metadata reports; not a config argument

    def _build(self, inputs, norm, upsample):
        # === Layers ===
        ngf = self.ngf
        x = ReflectionPadding2D(3, name="stem.pad")(inputs)
        x = keras.layers.Conv2D(ngf, 7, name="stem.conv", **_conv_kwargs(norm))(x)
        x = make_norm(norm, name="stem.norm")(x)
        x = keras.layers.ReLU(name="stem.relu")(x)
        for i, filters in enumerate((2 * ngf, 4 * ngf), start=1):
            x = keras.layers.ZeroPadding2D(1, name=f"down{i}.pad")(x)
            x = keras.layers.Conv2D(filters, 3, strides=2, name=f"down{i}.conv", **_conv_kwargs(norm))(x)
            x = make_norm(norm, name=f"down{i}.norm")(x)
            x = keras.layers.ReLU(name=f"down{i}.relu")(x)
        for i in range(1, self.n_blocks + 1):
            x = _residual_block(x, f"res{i}", norm)
        for i, filters in enumerate((2 * ngf, ngf), start=1):
            x = keras.layers.Conv2DTranspose(
                filters, 3, strides=2, padding="same", name=f"up{i}.conv", **_conv_kwargs(norm)
            )(x)
            x = make_norm(norm, name=f"up{i}.norm")(x)
            x = keras.layers.ReLU(name=f"up{i}.relu")(x)
        x = ReflectionPadding2D(3, name="out.pad")(x)
        x = keras.layers.Conv2D(
            3, 7, name="out.conv", kernel_initializer=keras.initializers.RandomNormal(0.0, INIT_STDDEV)
        )(x)
        return tanh_output(x)

    def get_config(self):
        config = super().get_config()
        config.pop("upsample")
        return {**config, "n_blocks": self.n_blocks, "ngf": self.ngf}


@register
class PatchGANDiscriminator(keras.Model):
    """The 70x70 PatchGAN (``n_layers=3``): a (H/8 - 2) x (W/8 - 2) map of real/fake logits.

    4x4 convs with zero padding 1 at strides 2, 2, 2, 1, 1; ndf, 2ndf, 4ndf, 8ndf channels, then 1.
    At 256x256 the patch is 30x30 and each logit sees a 70x70 window.
    """

    def __init__(self, ndf: int = 64, n_layers: int = 3, norm: str = "instance", **kwargs):
        # === Layers and Functional Model ===
        check_norm(norm)
        inputs = keras.Input(shape=(None, None, 3), name="image")

        def conv(x, filters, strides, name, norm_follows=True):
            x = keras.layers.ZeroPadding2D(1, name=f"{name}.pad")(x)
            options = _conv_kwargs(norm if norm_follows else "none")
            return keras.layers.Conv2D(filters, 4, strides=strides, name=name, **options)(x)

        # The first conv has no norm after it, so it keeps its bias whatever the norm (as in the reference).
        x = conv(inputs, ndf, 2, "conv0", norm_follows=False)
        x = keras.layers.LeakyReLU(0.2, name="conv0.lrelu")(x)
        for i in range(1, n_layers + 1):
            strides = 2 if i < n_layers else 1
            x = conv(x, ndf * min(2**i, 8), strides, f"conv{i}")
            x = make_norm(norm, name=f"conv{i}.norm")(x)
            x = keras.layers.LeakyReLU(0.2, name=f"conv{i}.lrelu")(x)
        x = keras.layers.ZeroPadding2D(1, name="logit.pad")(x)
        logits = keras.layers.Conv2D(
            1, 4, name="logit", kernel_initializer=keras.initializers.RandomNormal(0.0, INIT_STDDEV)
        )(x)
        logits = keras.layers.Activation("linear", dtype="float32", name="patch_logits")(logits)
        kwargs.setdefault("name", "patchgan_discriminator")
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        # === Config ===
        self.ndf = ndf
        self.n_layers = n_layers
        self.norm = norm

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "ndf": self.ndf,
            "n_layers": self.n_layers,
            "norm": self.norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
