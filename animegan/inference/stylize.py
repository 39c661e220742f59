"""Stylizes one image array with a backend: reflect-pad to the stride, optional tiles, crop back."""

from __future__ import annotations

import cv2
import numpy as np

from animegan.inference.backends import Backend
from animegan.inference.tiles import run_tiled, run_whole


def limit_side(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    """Downscales (area filter) so the longer side is at most ``max_side``; never upscales."""
    height, width = rgb.shape[:2]
    if not max_side or max(height, width) <= max_side:
        return rgb
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def stylize_array(
    backend: Backend,
    rgb: np.ndarray,
    max_side: int | None = None,
    tile: int | None = None,
    tile_overlap: int = 32,
    batch_size: int = 1,
) -> np.ndarray:
    """``rgb`` float [0, 1] HxWx3 to the stylized image, same size (``max_side`` limits the work size)."""
    height, width = rgb.shape[:2]
    work = limit_side(rgb, max_side)
    x = work.astype(np.float32) * 2.0 - 1.0
    if tile and max(x.shape[:2]) > tile:
        y = run_tiled(backend, x, tile=tile, overlap=tile_overlap, stride=backend.stride, batch_size=batch_size)
    else:
        y = run_whole(backend, x, stride=backend.stride)
    out = np.clip((y + 1.0) / 2.0, 0.0, 1.0)
    if out.shape[:2] != (height, width):
        out = np.clip(cv2.resize(out, (width, height), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    return out
