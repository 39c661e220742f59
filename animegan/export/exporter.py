"""``export_model``: load a ``.keras`` generator, convert it, verify the result, write it atomically.

Nothing is written when conversion or verification fails. The model file goes first and its metadata
(``OUT.json`` beside it, or ``assets/animegan.json`` inside a SavedModel) right after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.atomic import check_folder, replacing, write_bytes, write_text
from animegan.export.formats import FORMATS, QUANTIZATIONS
from animegan.inference.metadata import ExportMetadata, metadata_path
from animegan.export.verify import DEFAULT_SIZES, Verification, sample_inputs, sample_latents, verification_sizes, verify

DEFAULT_TFLITE_SIZE = (512, 512)  # fixed shape: what the GPU delegate needs; --dynamic for any size
_SUFFIXES = {"tflite": ".tflite", "onnx": ".onnx"}


@dataclass(frozen=True)
class ExportOptions:
    format: str
    quantization: str = "none"
    input_size: tuple[int, int] | None = None  # tflite default: DEFAULT_TFLITE_SIZE
    dynamic: bool = False
    calibration: str | Path | None = None  # folder of photos for int8; None: synthetic images
    verify: bool = True
    overwrite: bool = False
    gpu_report: str | Path | None = None  # where to write the full per-op GPU report (tflite)
    verify_sizes: tuple[tuple[int, int], ...] = DEFAULT_SIZES
    calibration_method: str | None = None  # onnx int8: animegan.export.onnx_quantize.CALIBRATION_METHODS


@dataclass(frozen=True)
class ExportResult:
    output: Path
    metadata: ExportMetadata
    verification: Verification | None = None
    gpu_compatible: bool | None = None


def parse_size(text: str) -> tuple[int, int]:
    """``"512x384"`` (height x width) or ``"512"`` to (512, 384) / (512, 512)."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise AnimeGANError(f"bad size {text!r}: expected HxW, e.g. 512x512") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) <= 0:
        raise AnimeGANError(f"bad size {text!r}: expected HxW with positive numbers, e.g. 512x512")
    return values


def _check_options(output: Path, options: ExportOptions) -> None:
    if options.format not in FORMATS:
        raise AnimeGANError(f"unknown format {options.format!r}; choose one of {', '.join(FORMATS)}")
    if options.quantization not in QUANTIZATIONS:
        raise AnimeGANError(f"unknown quantization {options.quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    if options.quantization != "none" and options.format != "tflite" and (options.format, options.quantization) != ("onnx", "int8"):
        also = " (and int8 for onnx)" if options.format == "onnx" else ""
        raise AnimeGANError(f"--quantize {options.quantization} is for --format tflite{also}; {options.format} exports float32")
    if options.calibration_method is not None and (options.format, options.quantization) != ("onnx", "int8"):
        raise AnimeGANError("--calibration-method is for --format onnx --quantize int8")
    if options.calibration is not None and options.quantization != "int8":
        raise AnimeGANError("--calibration is for --quantize int8")
    if options.input_size and options.dynamic:
        raise AnimeGANError("give either --input-size or --dynamic, not both")
    if options.format == "savedmodel" and options.input_size:
        raise AnimeGANError("a SavedModel always takes any size; --input-size is for tflite and onnx")
    suffix = _SUFFIXES.get(options.format)
    if suffix and output.suffix != suffix:
        raise AnimeGANError(f"a {options.format} output must end in {suffix}, got {output}")
    if options.format == "savedmodel" and output.suffix in (".tflite", ".onnx", ".keras"):
        raise AnimeGANError(f"a SavedModel is a directory; {output} looks like a file name")
    _check_output(output, options.overwrite)


def _check_model_options(model, options: ExportOptions) -> None:
    from animegan.export.graph import is_latent

    if is_latent(model):
        if options.input_size:
            raise AnimeGANError("a latent-input model makes pictures of one size; --input-size is for image models")
        if options.calibration is not None:
            raise AnimeGANError("--calibration photos are for image models; latent models calibrate on random latents")
    elif options.input_size:
        _check_stride(options.input_size, model.stride)


def keras_runner(model):
    """The Keras model as a numpy function (one tf.function for every input shape)."""
    import tensorflow as tf

    from animegan.export.graph import input_spec

    run = tf.function(lambda x: model(x, training=False), input_signature=[input_spec(model)], reduce_retracing=True)
    return lambda batch: run(np.asarray(batch, np.float32)).numpy()


def _verification_inputs(metadata: ExportMetadata, options: ExportOptions) -> list[np.ndarray]:
    if metadata.is_latent:
        return sample_latents(metadata.latent_dim)
    sizes, per_size = verification_sizes(metadata.input_size, options.verify_sizes)
    for size in sizes:
        if size[0] % metadata.stride or size[1] % metadata.stride:
            raise AnimeGANError(f"verification size {size} is not a multiple of the stride {metadata.stride}")
    return sample_inputs(sizes, per_size)


def _verify(model, runner, metadata: ExportMetadata, options: ExportOptions, report, threshold: str | None = None) -> Verification:
    label = f"{metadata.format}" + (f" {metadata.quantization}" if metadata.quantization != "none" else " float32")
    inputs = _verification_inputs(metadata, options)
    result = verify(keras_runner(model), runner, inputs, label, threshold or metadata.quantization)
    for line in result.lines():
        report(line)
    result.check()
    return result


def export_model(
    source: str | Path, output: str | Path, options: ExportOptions, report: Callable[[str], None] = print
) -> ExportResult:
    """Exports ``source`` (a .keras generator) to ``output``; AnimeGANError on any user-facing failure."""
    from animegan.export.source import load_generator

    output = Path(output)
    _check_options(output, options)
    model = load_generator(source)
    _check_model_options(model, options)
    exporters = {"savedmodel": _export_savedmodel, "tflite": _export_tflite, "onnx": _export_onnx}
    result = exporters[options.format](model, output, options, report)
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file()) if output.is_dir() else output.stat().st_size
    report(f"wrote {output} ({result.metadata.describe()}, {size / 1e6:.1f} MB)")
    return result


