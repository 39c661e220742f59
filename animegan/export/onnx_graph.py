"""A Keras image generator written straight to an ONNX graph, in the layout ONNX Runtime's kernels want.

tf2onnx keeps TensorFlow's NHWC between layers: every convolution sits between two ``Transpose`` nodes, and
each normalization becomes about fourteen elementwise nodes (``Reshape``, two ``ReduceMean``, ``Sub``, three
``Mul`` ...). ``GraphWriter`` writes NCHW (what ORT's float convolutions use): one ``Transpose`` after the
input and one before the output, and each layer as the fewest ONNX ops: instance norm is
``InstanceNormalization``, a one-group (layer) norm is one ``LayerNormalization`` over C, H and W with its
per-channel scale and shift broadcast, reflection padding is ``Pad``, the bilinear resizes are ``Resize`` on
the same sampling grid. The result takes and returns NHWC float32 like every other export (input ``photo``,
output ``stylized``). ``animegan.export.onnx_quantize`` subclasses the writer for int8 (NHWC, what ORT's
integer convolutions use).

Only the layers the project's image generators are made of are known; any other layer raises
``Unsupported`` and ``animegan.export.onnx`` falls back to tf2onnx.
"""

from __future__ import annotations

import numpy as np

OPSET = 17
INPUT, OUTPUT = "photo", "stylized"
_RESIZE_MODES = {"half_pixel": "half_pixel", "align_corners": "align_corners", "legacy": "asymmetric"}
_ACTIVATIONS = {"linear": None, "tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid"}


class Unsupported(Exception):
    """The model has a layer (or a layer setting) this converter does not write."""


def conv_weight(kernel: np.ndarray) -> np.ndarray:
    """Keras (kh, kw, in, out) to ONNX (out, in, kh, kw)."""
    return np.ascontiguousarray(np.transpose(kernel, (3, 2, 0, 1)), np.float32)


def depthwise_weight(kernel: np.ndarray) -> np.ndarray:
    """Keras depthwise (kh, kw, channels, multiplier) to ONNX grouped (channels * multiplier, 1, kh, kw)."""
    kh, kw, channels, multiplier = kernel.shape
    return np.ascontiguousarray(np.transpose(kernel.reshape(kh, kw, channels * multiplier), (2, 0, 1))[:, None], np.float32)


