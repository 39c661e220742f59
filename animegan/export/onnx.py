"""ONNX export through tf2onnx (the ``onnx`` extra: ``pip install 'animegan[onnx]'``), checked with onnxruntime.

Neither package ships with the default install (the project pins TensorFlow 2.21, and tf2onnx is an
optional converter): without them ``--format onnx`` is a one-line error. Tried here with tf2onnx 1.17.0,
onnx 1.23.2 and onnxruntime 1.32.0 on TensorFlow 2.21: the conversion works (opset 17; the reflection pads
become ``Pad``, the resizes ``Resize``), but onnxruntime's float32 result drifts from Keras by
a few 1e-4 at 256x256 (AnimeGANv2, random weights), past the float32 bar of 1e-4, so verification
fails at the default sizes; it passes on small inputs. Quantized ONNX is not offered: use TFLite.
"""

from __future__ import annotations

import numpy as np

from animegan.errors import AnimeGANError

OPSET = 17
_MISSING = "ONNX export needs tf2onnx and onnxruntime: pip install 'animegan[onnx]'"


def _require():
    try:
        import onnxruntime
        import tf2onnx
    except ImportError:
        raise AnimeGANError(_MISSING) from None
    return tf2onnx, onnxruntime


def convert_onnx(model, input_size: tuple[int, int] | None = None) -> bytes:
    """The serialized ONNX model of ``model`` (float32 in, as ``animegan.export.graph.input_spec``; output 'stylized')."""
    tf2onnx, _ = _require()
    import tensorflow as tf

    from animegan.export.graph import OUTPUT, input_spec

    spec = input_spec(model, input_size)
    function = tf.function(lambda x: tf.identity(model(x, training=False), name=OUTPUT))
    try:
        proto, _ = tf2onnx.convert.from_function(function, input_signature=[spec], opset=OPSET)
    except Exception as error:  # tf2onnx raises whatever its handlers raise
        reason = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
        raise AnimeGANError(f"ONNX conversion failed: {reason}") from error
    return proto.SerializeToString()


class OnnxRunner:
    """Runs a serialized ONNX generator with onnxruntime on the CPU."""

    def __init__(self, content: bytes, threads: int | None = None):
        _, onnxruntime = _require()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(content, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: np.ascontiguousarray(batch, dtype=np.float32)})[0]
