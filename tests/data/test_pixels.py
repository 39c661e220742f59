"""read_pixels / write_pixels: the photo as integers from file to file, the same picture read_image gives."""

import numpy as np
import pytest
from PIL import Image

from animegan.data import images
from animegan.data.images import read_image, read_pixels, write_pixels


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_read_pixels_is_read_image_as_integers(tmp_path, mode, monkeypatch):
    monkeypatch.setattr(images, "_BAND_BYTES", 100)  # several bands even on a tiny photo
    rgb = np.random.default_rng(0).integers(0, 256, (37, 29, 4), dtype=np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(rgb, "RGBA").convert(mode).save(path)
    pixels, floats = read_pixels(path), read_image(path)
    assert pixels.rgb.dtype == np.uint8 and pixels.rgb.shape == (37, 29, 3) and pixels.rgb.flags.c_contiguous
    np.testing.assert_array_equal(pixels.rgb, np.rint(floats.rgb * 255).astype(np.uint8))
    assert (pixels.alpha is None) == (floats.alpha is None) and pixels.mode == floats.mode


def test_exif_orientation_and_round_trip(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / "turned.png"
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise
    Image.fromarray(rgb).save(path, exif=exif)
    pixels = read_pixels(path).rgb
    assert pixels.shape == (30, 20, 3)
    np.testing.assert_array_equal(pixels, np.rot90(rgb, -1))
    write_pixels(tmp_path / "out.png", pixels)
    np.testing.assert_array_equal(read_pixels(tmp_path / "out.png").rgb, pixels)
