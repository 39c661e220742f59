"""Reading and writing image files as float arrays, with numpy, Pillow and OpenCV only.

Pillow decodes almost everything but truncates 16-bit colour to 8 bits, so 16-bit RGB(A) PNG/TIFF files
go through OpenCV instead. Every read or write problem becomes one `AnimeGANError` line naming the file.
Before any pixel is decoded, ``check_declared_size`` refuses a file whose header declares more pixels
than it can hold (a decompression bomb) or than ``MAX_PIXELS``.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from animegan.atomic import open_for_writing
from animegan.errors import AnimeGANError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})

_PIL_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".bmp": "BMP",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
_ALPHA_EXTENSIONS = frozenset({".png", ".webp", ".tif", ".tiff"})
_SIXTEEN_BIT_EXTENSIONS = frozenset({".png", ".tif", ".tiff"})
_GRAY16_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_EXIF_ORIENTATION = 0x0112

# What a broken, truncated or hostile file can make Pillow/OpenCV raise while decoding.
_DECODE_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    SyntaxError,
    struct.error,
    Image.DecompressionBombError,
    cv2.error,
)
_ENCODE_ERRORS = (OSError, ValueError, KeyError, cv2.error)

# EXIF orientation -> how to turn the stored pixels into the displayed ones (same as ImageOps.exif_transpose).
_ORIENT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded image in display orientation.

    rgb: (H, W, 3) float32 in [0, 1]; alpha: (H, W) float32 in [0, 1] or None;
    source_bit_depth: 8 or 16; mode: the file's Pillow mode ("RGB", "L", "RGBA", "CMYK", "I;16", "P", ...);
    frames: how many frames or pages the file holds (animated GIF/PNG/WebP, multi-page TIFF); only the
    first one is decoded.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    source_bit_depth: int
    mode: str
    frames: int = 1


def is_image_path(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends in a supported image extension (the file itself is not opened)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Decode an image file; raises AnimeGANError("cannot read image <path>: <reason>") on any failure."""
    path = Path(path)
    if path.is_dir():
        raise AnimeGANError(f"cannot read image {path}: is a directory")
    if not path.exists():
        raise AnimeGANError(f"cannot read image {path}: no such file")
    try:
        with open_lazily(path) as img:
            check_declared_size(path, img)
            return _decode(path, img)
    except _DECODE_ERRORS as err:
        raise AnimeGANError(f"cannot read image {path}: {_reason(err)}") from err


# The most pixels one image may declare: 2**30, about 32768 x 32768. Decoded as 8-bit RGBA it is 4 GiB
# before any processing, and Pillow decodes a whole frame at once; every camera's photo and a
# 20000 x 20000 (400 MP) picture are well below it. Larger ones (maps, gigapixel scans) need a streaming
# decoder.
MAX_PIXELS = 1 << 30

# The most raw bytes one byte of a file can expand to. Deflate (PNG, TIFF) codes a 258-byte match in at
# least 2 bits, 1032:1; LZW (TIFF) a string of at most 4096 bytes in a 12-bit code, 2731:1; PackBits 128
# bytes in 2, 64:1; uncompressed data (BMP, TIFF) 1:1. A file that declares more raw bytes than its size
# times this ratio cannot hold its picture. Formats and codecs without such a bound (WebP, GIF, RLE BMP,
# CCITT/JPEG TIFF, arithmetic JPEG: a flat picture costs next to nothing) are limited by MAX_PIXELS only.
_DEFLATE, _LZW, _PACKBITS, _RAW = 1032, 2731, 64, 1
_TIFF_RATIOS = {
    "raw": _RAW, "tiff_raw_16": _RAW, "packbits": _PACKBITS, "tiff_lzw": _LZW,
    "tiff_adobe_deflate": _DEFLATE, "tiff_deflate": _DEFLATE,
}  # fmt: skip
_BMP_UNCOMPRESSED = (0, 3)  # BI_RGB, BI_BITFIELDS
# A Huffman-coded JPEG spends at least one bit (a DC code) on every 8x8 block of each component it
# codes, and a component covers at least 1/16 of the picture (sampling factors are 1 to 4 each way).
_JPEG_PIXELS_PER_BYTE = 8 * 64 * 16
_JPEG_ARITHMETIC_SOF = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


_PILLOW_DEFAULT_LIMIT = 1024 * 1024 * 1024 // 4 // 3  # Pillow's MAX_IMAGE_PIXELS as shipped (89 MP)


def open_lazily(path: str | os.PathLike[str]) -> Image.Image:
    """``Image.open``: the header is read, no pixel decoded yet. Follow it with ``check_declared_size``.

    Pillow's own guard warns above 89 MP and refuses above 179 MP whatever the file, which would refuse
    real 200 MP photos; ``check_declared_size`` is the guard here, so Pillow's limit, where it is still
    Pillow's default, is raised to ``MAX_PIXELS`` (a limit a program set itself is kept), and Pillow's
    warning between it and twice it is silenced: ``check_declared_size`` refuses those files.
    """
    if Image.MAX_IMAGE_PIXELS == _PILLOW_DEFAULT_LIMIT:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as error:
        raise AnimeGANError(f"refusing {path}: {_reason(error)}") from None


