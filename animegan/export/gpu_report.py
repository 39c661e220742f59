"""TFLite GPU-delegate compatibility of every op of an exported model.

Two sources, both reported:
- TensorFlow's analyzer (``tf.lite.experimental.Analyzer.analyze(..., gpu_compatibility=True)``), whose
  report is printed to stdout and captured here. The analyzer in the TensorFlow 2.21 wheels answers
  "looks compatible" for every model (it passed TOPK_V2, GATHER_ND and SHAPE, which the delegate rejects):
  its per-op check is not compiled in, so its verdict alone proves nothing.
- ``check_op``: the delegate's own per-op rules (``tensorflow/lite/tools/versioning/gpu_compatibility.cc``,
  offline mode with enhanced broadcasting), ported for the ops a generator uses. This one decides.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from animegan.export.tflite_graph import OpInfo, TensorInfo, read_ops, schema

_UNARY = {
    "ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "LOGISTIC", "NEG", "RSQRT", "SIGN", "SIN",
    "SQRT", "SQUARE", "TANH",
}  # fmt: skip
_BINARY = {
    "ATAN2", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL", "LOGICAL_AND", "LESS",
    "LESS_EQUAL", "MAXIMUM", "MINIMUM", "NOT_EQUAL", "POW", "SQUARED_DIFFERENCE", "SUB",
}  # fmt: skip
_ALWAYS = {"RELU", "RELU6", "LEAKY_RELU", "PRELU", "RELU_N1_TO_1", "PACK", "SPLIT", "SPLIT_V", "CONCATENATION",
           "BATCH_MATMUL", "TRANSPOSE_CONV", "HARD_SWISH"}  # fmt: skip
_ONE_RUNTIME_INPUT = {"RESHAPE", "TRANSPOSE", "TILE", "QUANTIZE", "AVERAGE_POOL_2D", "MAX_POOL_2D"}
_REDUCE = {"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD"}
_SUPPORTED_ACTIVATIONS = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH"}  # SIGN_BIT is not


def _runtime_inputs(op: OpInfo) -> int:
    return sum(1 for t in op.inputs if t is not None and not t.is_const and t.dtype != "NO_TYPE")


def _const_inputs(op: OpInfo) -> int:
    return sum(1 for t in op.inputs if t is not None and t.is_const)


def _activation(op: OpInfo) -> str | None:
    value = getattr(op.options, "fusedActivationFunction", None)
    if value is None:
        return None
    names = {v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
    name = names.get(value, str(value))
    return None if name in _SUPPORTED_ACTIVATIONS else f"fused activation {name} is not supported"


def _expect(op: OpInfo, runtime: int, outputs: int = 1) -> str | None:
    have = _runtime_inputs(op)
    if have != runtime:
        return f"expected {runtime} runtime input tensor(s), but node has {have} runtime input(s)"
    if len(op.outputs) != outputs:
        return f"expected {outputs} output tensor(s), but node has {len(op.outputs)}"
    return None


def _mul_shapes(a: TensorInfo, b: TensorInfo) -> str | None:
    if len(a.shape) == len(b.shape):
        smaller_a = any(x < y for x, y in zip(a.shape, b.shape))
        smaller_b = any(y < x for x, y in zip(a.shape, b.shape))
        if smaller_a and smaller_b:
            return "MUL requires one tensor that is not less than the other in all dimensions"
    return None


def _depthwise(op: OpInfo) -> str | None:
    source, kernel = op.inputs[0], op.inputs[1]
    output = op.outputs[0]
    if len(source.shape) != 4 or len(kernel.shape) != 4 or len(output.shape) != 4:
        return "depthwise convolution needs 4-D input, filter and output"
    multiplier = getattr(op.options, "depthMultiplier", 1) or 1
    if multiplier != 1 and source.shape[3] != 1:
        return "depth_multiplier != 1 && input.c != 1"
    return None


def check_op(op: OpInfo) -> str | None:
    """Why the GPU delegate would not take ``op``, or None when it would."""
    name = op.name
    if not op.builtin:
        kind = "select-TF (Flex)" if op.is_flex else "custom"
        return f"not supported {kind} op {name}"
    if name in _ALWAYS:
        return None
    if name in _UNARY:
        return _expect(op, 1) or (f"{name} takes no constant input" if _const_inputs(op) else None)
    if name in _BINARY:
        if _runtime_inputs(op) + _const_inputs(op) != 2 or _runtime_inputs(op) == 0 or len(op.outputs) != 1:
            return "op can only handle 1 or 2 operand(s)"
        return _activation(op)
    if name in _ONE_RUNTIME_INPUT:
        return _expect(op, 1)
    if name in _REDUCE:
        axes = op.inputs[1] if len(op.inputs) > 1 else None
        if axes is None or not axes.is_const:
            return f"{name} is only supported with constant axes"
        if axes.dtype != "INT32":
            return f"{name} supports int32 axes, but node has {axes.dtype}"
        return _expect(op, 1)
    if name == "ADD":
        return None if len(op.inputs) == 2 else "ADD requires two input tensors"
    if name == "MUL":
        if len(op.inputs) != 2:
            return "MUL requires two input tensors"
        return _mul_shapes(op.inputs[0], op.inputs[1]) or _activation(op)
    if name == "CONV_2D":
        if _runtime_inputs(op) > 2 or len(op.outputs) != 1:
            return "expected 1 or 2 runtime inputs and 1 output"
        return _activation(op)
    if name == "DEPTHWISE_CONV_2D":
        if _runtime_inputs(op) > 2 or len(op.outputs) != 1:
            return "expected 1 or 2 runtime inputs and 1 output"
        return _activation(op) or _depthwise(op)
    if name in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        problem = _expect(op, 1)
        if problem:
            return f"{problem} (the output size must be a constant: export with a fixed --input-size)"
        if name == "RESIZE_BILINEAR" and op.options.alignCorners and op.options.halfPixelCenters:
            return "if half_pixel_centers is True, align_corners must be False"
        return None
    if name in ("PAD", "PADV2", "MIRROR_PAD"):
        if name == "MIRROR_PAD" and op.options.mode != schema.MirrorPadMode.REFLECT:
            return "only REFLECT padding is supported for MIRROR_PAD"
        problem = _expect(op, 1)
        pads = op.inputs[1].shape if len(op.inputs) > 1 and op.inputs[1] is not None else ()
        if not problem and (len(pads) != 2 or pads[0] not in (3, 4) or pads[1] != 2):
            problem = f"invalid paddings tensor shape {pads}: expected 4x2 or 3x2"
        return problem
    if name == "SLICE":
        return None if len(op.inputs[0].shape) in (3, 4) else "SLICE supports 3 or 4 dimensional tensors only"
    if name == "STRIDED_SLICE":
        options = op.options
        for mask in ("ellipsisMask", "newAxisMask", "shrinkAxisMask"):
            if getattr(options, mask, 0):
                return f"STRIDED_SLICE does not support {mask}"
        if len(op.inputs[0].shape) not in (3, 4):
            return "STRIDED_SLICE supports 3 or 4 dimensional tensors only"
        return None
    if name == "DEQUANTIZE":
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            return "expected 1 input and 1 output"
        return "unsupported dequantization type INT16" if op.inputs[0].dtype == "INT16" else None
    if name == "CAST":
        pair = (op.inputs[0].dtype, op.outputs[0].dtype)
        floats = {"FLOAT16", "FLOAT32"}
        if (pair[0] == "BOOL" and pair[1] in floats) or (pair[0] in floats and pair[1] == "BOOL"):
            return None
        if set(pair) <= {"FLOAT32", "INT32"}:
            return None
        return f"not supported CAST from {pair[0]} to {pair[1]}"
    if name == "SOFTMAX":
        return None if getattr(op.options, "beta", 1.0) == 1.0 else "SOFTMAX beta != 1 is not supported"
    return f"not supported op {name}"


@dataclass(frozen=True)
class OpVerdict:
    subgraph: int
    index: int
    name: str
    problem: str | None  # None: the GPU delegate takes it


@dataclass
class GpuReport:
    verdicts: list[OpVerdict]
    analyzer_text: str = ""  # TensorFlow's analyzer output, as it printed it
    analyzer_warnings: list[str] = field(default_factory=list)
    dynamic_inputs: bool = False

    @property
    def incompatible(self) -> list[OpVerdict]:
        return [v for v in self.verdicts if v.problem is not None]

    @property
    def compatible(self) -> bool:
        return not self.incompatible and not self.analyzer_warnings

    def summary(self) -> list[str]:
        """One line per op type: how many, and whether the delegate takes them (with the reason)."""
        counts = Counter((v.name, v.problem) for v in self.verdicts)
        lines = []
        for (name, problem), count in sorted(counts.items(), key=lambda item: (item[0][1] is None, item[0][0])):
            state = "ok" if problem is None else f"INCOMPATIBLE: {problem}"
            lines.append(f"  {name:<22} x{count:<4} {state}")
        bad = len(self.incompatible)
        head = (
            f"GPU delegate: all {len(self.verdicts)} ops compatible"
            if bad == 0
            else f"GPU delegate: {bad} of {len(self.verdicts)} ops incompatible"
        )
        if self.dynamic_inputs:
            head += " (dynamic H/W: the delegate needs a fixed --input-size)"
        analyzer = (
            f"TensorFlow analyzer: {len(self.analyzer_warnings)} warning(s)"
            if self.analyzer_text
            else "TensorFlow analyzer: not run (TensorFlow not installed)"
        )
        return [head, *lines, analyzer, *(f"  {w}" for w in self.analyzer_warnings)]

    def full_text(self) -> str:
        lines = self.summary() + ["", "Per op:"]
        lines += [
            f"  {v.subgraph}:{v.index:>4} {v.name:<22} {'ok' if v.problem is None else v.problem}" for v in self.verdicts
        ]
        return "\n".join(lines) + "\n\n" + self.analyzer_text


def run_tf_analyzer(model_content: bytes) -> str:
    """TensorFlow's analyzer report (it prints to stdout; captured here), or "" without TensorFlow."""
    try:
        import tensorflow as tf
    except ImportError:
        return ""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tf.lite.experimental.Analyzer.analyze(model_content=model_content, gpu_compatibility=True)
    return buffer.getvalue()


