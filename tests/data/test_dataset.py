"""The tf.data training pipeline: shapes, dtypes, ranges, seeded and replayable order, validation photos."""

import numpy as np
import pytest
from PIL import Image

from animegan.data.dataset import (
    PipelineConfig,
    scan_image_folder,
    training_dataset,
    validation_images,
)
from animegan.errors import AnimeGANError


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    rng = np.random.default_rng(0)
    for name, count, shape in (("photos", 5, (48, 70)), ("style", 3, (64, 64))):
        (root / name).mkdir()
        for i in range(count):
            pixels = (rng.random((shape[0] + 4 * i, shape[1], 3)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    (root / "photos" / "broken.png").write_bytes(b"nope")
    (root / "photos" / "scan.tif").write_bytes(b"II*\x00")
    return root


def batches(folders, first, end, seed=1, **kw):
    photos = scan_image_folder(folders / "photos").paths
    style = scan_image_folder(folders / "style").paths
    config = PipelineConfig(image_size=32, batch_size=2, steps_per_epoch=3, seed=seed, **kw)
    return [{k: v.numpy() for k, v in b.items()} for b in training_dataset(photos, style, style, config, first, end)]


def test_scan_lists_and_skips(folders):
    scanned = scan_image_folder(folders / "photos")
    assert len(scanned.paths) == 5
    assert sorted(p.name for p, _ in scanned.skipped) == ["broken.png", "scan.tif"]
    with pytest.raises(AnimeGANError, match="folder not found"):
        scan_image_folder(folders / "missing", "photos")


def test_shapes_dtypes_ranges(folders):
    out = batches(folders, 0, 2, style_offset_bgr=(10.0, -5.0, -5.0))
    assert len(out) == 6  # 2 epochs x 3 steps
    for batch in out:
        assert set(batch) == {"photo", "style", "style_gray", "smooth_gray"}
        for name, value in batch.items():
            assert value.shape == (2, 32, 32, 3) and value.dtype == np.float32
            assert value.min() >= -1.0 - 0.1 and value.max() <= 1.0 + 0.1, name  # offset may leave [-1, 1] a bit
        for gray in ("style_gray", "smooth_gray"):
            np.testing.assert_allclose(batch[gray][..., 0], batch[gray][..., 2])
        assert -1.0 <= batch["photo"].min() and batch["photo"].max() <= 1.0


def test_colour_offset_shifts_only_colour_style(folders):
    plain = batches(folders, 0, 1)
    shifted = batches(folders, 0, 1, style_offset_bgr=(10.0, -5.0, -5.0))
    delta = shifted[0]["style"] - plain[0]["style"]
    np.testing.assert_allclose(delta[..., 0], 2 * -5.0 / 255, atol=1e-5)  # R
    np.testing.assert_allclose(delta[..., 2], 2 * 10.0 / 255, atol=1e-5)  # B
    np.testing.assert_array_equal(shifted[0]["style_gray"], plain[0]["style_gray"])


def test_seeded_order_is_reproducible_and_replayable(folders):
    full = batches(folders, 0, 3)
    again = batches(folders, 0, 3)
    resumed = batches(folders, 2, 3)  # a run resumed at epoch 2 sees exactly epoch 2's batches
    other = batches(folders, 0, 3, seed=2)
    for a, b in zip(full, again):
        np.testing.assert_array_equal(a["photo"], b["photo"])
    for a, b in zip(full[6:], resumed):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(full[0]["photo"], other[0]["photo"])
    assert not np.array_equal(full[0]["photo"], full[3]["photo"])  # epochs differ


def test_validation_images(folders):
    paths = scan_image_folder(folders / "photos").paths
    images = validation_images(paths, 32, count=3)
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.float32
    assert -1.0 <= images.min() and images.max() <= 1.0


def test_streams_given_as_none_are_not_read_and_the_rest_is_unchanged(folders):
    photos = scan_image_folder(folders / "photos").paths
    style = scan_image_folder(folders / "style").paths
    config = PipelineConfig(image_size=32, batch_size=2, steps_per_epoch=3, seed=1)
    full = [{k: v.numpy() for k, v in b.items()} for b in training_dataset(photos, style, style, config, 0, 2)]
    photo_only = [b.numpy() for b in training_dataset(photos, None, None, config, 0, 2).map(lambda b: b["photo"])]
    no_smooth = [{k: v.numpy() for k, v in b.items()} for b in training_dataset(photos, style, None, config, 0, 2)]
    assert sorted(no_smooth[0]) == ["photo", "style", "style_gray"]
    for a, b, c in zip(full, photo_only, no_smooth):
        np.testing.assert_array_equal(a["photo"], b)
        np.testing.assert_array_equal(a["style"], c["style"])
