"""`animegan bench --photo-sizes`: sizes parse, and each run is measured in its own process."""

from pathlib import Path

import pytest

from animegan.bench.photo_sizes import SizeResult, _row, measure, parse_sizes
from animegan.errors import AnimeGANError
from animegan.inference.memory import format_size

DEFAULT_KERAS = str(Path(__file__).resolve().parents[2] / "animegan/assets/default.keras")


def test_sizes_parse_as_megapixels_or_height_by_width():
    (label, height, width), (label2, h2, w2) = parse_sizes("12, 300x500")
    assert label == "12 MP" and height % 4 == width % 4 == 0 and abs(height * width - 12e6) < 0.01 * 12e6
    assert (label2, h2, w2) == ("500x300", 300, 500)
    for bad in ("lots", "0x10"):
        with pytest.raises(AnimeGANError, match="bad photo size"):
            parse_sizes(bad)


@pytest.mark.slow
def test_a_tiled_run_is_measured_in_a_fresh_process_and_says_how():
    """A budget far below the photo's need: the .keras model runs stage by stage, and the row says so."""
    result = measure("tiny", 192, 256, "tiled", DEFAULT_KERAS, 64 * 1024**2, 1)
    assert result.seconds > 0 and result.cpu_seconds > 0 and result.tile is not None
    assert 100 * 1024**2 < result.peak_bytes < 64 * 1024**3  # this process's own getrusage peak
    assert result.statistics.startswith("stage by stage")
    row = _row(result, format_size)
    assert "stage by stage" in row and "tiled" in row
    assert "not run" in _row(SizeResult("x", 10, 10, "whole", estimate_bytes=1), format_size)
