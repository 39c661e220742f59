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
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.export.formats import QUANTIZATIONS
from animegan.export.tflite_graph import non_builtin_ops

def _converter(saved_model: Path, quantization: str, representative: list[np.ndarray] | None):
    import tensorflow as tf

    from animegan.export.calibration import representative_dataset

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    if quantization == "int8":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        if not representative:
            raise AnimeGANError("int8 export needs calibration images")
        converter.representative_dataset = representative_dataset(representative)
    return converter


def convert_tflite(
    model,
    quantization: str = "none",
    input_size: tuple[int, int] | None = None,
    representative: list[np.ndarray] | None = None,
    dynamic: bool = False,
) -> bytes:
    """The ``.tflite`` flatbuffer of ``model``; AnimeGANError if conversion fails or leaves non-builtin ops.

    Image models are fixed-size when ``input_size`` is given and any-size otherwise; ``dynamic`` gives a
    latent model any batch size.
    """
    from animegan.export.graph import input_spec
    from animegan.export.savedmodel import write_float_savedmodel

    if quantization not in QUANTIZATIONS:
        raise AnimeGANError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    with tempfile.TemporaryDirectory(prefix="animegan-tflite-") as temporary:
        saved_model = write_float_savedmodel(model, Path(temporary) / "float", input_spec(model, input_size, dynamic))
        converter = _converter(saved_model, quantization, representative)
        try:
            content = converter.convert()
        except Exception as error:  # the converter raises ConverterError, ValueError, RuntimeError...
            reason = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
            raise AnimeGANError(f"TFLite conversion ({quantization}) failed: {reason}") from error
    check_builtins_only(content)
    return content


def check_builtins_only(content: bytes) -> None:
    """Refuses a model with Flex (select-TF) or custom ops: LiteRT without TensorFlow cannot run them."""
    bad = non_builtin_ops(content)
    if bad:
        raise AnimeGANError(f"the TFLite model needs non-builtin ops ({', '.join(bad)}); refusing to write it")
