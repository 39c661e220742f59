"""``animegan bench``: every backend on the same machine, in one run, against the measured GEMM roofline.

Backends: Keras eager, Keras compiled with XLA (``jit_compile``), the SavedModel's float signature, the
TFLite exports (float32, float16, dynamic-range, int8 on LiteRT with XNNPACK), the ONNX exports (float32
and int8 on ONNX Runtime), plus Keras in bfloat16 where the CPU has AVX512-BF16 or AMX. Batch 1, the
median of the timed runs; GFLOP/s = the generator's conv GFLOPs per image x images/s, printed as a
fraction of the fastest GEMM of the same precision that any library present reaches
(``animegan.bench.roofline``). Per backend, the share of its time outside the convolutions
(``animegan.bench.conv_share``). Then end to end against the peers (``animegan.bench.peers``) and the
goals of issue 16 with their measured ratios (``animegan.bench.goals``).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_SIZES = ((256, 256), (512, 512), (720, 1280))
TFLITE_VARIANTS = ("none", "float16", "dynamic", "int8")
BACKENDS = (
    "keras-eager", "keras-xla", "keras-xla-bf16", "savedmodel", "tflite-fp32", "tflite-float16", "tflite-dynamic",
    "tflite-int8", "onnx-fp32", "onnx-int8",
)  # fmt: skip
PRECISIONS = {"keras-xla-bf16": "bfloat16", "tflite-float16": "fp16 weights", "tflite-dynamic": "int8 weights", "tflite-int8": "int8", "onnx-int8": "int8"}


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
    gemm_n: int = 4096  # the roofline GEMMs are gemm_n^3
    clock: str = "wall"  # or "cpu": CPU seconds of this process (steady on a loaded machine with one thread)
    conv_share: bool = True  # per backend, the share of time outside convolutions
    end_to_end: bool = True  # animegan stylize against the peers on a folder of photos
    photos: str | None = None  # photos for the end-to-end run (default: synthetic)
    photo_count: int = 8
    weights_pt: str | None = None  # AnimeGANv2 in the PyTorch port's layout: the model of every backend and peer
    torch_python: str | None = None  # an interpreter with torch, for the PyTorch peer


@dataclass
class BackendResult:
    name: str
    precision: str
    seconds: dict[tuple[int, int], float]  # median seconds per image, by size
    note: str = ""
    psnr: float = float("nan")  # against Keras float32 at the first size
    outside_conv: float = float("nan")  # share of the time outside convolutions, at the target size
    outside_how: str = ""
    extra: dict = field(default_factory=dict)


def _time(fn: Callable[[np.ndarray], object], x: np.ndarray, warmup: int, runs: int, now: Callable[[], float]) -> float:
    for _ in range(warmup):
        fn(x)
    times = []
    for _ in range(runs):
        start = now()
        fn(x)
        times.append(now() - start)
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

    if options.weights_pt:
        from animegan.weights.importers import import_weights

        return import_weights(options.weights_pt, "animegan-v2")
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


@dataclass
class _Context:
    """What building a backend needs: the reference model (for metadata and stride), calibration, paths."""

    reference: object
    threads: int
    calibration: list[np.ndarray]
    workdir: Path
    onnx_files: dict[str, bytes] = field(default_factory=dict)  # "fp32"/"int8": the ONNX exports


def make_backend(name: str, model, context: _Context):
    """A numpy runner of ``model`` on backend ``name``, plus a note (the runtime)."""
    import tensorflow as tf

    from animegan.export.source import metadata_for

    reference = context.reference
    if name == "keras-eager":
        return (lambda x: model(x, training=False).numpy()), ""
    if name in ("keras-xla", "keras-xla-bf16", "tf-graph"):
        net = _bf16_model(model) if name == "keras-xla-bf16" else model
        run = tf.function(lambda x: net(x, training=False), jit_compile=name != "tf-graph", reduce_retracing=True)
        return (lambda x: run(tf.constant(x)).numpy()), ""
    if name == "savedmodel":
        from animegan.export.savedmodel import build_archive
        from animegan.inference.backends_savedmodel import SavedModelBackend
        from animegan.inference.metadata import metadata_path

        path = context.workdir / f"savedmodel-{id(model)}"
        build_archive(model, int(reference.stride)).write_out(str(path), verbose=False)
        metadata_path(path).parent.mkdir(parents=True, exist_ok=True)
        metadata_path(path).write_text(metadata_for(reference, "savedmodel").to_json())
        return SavedModelBackend(path), ""
    if name.startswith("tflite-"):
        from animegan.export.tflite import convert_tflite
        from animegan.inference.backends_tflite import TFLiteBackend

        quantization = {"tflite-fp32": "none"}.get(name, name.removeprefix("tflite-"))
        representative = context.calibration if quantization == "int8" else None
        content = convert_tflite(model, quantization, None, representative)
        metadata = metadata_for(reference, "tflite", quantization)
        backend = TFLiteBackend(model_content=content, metadata=metadata, threads=context.threads)
        return backend, backend.runtime
    if name.startswith("onnx-"):
        return _onnx_backend(name, model, context), "onnxruntime"
    raise ValueError(f"unknown backend {name}")


def _onnx_backend(name: str, model, context: _Context, profile_prefix: str | None = None):
    from animegan.export.onnx import convert_onnx
    from animegan.export.source import metadata_for
    from animegan.inference.backends_onnx import OnnxBackend

    quantization = "int8" if name == "onnx-int8" else "none"
    key = "int8" if quantization == "int8" else "fp32"
    if key not in context.onnx_files:
        context.onnx_files[key] = convert_onnx(model, None, quantization, context.calibration if quantization == "int8" else None)
    metadata = metadata_for(context.reference, "onnx", quantization)
    return OnnxBackend(model_content=context.onnx_files[key], metadata=metadata, threads=context.threads, profile_prefix=profile_prefix)


def _outside_conv(name: str, model, context: _Context, x: np.ndarray, seconds: float, now, warmup: int, runs: int):
    """(share of time outside convolutions, how it was measured) for backend ``name`` at ``x``'s size."""
    from animegan.bench.conv_share import conv_twin, profile_shares

    if name.startswith("onnx-"):
        backend = _onnx_backend(name, model, context, profile_prefix=str(context.workdir / f"profile-{name}"))
        for _ in range(1 + runs):
            backend(x)
        share, by_op = profile_shares(backend.end_profiling(), runs + 1)
        top = ", ".join(f"{op} {ms / sum(by_op.values()):.0%}" for op, ms in list(by_op.items())[:6])
        return share, f"ORT profile: {top}"
    twin_name = "tf-graph" if name == "savedmodel" else name  # a SavedModel runs the TF graph kernels
    runner, _ = make_backend(twin_name, conv_twin(model), context)
    twin_seconds = _time(runner, x, warmup, runs, now)
    return max(0.0, 1.0 - twin_seconds / seconds), "conv-only twin"


