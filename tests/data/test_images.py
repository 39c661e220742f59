import os
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps, features

from animegan.data.images import (
    IMAGE_EXTENSIONS,
    MAX_PIXELS,
    LoadedImage,
    check_declared_size,
    is_image_path,
    open_lazily,
    read_image,
    write_image,
)
from animegan.errors import AnimeGANError


def blocks(h=16, w=24):
    """Flat 8x8 colour blocks: survive JPEG well and make any rotation obvious."""
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return np.kron(colours, np.ones((8, 8, 1), np.uint8))


def save_with_orientation(path, pixels, orientation, **kwargs):
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation
    img.save(path, exif=exif.tobytes(), **kwargs)


def test_exif_orientation_jpeg(tmp_path):
    pixels = blocks()  # 16 x 24
    save_with_orientation(tmp_path / "o.jpg", pixels, 6, quality=95)
    loaded = read_image(tmp_path / "o.jpg")
    assert loaded.rgb.shape == (24, 16, 3)
    # Orientation 6: the stored pixels are shown rotated 90 degrees clockwise.
    stored = np.asarray(Image.open(tmp_path / "o.jpg").convert("RGB"), np.float32) / 255
    np.testing.assert_array_equal(loaded.rgb, np.rot90(stored, -1))
    assert np.abs(loaded.rgb - np.rot90(pixels, -1) / 255).mean() < 0.05  # and JPEG kept the picture


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, orientation):
    pixels = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3) * 5
    rgba = np.dstack([pixels, np.arange(15, dtype=np.uint8).reshape(3, 5) * 17])
    save_with_orientation(tmp_path / "o.png", rgba, orientation)
    loaded = read_image(tmp_path / "o.png")
    expected = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png")), np.float32) / 255
    np.testing.assert_array_equal(loaded.rgb, expected[..., :3])
    np.testing.assert_array_equal(loaded.alpha, expected[..., 3])


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    Image.fromarray(gray).save(tmp_path / "g.png")
    loaded = read_image(tmp_path / "g.png")
    assert isinstance(loaded, LoadedImage)
    assert (loaded.mode, loaded.source_bit_depth, loaded.alpha) == ("L", 8, None)
    assert loaded.rgb.shape == (12, 10, 3) and loaded.rgb.dtype == np.float32
    for c in range(3):
        np.testing.assert_allclose(loaded.rgb[..., c], gray / 255, atol=1e-7)


@pytest.mark.parametrize("ext", [".png", ".tif", ".webp"])
def test_alpha_round_trip(tmp_path, ext):
    if ext == ".webp" and not features.check("webp"):
        pytest.skip("Pillow built without WEBP")
    rng = np.random.default_rng(1)
    rgb = rng.random((9, 11, 3)).astype(np.float32)
    alpha = rng.random((9, 11)).astype(np.float32)
    write_image(tmp_path / f"a{ext}", rgb, alpha, quality=100)
    loaded = read_image(tmp_path / f"a{ext}")
    assert loaded.mode == "RGBA" and loaded.alpha is not None
    tolerance = 0.5 / 255 + 1e-6 if ext != ".webp" else 0.05
    np.testing.assert_allclose(loaded.alpha, alpha, atol=tolerance)
    if ext != ".webp":
        np.testing.assert_allclose(loaded.rgb, rgb, atol=tolerance)


def test_alpha_dropped_where_format_has_none(tmp_path):
    rgb = np.full((4, 4, 3), 0.5, np.float32)
    write_image(tmp_path / "a.jpg", rgb, np.zeros((4, 4), np.float32))
    loaded = read_image(tmp_path / "a.jpg")
    assert loaded.alpha is None and loaded.mode == "RGB"


def test_la_and_palette_transparency_give_alpha(tmp_path):
    Image.new("LA", (5, 4), (200, 100)).save(tmp_path / "la.png")
    la = read_image(tmp_path / "la.png")
    assert la.mode == "LA" and la.rgb.shape == (4, 5, 3)
    np.testing.assert_allclose(la.alpha, 100 / 255)
    palette = Image.new("P", (5, 4), 1)
    palette.putpalette([255, 0, 0, 0, 255, 0] * 128)
    palette.save(tmp_path / "p.png", transparency=1)
    p = read_image(tmp_path / "p.png")
    assert p.mode == "P" and p.alpha is not None and np.all(p.alpha == 0)
    np.testing.assert_allclose(p.rgb[0, 0], [0, 1, 0])


