import math

import pytest

from animegan.errors import AnimeGANError
from animegan.bench.bench import BenchOptions, run_bench

pytestmark = pytest.mark.slow


def test_quick_bench_times_every_backend_against_the_measured_roofline(family_files):
    lines = []
    skip = ("keras-xla-bf16", "tflite-dynamic", "startup-keras")  # kept short: the Keras start-up alone takes seconds
    options = BenchOptions(model=str(family_files["cyclegan-resnet"]), sizes="32x32,16x24", threads=1, gemm_n=256, skip=skip)
    results = run_bench(options, report=lines.append)
    text = "\n".join(lines)
    names = [r.name for r in results]
    assert {"keras-eager", "keras-xla", "savedmodel"} <= set(names)
    assert {"tflite-fp32", "tflite-float16", "tflite-int8"} <= set(names) and not set(skip) & set(names)
    for result in results:
        assert set(result.seconds) == {(32, 32), (16, 24)} and all(0 < s < 60 for s in result.seconds.values())
        assert "PSNR vs Keras float32" in result.note
    assert "CPU features:" in text and "fp32 GEMM 256^3" in text and "conv GFLOPs per image" in text
    assert "best float32 at 16x24" in text and "tflite int8 vs fp32" in text
    startup = next(line for line in lines if line.startswith("CLI start-up"))
    tflite_s = float(startup.split("tflite ")[1].split(" s")[0])
    assert math.isfinite(tflite_s) and tflite_s > 0 and "keras" not in startup  # the .tflite stylize run succeeded


def test_latent_models_are_refused(family_files):
    with pytest.raises(AnimeGANError, match="latent-input generator"):
        run_bench(BenchOptions(model=str(family_files["vae-decoder"]), sizes="16x16", gemm_n=64), report=lambda _: None)