def _check_stride(size: tuple[int, int] | None, stride: int) -> None:
    if size and (size[0] % stride or size[1] % stride):
        raise AnimeGANError(f"--input-size {size[0]}x{size[1]} must be a multiple of the model stride {stride}")


def _export_tflite(model, output: Path, options: ExportOptions, report) -> ExportResult:
    from animegan.inference.backends_tflite import TFLiteBackend
    from animegan.export.calibration import DEFAULT_SIZE, calibration_images, calibration_latents
    from animegan.export.gpu_report import gpu_report
    from animegan.export.graph import is_latent, latent_dim
    from animegan.export.source import metadata_for
    from animegan.export.tflite import convert_tflite
    from animegan.models.norm_statistics import norm_sites

    latent = is_latent(model)
    size = None if options.dynamic or latent else tuple(options.input_size or DEFAULT_TFLITE_SIZE)
    representative = None
    if options.quantization == "int8" and latent:
        representative = calibration_latents(latent_dim(model))
        report(f"calibrating int8 on {len(representative)} random latents")
    elif options.quantization == "int8":
        representative = calibration_images(options.calibration, size or DEFAULT_SIZE)
        source = options.calibration or "synthetic photo-like images"
        report(f"calibrating int8 on {len(representative)} images from {source}")
    sites = () if latent else norm_sites(model)
    content = convert_tflite(model, options.quantization, size, representative, dynamic=options.dynamic, sites=sites)
    metadata = metadata_for(model, "tflite", options.quantization, size, norm_sites=None if latent else sites)
    gpu = gpu_report(content)
    for line in gpu.summary():
        report(line)
    if options.gpu_report:
        write_text(options.gpu_report, gpu.full_text())
    verification = None
    if options.verify:
        runner = TFLiteBackend(model_content=content, metadata=metadata)
        verification = _verify(model, runner, metadata, options, report)
    write_bytes(output, content)
    write_text(metadata_path(output), metadata.to_json())
    return ExportResult(output, metadata, verification, gpu.compatible)


