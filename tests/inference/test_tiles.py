import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.tiles import (
    count_tiles,
    min_side,
    model_input,
    pad_to_multiple,
    plan_tiles,
    run_tiled,
    run_whole,
)


def box_blur(batch: np.ndarray, radius: int = 1) -> np.ndarray:
    """A local model: (2r+1)^2 box blur with reflect padding, receptive field `radius` pixels."""
    n, h, w, c = batch.shape
    padded = np.pad(batch, ((0, 0), (radius, radius), (radius, radius), (0, 0)), mode="reflect")
    out = np.zeros_like(batch)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out += padded[:, dy : dy + h, dx : dx + w]
    return out / (2 * radius + 1) ** 2


def strided_identity(stride):
    def fn(batch):
        assert batch.dtype == np.float32
        assert batch.shape[1] % stride == 0 and batch.shape[2] % stride == 0
        return batch.copy()

    return fn


@pytest.fixture
def image():
    return np.random.default_rng(0).uniform(-1, 1, (70, 90, 3)).astype(np.float32)


def test_pad_to_multiple_shapes_and_reflect_content():
    img = np.arange(5 * 7 * 3, dtype=np.float32).reshape(5, 7, 3)
    padded, size = pad_to_multiple(img, 4)
    assert size == (5, 7)
    assert padded.shape == (8, 8, 3)
    np.testing.assert_array_equal(padded[:5, :7], img)
    np.testing.assert_array_equal(padded[5:8, :7], img[[3, 2, 1], :])  # reflect, edge not repeated
    np.testing.assert_array_equal(padded[:5, 7], img[:, 5])


def test_pad_to_multiple_keeps_exact_multiples():
    img = np.zeros((8, 12, 3), np.float32)
    padded, size = pad_to_multiple(img, 4)
    assert padded.shape == (8, 12, 3) and size == (8, 12)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 6, 3), (2, 1, 3)])
def test_pad_to_multiple_falls_back_to_edge_for_tiny_images(shape):
    img = np.random.default_rng(1).random(shape).astype(np.float32)
    padded, _ = pad_to_multiple(img, 4)
    assert padded.shape[0] % 4 == 0 and padded.shape[1] % 4 == 0
    np.testing.assert_array_equal(padded[: shape[0], : shape[1]], img)
    if shape[0] == 1:
        np.testing.assert_array_equal(padded[3], padded[0])


def test_run_whole_pads_and_crops(image):
    out = run_whole(strided_identity(8), image, stride=8)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, image)


def test_model_changing_shape_is_a_clear_error(image):
    with pytest.raises(AnimeGANError, match="must keep the shape"):
        run_whole(lambda b: b[:, ::2], image)


def test_tiled_identity_is_exact(image):
    out = run_tiled(strided_identity(4), image, tile=32, overlap=8, stride=4)
    np.testing.assert_array_equal(out, image)


def test_tiled_local_model_matches_whole(image):
    whole = run_whole(box_blur, image, stride=4)
    tiled = run_tiled(box_blur, image, tile=32, overlap=8, stride=4)
    assert tiled.shape == image.shape
    # A receptive field of 1 px fits in the zero-weight margin (overlap // 4 = 2 px), so tiling is exact
    # everywhere, image borders included.
    assert np.abs(tiled - whole)[4:-4, 4:-4].max() < 1e-5
    assert np.abs(tiled - whole).max() < 1e-5


def test_tiled_wide_receptive_field_stays_close(image):
    # radius 3 reaches past the 2 px margin: seams differ a little but are blended, never broken.
    whole = run_whole(lambda b: box_blur(b, 3), image, stride=4)
    tiled = run_tiled(lambda b: box_blur(b, 3), image, tile=32, overlap=8, stride=4)
    assert np.isfinite(tiled).all()
    assert np.abs(tiled - whole).max() < 0.02
    assert np.abs(tiled - whole).mean() < 1e-3


def test_batch_size_does_not_change_the_result(image):
    one = run_tiled(box_blur, image, tile=32, overlap=8, stride=4, batch_size=1)
    seen = []
    many = run_tiled(box_blur, image, tile=32, overlap=8, stride=4, batch_size=5, progress=seen.append)
    np.testing.assert_allclose(many, one, atol=1e-6)
    assert sum(seen) == count_tiles(70, 90, tile=32, overlap=8, stride=4)
    assert max(seen) <= 5


