"""``animegan bench``: every backend on the same machine, in one run, against a measured GEMM roofline.

Backends: Keras eager, Keras compiled with XLA (``jit_compile``), the SavedModel's float signature, and
the TFLite exports (float32, float16, dynamic-range, int8; any-size models on LiteRT with XNNPACK), plus
Keras in bfloat16 (mixed precision) where the CPU has AVX512-BF16 or AMX. Batch 1, images/s from the
median of the timed runs; GFLOP/s = the generator's conv GFLOPs per image x images/s, printed as a
fraction of the GEMM rate of the same precision (bf16 backends against the bf16 GEMM, all others,
int8 included, against the fp32 GEMM).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_SIZES = ((256, 256), (512, 512), (720, 1280))
TFLITE_VARIANTS = ("none", "float16", "dynamic", "int8")


@dataclass(frozen=True)
class BenchOptions:
    model: str | None = None
    arch: str = "animegan-v2"
    full: bool = False
    runs: int | None = None  # timed runs per backend and size (default 2, or 5 with full)
    threads: int | None = None
    sizes: str | None = None
    calibration: str | None = None
    skip: tuple[str, ...] = ()
    startup: bool = True
    int8_norms: bool = False  # measure int8 quality per norm instead of timing
    gemm_n: int = 4096  # the roofline GEMM is gemm_n^3


@dataclass
class BackendResult:
    name: str
    precision: str
    seconds: dict[tuple[int, int], float]  # median seconds per image, by size
    note: str = ""


def _time(fn: Callable[[np.ndarray], object], x: np.ndarray, warmup: int, runs: int) -> float:
    for _ in range(warmup):
        fn(x)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _configure_threads(threads: int, report: Callable[[str], None]) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran in this process (a test, a notebook): its pools are fixed
        report(f"note: TensorFlow was already initialised here; its thread pools keep their size, not {threads}")


def _load_model(options: BenchOptions):
    import keras

    from animegan.models import build_generator
    from animegan.export.source import load_generator

    if options.model:
        from animegan.errors import AnimeGANError
        from animegan.export.graph import is_latent

        model = load_generator(options.model)
        if is_latent(model):
            raise AnimeGANError(f"{options.model} is a latent-input generator; the benchmark times photo generators")
        return model
    keras.utils.set_random_seed(0)
    return build_generator(options.arch)


def _bf16_model(model):
    """The same generator under Keras' mixed_bfloat16 policy (bf16 compute, float32 weights and output)."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        clone = model.__class__.from_config(model.get_config())
    finally:
        keras.config.set_dtype_policy(previous)
    clone.set_weights(model.get_weights())
    return clone


def _backends(model, options: BenchOptions, threads: int, bf16: bool, workdir: Path, report):
    """(name, precision, runner, note) for every backend not skipped; exports are made here."""
    import tensorflow as tf

    from animegan.inference.backends_savedmodel import SavedModelBackend
    from animegan.inference.backends_tflite import TFLiteBackend
    from animegan.export.calibration import calibration_images
    from animegan.export.savedmodel import build_archive
    from animegan.export.source import metadata_for
    from animegan.export.tflite import convert_tflite
    from animegan.inference.metadata import metadata_path

    def compiled(m):
        run = tf.function(lambda x: m(x, training=False), jit_compile=True, reduce_retracing=True)
        return lambda x: run(tf.constant(x)).numpy()

    wanted = lambda name: name not in options.skip  # noqa: E731
    if wanted("keras-eager"):
        yield "keras-eager", "float32", lambda x: model(x, training=False).numpy(), ""
    if wanted("keras-xla"):
        yield "keras-xla", "float32", compiled(model), ""
    if bf16 and wanted("keras-xla-bf16"):
        yield "keras-xla-bf16", "bfloat16", compiled(_bf16_model(model)), ""
    if wanted("savedmodel"):
        path = workdir / "savedmodel"
        build_archive(model, int(model.stride)).write_out(str(path), verbose=False)
        metadata_path(path).parent.mkdir(parents=True, exist_ok=True)
        metadata_path(path).write_text(metadata_for(model, "savedmodel").to_json())
        yield "savedmodel", "float32", SavedModelBackend(path), ""
    for quantization in TFLITE_VARIANTS:
        name = f"tflite-{'fp32' if quantization == 'none' else quantization}"
        if not wanted(name):
            continue
        representative = None
        if quantization == "int8":
            representative = calibration_images(options.calibration, count=16 if options.full else 8)
        content = convert_tflite(model, quantization, None, representative)
        backend = TFLiteBackend(model_content=content, metadata=metadata_for(model, "tflite", quantization), threads=threads)
        precision = {"none": "float32", "float16": "fp16 weights", "dynamic": "int8 weights", "int8": "int8"}[quantization]
        yield name, precision, backend, backend.runtime


