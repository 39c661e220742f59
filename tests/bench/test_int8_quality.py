import pytest

from animegan.bench.int8_quality import int8_quality_by_norm

pytestmark = pytest.mark.slow


def test_flat_float_output_is_flagged_rather_than_counted_as_a_pass():
    """AnimeGANv2 with random weights and no norm draws a constant picture: int8 'matches' it trivially."""
    lines = []
    (result,) = int8_quality_by_norm("animegan-v2", (32, 32), norms=("none",), threads=1, report=lines.append)
    assert result.norm == "none" and result.flat and result.psnr > 28
    assert len(lines) == 1 and "not meaningful: the float output is flat" in lines[0]
