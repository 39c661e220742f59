import numpy as np
import pytest

from animegan.cli.main import main
from animegan.data.celshade import cel_shade, center_crop_resize, ink_mask, make_pairs
from animegan.data.images import read_image, write_image


def _photo(h=64, w=80, seed=0) -> np.ndarray:
    """A smooth gradient with a disc and a bit of noise: texture to flatten, contours to ink."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([x, y, 0.5 + 0.3 * np.sin(6 * x)], axis=-1)
    disc = (y * max(h, w) - h / 2) ** 2 + (x * max(h, w) - w / 2) ** 2 < (min(h, w) / 4) ** 2
    rgb[disc] = (0.9, 0.4, 0.2)
    return np.clip(rgb + rng.normal(0, 0.02, rgb.shape), 0, 1).astype(np.float32)


def test_shape_range_and_determinism():
    x = _photo()
    y = cel_shade(x)
    assert y.shape == x.shape and y.dtype == np.float32
    assert y.min() >= 0.0 and y.max() <= 1.0
    assert np.array_equal(y, cel_shade(x.copy()))


def test_flat_region_stays_flat():
    x = np.full((48, 48, 3), (0.2, 0.6, 0.8), np.float32)
    y = cel_shade(x)
    assert np.ptp(y.reshape(-1, 3), axis=0).max() < 1e-6  # one colour, no ink
    assert np.abs(y - x).max() < 0.02  # and close to the input colour


def test_sharp_edge_gets_a_dark_line():
    x = np.full((48, 64, 3), 0.85, np.float32)
    x[:, 32:] = 0.35  # a vertical step from light to dark grey
    y = cel_shade(x, edge_strength=1.0)
    lum = y.mean(axis=2)
    row = lum[24]
    assert row[29:36].min() < 0.05  # a black line at the contour
    assert row[:20].min() > 0.7 and row[44:].min() > 0.25  # none away from it
    assert ink_mask(x)[:, 29:36].any(axis=1).all()  # along the whole contour
    assert not cel_shade(x, edge_strength=0.0).min() < 0.3  # no ink when switched off


def test_number_of_colours_is_bounded():
    x = _photo(96, 96, seed=1)
    for levels in (3, 8):
        flat = cel_shade(x, levels=levels, edge_strength=0.0)
        assert len(np.unique(flat.reshape(-1, 3), axis=0)) <= levels
        inked = cel_shade(x, levels=levels)
        assert len(np.unique(inked.reshape(-1, 3), axis=0)) <= 2 * levels  # each colour, plain or inked


def test_bad_arguments():
    with pytest.raises(ValueError):
        cel_shade(np.zeros((8, 8)), levels=4)
    with pytest.raises(ValueError):
        cel_shade(np.zeros((8, 8, 3)), levels=1)


def test_center_crop_resize():
    x = np.zeros((40, 100, 3), np.float32)
    x[:, 30:70] = 1.0  # exactly the centred square
    y = center_crop_resize(x, 20)
    assert y.shape == (20, 20, 3) and y.min() > 0.99


def test_make_pairs_writes_matching_files_and_skips_a_broken_one(tmp_path, capsys):
    photos = tmp_path / "photos_in"
    write_image(photos / "a.png", _photo(60, 90, seed=2))
    write_image(photos / "sub" / "b.jpg", _photo(90, 60, seed=3))
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    report = make_pairs(photos, tmp_path / "pairs", size=32, levels=6)
    assert sorted(report.written) == ["a.png", "sub__b.png"]
    assert [p.name for p, _ in report.skipped] == ["broken.jpg"]
    for folder in ("photos", "targets"):
        names = sorted(p.name for p in (tmp_path / "pairs" / folder).iterdir())
        assert names == ["a.png", "sub__b.png"]
    photo = read_image(tmp_path / "pairs/photos/a.png").rgb
    target = read_image(tmp_path / "pairs/targets/a.png").rgb
    assert photo.shape == target.shape == (32, 32, 3)
    assert np.abs(target - cel_shade(photo, levels=6)).max() <= 1 / 255 + 1e-6

    # The CLI: same result, the broken file is one line, exit 0 like `animegan prepare`.
    out = tmp_path / "pairs_cli"
    assert main(["make-pairs", str(photos), "-o", str(out), "--size", "32", "--levels", "6"]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.jpg" in err and "2 pairs" in err
    assert sorted(p.name for p in (out / "targets").iterdir()) == ["a.png", "sub__b.png"]


def test_make_pairs_errors(tmp_path):
    from animegan.errors import AnimeGANError

    with pytest.raises(AnimeGANError, match="not found"):
        make_pairs(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnimeGANError, match="no images"):
        make_pairs(tmp_path / "empty", tmp_path / "out")
