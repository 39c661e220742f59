from animegan.bench.bench import BackendResult
from animegan.bench.goals import report_end_to_end, report_goals
from animegan.bench.peers import Run
from animegan.bench.roofline import Gemm

SIZE = (512, 512)


def _result(name, precision, seconds, psnr=99.0, share=0.2):
    return BackendResult(name, precision, {SIZE: seconds}, psnr=psnr, outside_conv=share, outside_how="test")


def test_goals_are_ratios_of_the_measured_numbers():
    roofs = {"float32": Gemm("float32", "numpy BLAS", 100.0, {"numpy BLAS": 100.0}), "int8": Gemm("int8", "ort", 200.0)}
    results = [
        _result("tflite-fp32", "float32", 4.0),
        _result("onnx-fp32", "float32", 2.5),  # 200 GFLOP / 2.5 s = 80 GFLOP/s = 80% of the GEMM
        _result("onnx-int8", "int8", 1.6, psnr=33.0),  # 1.56x the best float32
        _result("tflite-int8", "int8", 1.0, psnr=25.0),  # fast but below 30 dB
    ]
    lines = []
    met = report_goals(results, [SIZE], {SIZE: 200.0}, roofs, SIZE, lines.append)
    assert met == {2: True, 3: True, 4: True}
    text = "\n".join(lines)
    assert "onnx-int8 1.56x at 33.0 dB" in text and "tflite-int8 2.50x at 25.0 dB" in text
    assert "onnx-fp32 80.0 GFLOP/s = 80% of 100.0 (numpy BLAS): met" in text
    results[2] = _result("onnx-int8", "int8", 2.0, psnr=33.0)  # 1.25x: not enough
    assert report_goals(results[:3], [SIZE], {SIZE: 200.0}, roofs, SIZE, lines.append)[2] is False


def test_end_to_end_goal_compares_with_the_faster_peer():
    lines = []
    runs = [Run("animegan", 10.0, 9.0), Run("peer ort", 20.0, 30.0), Run("peer torch", 40.0, 50.0), Run("peer x", float("nan"), 0.0, "left out: why")]
    assert report_end_to_end(runs, 8, 1.0, lines.append) is False
    assert "2.00x peer ort by wall time, 3.33x by CPU seconds" in lines[-1] and "80% of the int8 model-only" in lines[-1]
    assert any("left out: why" in line for line in lines)
    report_end_to_end(runs, 8, 1.0, lines.append, clock="cpu")  # model-only CPU seconds against the child's
    assert "89% of the int8 model-only throughput by CPU seconds" in lines[-1]
    assert report_end_to_end([Run("animegan", 5.0, 5.0), Run("peer ort", 16.0, 16.0)], 8, None, lines.append) is True
    assert report_end_to_end([Run("animegan", 5.0, 5.0)], 8, None, lines.append) is False and "not measured" in lines[-1]