def off_grid_values(shape, seed=2):
    """Values a 8-bit file cannot hold: k/65535 with k odd, never a multiple of 257 (= 1/255)."""
    k = np.random.default_rng(seed).integers(0, 32767, shape) * 2 + 1
    k[k % 257 == 0] += 2
    return (k / 65535).astype(np.float32)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16_bit_colour_keeps_precision(tmp_path, ext):
    rgb = off_grid_values((6, 7, 3))
    alpha = off_grid_values((6, 7), seed=3)
    write_image(tmp_path / f"c{ext}", rgb, alpha, bit_depth=16)
    loaded = read_image(tmp_path / f"c{ext}")
    assert loaded.source_bit_depth == 16 and loaded.mode == "RGBA"
    np.testing.assert_allclose(loaded.rgb, rgb, atol=1e-6)
    np.testing.assert_allclose(loaded.alpha, alpha, atol=1e-6)
    assert np.abs(loaded.rgb * 255 - np.rint(loaded.rgb * 255)).max() > 0.1  # not 8-bit levels


def test_16_bit_rgb_written_by_opencv_is_rgb_not_bgr(tmp_path):
    pixels = np.zeros((3, 4, 3), np.uint16)
    pixels[..., 2] = 40001  # OpenCV channel 2 is red
    cv2.imwrite(str(tmp_path / "red.png"), pixels)
    loaded = read_image(tmp_path / "red.png")
    assert loaded.mode == "RGB" and loaded.alpha is None and loaded.source_bit_depth == 16
    np.testing.assert_allclose(loaded.rgb[0, 0], [40001 / 65535, 0, 0], atol=1e-7)


