"""``prepare``: edge smoothing on a synthetic image with known edges, the layout, data_mean, bad files."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from animegan.data.images import read_image
from animegan.data.prepare import (
    data_mean_from_channel_means,
    edge_smooth,
    prepare_style_dataset,
    read_data_mean,
)
from animegan.errors import AnimeGANError


def square_on_white(size=64, lo=20, hi=44):
    image = np.full((size, size, 3), 255, np.uint8)
    image[lo:hi, lo:hi] = 0
    return image


def official_edge_smooth(image):
    """tools/edge_smooth.py's per-pixel loop, kept literally (slow; fine for a test image)."""
    kernel = np.ones((5, 5), np.uint8)
    gauss = cv2.getGaussianKernel(5, 0)
    gauss = gauss * gauss.transpose(1, 0)
    pad_img = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode="reflect")
    edges = cv2.Canny(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), 100, 200)
    dilation = cv2.dilate(edges, kernel)
    out = np.copy(image)
    ys, xs = np.where(dilation != 0)
    for y, x in zip(ys, xs):
        for c in range(3):
            out[y, x, c] = np.sum(np.multiply(pad_img[y : y + 5, x : x + 5, c], gauss))
    return out


def test_pixels_far_from_edges_are_unchanged_and_edges_are_blurred():
    image = square_on_white()
    smooth = edge_smooth(image)
    # Far from the square's border (more than the 5x5 dilation + 5x5 blur reach): untouched.
    np.testing.assert_array_equal(smooth[:12], image[:12])
    np.testing.assert_array_equal(smooth[26:38, 26:38], image[26:38, 26:38])
    # At the edge: the step is blurred into intermediate values.
    row = smooth[32, 14:26, 0].astype(int)
    assert ((row > 0) & (row < 255)).sum() >= 3
    assert np.all(np.diff(row) <= 0)  # still a monotone ramp from white to black


def test_matches_the_official_loop_bit_for_bit():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur((rng.random((40, 52, 3)) * 255).astype(np.uint8), (0, 0), 2)
    image[8:30, 10:28] = (0, 0, 0)
    image[:, 40:] = (255, 240, 10)
    np.testing.assert_array_equal(edge_smooth(image), official_edge_smooth(image))


def test_data_mean_formula():
    # two images; channel means B, G, R of (10, 20, 30) and (30, 40, 50): overall (20, 30, 40), average 30
    assert data_mean_from_channel_means(np.array([[10, 20, 30], [30, 40, 50]])) == (10.0, 0.0, -10.0)


def test_prepare_layout_json_and_unreadable_files(tmp_path):
    src = tmp_path / "style"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(square_on_white(80)).save(src / "a.png")
    colour = np.zeros((60, 90, 3), np.uint8)
    colour[..., 0] = 200  # a red image (RGB)
    Image.fromarray(colour).save(src / "sub" / "b.jpg")
    (src / "broken.png").write_bytes(b"not an image")
    (src / "notes.txt").write_text("ignored")

    report = prepare_style_dataset(src, tmp_path / "data", size=32, workers=2)

    assert sorted(report.written) == ["a.png", "sub__b.png"]
    assert [p.name for p, _ in report.skipped] == ["broken.png"]
    assert "cannot read image" in report.skipped[0][1]
    for sub in ("style", "smooth"):
        assert sorted(p.name for p in (tmp_path / "data" / sub).iterdir()) == ["a.png", "sub__b.png"]
    assert read_image(tmp_path / "data" / "style" / "sub__b.png").rgb.shape == (32, 48, 3)  # shorter side 32
    smooth = read_image(tmp_path / "data" / "smooth" / "a.png").rgb
    assert not np.array_equal(smooth, read_image(tmp_path / "data" / "style" / "a.png").rgb)

    saved = json.loads((tmp_path / "data" / "data_mean.json").read_text())
    assert saved["images"] == 2
    b, g, r = read_data_mean(tmp_path / "data")
    assert (b, g, r) == tuple(saved["data_mean_bgr"])
    assert r < 0 < b and b + g + r == pytest.approx(0.0, abs=1e-3)  # red-heavy set: lower R, raise B


def test_missing_folder_and_nothing_readable(tmp_path):
    with pytest.raises(AnimeGANError, match="style folder not found"):
        prepare_style_dataset(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"junk")
    with pytest.raises(AnimeGANError, match="none of the 1 images"):
        prepare_style_dataset(tmp_path / "bad", tmp_path / "out")


def test_an_unexpected_error_in_one_image_is_one_line_and_the_rest_is_prepared(tmp_path, monkeypatch, capsys):
    from animegan.cli.main import main
    from animegan.data import prepare

    src = tmp_path / "style"
    src.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(square_on_white(40)).save(src / f"{name}.png")
    real = prepare.edge_smooth

    def failing_second():
        calls = []

        def odd(image):  # the second image hits a bug deep in a library (one worker: a fixed order)
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("cv2 went wrong\nmore detail")
            return real(image)

        return odd

    monkeypatch.setattr(prepare, "edge_smooth", failing_second())
    assert main(["prepare", str(src), "-o", str(tmp_path / "data"), "--size", "32", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    skipped = [line for line in captured.err.splitlines() if line.startswith("animegan: skipped")]
    assert skipped == [f"animegan: skipped {src / 'b.png'}: unexpected RuntimeError: cv2 went wrong"]
    assert "Traceback" not in captured.err and "2 style images" in captured.out
    assert sorted(p.name for p in (tmp_path / "data" / "smooth").iterdir()) == ["a.png", "c.png"]

    monkeypatch.setattr(prepare, "edge_smooth", failing_second())
    args = ["--debug", "prepare", str(src), "-o", str(tmp_path / "again"), "--size", "32", "--workers", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: cv2 went wrong" in err  # --debug shows where it came from
    assert f"animegan: skipped {src / 'b.png'}: unexpected RuntimeError: cv2 went wrong" in err