def run_bench(options: BenchOptions, report: Callable[[str], None] = print) -> list[BackendResult]:
    from animegan.bench.roofline import CLOCKS, clock, cpu_info, gemm_gflops
    from animegan.errors import AnimeGANError
    from animegan.export.exporter import parse_size

    if options.clock not in CLOCKS:
        raise AnimeGANError(f"unknown clock {options.clock!r}; choose one of {', '.join(CLOCKS)}")
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
    now = clock(options.clock)

    cpu = cpu_info()
    report(f"CPU: {cpu.model}, {cpu.logical_cores} logical cores; benchmark threads: {threads}")
    report(f"CPU features: {' '.join(cpu.features) or 'none detected'}")
    timing = "CPU seconds of this process (all its threads)" if options.clock == "cpu" else "wall time"
    report(f"clock: {timing}" + ("; with more than one thread that is CPU cost, not latency" if options.clock == "cpu" and threads > 1 else ""))
    repeats = 3 if options.full else 2
    roofs = {"float32": gemm_gflops("float32", options.gemm_n, repeats, threads, options.clock)}
    roofs["int8"] = gemm_gflops("int8", options.gemm_n, repeats, threads, options.clock)
    if cpu.has_bf16:
        roofs["bfloat16"] = gemm_gflops("bfloat16", options.gemm_n, repeats, threads, options.clock)
    for gemm in roofs.values():
        report(gemm.describe(options.gemm_n))
    if not cpu.has_bf16:
        report("bf16: no AVX512-BF16 or AMX on this CPU; no bf16 GEMM or backend")
    return _time_backends(model, options, sizes, threads, cpu.has_bf16, roofs, now, warmup, runs, report)