class GraphWriter:
    """Walks a functional Keras model once and emits one ONNX node list; values are tensor names."""

    layout = "nchw"

    def __init__(self):
        self.nodes: list = []
        self.initializers: list = []
        self.taps: dict[str, str] = {}  # calibration key -> tensor name (see ``tap``)
        self._count = 0

    # --- primitives ---
    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array, hint: str) -> str:
        from onnx import numpy_helper

        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, domain: str = "", **attributes) -> str:
        from onnx import helper

        output = self._name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, domain=domain or None, **attributes))
        return output

    def tap(self, key: str, name: str) -> None:
        """Remembers the tensor behind a calibration key (a conv's input or output, by layer name)."""
        self.taps[key] = name

    def floating(self, x) -> str:
        """The float tensor of a value (the int8 writer dequantizes here)."""
        return x

    def per_channel(self, values: np.ndarray) -> np.ndarray:
        """A per-channel constant shaped to broadcast over this layout."""
        return values.reshape(-1, 1, 1) if self.layout == "nchw" else values.reshape(-1)

    def spatial(self) -> tuple[int, int]:
        """Indices of H and W in this layout."""
        return (2, 3) if self.layout == "nchw" else (1, 2)

    # --- convolutions: the int8 writer overrides ``conv`` ---
    def conv(self, key: str, x, weight: np.ndarray, bias: np.ndarray | None, layer, group: int = 1) -> str:
        self.tap(f"{key}:in", self.floating(x))
        inputs = [self.floating(x), self.const(weight, f"{key}.w")]
        if bias is not None:
            inputs.append(self.const(bias.astype(np.float32), f"{key}.b"))
        y = self.op("Conv", inputs, key, group=int(group), **conv_attributes(layer, weight.shape[2:]))
        self.tap(f"{key}:out", y)
        return y

    # --- layers ---
    def activation(self, x, function, hint: str) -> str:
        name = getattr(function, "__name__", str(function))
        if name not in _ACTIVATIONS:
            raise Unsupported(f"activation {name}")
        x = self.floating(x)
        return x if _ACTIVATIONS[name] is None else self.op(_ACTIVATIONS[name], [x], hint)

    def Conv2D(self, layer, x):
        weights = layer.get_weights()
        bias = weights[1] if layer.use_bias else None
        y = self.conv(layer.name, x, conv_weight(weights[0]), bias, layer, group=int(getattr(layer, "groups", 1)))
        return self.activation(y, layer.activation, f"{layer.name}.act")

    def DepthwiseConv2D(self, layer, x):
        weights = layer.get_weights()
        bias = weights[1] if layer.use_bias else None
        y = self.conv(layer.name, x, depthwise_weight(weights[0]), bias, layer, group=int(weights[0].shape[2]))
        return self.activation(y, layer.activation, f"{layer.name}.act")

    def SeparableConv2D(self, layer, x):
        weights = layer.get_weights()
        y = self.conv(f"{layer.name}.dw", x, depthwise_weight(weights[0]), None, layer, group=int(weights[0].shape[2]))
        bias = weights[2] if layer.use_bias else None
        y = self.conv(f"{layer.name}.pw", y, conv_weight(weights[1]), bias, _Pointwise())
        return self.activation(y, layer.activation, f"{layer.name}.act")

    def GroupNormalization(self, layer, x):
        channels = int(layer.input.shape[-1])
        groups = channels if layer.groups == -1 else int(layer.groups)
        if layer.axis not in (-1, 3):
            raise Unsupported(f"{layer.name}: normalization axis {layer.axis}")
        gamma, beta = _affine(layer, channels)
        x, epsilon = self.floating(x), float(layer.epsilon)
        if groups == 1:  # TF1 layer_norm over C, H and W; ORT broadcasts the per-channel scale and shift
            scale, shift = self.const(self.per_channel(gamma), "gamma"), self.const(self.per_channel(beta), "beta")
            return self.op("LayerNormalization", [x, scale, shift], layer.name, axis=1, epsilon=epsilon)
        if groups == channels:
            return self.instance_norm(x, gamma, beta, epsilon, layer.name)
        if self.layout != "nchw":
            raise Unsupported(f"{layer.name}: {groups} groups in {self.layout}")
        flat = self.op("Reshape", [x, self.const(np.array([0, groups, -1], np.int64), "groups")], f"{layer.name}.groups")
        ones, zeros = self.const(np.ones(groups, np.float32), "one"), self.const(np.zeros(groups, np.float32), "zero")
        y = self.op("InstanceNormalization", [flat, ones, zeros], layer.name, epsilon=epsilon)
        y = self.op("Reshape", [y, self.op("Shape", [x], "shape")], f"{layer.name}.back")
        y = self.op("Mul", [y, self.const(self.per_channel(gamma), "gamma")], f"{layer.name}.scale")
        return self.op("Add", [y, self.const(self.per_channel(beta), "beta")], f"{layer.name}.shift")

    def instance_norm(self, x: str, gamma: np.ndarray, beta: np.ndarray, epsilon: float, hint: str) -> str:
        return self.op("InstanceNormalization", [x, self.const(gamma, "gamma"), self.const(beta, "beta")], hint, epsilon=epsilon)

    def BatchNormalization(self, layer, x):
        if layer.axis not in (-1, 3):
            raise Unsupported(f"{layer.name}: normalization axis {layer.axis}")
        gamma, beta = _affine(layer, int(layer.input.shape[-1]))
        mean, variance = (np.asarray(v, np.float32) for v in layer.get_weights()[-2:])
        scale = gamma / np.sqrt(variance + layer.epsilon)
        y = self.op("Mul", [self.floating(x), self.const(self.per_channel(scale), "bn_scale")], f"{layer.name}.scale")
        return self.op("Add", [y, self.const(self.per_channel(beta - mean * scale), "bn_shift")], layer.name)

    def ReflectionPadding2D(self, layer, x):
        self.tap(f"{layer.name}:in", self.floating(x))
        return self.op("Pad", [self.floating(x), self.pads(layer)], layer.name, mode="reflect")

    def pads(self, layer) -> str:
        (top, bottom), (left, right) = layer.padding
        begin, end = [0, 0, 0, 0], [0, 0, 0, 0]
        h, w = self.spatial()
        begin[h], begin[w], end[h], end[w] = top, left, bottom, right
        return self.const(np.array(begin + end, np.int64), "pads")

    def BilinearResize(self, layer, x, size_like=None):
        x = self.floating(x)
        attributes = {"mode": "linear", "coordinate_transformation_mode": _RESIZE_MODES[layer.mode]}
        empty = self.const(np.zeros(0, np.float32), "no_roi")
        h, w = self.spatial()
        if size_like is None and layer.scale == 2.0:
            scales = np.ones(4, np.float32)
            scales[[h, w]] = 2.0
            return self.op("Resize", [x, empty, self.const(scales, "scales")], layer.name, **attributes)
        shape = self.op("Shape", [x], f"{layer.name}.shape")
        if size_like is not None:
            spatial = self._slice(self.op("Shape", [self.floating(size_like)], f"{layer.name}.like"), h, w + 1)
        else:  # x0.5, floor for odd sizes as the layer does
            spatial = self.op("Div", [self._slice(shape, h, w + 1), self.const(np.array([2], np.int64), "two")], "half")
        parts = [self._slice(shape, 0, 2), spatial] if self.layout == "nchw" else [self._slice(shape, 0, 1), spatial, self._slice(shape, 3, 4)]
        sizes = self.op("Concat", parts, f"{layer.name}.sizes", axis=0)
        return self.op("Resize", [x, empty, empty, sizes], layer.name, **attributes)

    def _slice(self, shape: str, start: int, end: int) -> str:
        bounds = [self.const(np.array([v], np.int64), "bound") for v in (start, end)]
        return self.op("Slice", [shape] + bounds, "dims")

    def Add(self, layer, xs):
        total = self.floating(xs[0])
        for other in xs[1:]:
            total = self.op("Add", [total, self.floating(other)], layer.name)
        return total

    def LeakyReLU(self, layer, x):
        return self.op("LeakyRelu", [self.floating(x)], layer.name, alpha=float(layer.negative_slope))

    def Activation(self, layer, x):
        return self.activation(x, layer.activation, layer.name)

    def Identity(self, layer, x):
        return x

    # --- the whole model ---
    def model_proto(self, model, input_size: tuple[int, int] | None = None, extra_outputs: tuple[str, ...] = ()):
        """The ``onnx.ModelProto`` of an image generator (NHWC float32 in and out); ``Unsupported`` if a layer is unknown."""
        from onnx import TensorProto, helper

        if len(model.inputs) != 1 or len(model.outputs) != 1 or len(model.inputs[0].shape) != 4:
            raise Unsupported("not a one-image-in, one-image-out model")
        x = self.op("Transpose", [INPUT], "to_nchw", perm=[0, 3, 1, 2]) if self.layout == "nchw" else INPUT
        out = model._run_through_graph([x], call_fn=self._call)
        out = self.floating(out[0] if isinstance(out, (list, tuple)) else out)
        if self.layout == "nchw":
            self.nodes.append(helper.make_node("Transpose", [out], [OUTPUT], name="to_nhwc", perm=[0, 2, 3, 1]))
        else:
            self.nodes.append(helper.make_node("Identity", [out], [OUTPUT], name="output"))
        batch, (height, width) = (1, input_size) if input_size else ("batch", ("height", "width"))
        inputs = [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [batch, height, width, 3])]
        channels = int(model.outputs[0].shape[-1])
        outputs = [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [batch, height, width, channels])]
        outputs += [helper.make_tensor_value_info(self.taps[key], TensorProto.FLOAT, None) for key in extra_outputs]
        graph = helper.make_graph(self.nodes, model.name, inputs, outputs, self.initializers)
        opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
        proto = helper.make_model(graph, opset_imports=opsets, producer_name="animegan")
        proto.ir_version = 8  # what ONNX Runtime 1.14 and later read
        return proto

    def _call(self, layer, *args, **kwargs):
        convert = getattr(self, type(layer).__name__, None) if type(layer).__name__[0].isupper() else None
        if convert is None:
            raise Unsupported(f"layer {layer.name} ({type(layer).__name__})")
        extra = sorted(k for k, v in kwargs.items() if v is not None and k != "size_like")
        if extra:
            raise Unsupported(f"layer {layer.name} called with {extra}")
        return convert(layer, *args, **{k: v for k, v in kwargs.items() if v is not None})


