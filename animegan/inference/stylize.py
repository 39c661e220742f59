"""Stylizes one image array with a backend, whole or in tiles that look like the whole image.

A photo runs whole when the model's estimated need fits the memory budget (``inference.memory``), else
in the largest tiles that fit; ``tile`` forces a tile size. Tiles normalize with whole-image statistics
(``inference.whole_statistics``) when the backend can take them. Out of memory on a batch (a GPU's),
the photo runs again in tiles half the size, down to ``memory.MIN_TILE``.

The steps are separate functions so that the photo batch (``photos.py``) can run them in three
overlapping stages: ``limit_side`` (reading), ``run_pixels`` (the model), ``at_size`` (writing);
``model_input``, ``run_model`` and ``picture`` are the same steps for float pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.backends import Backend
from animegan.inference.memory import DEFAULT_MAX_MEMORY, MIN_TILE, OutOfMemory, format_size, plan_memory, smaller_tile
from animegan.inference.tiles import Finished, run_tiled, run_whole
from animegan.inference.whole_statistics import run_with_whole_statistics

Report = Callable[[str], object]
# The photo's own buffers per pixel while tiled: float RGB input and its [-1, 1] copy, the result and its
# clipped copy; integer pixels: uint8 input and output (a whole run adds memory.WHOLE_IMAGE_BYTES).
FLOAT_IMAGE_BYTES = 4 * 12.0
PIXEL_IMAGE_BYTES = 2 * 3.0


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
    backend: Backend,
    x: np.ndarray,
    tile: int | None = None,
    tile_overlap: int = 32,
    batch_size: int = 1,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    report: Report | None = None,
) -> np.ndarray:
    """The backend on one HxWx3 float input in [-1, 1]: whole, or in tiles (``tile``, or the budget's)."""
    options = _Options(tile, tile_overlap, batch_size, max_memory, report, FLOAT_IMAGE_BYTES)
    return _run_model(backend, x, options)


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
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    report: Report | None = None,
) -> np.ndarray:
    """``rgb`` float [0, 1] HxWx3 to the stylized image, same size (``max_side`` limits the work size).

    ``max_memory`` (bytes, None for no limit) picks tiles when the photo would need more; ``report``
    gets one line when it does.
    """
    height, width = rgb.shape[:2]
    y = run_model(backend, model_input(rgb, max_side), tile, tile_overlap, batch_size, max_memory, report)
    return picture(y, height, width)


def stylize_pixels(
    backend: Backend,
    pixels: np.ndarray,
    max_side: int | None = None,
    tile: int | None = None,
    tile_overlap: int = 32,
    batch_size: int = 1,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    report: Report | None = None,
) -> np.ndarray:
    """uint8 (or uint16) RGB HxWx3 to stylized pixels of the same type and size, never a whole float copy."""
    height, width = pixels.shape[:2]
    work = limit_side(pixels, max_side)
    return at_size(run_pixels(backend, work, tile, tile_overlap, batch_size, max_memory, report), height, width)


def run_pixels(
    backend: Backend,
    pixels: np.ndarray,
    tile: int | None = None,
    tile_overlap: int = 32,
    batch_size: int = 1,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    report: Report | None = None,
) -> np.ndarray:
    """The model on integer pixels (uint8 or uint16 HxWx3): stylized pixels of the same type and size.

    The photo is converted tile by tile and the result written band by band, so a 20000x20000 photo
    needs its two integer copies plus what one tile needs.
    """
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected uint8 or uint16 pixels, got {pixels.dtype}")
    top = float(np.iinfo(pixels.dtype).max)
    out = np.empty(pixels.shape[:2] + (3,), pixels.dtype)

    def finished(row: int, rows: np.ndarray) -> None:
        out[row : row + rows.shape[0]] = np.rint(np.clip((rows + 1.0) * 0.5, 0.0, 1.0) * top)

    options = _Options(tile, tile_overlap, batch_size, max_memory, report, PIXEL_IMAGE_BYTES)
    _run_model(backend, pixels, options, finished)
    return out


def at_size(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Work-size pixels scaled back (bicubic) to the input's (height, width)."""
    if pixels.shape[:2] == (height, width):
        return pixels
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_CUBIC)


def _quiet(line: str) -> None:
    pass


@dataclass(frozen=True)
class _Options:
    tile: int | None
    overlap: int
    batch_size: int
    max_memory: int | None
    report: Report | None
    image_bytes: float  # the photo's own buffers per pixel

    def note(self, line: str) -> None:
        (self.report or _quiet)(line)


