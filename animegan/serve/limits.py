"""Checks a request against the server's ``Limits`` before any pixel is decoded or run.

The upload's byte size is checked as it arrives (REST) or by Gradio's ``max_file_size`` (the page);
a photo's pixel count is read from its header, so a decompression bomb is refused unread; the work
size (after ``max_side``) must fit ``max_work_pixels`` unless the photo runs in tiles.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from animegan.serve.errors import RequestError
from animegan.serve.settings import Limits

TOO_LARGE = 413


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def check_upload_size(size: int, limit: int) -> None:
    """Refuses (413) an upload of more than ``limit`` bytes."""
    if size > limit:
        raise RequestError(f"the upload is too large: more than {megabytes(limit)} (--max-upload-mb)", TOO_LARGE)


def work_size(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """The size a photo is run at: ``stylize.limit_side``'s rounding, computed without the pixels."""
    if not max_side or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def largest_tile(limits: Limits) -> int:
    return math.isqrt(limits.max_work_pixels)


def photo_size(path: Path) -> tuple[int, int] | None:
    """(height, width) from the file's header, or None when Pillow cannot even open it (read_image says why)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return height, width


def check_photo(height: int, width: int, limits: Limits, max_side: int | None, tile: int | None) -> None:
    """Refuses (413) a photo with too many pixels, or a work size too large to run in one piece."""
    if height * width > limits.max_pixels:
        raise RequestError(
            f"the photo is too large: {width}x{height} is {height * width / 1e6:.1f} MP, this server takes at "
            f"most {limits.max_pixels / 1e6:.1f} MP (--max-megapixels)",
            TOO_LARGE,
        )
    if tile:
        if tile > largest_tile(limits):
            raise RequestError(f"tile {tile} is too large: at most {largest_tile(limits)} on this server", TOO_LARGE)
        return
    work_height, work_width = work_size(height, width, max_side)
    if work_height * work_width > limits.max_work_pixels:
        side = _fitting_side(height, width, limits)
        raise RequestError(
            f"{work_width}x{work_height} is too large to run in one piece on this server (at most "
            f"{limits.max_work_pixels / 1e6:.2f} MP): ask for max_side={side} or less, or tile=512",
            TOO_LARGE,
        )


def check_video(height: int, width: int, seconds: float | None, limits: Limits, max_side: int | None) -> None:
    """Refuses (413) a video longer than the limit, or whose frames are too large to run (no tiles for video)."""
    if seconds is not None and seconds > limits.max_video_seconds:
        raise RequestError(
            f"the video is too long: {seconds:.1f} s, this server takes at most {limits.max_video_seconds:g} s "
            "(--max-video-seconds)",
            TOO_LARGE,
        )
    work_height, work_width = work_size(height, width, max_side)
    if work_height * work_width > limits.max_work_pixels:
        raise RequestError(
            f"video frames of {work_width}x{work_height} are too large for this server (at most "
            f"{limits.max_work_pixels / 1e6:.2f} MP a frame): choose a max side of "
            f"{_fitting_side(height, width, limits)} or less",
            TOO_LARGE,
        )


def _fitting_side(height: int, width: int, limits: Limits) -> int:
    """The largest max_side whose work size fits ``max_work_pixels``."""
    longest, shortest = max(height, width), min(height, width)
    side = math.isqrt(limits.max_work_pixels * longest // shortest)
    while side > 1 and math.prod(work_size(height, width, side)) > limits.max_work_pixels:
        side -= 1
    return side