class _Pointwise:
    """The 1x1 half of a separable convolution, described like a layer for ``conv_attributes``."""

    data_format, strides, dilation_rate, padding = "channels_last", (1, 1), (1, 1), "valid"


def conv_attributes(layer, kernel_shape) -> dict:
    if layer.data_format != "channels_last":
        raise Unsupported(f"{getattr(layer, 'name', 'conv')}: data_format {layer.data_format}")
    attributes = {"strides": list(layer.strides), "dilations": list(layer.dilation_rate), "kernel_shape": list(kernel_shape)}
    if layer.padding == "same":
        attributes["auto_pad"] = "SAME_UPPER"  # TensorFlow puts the odd padding pixel at the end
    return attributes


def _affine(layer, channels: int) -> tuple[np.ndarray, np.ndarray]:
    weights = list(layer.get_weights())
    gamma = weights.pop(0) if layer.scale else np.ones(channels, np.float32)
    beta = weights.pop(0) if layer.center else np.zeros(channels, np.float32)
    return gamma.astype(np.float32), beta.astype(np.float32)


def keras_to_onnx(model, input_size: tuple[int, int] | None = None):
    """The float32 NCHW ``onnx.ModelProto`` of ``model``; ``Unsupported`` when a layer is unknown."""
    return GraphWriter().model_proto(model, input_size)