def _run_model(backend: Backend, x: np.ndarray, options: _Options, finished: Finished | None = None):
    """The model on image ``x`` ([-1, 1] floats or integer pixels): whole, or tiled as the budget says."""
    height, width = x.shape[:2]
    tile, coarse_pixels = options.tile, None
    if options.max_memory:
        plan = plan_memory(
            options.max_memory, height, width, backend_memory(backend), options.image_bytes, backend.stride, options.overlap
        )
        coarse_pixels = plan.coarse_pixels
        if tile is None and plan.tile is not None:
            tile = plan.tile
            exact = _layerwise(backend) is not None
            options.note(plan.note(height, width, "stage by stage in strips, exact" if exact else None))
    fixed = getattr(backend, "input_size", None)
    if tile and fixed:  # a fixed-shape export tiles a larger image itself: outer tiles must fit it
        tile = min(tile, min(fixed) - min(fixed) % backend.stride)
    while True:
        try:
            if tile is None or max(height, width) <= tile:
                out = run_whole(backend, x, backend.stride)
                if finished is None:
                    return out
                finished(0, out)
                return None
            return _run_tiles(backend, x, tile, options, coarse_pixels, finished)
        except OutOfMemory:
            current = tile or max(height, width) - max(height, width) % backend.stride
            tile = smaller_tile(current, backend.stride, options.overlap)
            if tile is None:
                raise AnimeGANError(
                    f"out of memory even in {MIN_TILE}-pixel tiles on {width}x{height}; try --max-side"
                ) from None
            options.note(f"out of memory at {current} pixels; retrying in {tile}-pixel tiles")


def backend_memory(backend: Backend) -> float:
    """Bytes per pixel the backend's model needs while running (its estimate, or a safe default)."""
    from animegan.inference.memory import FALLBACK_ACTIVATION_BYTES

    return float(getattr(backend, "memory_per_pixel", None) or FALLBACK_ACTIVATION_BYTES)


def _layerwise(backend: Backend):
    """The backend's stage-by-stage runner (``inference.layerwise``) where it has one and the model needs
    it (plain tiles are exact for a model without instance or layer norms), else None."""
    layerwise = getattr(backend, "layerwise", None)
    return layerwise if layerwise is not None and layerwise.sites else None


def _run_tiles(backend: Backend, x: np.ndarray, tile: int, options: _Options, coarse_pixels, finished):
    stride, overlap, batch = backend.stride, options.overlap, options.batch_size
    layerwise = _layerwise(backend)
    if layerwise is not None:
        need, free = layerwise.disk_bytes(*x.shape[:2]), layerwise.free_disk()
        if need <= free:  # the strips may hold what one tile's activations would
            return layerwise(x, layerwise.strip_rows(x.shape[1], backend_memory(backend) * tile * tile), finished)
        options.note(
            f"a stage-by-stage run needs {format_size(need)} of scratch space and {layerwise.folder} has "
            f"{format_size(free)} free (set TMPDIR to a larger disk): tiles estimate the whole-image statistics"
        )
    runner = getattr(backend, "statistics", None)
    if runner is not None and runner.sites:
        coarse = coarse_pixels or 4 * tile * tile
        return run_with_whole_statistics(runner, x, tile, overlap, stride, coarse, batch, finished)[0]
    if runner is None:
        options.note(
            f"{backend.name} model without a statistics signature: tiles use their own normalization "
            "statistics (re-export it with this version for tiles that match the whole image)"
        )
    return run_tiled(backend, x, tile, overlap, stride, batch, finished=finished)


class _Budgeted:
    """A backend whose batches that would need more than ``max_memory`` run frame by frame, tiled if needed."""

    def __init__(self, backend: Backend, max_memory: int, report: Report | None):
        self.backend = backend
        self.name, self.stride = backend.name, backend.stride
        self.statistics = getattr(backend, "statistics", None)
        self.options = _Options(None, 32, 1, max_memory, report, FLOAT_IMAGE_BYTES)
        self.noted = False

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        n, height, width = batch.shape[:3]
        per_frame = backend_memory(self.backend)
        whole = plan_memory(self.options.max_memory, height, width, n * per_frame, 0.0, self.stride, 32)
        if whole.tile is None:
            return self.backend(batch)
        one = plan_memory(self.options.max_memory, height, width, per_frame, 0.0, self.stride, 32)
        if one.tile is None:
            return np.concatenate([self.backend(frame[None]) for frame in batch])
        if not self.noted:
            self.noted = True
            self.options.note(f"video frames: {one.note(height, width)}")
        quiet = _Options(None, 32, 1, self.options.max_memory, None, FLOAT_IMAGE_BYTES)
        return np.stack([_run_model(self.backend, frame, quiet) for frame in batch])


def with_memory_budget(backend: Backend, max_memory: int | None, report: Report | None = None) -> Backend:
    """``backend`` for callers that send whole batches (video): frames over the budget run in tiles."""
    return backend if not max_memory else _Budgeted(backend, max_memory, report)
