"""Reads the operators and tensors of a ``.tflite`` flatbuffer (no TensorFlow needed).

Used to prove an export holds only builtin ops (no Flex / select-TF or custom ops) and by the
GPU-delegate report, which needs each op's options, input types, shapes and constness.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

try:  # the LiteRT wheel ships the schema; TensorFlow's copy is the fallback
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # pragma: no cover - depends on what is installed
    from tensorflow.lite.python import schema_py_generated as schema


@cache
def _names(enum: type) -> dict[int, str]:
    return {value: name for name, value in vars(enum).items() if not name.startswith("_")}


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str  # FLOAT32, FLOAT16, INT8, INT32, ...
    shape: tuple[int, ...]  # -1 where the size is only known at run time
    is_const: bool


@dataclass(frozen=True)
class OpInfo:
    subgraph: int
    index: int
    name: str  # builtin name (CONV_2D) or, for custom ops, the custom code (FlexConv2D, ...)
    builtin: bool
    inputs: tuple[TensorInfo | None, ...]  # None for an omitted optional input
    outputs: tuple[TensorInfo, ...]
    options: object | None  # the schema's options object (Conv2DOptionsT, MirrorPadOptionsT, ...)

    @property
    def is_flex(self) -> bool:
        return not self.builtin and self.name.startswith("Flex")


def _tensor(model, subgraph, index: int) -> TensorInfo | None:
    if index < 0:
        return None
    tensor = subgraph.tensors[index]
    buffer = model.buffers[tensor.buffer] if model.buffers and tensor.buffer < len(model.buffers) else None
    is_const = buffer is not None and (
        (buffer.data is not None and len(buffer.data) > 0) or (getattr(buffer, "offset", 0) or 0) > 1
    )
    signature = tensor.shapeSignature if tensor.shapeSignature is not None else tensor.shape
    shape = tuple(int(d) for d in signature) if signature is not None else ()
    name = tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
    return TensorInfo(index, name, _names(schema.TensorType).get(tensor.type, str(tensor.type)), shape, is_const)


def read_ops(model_content: bytes) -> list[OpInfo]:
    """Every operator of every subgraph, in execution order."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(model_content), 0)
    builtin_names = _names(schema.BuiltinOperator)
    ops = []
    for s, subgraph in enumerate(model.subgraphs or []):
        for i, op in enumerate(subgraph.operators or []):
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
            if builtin == schema.BuiltinOperator.CUSTOM:
                custom = code.customCode
                name = custom.decode() if isinstance(custom, bytes) else str(custom)
            else:
                name = builtin_names.get(builtin, str(builtin))
            ops.append(
                OpInfo(
                    subgraph=s,
                    index=i,
                    name=name,
                    builtin=builtin != schema.BuiltinOperator.CUSTOM,
                    inputs=tuple(_tensor(model, subgraph, t) for t in (op.inputs if op.inputs is not None else [])),
                    outputs=tuple(_tensor(model, subgraph, t) for t in (op.outputs if op.outputs is not None else [])),
                    options=op.builtinOptions,
                )
            )
    return ops


def op_names(model_content: bytes) -> set[str]:
    return {op.name for op in read_ops(model_content)}


def non_builtin_ops(model_content: bytes) -> list[str]:
    """Names of the Flex (select-TF) and custom ops, sorted; empty for a builtins-only model."""
    return sorted({op.name for op in read_ops(model_content) if not op.builtin})
