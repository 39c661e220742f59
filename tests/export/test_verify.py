import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.export.verify import THRESHOLDS, psnr, sample_inputs, verification_sizes, verify


def test_psnr_on_minus_one_to_one_outputs():
    a = np.zeros((1, 4, 4, 3), np.float32)
    assert psnr(a, a) == float("inf")
    assert psnr(a, a + 0.02) == pytest.approx(40.0)  # 0.01 on the [0, 1] scale


def test_thresholds_of_the_issue():
    assert THRESHOLDS["none"].passes(9e-5, 0) and not THRESHOLDS["none"].passes(1e-4, 200)
    assert THRESHOLDS["float16"].passes(1.0, 40.0) and not THRESHOLDS["float16"].passes(0.0, 39.9)
    assert THRESHOLDS["int8"].passes(1.0, 28.0) and not THRESHOLDS["int8"].passes(0.0, 27.9)


def test_two_sizes_for_dynamic_models_two_inputs_for_fixed_ones():
    assert verification_sizes(None) == ([(256, 256), (192, 320)], 1)
    assert verification_sizes((64, 96)) == ([(64, 96)], 2)
    inputs = sample_inputs([(8, 12)], 2)
    assert [x.shape for x in inputs] == [(1, 8, 12, 3)] * 2 and not np.array_equal(inputs[0], inputs[1])
    assert -1 <= inputs[0].min() and inputs[0].max() <= 1


def test_failure_is_one_line_and_names_the_threshold():
    inputs = sample_inputs([(8, 8), (8, 12)])
    result = verify(lambda x: x, lambda x: x + 0.1, inputs, "tflite int8", "int8")
    assert not result.passed and len(result.lines()) == 2
    with pytest.raises(AnimeGANError) as info:
        result.check()
    message = str(info.value)
    assert "\n" not in message and "PSNR >= 28 dB" in message and "--no-verify" in message