def test_tiles_never_exceed_tile_size(image):
    shapes = []

    def fn(batch):
        shapes.append(batch.shape)
        return batch

    run_tiled(fn, image, tile=32, overlap=8, stride=4, batch_size=2)
    assert all(s[1:3] == (32, 32) for s in shapes)


def test_one_long_axis_and_odd_sizes():
    img = np.random.default_rng(2).uniform(-1, 1, (13, 101, 3)).astype(np.float32)
    tiled = run_tiled(box_blur, img, tile=32, overlap=8, stride=4)
    np.testing.assert_allclose(tiled, run_whole(box_blur, img, stride=4), atol=1e-5)


def test_small_image_runs_whole(image):
    calls = []
    out = run_tiled(lambda b: calls.append(b.shape) or b, image, tile=128, overlap=16, stride=4)
    assert calls == [(1, 72, 92, 3)]
    np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize(
    ("tile", "overlap", "stride", "message"),
    [(32, 16, 4, "twice the overlap"), (30, 4, 4, "multiple of the model stride"), (32, -1, 4, "negative")],
)
def test_bad_tiling_arguments(image, tile, overlap, stride, message):
    with pytest.raises(AnimeGANError, match=message):
        run_tiled(box_blur, image, tile=tile, overlap=overlap, stride=stride)


def test_owned_regions_partition_the_padded_image():
    plan = plan_tiles(70, 90, tile=32, overlap=8, stride=4)
    cover = np.zeros((72, 92))
    for i, j in plan.places:
        rows, cols = plan.rows.window(i), plan.cols.window(j)
        cover[rows, cols] += plan.owned(i, j)[..., 0]
    np.testing.assert_array_equal(cover, 1.0)
    for first, stop in plan.rows.owned + plan.cols.owned:
        assert first % 4 == 0 and 0 <= first < stop <= 32


def test_integer_pixels_are_converted_tile_by_tile(image):
    pixels = np.rint((image + 1.0) * 127.5).astype(np.uint8)
    seen = []

    def fn(batch):
        seen.append(batch.dtype)
        return box_blur(batch)

    tiled = run_tiled(fn, pixels, tile=32, overlap=8, stride=4)
    expected = run_tiled(box_blur, pixels.astype(np.float32) / 127.5 - 1.0, tile=32, overlap=8, stride=4)
    np.testing.assert_allclose(tiled, expected, atol=1e-6)
    assert set(seen) == {np.dtype(np.float32)}
    assert model_input(np.array([0, 65535], np.uint16)).tolist() == [-1.0, 1.0]


def test_finished_bands_hand_over_every_row_once(image):
    bands = []
    assert run_tiled(box_blur, image, tile=32, overlap=8, stride=4, finished=lambda row, rows: bands.append((row, rows))) is None
    assert [row for row, _ in bands] == sorted(row for row, _ in bands) and bands[0][0] == 0
    stitched = np.concatenate([rows for _, rows in bands])
    assert stitched.shape == image.shape
    np.testing.assert_array_equal(stitched, run_tiled(box_blur, image, tile=32, overlap=8, stride=4))
    assert len(bands) > 1 and max(rows.shape[0] for _, rows in bands) <= 32  # never the whole image at once


@pytest.mark.parametrize("shape", [(5, 90, 3), (1, 70, 3), (13, 40, 3)])
def test_tiles_read_the_image_padded_as_pad_to_multiple_pads_it(shape):
    """Thin images are padded up to min_side(stride) on the fly, by the reflection pad_to_multiple uses."""
    img = np.random.default_rng(4).uniform(-1, 1, shape).astype(np.float32)
    padded, _ = pad_to_multiple(img, 4, min_side(4))
    plan = plan_tiles(*shape[:2], tile=32, overlap=8, stride=4)
    assert plan.rows.window(len(plan.rows.starts) - 1).stop == padded.shape[0] >= min_side(4)
    for i, j in plan.places:
        np.testing.assert_array_equal(plan.tile(img, i, j), padded[plan.rows.window(i), plan.cols.window(j)])