def add_png_orientation(path, orientation):
    """Insert an eXIf chunk before IEND (OpenCV cannot write one) so the 16-bit reader meets EXIF too."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()[len(b"Exif\x00\x00") :]
    chunk = b"eXIf" + payload
    data = path.read_bytes()
    end = data.rindex(b"IEND") - 4
    framed = struct.pack(">I", len(payload)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    path.write_bytes(data[:end] + framed + data[end:])


def test_16_bit_colour_gets_exif_orientation(tmp_path):
    pixels = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 3001).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "o16.png"), pixels)
    add_png_orientation(tmp_path / "o16.png", 8)
    loaded = read_image(tmp_path / "o16.png")
    assert loaded.source_bit_depth == 16
    np.testing.assert_allclose(loaded.rgb, np.rot90(pixels[..., ::-1], 1) / 65535, atol=1e-7)


def test_16_bit_grayscale(tmp_path):
    values = np.array([[1, 258, 30001], [40000, 65534, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    loaded = read_image(tmp_path / "g16.png")
    assert loaded.mode.startswith("I") and loaded.source_bit_depth == 16
    np.testing.assert_allclose(loaded.rgb[..., 1], values / 65535, atol=1e-7)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    pixels = blocks()
    Image.fromarray(pixels).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    loaded = read_image(tmp_path / "cmyk.jpg")
    assert loaded.mode == "CMYK" and loaded.rgb.shape == (16, 24, 3)
    assert np.abs(loaded.rgb - pixels / 255).mean() < 0.03


def test_8_bit_round_trip_rounds(tmp_path):
    rgb = np.full((2, 3, 3), 100.4 / 255, np.float32)
    rgb[0, 0] = [-0.5, 1.5, np.nan]  # clipped, NaN -> 0
    write_image(tmp_path / "r.bmp", rgb)
    loaded = read_image(tmp_path / "r.bmp")
    np.testing.assert_array_equal(np.rint(loaded.rgb[1, 1] * 255), [100, 100, 100])
    np.testing.assert_array_equal(loaded.rgb[0, 0], [0, 1, 0])


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "not a recognised image"), (b"hello, not an image", "not a recognised image")],
)
def test_non_images_raise_one_line_error(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(AnimeGANError, match=reason) as info:
        read_image(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_truncated_png_raises(tmp_path):
    write_image(tmp_path / "t.png", np.random.default_rng(4).random((64, 64, 3)))
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(AnimeGANError, match="cannot read image .*t.png"):
        read_image(tmp_path / "t.png")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(AnimeGANError, match="no such file"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(AnimeGANError, match="is a directory"):
        read_image(tmp_path)


def test_write_creates_parents_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b" / "out.png"
    write_image(target, np.zeros((3, 3, 3), np.float32))
    write_image(target, np.ones((3, 3, 3), np.float32))  # replaces an existing file
    assert os.listdir(target.parent) == ["out.png"]
    assert read_image(target).rgb.min() == 1.0


def test_failed_write_keeps_existing_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(AnimeGANError, match="cannot write image .*out.png: No space left on device"):
        write_image(target, np.zeros((3, 3, 3), np.float32))
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["out.png"]


def test_unsupported_extension(tmp_path):
    with pytest.raises(AnimeGANError, match="unsupported extension '.gif'"):
        write_image(tmp_path / "x.gif", np.zeros((2, 2, 3), np.float32))
    assert os.listdir(tmp_path) == []


def test_is_image_path():
    assert is_image_path("a/B.JPG") and is_image_path("x.tiff")
    assert not is_image_path("notes.txt") and not is_image_path("png")
    assert all(ext.startswith(".") and ext == ext.lower() for ext in IMAGE_EXTENSIONS)


# --- hostile headers: refused before any pixel is decoded, real photos of any size accepted -------------


@pytest.fixture()
def no_decoding(monkeypatch):
    """Fails the test if Pillow decodes any pixel of a file."""
    from PIL import ImageFile

    def load(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def patched(path, offset, data):
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))
    return path


def test_png_bomb_is_refused_before_decoding(tmp_path, make_png, no_decoding):
    bomb = make_png(tmp_path / "bomb.png", 13000, 13000, zlib.compress(b"\0" * 20_000_000, 9))
    assert 15_000 < bomb.stat().st_size < 25_000
    with pytest.raises(AnimeGANError) as info:
        read_image(bomb)
    message = str(info.value)
    assert str(bomb) in message and "13000x13000" in message and "decompression bomb" in message
    assert "\n" not in message


@pytest.mark.parametrize(("width", "height"), [(8660, 5774), (20000, 20000)])
def test_huge_but_possible_headers_pass_the_check(tmp_path, make_png, width, height):
    """50 MP and 400 MP: files that large can be real photos (Pillow alone refuses the second)."""
    least = height * (3 * width + 1) // 1032 + 1
    path = make_png(tmp_path / "big.png", width, height, b"\0" * least)
    with open_lazily(path) as img:
        check_declared_size(path, img)
        assert img.size == (width, height)
    with pytest.raises(AnimeGANError, match="cannot hold"):
        small = make_png(tmp_path / "small.png", width, height, b"\0" * (least // 2))
        with open_lazily(small) as img:
            check_declared_size(small, img)


def test_one_bit_pngs_are_measured_at_their_own_depth(tmp_path, make_png):
    """A 1-bit 13000 x 13000 PNG fits in 21 KB of deflate: such a file is not refused."""
    path = make_png(tmp_path / "bits.png", 13000, 13000, b"\0" * 21_000, colour=0, depth=1)
    with open_lazily(path) as img:
        check_declared_size(path, img)


@pytest.mark.parametrize("side", [40000, 60000])
def test_more_pixels_than_the_cap_are_refused(tmp_path, side, no_decoding):
    """A valid GIF may declare a huge screen around a 1x1 frame; above MAX_PIXELS it is refused."""
    path = tmp_path / "screen.gif"
    Image.new("P", (1, 1)).save(path)
    patched(path, 6, struct.pack("<HH", side, side))
    assert side * side > MAX_PIXELS
    with pytest.raises(AnimeGANError, match=f"refusing {path}") as info:
        read_image(path)
    assert "\n" not in str(info.value)


def test_bmp_and_jpeg_headers_larger_than_their_files_are_refused(tmp_path, no_decoding):
    bmp = tmp_path / "b.bmp"
    Image.new("RGB", (2, 2)).save(bmp)
    patched(bmp, 18, struct.pack("<ii", 30000, 30000))
    with pytest.raises(AnimeGANError, match="BMP file cannot hold the 30000x30000"):
        read_image(bmp)
    jpeg = tmp_path / "j.jpg"
    Image.new("RGB", (16, 16), (90, 10, 200)).save(jpeg)
    sof = jpeg.read_bytes().index(b"\xff\xc0")
    patched(jpeg, sof + 5, struct.pack(">HH", 13000, 13000))
    with pytest.raises(AnimeGANError, match="JPEG file cannot hold the 13000x13000"):
        read_image(jpeg)
    patched(jpeg, sof + 1, b"\xc9")  # arithmetic coding: no such bound, so the header passes
    with open_lazily(jpeg) as img:
        check_declared_size(jpeg, img)


def test_animations_and_multi_page_files_count_their_frames(tmp_path):
    frames = [Image.new("RGB", (6, 4), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tiff", save_all=True, append_images=frames[1:2])
    frames[0].save(tmp_path / "still.png")
    assert read_image(tmp_path / "a.gif").frames == 3
    pages = read_image(tmp_path / "pages.tiff")
    assert pages.frames == 2 and np.allclose(pages.rgb[..., 0], 1.0)  # the first page
    assert read_image(tmp_path / "still.png").frames == 1