_WARNING = re.compile(r"^GPU COMPATIBILITY WARNING: (.*)$")
_OP_LINE = re.compile(r"^\s+Op#(\d+) (\S+?)\(")


def parse_analyzer_warnings(text: str) -> list[str]:
    """``Op#N NAME: reason`` for each per-op warning of the analyzer's report."""
    warnings, last_op = [], None
    for line in text.splitlines():
        op = _OP_LINE.match(line)
        if op:
            last_op = f"Op#{op.group(1)} {op.group(2)}"
            continue
        warning = _WARNING.match(line)
        if warning and not warning.group(1).startswith("Subgraph#"):
            warnings.append(f"{last_op}: {warning.group(1)}" if last_op else warning.group(1))
    return warnings


def _fold_fp16_dequantize(ops: list[OpInfo]) -> list[OpInfo]:
    """Marks the outputs of DEQUANTIZE(float16 constant) constant, as the delegate does.

    The GPU delegate drops those DEQUANTIZE ops and reads the float16 weights directly (its
    ``FP16GraphPartitionHelper``), so a float16 export's convolutions see constant filters.
    """
    folded = {
        op.outputs[0].index
        for op in ops
        if op.name == "DEQUANTIZE" and op.inputs and op.inputs[0].is_const and op.inputs[0].dtype == "FLOAT16"
    }
    if not folded:
        return ops

    def fold(tensor):
        return dataclasses.replace(tensor, is_const=True) if tensor is not None and tensor.index in folded else tensor

    return [dataclasses.replace(op, inputs=tuple(fold(t) for t in op.inputs)) for op in ops]


def gpu_report(model_content: bytes, with_analyzer: bool = True) -> GpuReport:
    ops = _fold_fp16_dequantize(read_ops(model_content))
    verdicts = [OpVerdict(op.subgraph, op.index, op.name, check_op(op)) for op in ops]
    text = run_tf_analyzer(model_content) if with_analyzer else ""
    dynamic = any(-1 in t.shape[1:] for op in ops for t in (*op.inputs, *op.outputs) if t is not None)
    return GpuReport(verdicts, text, parse_analyzer_warnings(text), dynamic)
