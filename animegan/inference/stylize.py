"""Stylizes one image array with a backend: reflect-pad to the stride, optional tiles, crop back.

The three steps are separate functions so that the photo batch (``photos.py``) can run them in three
overlapping stages: ``model_input`` and ``picture`` around the model call of ``run_model``.
"""

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


def model_input(rgb: np.ndarray, max_side: int | None = None) -> np.ndarray:
    """``rgb`` float [0, 1] HxWx3 as the model's input: at the work size, in [-1, 1]."""
    work = limit_side(rgb, max_side)
    return work.astype(np.float32) * 2.0 - 1.0


def run_model(
    backend: Backend, x: np.ndarray, tile: int | None = None, tile_overlap: int = 32, batch_size: int = 1
) -> np.ndarray:
    """The backend on one HxWx3 input, whole or (when ``tile`` is smaller than it) in tiles."""
    if tile and max(x.shape[:2]) > tile:
        return run_tiled(backend, x, tile=tile, overlap=tile_overlap, stride=backend.stride, batch_size=batch_size)
    return run_whole(backend, x, stride=backend.stride)


def picture(y: np.ndarray, height: int, width: int) -> np.ndarray:
    """The model's output as float [0, 1] at (height, width), the input's size."""
    out = np.clip((y + 1.0) / 2.0, 0.0, 1.0)
    if out.shape[:2] != (height, width):
        out = np.clip(cv2.resize(out, (width, height), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    return out


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
    y = run_model(backend, model_input(rgb, max_side), tile, tile_overlap, batch_size)
    return picture(y, height, width)
