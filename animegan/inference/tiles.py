"""Running a fully convolutional model on an image, whole or in overlapping tiles (numpy only).

A model function is `fn(batch) -> batch`: float32 NHWC in [-1, 1] in, the same shape out, with H and W
multiples of `stride`. Tiling keeps the model's memory bounded by the tile size whatever the image size.
Images may be float in [-1, 1] or uint8 / uint16 pixels: integer images are converted tile by tile
(`model_input`), so a huge photo never exists as a whole float32 copy, and with `out=` the result is
written band by band into an array the caller owns (a uint8 picture, say), never as a whole float64 sum.

How tiles are blended: neighbouring tiles share at least `overlap` pixels. On each side of a tile that
faces another tile (not the image border) its weight rises over `overlap` pixels with a raised cosine;
the outer quarter of that band has weight zero, because a tile's outermost pixels were computed from the
model's own padding instead of real neighbours. The result is the weighted sum over the accumulated
weight. Where two tiles share exactly `overlap` pixels their weights sum to one (a plain cross-fade), and a
model whose receptive field reaches at most `overlap // 4` pixels gives exactly what `run_whole` gives.

Each tile also *owns* the pixels nearer to it than to its neighbours (`TilePlan.owned`): the owned
regions partition the padded image, which is how whole-image sums are gathered tile by tile
(`animegan.inference.whole_statistics`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from animegan.errors import AnimeGANError

ModelFn = Callable[[np.ndarray], np.ndarray]
Finished = Callable[[int, np.ndarray], None]  # (first row, float32 rows in [-1, 1]) of the result


# The networks reflect-pad inside (3x3 convolutions by 1, 7x7 stems by 3), and reflection needs more
# pixels than the pad: at stride s the bottleneck sees H/s x W/s, and AnimeGAN v1, v2 and CycleGAN all
# fail below 2 there (MIRROR_PAD in TFLite, InvalidArgumentError in TensorFlow). Smaller images are padded
# up so that the bottleneck is at least MIN_BOTTLENECK wide, which also covers a 7x7 reflection there.
MIN_BOTTLENECK = 4


def min_side(stride: int) -> int:
    """The smallest H or W a model of this stride is run on; smaller images are padded up to it."""
    return MIN_BOTTLENECK * stride


def padded_length(length: int, multiple: int, minimum: int = 0) -> int:
    """``length`` rounded up to a multiple of ``multiple``, and to at least ``minimum``."""
    return max(length, minimum) + (-max(length, minimum) % multiple)


def pad_to_multiple(img: np.ndarray, multiple: int, minimum: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """Pad bottom and right so H and W are multiples of `multiple` (and at least `minimum`).

    Returns (padded, (h, w)). Reflect padding (the edge pixel is not repeated); where the pad is longer
    than the image the reflection repeats (numpy's "reflect"), and a one-pixel axis is edge-padded.
    """
    if multiple < 1:
        raise ValueError(f"multiple must be >= 1, got {multiple}")
    h, w = img.shape[:2]
    widths = [(0, 0)] * img.ndim
    widths[0] = (0, padded_length(h, multiple, minimum) - h)
    widths[1] = (0, padded_length(w, multiple, minimum) - w)
    if widths[0][1] == 0 and widths[1][1] == 0:
        return img, (h, w)
    return np.pad(img, widths, mode="reflect"), (h, w)


def model_input(pixels: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1]: uint8 and uint16 pixels are scaled, floats taken as already in [-1, 1]."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) * np.float32(2.0 / 65535.0) - np.float32(1.0)
    return np.asarray(pixels, dtype=np.float32)


def run_whole(fn: ModelFn, img: np.ndarray, stride: int = 4) -> np.ndarray:
    """Run `fn` on the whole image (H, W, C) in one call: pad to `stride`, run, crop back to (H, W).

    An image smaller than ``min_side(stride)`` is padded up to it first.
    """
    img = _as_image(img)
    padded, (h, w) = pad_to_multiple(img, stride, min_side(stride))
    out = call_model(fn, model_input(padded)[None])[0]
    return np.ascontiguousarray(out[:h, :w], dtype=np.float32)


def run_tiled(
    fn: ModelFn,
    img: np.ndarray,
    tile: int = 512,
    overlap: int = 32,
    stride: int = 4,
    batch_size: int = 1,
    progress: Callable[[int], object] | None = None,
    finished: Finished | None = None,
    placed: bool = False,
) -> np.ndarray | None:
    """Run `fn` on overlapping `tile` x `tile` pieces of img (H, W, C) and blend them seamlessly.

    Tiles go through `fn` `batch_size` at a time; `progress`, if given, is called after each batch
    with the number of tiles that batch finished (so `tqdm.update` fits; `count_tiles` gives the total).
    An image no larger than one tile is run whole. With `finished`, the result is not returned but
    handed over in bands of rows as soon as no later tile touches them (float32, [-1, 1], cropped to W).
    With `placed`, `fn(batch, places)` also gets each tile's (row, column) in `plan_tiles(...).places`.
    """
    _check_tiling(tile, overlap, stride, batch_size)
    img = _as_image(img)
    h, w = img.shape[:2]
    if h <= tile and w <= tile:
        out = run_whole((lambda batch: fn(batch, [(0, 0)])) if placed else fn, img, stride)
        if progress is not None:
            progress(1)
        return _hand_over(out, finished)
    plan = plan_tiles(h, w, tile, overlap, stride)
    result = np.empty((h, w, img.shape[2]), np.float32) if finished is None else None
    blender = _Blender(plan, img.shape[2], finished or (lambda row, rows: _store(result, row, rows)))
    places = plan.places
    for first in range(0, len(places), batch_size):
        batch = places[first : first + batch_size]
        tiles = np.stack([plan.tile(img, i, j) for i, j in batch])
        if placed:
            outputs = call_model(lambda b: fn(b, batch), tiles)
        else:
            outputs = call_model(fn, tiles)
        for (i, j), out in zip(batch, outputs):
            blender.add(i, j, out)
        if progress is not None:
            progress(len(batch))
    blender.close()
    return result


def count_tiles(height: int, width: int, tile: int = 512, overlap: int = 32, stride: int = 4) -> int:
    """How many tiles `run_tiled` sends through the model for an image of this size."""
    _check_tiling(tile, overlap, stride, 1)
    if height <= tile and width <= tile:
        return 1
    rows = _tile_starts(padded_length(height, stride, min_side(stride)), tile, overlap, stride)
    cols = _tile_starts(padded_length(width, stride, min_side(stride)), tile, overlap, stride)
    return len(rows) * len(cols)


@dataclass(frozen=True)
class _AxisPlan:
    """Where tiles start along one axis, each tile's 1-D weight, the weights' sum, and what each tile owns."""

    size: int
    starts: tuple[int, ...]
    masks: tuple[np.ndarray, ...]
    total: np.ndarray
    owned: tuple[tuple[int, int], ...]  # (first, last + 1) in tile coordinates; they partition the axis

    def window(self, index: int) -> slice:
        return slice(self.starts[index], self.starts[index] + self.size)


@dataclass(frozen=True)
class TilePlan:
    """The tiles of an `height` x `width` image (before padding to the stride) and how they blend."""

    height: int
    width: int
    stride: int
    rows: _AxisPlan
    cols: _AxisPlan

    @property
    def places(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(len(self.rows.starts)) for j in range(len(self.cols.starts))]

    @property
    def tile_shape(self) -> tuple[int, int]:
        return self.rows.size, self.cols.size

    def tile(self, img: np.ndarray, i: int, j: int) -> np.ndarray:
        """Tile (i, j) as float32 model input, padded on the fly as `pad_to_multiple` pads the image."""
        rows = _padded_index(self.rows.window(i), self.height)
        cols = _padded_index(self.cols.window(j), self.width)
        return model_input(img[rows][:, cols])

    def owned(self, i: int, j: int) -> np.ndarray:
        """(size, size, 1) float32 mask of the pixels tile (i, j) owns: 1 inside, 0 elsewhere."""
        (top, bottom), (left, right) = self.rows.owned[i], self.cols.owned[j]
        mask = np.zeros(self.tile_shape + (1,), np.float32)
        mask[top:bottom, left:right] = 1.0
        return mask


def plan_tiles(height: int, width: int, tile: int = 512, overlap: int = 32, stride: int = 4) -> TilePlan:
    _check_tiling(tile, overlap, stride, 1)
    rows = _plan_axis(padded_length(height, stride, min_side(stride)), tile, overlap, stride)
    cols = _plan_axis(padded_length(width, stride, min_side(stride)), tile, overlap, stride)
    return TilePlan(height, width, stride, rows, cols)


def _padded_index(window: slice, length: int) -> np.ndarray:
    """Source rows of a window of the image padded at the end as numpy's "reflect" pads it.

    The reflection repeats where the pad is longer than the image (period 2 * (length - 1)); a
    one-pixel axis repeats its pixel.
    """
    index = np.arange(window.start, window.stop)
    if window.stop <= length:
        return index
    if length == 1:
        return np.zeros_like(index)
    period = 2 * (length - 1)
    folded = index % period
    return np.where(folded < length, folded, period - folded)


class _Blender:
    """Accumulates weighted tiles in a band of one tile's height and hands rows over once complete.

    Tiles must arrive in row-major order (the order of `TilePlan.places`).
    """

    def __init__(self, plan: TilePlan, channels: int, finished: Finished):
        self.plan = plan
        self.finished = finished
        width = plan.cols.total.shape[0]
        self.band = np.zeros((plan.rows.size, width, channels), np.float64)
        self.top = 0  # image row of band[0]
        self.emitted = 0  # rows already handed over

    def add(self, i: int, j: int, out: np.ndarray) -> None:
        rows, cols = self.plan.rows, self.plan.cols
        self._advance(rows.starts[i])
        weight = rows.masks[i][:, None, None] * cols.masks[j][None, :, None]
        offset = rows.starts[i] - self.top
        self.band[offset : offset + rows.size, cols.window(j)] += out * weight

    def _advance(self, start: int) -> None:
        """Rows above `start` get no more tiles: hand them over and move the band down to `start`."""
        if start <= self.top:
            return
        self._emit(start)
        shift = start - self.top
        self.band[:-shift] = self.band[shift:]
        self.band[-shift:] = 0.0
        self.top = start

    def _emit(self, stop: int) -> None:
        stop = min(stop, self.plan.height)
        if stop <= self.emitted:
            return
        rows = slice(self.emitted - self.top, stop - self.top)
        block = self.band[rows, : self.plan.width]
        # The masks are separable, so the accumulated weight is the outer product of per-axis sums.
        block = block / self.plan.rows.total[self.emitted : stop, None, None]
        block = block / self.plan.cols.total[None, : self.plan.width, None]
        self.finished(self.emitted, block.astype(np.float32))
        self.emitted = stop

    def close(self) -> None:
        self._emit(self.plan.height)


def _store(result: np.ndarray, row: int, rows: np.ndarray) -> None:
    result[row : row + rows.shape[0]] = rows


def _hand_over(out: np.ndarray, finished: Finished | None) -> np.ndarray | None:
    if finished is None:
        return out
    finished(0, out)
    return None


def _plan_axis(length: int, tile: int, overlap: int, stride: int) -> _AxisPlan:
    starts = _tile_starts(length, tile, overlap, stride)
    size = min(tile, length)
    ramp = _ramp(overlap)
    masks = []
    total = np.zeros(length, dtype=np.float64)
    for start in starts:
        mask = np.ones(size, dtype=np.float64)
        if start > 0:  # faces the previous tile
            mask[:overlap] *= ramp
        if start + size < length:  # faces the next tile
            mask[size - overlap :] *= ramp[::-1]
        masks.append(mask)
        total[start : start + size] += mask
    # A tile owns up to the middle of its overlap with the next one, kept on the stride grid.
    bounds = [0] + [_on_grid((starts[k] + starts[k - 1] + size) // 2, stride) for k in range(1, len(starts))]
    bounds.append(length)
    owned = tuple((bounds[k] - start, bounds[k + 1] - start) for k, start in enumerate(starts))
    return _AxisPlan(size=size, starts=starts, masks=tuple(masks), total=total, owned=owned)


def _on_grid(value: int, stride: int) -> int:
    return value - value % stride


def _tile_starts(length: int, tile: int, overlap: int, stride: int) -> tuple[int, ...]:
    """Starts `tile - overlap` apart, kept on the stride grid; the last tile is moved inward to fit."""
    if length <= tile:
        return (0,)
    step = tile - overlap
    if step >= stride:
        step -= step % stride  # aligned tiles see the same down-sampling grid as the whole image
    return tuple(range(0, length - tile, step)) + (length - tile,)


def _ramp(overlap: int) -> np.ndarray:
    """Rising weight over `overlap` pixels: zeros, a raised cosine, ones; ramp + ramp[::-1] == 1."""
    margin = overlap // 4
    n = overlap - 2 * margin
    t = (np.arange(n) + 0.5) / n if n else np.zeros(0)
    rise = 0.5 - 0.5 * np.cos(np.pi * t)
    return np.concatenate([np.zeros(margin), rise, np.ones(margin)])


def _check_tiling(tile: int, overlap: int, stride: int, batch_size: int) -> None:
    if stride < 1:
        raise AnimeGANError(f"stride must be at least 1, got {stride}")
    if overlap < 0:
        raise AnimeGANError(f"tile overlap must not be negative, got {overlap}")
    if tile <= 2 * overlap:
        raise AnimeGANError(f"tile size {tile} must be more than twice the overlap {overlap}")
    if tile % stride:
        raise AnimeGANError(f"tile size {tile} must be a multiple of the model stride {stride}")
    if batch_size < 1:
        raise AnimeGANError(f"tile batch size must be at least 1, got {batch_size}")


def _as_image(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype not in (np.uint8, np.uint16):
        img = img.astype(np.float32, copy=False)
    if img.ndim != 3:
        raise ValueError(f"expected an image of shape (H, W, C), got {img.shape}")
    return img


def call_model(fn: ModelFn, batch: np.ndarray) -> np.ndarray:
    out = np.asarray(fn(batch))
    if out.shape != batch.shape:
        raise AnimeGANError(
            f"the model returned shape {out.shape} for input {batch.shape}; it must keep the shape"
        )
    return out
