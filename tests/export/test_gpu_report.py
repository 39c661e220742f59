from animegan.export.gpu_report import check_op, parse_analyzer_warnings
from animegan.export.tflite_graph import OpInfo, TensorInfo


def _tensor(index, shape, dtype="FLOAT32", const=False):
    return TensorInfo(index, f"t{index}", dtype, shape, const)


def _op(name, inputs, outputs=None, builtin=True, options=None):
    return OpInfo(0, 0, name, builtin, tuple(inputs), tuple(outputs or [_tensor(99, (1, 4, 4, 3))]), options)


def test_ported_rules():
    x = _tensor(0, (1, 4, 4, 3))
    assert check_op(_op("SHAPE", [x])) == "not supported op SHAPE"
    assert check_op(_op("TANH", [x])) is None
    assert check_op(_op("MEAN", [x, _tensor(1, (2,), "INT32", const=True)])) is None
    assert "constant axes" in check_op(_op("MEAN", [x, _tensor(1, (2,), "INT32")]))
    assert check_op(_op("RESHAPE", [x, _tensor(1, (4,), "INT32", const=True)])) is None
    assert "runtime input" in check_op(_op("RESHAPE", [x, _tensor(1, (4,), "INT32")]))
    assert "Flex" in check_op(_op("FlexBesselI1e", [x], builtin=False))


def test_analyzer_warnings_are_attributed_to_their_op():
    text = (
        "Subgraph#0 main(T#0) -> [T#2]\n"
        "  Op#0 CONV_2D(T#0, T#1) -> [T#2]\n"
        "  Op#1 SHAPE(T#2) -> [T#3]\n"
        "GPU COMPATIBILITY WARNING: Not supported op SHAPE\n"
        "\nGPU COMPATIBILITY WARNING: Subgraph#0 has GPU delegate compatibility issues at nodes 1\n"
    )
    assert parse_analyzer_warnings(text) == ["Op#1 SHAPE: Not supported op SHAPE"]
    assert parse_analyzer_warnings("Your model looks compatible with GPU delegate") == []
