import math

import pytest

from animegan.errors import AnimeGANError
from animegan.bench.bench import BenchOptions, run_bench

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def narrow_v2(tmp_path_factory):
    """AnimeGANv2 at width 1/8 (8-channel layers, seeded): the same layers as the real one, so the int8 ONNX
    writer takes it, at a few MFLOPs per photo; the end-to-end run stylizes 512x512 photos with it."""
    import keras

    from animegan.models import AnimeGANv2Generator

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("bench-v2") / "v2-narrow.keras"
    AnimeGANv2Generator(width=0.125).save(path)
    return path


def test_quick_bench_times_every_backend_against_the_measured_roofline(family_files):
    lines = []
    # onnx-fp32 is timed on the narrow AnimeGANv2 below (here it would be a tf2onnx conversion: CycleGAN has ReLU)
    skip = ("keras-xla", "keras-xla-bf16", "savedmodel", "tflite-fp32", "tflite-float16", "tflite-dynamic", "onnx-fp32", "startup-keras")
    options = BenchOptions(
        model=str(family_files["cyclegan-resnet"]), sizes="32x32,16x24", threads=1, runs=1, gemm_n=256, skip=skip, end_to_end=False
    )
    results = run_bench(options, report=lines.append)
    text = "\n".join(lines)
    names = [r.name for r in results]
    assert {"keras-eager", "tflite-int8"} <= set(names) and not set(skip) & set(names)
    assert "onnx-int8       left out: int8 ONNX is for the project's image generators" in text  # CycleGAN has ReLU
    for result in results:
        assert set(result.seconds) == {(32, 32), (16, 24)} and all(0 < s < 60 for s in result.seconds.values())
        assert result.psnr >= 20 and 0 <= result.outside_conv <= 1  # inf where the backend is Keras itself
    assert "CPU features:" in text and "float32 GEMM 256^3:" in text and "int8 GEMM 256^3:" in text
    assert "conv GFLOPs per image" in text and "goal 3 (best float32" in text and "goal 4 (true roofline)" in text
    startup = next(line for line in lines if line.startswith("CLI start-up"))
    tflite_s = float(startup.split("tflite ")[1].split(" s")[0])
    assert math.isfinite(tflite_s) and tflite_s > 0 and "keras" not in startup  # the .tflite stylize run succeeded


def test_onnx_backends_and_end_to_end_run_stylize_and_the_onnxruntime_peer(narrow_v2):
    lines = []
    skip = ("keras-eager", "keras-xla", "savedmodel", "tflite-fp32", "tflite-float16", "tflite-dynamic", "tflite-int8")
    options = BenchOptions(
        model=str(narrow_v2), sizes="32x32", threads=1, runs=1, gemm_n=64, skip=skip, startup=False,
        photo_count=1, torch_python=None,
    )  # fmt: skip
    results = run_bench(options, report=lines.append)
    text = "\n".join(lines)
    assert [r.name for r in results] == ["onnx-fp32", "onnx-int8"]
    for result in results:
        assert set(result.seconds) == {(32, 32)} and all(0 < s < 60 for s in result.seconds.values())
        assert result.psnr >= 20 and 0 <= result.outside_conv <= 1 and result.outside_how.startswith("ORT profile: ")
    assert "animegan stylize (onnx int8): " in text and "peer onnxruntime (fp32, default options): " in text
    assert "goal 1 (end to end >= 3x the faster peer): " in text and "goal 2 (int8 >= 1.5x" in text


def test_latent_models_are_refused(family_files):
    with pytest.raises(AnimeGANError, match="latent-input generator"):
        run_bench(BenchOptions(model=str(family_files["vae-decoder"]), sizes="16x16", gemm_n=64), report=lambda _: None)
