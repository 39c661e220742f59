"""Reading and writing image files as float arrays, with numpy, Pillow and OpenCV only.

Pillow decodes almost everything but truncates 16-bit colour to 8 bits, so 16-bit RGB(A) PNG/TIFF files
go through OpenCV instead. Every read or write problem becomes one `AnimeGANError` line naming the file.
"""

from __future__ import annotations

import os
import struct
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
    source_bit_depth: 8 or 16; mode: the file's Pillow mode ("RGB", "L", "RGBA", "CMYK", "I;16", "P", ...).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    source_bit_depth: int
    mode: str


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
        with Image.open(path) as img:
            return _decode(path, img)
    except _DECODE_ERRORS as err:
        raise AnimeGANError(f"cannot read image {path}: {_reason(err)}") from err


def read_pixels(path: str | os.PathLike[str]) -> LoadedImage:
    """Like `read_image`, but the arrays stay integers: uint8 for 8-bit sources, uint16 for deeper ones.

    An 8-bit photo is never turned into float32, which would take four times its size (a 20000x20000
    RGB photo: 1.2 GB as uint8, 4.8 GB as float32). Deeper sources (rare) go through `read_image`.
    """
    path = Path(path)
    image = None
    try:
        with Image.open(path) as img:
            if not (_is_16bit_colour(img) or img.mode in _GRAY16_MODES or img.mode == "F"):
                image = _decode_8bit(img)
    except _DECODE_ERRORS as err:
        raise AnimeGANError(f"cannot read image {path}: {_reason(err)}") from err
    except FileNotFoundError:
        pass  # read_image below gives the usual message
    if image is not None:
        return image
    loaded = read_image(path)
    return LoadedImage(
        _quantize(loaded.rgb, 65535, np.uint16),
        None if loaded.alpha is None else _quantize(loaded.alpha, 65535, np.uint16),
        loaded.source_bit_depth,
        loaded.mode,
    )


def _decode_8bit(img: Image.Image) -> LoadedImage:
    mode = img.mode
    img.load()
    has_alpha = "A" in img.mode or img.has_transparency_data
    arr = np.asarray(img.convert("RGBA" if has_alpha else "RGB"))
    rgb, alpha = (arr[..., :3], arr[..., 3]) if has_alpha else (arr, None)
    orient = _ORIENT.get(img.getexif().get(_EXIF_ORIENTATION, 1), lambda a: a)
    rgb = np.ascontiguousarray(orient(rgb))
    alpha = None if alpha is None else np.ascontiguousarray(orient(alpha))
    return LoadedImage(rgb=rgb, alpha=alpha, source_bit_depth=8, mode=mode)


def _decode(path: Path, img: Image.Image) -> LoadedImage:
    mode = img.mode
    sixteen_bit_colour = _is_16bit_colour(img)  # must be asked before load(), which drops img.tile
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
    return LoadedImage(rgb=rgb, alpha=alpha, source_bit_depth=depth, mode=mode)


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


def write_pixels(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    alpha: np.ndarray | None = None,
    bit_depth: int = 8,
    *,
    quality: int = 95,
) -> None:
    """Like `write_image`, for integer pixels (uint8 or uint16 RGB, alpha of the same type): no float copy.

    uint16 pixels are written as 16 bits where the format and `bit_depth` allow it, else as 8.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        supported = " ".join(sorted(IMAGE_EXTENSIONS))
        raise AnimeGANError(f"cannot write image {path}: unsupported extension '{ext}' (use {supported})")
    if pixels.dtype not in (np.uint8, np.uint16) or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"pixels must be uint8 or uint16 of shape (H, W, 3), got {pixels.dtype} {pixels.shape}")
    if ext not in _ALPHA_EXTENSIONS:
        alpha = None
    sixteen = bit_depth == 16 and ext in _SIXTEEN_BIT_EXTENSIONS and pixels.dtype == np.uint16
    pixels = pixels if sixteen else _to_8bit(pixels)
    if alpha is not None:
        alpha = alpha.astype(np.uint16) * 257 if sixteen and alpha.dtype == np.uint8 else alpha
        pixels = np.dstack([pixels, alpha if sixteen else _to_8bit(alpha)])
    _write_atomically(path, lambda f: _encode_pixels(f, ext, pixels, quality))


def _to_8bit(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _encode_pixels(f: BinaryIO, ext: str, pixels: np.ndarray, quality: int) -> None:
    """uint8 RGB(A) through Pillow; uint16 RGB(A) through OpenCV (16-bit PNG/TIFF)."""
    if pixels.dtype == np.uint16:
        channels = pixels[..., 2::-1] if pixels.shape[2] == 3 else pixels[..., [2, 1, 0, 3]]  # BGR(A)
        ok, buf = cv2.imencode(ext, np.ascontiguousarray(channels))
        if not ok:
            raise ValueError(f"OpenCV could not encode 16-bit {ext}")
        f.write(buf.tobytes())
        return
    options = {"quality": quality} if ext in (".jpg", ".jpeg", ".webp") else {}
    Image.fromarray(pixels).save(f, format=_PIL_FORMATS[ext], **options)


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