def check_declared_size(path: str | os.PathLike[str], img: Image.Image) -> None:
    """Refuses, before decoding, an image that declares more pixels than ``MAX_PIXELS`` or than its file holds.

    ``img`` is the lazily opened file (``open_lazily``). The second rule catches decompression bombs,
    a small file whose header declares a huge picture (a 20 KB PNG declaring 13000 x 13000 would make
    the decoder allocate 500 MB and the model many GB): its raw size, at the bit depth the header
    declares, is compared with the file size times the most its codec can expand (see the ratios
    above). It only refuses files that cannot be valid, so any real photo passes whatever its size.
    """
    path = Path(path)
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise AnimeGANError(
            f"refusing {path}: it declares {width}x{height} pixels, more than the {MAX_PIXELS:,} accepted"
        )
    least = _least_file_size(path, img)
    size = path.stat().st_size
    if least is not None and size < least:
        raise AnimeGANError(
            f"refusing {path}: a {size:,}-byte {img.format} file cannot hold the {width}x{height} pixels it "
            f"declares (at least {math.ceil(least):,} bytes); it is damaged or a decompression bomb"
        )


def _least_file_size(path: Path, img: Image.Image) -> float | None:
    """The fewest bytes a valid file of this format can hold the declared picture in; None: no bound."""
    width, height = img.size
    row = math.ceil(width * _bits_per_pixel(img) / 8)
    compression = img.info.get("compression")
    if img.format == "PNG":
        return height * (row + 1) / _DEFLATE  # one filter byte per row
    if img.format == "BMP" and compression in _BMP_UNCOMPRESSED:
        return height * row / _RAW
    if img.format == "TIFF" and compression in _TIFF_RATIOS:
        return height * row / _TIFF_RATIOS[compression]
    if img.format == "JPEG" and _jpeg_frame_marker(path) not in _JPEG_ARITHMETIC_SOF:
        return width * height / _JPEG_PIXELS_PER_BYTE
    return None


def _bits_per_pixel(img: Image.Image) -> int:
    """A lower bound of the bits the file stores per pixel, from the decoder's raw mode.

    "1" is one bit; a raw mode with a bit count ("L;2", "P;4", "BGR;15", "RGB;16B") stores at least
    that many bits per pixel; any other stores at least 8 bits per band of the image's mode.
    """
    rawmode = img.mode
    if img.tile:
        args = img.tile[0][3]
        first = args[0] if isinstance(args, tuple) and args else args
        if isinstance(first, str):
            rawmode = first
    base, _, rest = rawmode.partition(";")
    if base == "1":
        return 1
    digits = "".join(c for c in rest[:2] if c.isdigit())
    if digits:
        return int(digits)
    return 8 * len(img.getbands())


def _jpeg_frame_marker(path: Path) -> int | None:
    """The JPEG's start-of-frame marker (0xC0..0xCF), which names its coding; None when not found."""
    with open(path, "rb") as f:
        if f.read(2) != b"\xff\xd8":
            return None
        while len(head := f.read(4)) == 4 and head[0] == 0xFF:
            marker = head[1]
            if marker == 0xFF:  # fill byte before a marker
                f.seek(-3, os.SEEK_CUR)
            elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # not DHT, JPG, DAC
                return marker
            else:
                f.seek(int.from_bytes(head[2:], "big") - 2, os.SEEK_CUR)
    return None


def _frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1) or 1)


def _decode(path: Path, img: Image.Image) -> LoadedImage:
    mode = img.mode
    sixteen_bit_colour = _is_16bit_colour(img)  # must be asked before load(), which drops img.tile
    frames = _frame_count(img)
    img.load()
    if sixteen_bit_colour:
        rgb, alpha = _read_with_cv2(path)
        depth = 16
    else:
        rgb, alpha, depth = _pil_to_arrays(img)
    orient = _ORIENT.get(img.getexif().get(_EXIF_ORIENTATION, 1))
    if orient is not None:
        rgb = np.ascontiguousarray(orient(rgb))
        alpha = None if alpha is None else np.ascontiguousarray(orient(alpha))
    return LoadedImage(rgb=rgb, alpha=alpha, source_bit_depth=depth, mode=mode, frames=frames)


def _is_16bit_colour(img: Image.Image) -> bool:
    """Pillow opens 16-bit RGB(A) as 8-bit RGB(A); the decoder's raw mode ("RGB;16B") gives it away."""
    if img.mode not in ("RGB", "RGBA"):
        return False
    for tile in img.tile:
        args = tile[3] if isinstance(tile[3], tuple) else (tile[3],)
        if args and isinstance(args[0], str) and ";16" in args[0]:
            return True
    return False