def _startup_seconds(model_path: Path, photo: Path, out: Path, threads: int) -> float:
    """Wall time of ``animegan stylize`` on one small photo, start to exit, in a fresh process."""
    command = [sys.executable, "-m", "animegan", "stylize", str(photo), "-o", str(out), "-m", str(model_path), "--overwrite"]
    if model_path.suffix == ".tflite":
        command += ["--threads", str(threads)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        return float("nan")
    return elapsed


def run_bench(options: BenchOptions, report: Callable[[str], None] = print) -> list[BackendResult]:
    from animegan.export.exporter import parse_size
    from animegan.bench.roofline import cpu_info, gemm_gflops

    threads = options.threads or os.cpu_count() or 1
    _configure_threads(threads, report)
    sizes = [parse_size(s) for s in options.sizes.split(",")] if options.sizes else list(DEFAULT_SIZES)
    if options.int8_norms:
        from animegan.bench.int8_quality import int8_quality_by_norm

        int8_quality_by_norm(options.arch, sizes[0], options.calibration, threads=threads, report=report)
        return []
    warmup, runs = (2, 5) if options.full else (1, 2)
    runs = options.runs or runs
    model = _load_model(options)

    cpu = cpu_info()
    report(f"CPU: {cpu.model}, {cpu.logical_cores} logical cores; benchmark threads: {threads}")
    report(f"CPU features: {' '.join(cpu.features) or 'none detected'}")
    fp32_roof = gemm_gflops("float32", n=options.gemm_n, repeats=3 if options.full else 2)
    report(f"fp32 GEMM {options.gemm_n}^3 (TensorFlow/oneDNN, {threads} threads): {fp32_roof:.1f} GFLOP/s")
    bf16_roof = None
    if cpu.has_bf16:
        bf16_roof = gemm_gflops("bfloat16", n=options.gemm_n, repeats=3 if options.full else 2)
        report(f"bf16 GEMM {options.gemm_n}^3: {bf16_roof:.1f} GFLOP/s ({bf16_roof / fp32_roof:.1f}x fp32)")
    else:
        report("bf16: no AVX512-BF16 or AMX on this CPU; the bf16 backend is left out")

    from animegan.bench.flops import generator_gflops
    from animegan.export.verify import psnr, sample_inputs

    gflops = {size: generator_gflops(model, *size) for size in sizes}
    report(f"model: {model.architecture} norm={model.norm} upsample={model.upsample}; conv GFLOPs per image: "
           + ", ".join(f"{h}x{w} {gflops[(h, w)]:.1f}" for h, w in sizes))  # fmt: skip

    inputs = {size: sample_inputs([size])[0] for size in sizes}
    reference_size = sizes[0]
    reference = model(inputs[reference_size], training=False).numpy()
    results = []
    with tempfile.TemporaryDirectory(prefix="animegan-bench-") as temporary:
        workdir = Path(temporary)
        for name, precision, runner, note in _backends(model, options, threads, cpu.has_bf16, workdir, report):
            quality = psnr(runner(inputs[reference_size]), reference)
            seconds = {size: _time(runner, inputs[size], warmup, runs) for size in sizes}
            detail = f"PSNR vs Keras float32 at {reference_size[0]}x{reference_size[1]}: {quality:.1f} dB"
            results.append(BackendResult(name, precision, seconds, detail + (f"; {note}" if note else "")))
            roof = bf16_roof if precision == "bfloat16" else fp32_roof  # each against the GEMM of its own precision
            cells = []
            for size in sizes:
                rate = gflops[size] / seconds[size]
                cells.append(f"{size[0]}x{size[1]} {1 / seconds[size]:6.2f} img/s {rate:6.1f} GFLOP/s ({rate / roof:4.0%})")
            report(f"{name:<15} {precision:<12} " + " | ".join(cells) + f"  [{results[-1].note}]")
        _summary(results, sizes, gflops, fp32_roof, report)
        if options.startup:
            _report_startup(model, workdir, threads, options.skip, report)
    return results


def _summary(results, sizes, gflops, fp32_roof, report) -> None:
    target = (512, 512) if (512, 512) in sizes else sizes[len(sizes) // 2]
    floats = [r for r in results if r.precision == "float32"]
    if floats:
        best = min(floats, key=lambda r: r.seconds[target])
        rate = gflops[target] / best.seconds[target]
        verdict = "meets" if rate >= 0.5 * fp32_roof else "misses"
        report(f"best float32 at {target[0]}x{target[1]}: {best.name}, {rate:.1f} GFLOP/s = {rate / fp32_roof:.0%} of the "
               f"fp32 GEMM ({verdict} the 50% goal)")  # fmt: skip
    by_name = {r.name: r for r in results}
    if "tflite-int8" in by_name and "tflite-fp32" in by_name:
        speedup = by_name["tflite-fp32"].seconds[target] / by_name["tflite-int8"].seconds[target]
        report(f"tflite int8 vs fp32 at {target[0]}x{target[1]}: {speedup:.2f}x faster ({'meets' if speedup >= 1.5 else 'misses'} "
               f"the 1.5x goal); int8 {by_name['tflite-int8'].note}")  # fmt: skip


def _report_startup(model, workdir: Path, threads: int, skip: tuple[str, ...], report) -> None:
    """Times ``animegan stylize`` start to exit on the .tflite export and (unless skipped) the .keras file."""
    from PIL import Image

    from animegan.weights.save import save_model_atomically
    from animegan.inference.metadata import metadata_path
    from animegan.export.source import metadata_for
    from animegan.export.tflite import convert_tflite

    photo = workdir / "startup.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(photo)
    tflite_path = workdir / "startup.tflite"
    tflite_path.write_bytes(convert_tflite(model, "none", None))
    metadata_path(tflite_path).write_text(metadata_for(model, "tflite").to_json())
    timings = [f"tflite {_startup_seconds(tflite_path, photo, workdir / 'out-tflite', threads):.2f} s"]
    if "startup-keras" not in skip:
        keras_path = save_model_atomically(model, workdir / "startup.keras")
        timings.append(f"keras {_startup_seconds(keras_path, photo, workdir / 'out-keras', threads):.2f} s")
    report(f"CLI start-up (stylize one 64x64 photo, fresh process): {', '.join(timings)}")
