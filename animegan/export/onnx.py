"""ONNX export (the ``onnx`` extra: ``pip install 'animegan[onnx]'``), float32 or int8, checked with onnxruntime.

The project's image generators are written by ``animegan.export.onnx_graph`` (NCHW, one ONNX op per
layer: faster on ONNX Runtime than a tf2onnx conversion and within a few 1e-6 of Keras); any other model
(a latent-input generator, a layer that writer does not know) goes through tf2onnx (opset 17), whose
float32 result drifts from Keras by a few 1e-4. int8 (``quantization="int8"``) is
``animegan.export.onnx_quantize``: integer convolutions, float normalizations, for image generators only.
Without the extra ``--format onnx`` is a one-line error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from animegan.errors import AnimeGANError

OPSET = 17
_MISSING = "ONNX export needs onnx, tf2onnx and onnxruntime: pip install 'animegan[onnx]'"


def _require():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import tf2onnx
    except ImportError:
        raise AnimeGANError(_MISSING) from None
    return tf2onnx


def _tf2onnx(model, input_size: tuple[int, int] | None) -> bytes:
    import tensorflow as tf

    from animegan.export.graph import OUTPUT, input_spec

    tf2onnx = _require()
    spec = input_spec(model, input_size)
    function = tf.function(lambda x: tf.identity(model(x, training=False), name=OUTPUT))
    try:
        proto, _ = tf2onnx.convert.from_function(function, input_signature=[spec], opset=OPSET)
    except Exception as error:  # tf2onnx raises whatever its handlers raise
        reason = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
        raise AnimeGANError(f"ONNX conversion failed: {reason}") from error
    return proto.SerializeToString()


def convert_onnx(
    model,
    input_size: tuple[int, int] | None = None,
    quantization: str = "none",
    calibration: list[np.ndarray] | None = None,
    method: str | None = None,
    report: Callable[[str], None] = lambda _: None,
) -> bytes:
    """The serialized ONNX model of ``model`` (NHWC float32 in and out; output 'stylized').

    ``quantization`` "int8" needs ``calibration`` images (1xHxWx3 float32 in [-1, 1]); ``method`` is one of
    ``onnx_quantize.CALIBRATION_METHODS``.
    """
    _require()
    from animegan.export.graph import is_latent
    from animegan.export.onnx_graph import Unsupported, keras_to_onnx

    try:
        if is_latent(model):
            raise Unsupported("a latent-input model")
        if quantization == "int8":
            from animegan.export.onnx_quantize import DEFAULT_METHOD, quantize_onnx_int8

            proto = quantize_onnx_int8(model, calibration, input_size, method or DEFAULT_METHOD)
        else:
            proto = keras_to_onnx(model, input_size)
    except Unsupported as why:
        if quantization != "none":
            raise AnimeGANError(f"int8 ONNX is for the project's image generators, not this model ({why})") from None
        report(f"ONNX: {why} is not in the direct writer; converting with tf2onnx instead")
        return _tf2onnx(model, input_size)
    return proto.SerializeToString()