def _time_backends(model, options, sizes, threads, bf16, roofs, now, warmup, runs, report) -> list[BackendResult]:
    from animegan.bench.flops import generator_gflops
    from animegan.bench.goals import report_goals
    from animegan.errors import AnimeGANError
    from animegan.export.calibration import calibration_images
    from animegan.export.verify import psnr, sample_inputs

    gflops = {size: generator_gflops(model, *size) for size in sizes}
    report(f"model: {model.architecture} norm={model.norm} upsample={model.upsample}; conv GFLOPs per image: "
           + ", ".join(f"{h}x{w} {gflops[(h, w)]:.1f}" for h, w in sizes))  # fmt: skip
    target = (512, 512) if (512, 512) in sizes else sizes[len(sizes) // 2]
    inputs = {size: sample_inputs([size])[0] for size in sizes}
    reference = model(inputs[sizes[0]], training=False).numpy()
    results = []
    with tempfile.TemporaryDirectory(prefix="animegan-bench-") as temporary:
        calibration = calibration_images(options.calibration, count=16 if options.full else 8)
        context = _Context(model, threads, calibration, Path(temporary))
        for name in BACKENDS:
            if name in options.skip or (name == "keras-xla-bf16" and not bf16):
                continue
            try:
                runner, note = make_backend(name, model, context)
            except AnimeGANError as error:  # e.g. int8 ONNX of a model with layers its writer does not know
                report(f"{name:<15} left out: {error}")
                continue
            precision = PRECISIONS.get(name, "float32")
            quality = psnr(runner(inputs[sizes[0]]), reference)
            seconds = {size: _time(runner, inputs[size], warmup, runs, now) for size in sizes}
            result = BackendResult(name, precision, seconds, note, quality)
            if options.conv_share:
                result.outside_conv, result.outside_how = _outside_conv(name, model, context, inputs[target], seconds[target], now, warmup, runs)
            results.append(result)
            report(_line(result, sizes, gflops, roofs, target))
        report_goals(results, sizes, gflops, roofs, target, report)
        if options.end_to_end and {"onnx-fp32", "onnx-int8"} <= {r.name for r in results}:
            _report_end_to_end(model, options, context, results, gflops, target, report)
        if options.startup:
            _report_startup(model, context.workdir, threads, options.skip, report)
    return results


def _line(result: BackendResult, sizes, gflops, roofs, target) -> str:
    roof_precision = {"bfloat16": "bfloat16", "int8": "int8"}.get(result.precision, "float32")
    roof = roofs.get(roof_precision, roofs["float32"])
    cells = []
    for size in sizes:
        rate = gflops[size] / result.seconds[size]
        cells.append(f"{size[0]}x{size[1]} {1 / result.seconds[size]:6.2f} img/s {rate:6.1f} GFLOP/s ({rate / roof.rate:4.0%})")
    share = ""
    if result.outside_conv == result.outside_conv:
        share = f"; outside convs at {target[0]}x{target[1]}: {result.outside_conv:.0%} ({result.outside_how})"
    note = f"; {result.note}" if result.note else ""
    return (f"{result.name:<15} {result.precision:<12} " + " | ".join(cells)
            + f"  [vs {roof_precision} GEMM; PSNR vs Keras float32 at {sizes[0][0]}x{sizes[0][1]}: {result.psnr:.1f} dB{note}{share}]")  # fmt: skip


def _report_end_to_end(model, options: BenchOptions, context: _Context, results, gflops, target, report) -> None:
    from animegan.bench.goals import report_end_to_end
    from animegan.bench.peers import end_to_end, photo_folder
    from animegan.export.source import metadata_for
    from animegan.inference.metadata import metadata_path

    for key, quantization in (("fp32", "none"), ("int8", "int8")):
        if key not in context.onnx_files:
            _onnx_backend(f"onnx-{key}", model, context)
        path = context.workdir / f"e2e-{key}.onnx"
        path.write_bytes(context.onnx_files[key])
        metadata_path(path).write_text(metadata_for(model, "onnx", quantization).to_json())
    photos = photo_folder(context.workdir / "photos", options.photo_count, (512, 512), options.photos)
    runs = end_to_end(
        photos, context.workdir, context.workdir / "e2e-int8.onnx", context.workdir / "e2e-fp32.onnx", options.threads,
        options.weights_pt, options.torch_python, align_corners=model.upsample == "align_corners",
    )  # fmt: skip
    int8 = next((r for r in results if r.name == "onnx-int8"), None)
    model_only = int8.seconds.get((512, 512)) if int8 else None
    report_end_to_end(runs, options.photo_count, model_only, report, options.clock)


def _report_startup(model, workdir: Path, threads: int, skip: tuple[str, ...], report) -> None:
    """Times ``animegan stylize`` start to exit on the .tflite export and (unless skipped) the .keras file."""
    from PIL import Image

    from animegan.bench.peers import timed
    from animegan.weights.save import save_model_atomically
    from animegan.inference.metadata import metadata_path
    from animegan.export.source import metadata_for
    from animegan.export.tflite import convert_tflite

    photo = workdir / "startup.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(photo)
    tflite_path = workdir / "startup.tflite"
    tflite_path.write_bytes(convert_tflite(model, "none", None))
    metadata_path(tflite_path).write_text(metadata_for(model, "tflite").to_json())

    def seconds(path: Path, out: str, extra: list[str]) -> str:
        command = [sys.executable, "-m", "animegan", "stylize", str(photo), "-o", str(workdir / out), "-m", str(path), "--overwrite"]
        return f"{timed(out, command + extra).wall:.2f} s"

    timings = [f"tflite {seconds(tflite_path, 'out-tflite', ['--threads', str(threads)])}"]
    if "startup-keras" not in skip:
        keras_path = save_model_atomically(model, workdir / "startup.keras")
        timings.append(f"keras {seconds(keras_path, 'out-keras', [])}")
    report(f"CLI start-up (stylize one 64x64 photo, fresh process): {', '.join(timings)}")
