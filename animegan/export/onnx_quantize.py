"""int8 ONNX that is faster than float32 on AVX2 CPUs: integer convolutions, float normalization.

What the profile of ``onnxruntime.quantization.quantize_static`` output showed (AnimeGANv2, 256x256, one
thread, AVX2 without VNNI): the integer convolutions were 2x faster than float32 ones, but the model only
1.4x, because ORT runs its u8 x s8 convolutions in NHWC and the QDQ graph was NCHW: a ``Transpose`` on each
side of every convolution (7% of the time), and the reflection pads ran in float between a Quantize and a
Dequantize. Quantizing the norms too (what TFLite int8 does) costs quality (instance norm: 13-15 dB).

So the graph is written here directly, in NHWC: a photo is quantized once, reflection-padded as uint8 (a pad
copies values, so that is exact), convolved by ORT's ``com.microsoft.QLinearConv`` with ``channels_last``
(uint8 activations, int8 per-channel weights with 7-bit range so that AVX2's ``vpmaddubsw`` pairs never
saturate int16), dequantized, and normalized, activated, resized and added in float32 (one
``LayerNormalization`` for a layer norm). A depthwise convolution feeds the next one as uint8 directly.

Activation ranges come from running the float32 graph of the same writer (``animegan.export.onnx_graph``)
on calibration photos: every convolution's input and output, per image; ``minmax`` takes the extremes over
all images, ``percentile`` the 99.99th percentile of each image, averaged (clips rare outliers, finer steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from animegan.errors import AnimeGANError
from animegan.export.formats import CALIBRATION_METHODS
from animegan.export.onnx_graph import GraphWriter, conv_attributes

DEFAULT_METHOD = "percentile"
WEIGHT_LEVELS = 63  # 7-bit weights: 255 * 63 * 2 < 32767, so vpmaddubsw's int16 pair sums cannot saturate
PERCENTILE = 99.99


@dataclass
class _Quantized:
    """A uint8 tensor and the names and values of its scale and zero point."""

    name: str
    scale: str
    zero_point: str
    scale_value: float
    dequantized: str | None = None


def quantization_parameters(low: float, high: float) -> tuple[float, int]:
    """(scale, uint8 zero point) of an asymmetric range that holds 0."""
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    scale = (high - low) / 255.0 if high > low else 1.0
    return scale, int(np.clip(round(-low / scale), 0, 255))


def quantize_weight(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8 of an (out, in, kh, kw) weight: (int8 weight, float32 scales)."""
    peak = np.max(np.abs(weight.reshape(weight.shape[0], -1)), axis=1)
    scale = np.where(peak > 0, peak / WEIGHT_LEVELS, 1.0).astype(np.float32)
    q = np.clip(np.rint(weight / scale[:, None, None, None]), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return q, scale


class Int8Writer(GraphWriter):
    """The NHWC int8 graph: values are float tensor names or ``_Quantized`` uint8 tensors."""

    layout = "nhwc"

    def __init__(self, ranges: dict[str, tuple[float, float]]):
        super().__init__()
        self.ranges = ranges

    def floating(self, x):
        if not isinstance(x, _Quantized):
            return x
        if x.dequantized is None:
            x.dequantized = self.op("DequantizeLinear", [x.name, x.scale, x.zero_point], f"{x.name}.dq")
        return x.dequantized

    def _parameters(self, key: str) -> tuple[str, str, float]:
        scale, zero_point = quantization_parameters(*self.ranges[key])
        return self.const(np.float32(scale), f"{key}.scale"), self.const(np.uint8(zero_point), f"{key}.zp"), scale

    def quantized(self, x, key: str) -> _Quantized:
        if isinstance(x, _Quantized):
            return x
        scale, zero_point, value = self._parameters(key)
        return _Quantized(self.op("QuantizeLinear", [x, scale, zero_point], f"{key}.q"), scale, zero_point, value)

    def ReflectionPadding2D(self, layer, x):
        q = self.quantized(x, f"{layer.name}:in")
        return _Quantized(self.op("Pad", [q.name, self.pads(layer)], layer.name, mode="reflect"), q.scale, q.zero_point, q.scale_value)

    def conv(self, key: str, x, weight: np.ndarray, bias, layer, group: int = 1) -> _Quantized:
        q = self.quantized(x, f"{key}:in")
        weight_q, weight_scale = quantize_weight(weight)
        out_scale, out_zero_point, out_value = self._parameters(f"{key}:out")
        inputs = [
            q.name, q.scale, q.zero_point,
            self.const(weight_q, f"{key}.w"), self.const(weight_scale, f"{key}.w_scale"),
            self.const(np.zeros(len(weight_scale), np.int8), f"{key}.w_zp"),
            out_scale, out_zero_point,
        ]  # fmt: skip
        if bias is not None:
            inputs.append(self.const(np.rint(bias / (q.scale_value * weight_scale)).astype(np.int32), f"{key}.b"))
        attributes = conv_attributes(layer, weight.shape[2:])
        y = self.op("QLinearConv", inputs, key, domain="com.microsoft", channels_last=1, group=int(group), **attributes)
        return _Quantized(y, out_scale, out_zero_point, out_value)

    def instance_norm(self, x: str, gamma, beta, epsilon: float, hint: str) -> str:
        # ONNX has no NHWC instance norm: ORT's NCHW kernel between two transposes beats five reductions
        nchw = self.op("Transpose", [x], f"{hint}.nchw", perm=[0, 3, 1, 2])
        y = super().instance_norm(nchw, gamma, beta, epsilon, hint)
        return self.op("Transpose", [y], f"{hint}.nhwc", perm=[0, 2, 3, 1])


def activation_ranges(model, images: list[np.ndarray], method: str = DEFAULT_METHOD) -> dict[str, tuple[float, float]]:
    """(low, high) of every convolution's input and output (and pad input) over the calibration images."""
    import onnxruntime

    keys = _keys(model)
    writer = GraphWriter()
    proto = writer.model_proto(model, extra_outputs=keys)
    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [writer.taps[key] for key in keys]
    lows, highs = {key: [] for key in keys}, {key: [] for key in keys}
    for image in images:
        for key, value in zip(keys, session.run(names, {"photo": np.asarray(image, np.float32)})):
            if method == "percentile":
                low, high = np.percentile(value, [100 - PERCENTILE, PERCENTILE])
            else:
                low, high = value.min(), value.max()
            lows[key].append(float(low))
            highs[key].append(float(high))
    if method == "percentile":
        return {key: (float(np.mean(lows[key])), float(np.mean(highs[key]))) for key in keys}
    return {key: (min(lows[key]), max(highs[key])) for key in keys}


def _keys(model) -> tuple[str, ...]:
    """The calibration keys of ``model``'s graph (written once to learn them)."""
    writer = GraphWriter()
    writer.model_proto(model)
    return tuple(writer.taps)


def quantize_onnx_int8(model, images: list[np.ndarray], input_size: tuple[int, int] | None = None, method: str = DEFAULT_METHOD):
    """The int8 NHWC ``onnx.ModelProto`` of ``model``, calibrated on ``images`` (1xHxWx3 in [-1, 1])."""
    if method not in CALIBRATION_METHODS:
        raise AnimeGANError(f"unknown calibration method {method!r}; choose one of {', '.join(CALIBRATION_METHODS)}")
    if not images:
        raise AnimeGANError("int8 ONNX needs calibration images")
    ranges = activation_ranges(model, images, method)
    return Int8Writer(ranges).model_proto(model, input_size)
