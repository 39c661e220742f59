"""TFLite export: float32, float16, dynamic-range and full-integer int8, builtin ops only.

The model goes through a float SavedModel (Keras' ``ExportArchive``) and ``TFLiteConverter.
from_saved_model`` -- Keras' own LiteRT export takes the same path but gives no say over the shape
or the op sets. ``supported_ops`` lists only TFLite builtins (``TFLITE_BUILTINS``; for int8
``TFLITE_BUILTINS_INT8``), so select-TF (Flex) ops are forbidden; the converted model is then read
back and refused if any Flex or custom op is in it anyway.

Shapes: ``input_size=(H, W)`` gives a fixed ``[1, H, W, 3]`` model, which constant-folds every shape
computation (what the GPU delegate needs); ``None`` gives ``[N, H, W, 3]`` of any size, resized in
the interpreter with ``resize_tensor_input``. A latent-input model takes ``[1, latent_dim]``, or
``[N, latent_dim]`` with ``dynamic``. The interface stays float32 (images NHWC in [-1, 1]) for every
quantization (int8 models quantize and dequantize at their edges), so one backend runs them all.

Image models with instance or layer norms carry a second signature, ``statistics`` (``export.graph``),
with the same weights: the first subgraph stays the plain model, the one other runtimes call.
An int8 export calibrates it too, on the statistics the float model measures on the calibration images.

int8 models with instance or layer norms keep the norms' arithmetic in float32 (``FLOAT_NORM_OPS``, through
TF's selective quantization): in int8, the mean, the squared differences and their rsqrt lose too much (the
bundled model: 20 dB against its ``.keras`` picture, 30 dB with float norms; docs/big-photos.md); the
convolutions, activations, pads and resizes between norms stay int8, with a QUANTIZE and a DEQUANTIZE at
each boundary. Models without them (batch norm, none) stay full-integer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.export.formats import QUANTIZATIONS
from animegan.export.tflite_graph import non_builtin_ops

# The TFLite ops of a norm's arithmetic (``layers.norms.weighted_moments`` and ``normalize_with``: means, sums,
# squares, rsqrt, scale and shift, the reshapes to groups; the mask pooling and counts of the statistics
# signature). An int8 export of a model with instance or layer norms runs them in float32. Residual adds and
# other products are float too (selective quantization goes by op type): they are a small share of the time.
FLOAT_NORM_OPS = (
    "MEAN", "SUM", "SQUARE", "SQUARED_DIFFERENCE", "SUB", "NEG", "RSQRT", "DIV", "MUL", "ADD", "RESHAPE",
    "AVERAGE_POOL_2D", "MAXIMUM",
)  # fmt: skip


def _converter(saved_model: Path, quantization: str, representative, signatures: list[str]):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=signatures)
    if quantization == "int8":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        if representative is None:
            raise AnimeGANError("int8 export needs calibration images")
        converter.representative_dataset = representative
    return converter


def convert_tflite(
    model,
    quantization: str = "none",
    input_size: tuple[int, int] | None = None,
    representative: list[np.ndarray] | None = None,
    dynamic: bool = False,
    sites=(),
) -> bytes:
    """The ``.tflite`` flatbuffer of ``model``; AnimeGANError if conversion fails or leaves non-builtin ops.

    Image models are fixed-size when ``input_size`` is given and any-size otherwise; ``dynamic`` gives a
    latent model any batch size. Given normalization ``sites``, the ``statistics`` signature is added.
    """
    from animegan.export.graph import STATISTICS, input_spec
    from animegan.export.savedmodel import SERVING, write_float_savedmodel
    from animegan.layers.norms import has_statistics_norms

    if quantization not in QUANTIZATIONS:
        raise AnimeGANError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    signatures = [SERVING, STATISTICS] if sites else [SERVING]
    dataset = _representative(model, sites, representative) if quantization == "int8" and representative else None
    with tempfile.TemporaryDirectory(prefix="animegan-tflite-") as temporary:
        spec = input_spec(model, input_size, dynamic)
        saved_model = write_float_savedmodel(model, Path(temporary) / "float", spec, sites, input_size)
        converter = _converter(saved_model, quantization, dataset, signatures)
        float_norms = quantization == "int8" and has_statistics_norms(model)
        try:
            content = _float_norms_int8(converter) if float_norms else converter.convert()
        except Exception as error:  # the converter raises ConverterError, ValueError, RuntimeError...
            reason = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
            raise AnimeGANError(f"TFLite conversion ({quantization}) failed: {reason}") from error
    check_builtins_only(content)
    return content


def _float_norms_int8(converter) -> bytes:
    """Calibrates every signature, then quantizes all but ``FLOAT_NORM_OPS`` to int8 (the float32 interface kept).

    TF's ``QuantizationDebugger`` is the public way to a selectively quantized model: it calibrates through the
    converter and quantizes the calibrated model with the denylist (``get_nondebug_quantized_model``).
    """
    import tensorflow as tf

    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(FLOAT_NORM_OPS))
    debugger = tf.lite.experimental.QuantizationDebugger(converter=converter, debug_options=options)
    return debugger.get_nondebug_quantized_model()


def _representative(model, sites, images: list[np.ndarray]):
    """Calibration samples for every signature: the photos, and for ``statistics`` the photos with the
    statistics the float model measures on them (fixed) and with small shifts of its own (correction)."""
    from animegan.export.graph import STATISTICS, FLOAT_INPUT, MASK_INPUT, OWN_INPUT, site_names
    from animegan.export.savedmodel import SERVING

    if not sites:
        return lambda: ([image] for image in images)
    import tensorflow as tf

    from animegan.models.norm_statistics import statistics_function

    measure = statistics_function(model, sites)
    rng = np.random.default_rng(0)

    def samples():
        for image in images:
            yield SERVING, {FLOAT_INPUT: image}
            mask = np.ones(image.shape[:3] + (1,), np.float32)
            ones = np.ones((1, 1), np.float32)
            shifts = [np.zeros((1, s.groups), np.float32) for s in sites]
            _, means, variances = measure(tf.constant(image), tf.constant(mask), tf.constant(ones), shifts, [s + 1 for s in shifts])
            fixed = {FLOAT_INPUT: image, MASK_INPUT: mask, OWN_INPUT: 0 * ones}
            shifted = {FLOAT_INPUT: image, MASK_INPUT: mask, OWN_INPUT: ones}
            for k, site in enumerate(sites):
                mean_name, variance_name, _, _ = site_names(k)
                fixed[mean_name], fixed[variance_name] = means[k].numpy(), variances[k].numpy()
                std = np.sqrt(variances[k].numpy())
                shifted[mean_name] = (rng.normal(0, 0.1, (1, site.groups)) * std).astype(np.float32)
                shifted[variance_name] = rng.uniform(0.8, 1.25, (1, site.groups)).astype(np.float32)
            yield STATISTICS, fixed
            yield STATISTICS, shifted

    return samples


def check_builtins_only(content: bytes) -> None:
    """Refuses a model with Flex (select-TF) or custom ops: LiteRT without TensorFlow cannot run them."""
    bad = non_builtin_ops(content)
    if bad:
        raise AnimeGANError(f"the TFLite model needs non-builtin ops ({', '.join(bad)}); refusing to write it")
