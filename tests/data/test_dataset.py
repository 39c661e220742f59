"""The tf.data training pipeline: shapes, dtypes, ranges, seeded and replayable order, validation photos."""

import numpy as np
import pytest
from PIL import Image

from animegan.data.dataset import (
    PipelineConfig,
    scan_image_folder,
    skipped_lines,
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


@pytest.fixture()
def with_truncated_jpeg(tmp_path):
    """Three photos and a JPEG cut in half: its header parses, its pixels do not."""
    rng = np.random.default_rng(1)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(folder / f"{i}.jpg")
    whole = (folder / "0.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    return folder


def test_a_truncated_jpeg_is_skipped_by_the_scan_not_met_mid_epoch(with_truncated_jpeg, tmp_path):
    import tensorflow as tf

    folder = with_truncated_jpeg
    config = PipelineConfig(image_size=32, batch_size=2, steps_per_epoch=4, seed=0)
    every_file = sorted(folder.glob("*.jpg"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="jpeg::Uncompress failed"):
        list(training_dataset(every_file, None, None, config, 0, 1))  # what training met before
    scanned = scan_image_folder(folder, "photos", checks=tmp_path / "checks.json")
    assert [p.name for p in scanned.paths] == ["0.jpg", "1.jpg", "2.jpg"]
    assert [(p.name, reason.split(" (")[0]) for p, reason in scanned.skipped] == [("cut.jpg", "truncated or corrupt")]
    assert "jpeg::Uncompress failed" in scanned.skipped[0][1] and "\n" not in scanned.skipped[0][1]
    assert skipped_lines(scanned) == [f"animegan: skipping {folder / 'cut.jpg'}: {scanned.skipped[0][1]}"]
    assert len(list(training_dataset(scanned.paths, None, None, config, 0, 2))) == 8  # two whole epochs


def test_verdicts_are_cached_by_path_size_and_mtime(with_truncated_jpeg, tmp_path, monkeypatch):
    from animegan.data import image_checks

    folder, checks = with_truncated_jpeg, tmp_path / "cache" / "checks.json"
    first = scan_image_folder(folder, "photos", checks=checks)
    decoded = []
    real = image_checks.image_problem
    monkeypatch.setattr(image_checks, "image_problem", lambda path: decoded.append(path.name) or real(path))
    assert scan_image_folder(folder, "photos", checks=checks) == first and decoded == []  # nothing decoded again
    (folder / "cut.jpg").write_bytes((folder / "1.jpg").read_bytes())  # repaired: new size and mtime
    again = scan_image_folder(folder, "photos", checks=checks)
    assert decoded == ["cut.jpg"] and len(again.paths) == 4 and again.skipped == ()
    checks.write_text("{not json")  # a damaged cache is rebuilt, not an error
    assert scan_image_folder(folder, "photos", checks=checks) == again


def test_an_unexpected_error_on_one_file_is_one_line_and_the_scan_goes_on(with_truncated_jpeg, monkeypatch, caplog):
    from animegan.data import image_checks

    real = image_checks.image_problem

    def odd(path):
        if path.name == "1.jpg":
            raise RuntimeError("decoder exploded\nsecond line")
        return real(path)

    monkeypatch.setattr(image_checks, "image_problem", odd)
    with caplog.at_level("DEBUG", logger="animegan"):
        scanned = scan_image_folder(with_truncated_jpeg, "photos")
    assert [p.name for p in scanned.paths] == ["0.jpg", "2.jpg"]
    reasons = dict((p.name, reason) for p, reason in scanned.skipped)
    assert reasons["1.jpg"] == "unexpected RuntimeError: decoder exploded"
    assert any(record.exc_info and "1.jpg" in record.getMessage() for record in caplog.records)  # for --debug