def _export_savedmodel(model, output: Path, options: ExportOptions, report) -> ExportResult:
    import tensorflow as tf

    from animegan.export.graph import is_latent
    from animegan.export.savedmodel import FLOAT, SERVING, build_archive, signatures_of
    from animegan.export.source import metadata_for
    from animegan.models.norm_statistics import norm_sites

    sites = None if is_latent(model) else norm_sites(model)
    metadata = metadata_for(model, "savedmodel", signatures=signatures_of(model, sites), norm_sites=sites)
    verification = None
    with replacing(output) as temporary:
        build_archive(model, metadata.stride, sites or ()).write_out(str(temporary), verbose=False)
        metadata_path(temporary).parent.mkdir(parents=True, exist_ok=True)
        metadata_path(temporary).write_text(metadata.to_json(), encoding="utf-8")
        if options.verify:
            loaded = tf.saved_model.load(str(temporary))
            float_fn, serving = loaded.signatures[FLOAT], loaded.signatures[SERVING]
            runner = lambda batch: next(iter(float_fn(tf.constant(batch)).values())).numpy()  # noqa: E731
            verification = _verify(model, runner, metadata, options, report)
            _verify_uint8(model, serving, metadata, report)
    return ExportResult(output, metadata, verification)


def _verify_uint8(model, serving, metadata: ExportMetadata, report) -> None:
    """``serving_default`` against the CLI's own pad/run/crop/quantize in numpy.

    Image models get an odd-sized photo (so the in-graph padding and cropping are exercised); latent
    models a batch of two latents.
    """
    import tensorflow as tf

    from animegan.inference.tiles import run_whole

    keras_run = keras_runner(model)
    if metadata.is_latent:
        batch = np.concatenate(sample_latents(metadata.latent_dim))
        expected = keras_run(batch)
        what = f"latent batch of {len(batch)}"
    else:
        x = sample_inputs([(61, 90)])[0]
        batch = np.rint((x + 1.0) * 127.5).astype(np.uint8)
        expected = run_whole(keras_run, batch[0].astype(np.float32) * (2.0 / 255.0) - 1.0, metadata.stride)[None]
        what = "61x90"
    expected = np.rint(np.clip((expected + 1.0) * 0.5, 0.0, 1.0) * 255.0)
    got = next(iter(serving(tf.constant(batch)).values())).numpy()
    worst = int(np.max(np.abs(got.astype(np.int16) - expected.astype(np.int16)))) if got.shape == expected.shape else 255
    report(f"verify savedmodel serving_default uint8 {what}: max difference {worst} level(s) (needs <= 1: {'ok' if worst <= 1 else 'FAIL'})")
    if worst > 1:
        raise AnimeGANError(f"verification failed for the uint8 serving signature: {worst} levels off; nothing written")


def _export_onnx(model, output: Path, options: ExportOptions, report) -> ExportResult:
    from animegan.inference.backends_onnx import OnnxBackend
    from animegan.export.calibration import DEFAULT_SIZE, calibration_images
    from animegan.export.onnx import convert_onnx
    from animegan.export.source import metadata_for

    size = None if options.dynamic else (tuple(options.input_size) if options.input_size else None)
    representative = None
    if options.quantization == "int8":
        representative = calibration_images(options.calibration, size or DEFAULT_SIZE)
        source = options.calibration or "synthetic photo-like images"
        report(f"calibrating int8 on {len(representative)} images from {source}")
    content = convert_onnx(model, size, options.quantization, representative, options.calibration_method, report)
    metadata = metadata_for(model, "onnx", options.quantization, size)
    verification = None
    if options.verify:
        runner = OnnxBackend(model_content=content, metadata=metadata)
        threshold = "onnx" if options.quantization == "none" else None  # float32 across runtimes: see verify.py
        verification = _verify(model, runner, metadata, options, report, threshold)
    write_bytes(output, content)
    write_text(metadata_path(output), metadata.to_json())
    return ExportResult(output, metadata, verification)


def _check_output(path: Path, overwrite: bool) -> None:
    """Before any work: an existing output needs ``--overwrite``, and the destination must be writable."""
    if path.exists() and not overwrite:
        raise AnimeGANError(f"{path} exists; pass --overwrite to replace it")
    check_folder(path)
