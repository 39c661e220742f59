"""The memory budget: its tile choice, out-of-memory retries, and integer pixels end to end."""

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.memory import GIB, MIN_TILE, OutOfMemory, parse_size, plan_memory, smaller_tile
from animegan.inference.stylize import stylize_array, stylize_pixels, with_memory_budget
from animegan.inference.whole_statistics import NoSites

MIB = 1024**2


class FakeBackend:
    """Halves the image (a local model: tiles give exactly the whole result); records input shapes;
    runs out of memory above ``limit`` pixels per call, as a GPU would."""

    name = "fake"
    stride = 4
    statistics = NoSites()

    def __init__(self, memory_per_pixel=1000.0, limit=None):
        self.memory_per_pixel = memory_per_pixel
        self.limit = limit
        self.shapes = []

    def __call__(self, batch):
        self.shapes.append(batch.shape)
        if self.limit and batch.shape[0] * batch.shape[1] * batch.shape[2] > self.limit:
            raise OutOfMemory("OOM when allocating tensor")
        return batch * 0.5


@pytest.mark.parametrize(
    "text,size", [("2G", 2 * GIB), ("512M", 512 * MIB), ("1.5g", int(1.5 * GIB)), ("2GiB", 2 * GIB), ("800000", 800000)]
)
def test_memory_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1G", "0", "2X"])
def test_bad_memory_sizes_are_one_line_errors(text):
    with pytest.raises(AnimeGANError, match="bad memory size"):
        parse_size(text)


def test_the_budget_picks_whole_or_the_largest_tile_that_fits():
    common = dict(model_bytes_per_pixel=2000.0, image_bytes_per_pixel=18.0, stride=4, overlap=32, base=200 * MIB)
    assert plan_memory(2 * GIB, 512, 768, **common).tile is None  # 0.4 MP: about 1 GB whole
    plan = plan_memory(2 * GIB, 3024, 4032, **common)  # 12 MP: about 24 GB whole
    assert plan.whole_bytes > 20 * GIB and plan.tile is not None and plan.tile % 4 == 0
    need = 200 * MIB + 18.0 * 3024 * 4032 + 2000.0 * plan.tile**2 + 24.0 * plan.tile * 4032
    assert need <= 2 * GIB < need + 2000.0 * ((plan.tile + 8) ** 2 - plan.tile**2) + 24 * 8 * 4032
    assert plan.coarse_pixels > plan.tile**2  # the coarse pass needs no blending band
    assert "tiles" in plan.note(3024, 4032) and "4032x3024" in plan.note(3024, 4032)
    heavier = plan_memory(2 * GIB, 3024, 4032, **{**common, "model_bytes_per_pixel": 8000.0})
    assert heavier.tile < plan.tile  # the estimate comes from the model, not from the pixel count
    assert plan_memory(512 * MIB, 3024, 4032, **common).tile < plan.tile


def test_a_photo_over_the_budget_runs_in_tiles_and_says_so():
    backend, lines = FakeBackend(memory_per_pixel=1000.0), []
    rgb = np.random.default_rng(0).uniform(0, 1, (300, 400, 3)).astype(np.float32)
    out = stylize_array(backend, rgb, max_memory=60 * MIB, report=lines.append)
    np.testing.assert_allclose(out, (rgb * 2 - 1) * 0.25 + 0.5, atol=1e-5)
    assert len(lines) == 1 and "tiles" in lines[0]
    assert max(s[1] * s[2] for s in backend.shapes) < 300 * 400
    whole = FakeBackend()
    stylize_array(whole, rgb, max_memory=4 * GIB, report=lines.append)
    assert whole.shapes == [(1, 300, 400, 3)] and len(lines) == 1
    forced = FakeBackend()
    stylize_array(forced, rgb, tile=128, max_memory=4 * GIB)
    assert {s[1:3] for s in forced.shapes} == {(128, 128)}


def test_out_of_memory_retries_with_smaller_tiles():
    backend, lines = FakeBackend(limit=160 * 160), []
    rgb = np.random.default_rng(1).uniform(0, 1, (300, 600, 3)).astype(np.float32)
    out = stylize_array(backend, rgb, max_memory=None, report=lines.append)
    np.testing.assert_allclose(out, (rgb * 2 - 1) * 0.25 + 0.5, atol=1e-5)
    assert backend.shapes[0] == (1, 300, 600, 3)  # whole first, then halves until it fits: 300, 148
    assert all("retrying" in line for line in lines) and len(lines) == 2
    assert backend.shapes[-1][1:3] == (148, 148)
    assert smaller_tile(MIN_TILE, 4, 32) is None and smaller_tile(512, 4, 32) == 256
    with pytest.raises(AnimeGANError, match="out of memory even in"):
        stylize_array(FakeBackend(limit=10), rgb, max_memory=None)


def test_integer_pixels_stay_integers_and_match_the_float_path():
    pixels = np.random.default_rng(2).integers(0, 256, (150, 210, 3), dtype=np.uint8)
    backend = FakeBackend(memory_per_pixel=1000.0)
    out = stylize_pixels(backend, pixels, max_memory=20 * MIB)
    assert out.dtype == np.uint8 and out.shape == pixels.shape
    assert max(s[1] for s in backend.shapes) < 150  # it did tile
    expected = stylize_array(FakeBackend(), pixels.astype(np.float32) / 255.0, max_memory=None)
    assert np.abs(out.astype(int) - np.rint(expected * 255).astype(int)).max() <= 1
    deep = stylize_pixels(FakeBackend(), pixels.astype(np.uint16) * 257, max_memory=None)
    assert deep.dtype == np.uint16


def test_video_frames_over_the_budget_run_in_tiles():
    backend, lines = FakeBackend(memory_per_pixel=1000.0), []
    budgeted = with_memory_budget(backend, 40 * MIB, lines.append)
    frames = np.random.default_rng(3).uniform(-1, 1, (2, 200, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(budgeted(frames), frames * 0.5, atol=1e-6)
    assert max(s[1] * s[2] for s in backend.shapes) < 200 * 256 and len(lines) == 1
    small = FakeBackend()
    with_memory_budget(small, 4 * GIB)(frames)
    assert small.shapes == [(2, 200, 256, 3)]
    assert with_memory_budget(small, None) is small


def test_run_photos_keeps_integer_pixels_and_notes_the_budget_tiles(tmp_path):
    from PIL import Image

    from animegan.inference.inputs import Job
    from animegan.inference.photos import PhotoOptions, run_photos

    rgb = np.random.default_rng(4).integers(0, 256, (150, 210, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    backend = FakeBackend(memory_per_pixel=1000.0)
    options = PhotoOptions(max_memory=20 * MIB)
    (result,) = run_photos(backend, [Job(tmp_path / "in.png", tmp_path / "out.png")], options)
    assert result.status == "written" and max(s[1] for s in backend.shapes) < 150  # it did tile
    assert len(result.notes) == 1 and result.notes[0].startswith(f"{tmp_path / 'in.png'}: 210x150 needs about")
    expected = np.rint(((rgb / 127.5 - 1.0) * 0.5 + 1.0) * 127.5).astype(int)
    assert np.abs(np.asarray(Image.open(tmp_path / "out.png")).astype(int) - expected).max() <= 1
    (whole,) = run_photos(FakeBackend(), [Job(tmp_path / "in.png", tmp_path / "whole.png")])
    assert whole.notes == ()
