import math

import pytest

from animegan.errors import AnimeGANError
from animegan.bench.bench import BenchOptions, run_bench

pytestmark = pytest.mark.slow


def test_quick_bench_times_every_backend_against_the_measured_roofline(family_files):
    lines = []
    skip = ("keras-xla", "keras-xla-bf16", "savedmodel", "tflite-fp32", "tflite-float16", "tflite-dynamic", "startup-keras")
    options = BenchOptions(
        model=str(family_files["cyclegan-resnet"]), sizes="32x32,16x24", threads=1, runs=1, gemm_n=256, skip=skip, end_to_end=False
    )
    results = run_bench(options, report=lines.append)
    text = "\n".join(lines)
    names = [r.name for r in results]
    assert {"keras-eager", "tflite-int8", "onnx-fp32"} <= set(names) and not set(skip) & set(names)
    assert "onnx-int8       left out: int8 ONNX is for the project's image generators" in text  # CycleGAN has ReLU
    for result in results:
        assert set(result.seconds) == {(32, 32), (16, 24)} and all(0 < s < 60 for s in result.seconds.values())
        assert result.psnr >= 20 and 0 <= result.outside_conv <= 1  # inf where the backend is Keras itself
    assert "CPU features:" in text and "float32 GEMM 256^3:" in text and "int8 GEMM 256^3:" in text
    assert "conv GFLOPs per image" in text and "goal 3 (best float32" in text and "goal 4 (true roofline)" in text
    startup = next(line for line in lines if line.startswith("CLI start-up"))
    tflite_s = float(startup.split("tflite ")[1].split(" s")[0])
    assert math.isfinite(tflite_s) and tflite_s > 0 and "keras" not in startup  # the .tflite stylize run succeeded


def test_end_to_end_runs_stylize_and_the_onnxruntime_peer(v2_keras):
    lines = []
    skip = tuple(n for n in ("keras-eager", "keras-xla", "savedmodel", "tflite-fp32", "tflite-float16", "tflite-dynamic", "tflite-int8"))
    options = BenchOptions(
        model=str(v2_keras), sizes="32x32", threads=1, runs=1, gemm_n=64, skip=skip, startup=False,
        conv_share=False, photo_count=1, torch_python=None,
    )  # fmt: skip
    run_bench(options, report=lines.append)
    text = "\n".join(lines)
    assert "animegan stylize (onnx int8): " in text and "peer onnxruntime (fp32, default options): " in text
    assert "goal 1 (end to end >= 3x the faster peer): " in text and "goal 2 (int8 >= 1.5x" in text


def test_latent_models_are_refused(family_files):
    with pytest.raises(AnimeGANError, match="latent-input generator"):
        run_bench(BenchOptions(model=str(family_files["vae-decoder"]), sizes="16x16", gemm_n=64), report=lambda _: None)