def _pil_to_arrays(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None, int]:
    if img.mode in _GRAY16_MODES:
        gray = np.clip(np.asarray(img, dtype=np.float32), 0, 65535) / 65535.0
        return _gray_to_rgb(gray), None, 16
    if img.mode == "F":  # float TIFF: taken as already in [0, 1]
        gray = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
        return _gray_to_rgb(gray), None, 16
    has_alpha = "A" in img.mode or img.has_transparency_data
    arr = np.asarray(img.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32) / 255.0
    if has_alpha:
        return np.ascontiguousarray(arr[..., :3]), np.ascontiguousarray(arr[..., 3]), 8
    return arr, None, 8


def _read_with_cv2(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    # imdecode of the bytes, not imread: imread fails silently on non-ASCII paths on Windows.
    arr = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("OpenCV could not decode the 16-bit data")
    arr = arr.astype(np.float32) / float(np.iinfo(arr.dtype).max)
    if arr.ndim == 2:
        return _gray_to_rgb(arr), None
    channels = arr.shape[2]
    if channels == 2:
        return _gray_to_rgb(arr[..., 0]), np.ascontiguousarray(arr[..., 1])
    rgb = np.ascontiguousarray(arr[..., 2::-1])  # BGR(A) -> RGB
    return rgb, (np.ascontiguousarray(arr[..., 3]) if channels == 4 else None)


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2).astype(np.float32, copy=False)


def _reason(err: BaseException) -> str:
    """A short one-line reason, without the path that Pillow and the OS like to repeat."""
    if isinstance(err, UnidentifiedImageError):
        return "not a recognised image file"
    text = (getattr(err, "strerror", None) or str(err)).strip()
    return text.splitlines()[0] if text else type(err).__name__


def write_image(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    alpha: np.ndarray | None = None,
    bit_depth: int = 8,
    *,
    quality: int = 95,
) -> None:
    """Write rgb (H, W, 3) float in [0, 1] to `path`, in the format its extension names, atomically.

    `alpha` (H, W) is kept for PNG, WEBP and TIFF and dropped for JPEG and BMP. `bit_depth=16` writes
    16-bit PNG/TIFF; formats that cannot hold 16 bits get 8. `quality` is used by JPEG and WEBP.
    The target is replaced only by a complete file, so a failure never leaves a half-written or
    clobbered one.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        supported = " ".join(sorted(IMAGE_EXTENSIONS))
        raise AnimeGANError(f"cannot write image {path}: unsupported extension '{ext}' (use {supported})")
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")
    rgb, alpha = _check_arrays(rgb, alpha)
    if ext not in _ALPHA_EXTENSIONS:
        alpha = None
    _write_atomically(path, lambda f: _encode(f, ext, rgb, alpha, bit_depth, quality))


def _write_atomically(path: Path, encode: Callable[[BinaryIO], None]) -> None:
    """Encode straight into the atomic writer's temporary file; an encoder error is one line."""
    try:
        with open_for_writing(path, what="image") as f:
            encode(f)
    except _ENCODE_ERRORS as err:
        raise AnimeGANError(f"cannot write image {path}: {_reason(err)}") from err


def _check_arrays(rgb: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must have shape (H, W, 3), got {rgb.shape}")
    if alpha is None:
        return rgb, None
    alpha = np.asarray(alpha, dtype=np.float32)
    if alpha.shape != rgb.shape[:2]:
        raise ValueError(f"alpha must have shape {rgb.shape[:2]}, got {alpha.shape}")
    return rgb, alpha


def _encode(
    f: BinaryIO, ext: str, rgb: np.ndarray, alpha: np.ndarray | None, bit_depth: int, quality: int
) -> None:
    if bit_depth == 16 and ext in _SIXTEEN_BIT_EXTENSIONS:
        pixels = _quantize(rgb, 65535, np.uint16)[..., ::-1]  # OpenCV wants BGR(A)
        if alpha is not None:
            pixels = np.dstack([pixels, _quantize(alpha, 65535, np.uint16)])
        ok, buf = cv2.imencode(ext, np.ascontiguousarray(pixels))
        if not ok:
            raise ValueError(f"OpenCV could not encode 16-bit {ext}")
        f.write(buf.tobytes())
        return
    pixels = _quantize(rgb, 255, np.uint8)
    if alpha is not None:
        pixels = np.dstack([pixels, _quantize(alpha, 255, np.uint8)])
    options = {"quality": quality} if ext in (".jpg", ".jpeg", ".webp") else {}
    Image.fromarray(pixels).save(f, format=_PIL_FORMATS[ext], **options)


def _quantize(values: np.ndarray, scale: int, dtype: type[np.integer]) -> np.ndarray:
    clipped = np.nan_to_num(np.clip(values, 0.0, 1.0), nan=0.0)
    return np.rint(clipped * scale).astype(dtype)
