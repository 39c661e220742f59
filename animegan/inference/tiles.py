"""Running a fully convolutional model on an image, whole or in overlapping tiles (numpy only).

A model function is `fn(batch) -> batch`: float32 NHWC in [-1, 1] in, the same shape out, with H and W
multiples of `stride`. Tiling keeps the model's memory bounded by the tile size whatever the image size.

How tiles are blended: neighbouring tiles share at least `overlap` pixels. On each side of a tile that
faces another tile (not the image border) its weight rises over `overlap` pixels with a raised cosine;
the outer quarter of that band has weight zero, because a tile's outermost pixels were computed from the
model's own padding instead of real neighbours. The result is the weighted sum over the accumulated
weight. Where two tiles share exactly `overlap` pixels their weights sum to one (a plain cross-fade), and a
model whose receptive field reaches at most `overlap // 4` pixels gives exactly what `run_whole` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from animegan.errors import AnimeGANError

ModelFn = Callable[[np.ndarray], np.ndarray]


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


def run_whole(fn: ModelFn, img: np.ndarray, stride: int = 4) -> np.ndarray:
    """Run `fn` on the whole image (H, W, C) in one call: pad to `stride`, run, crop back to (H, W).

    An image smaller than ``min_side(stride)`` is padded up to it first.
    """
    img = _as_image(img)
    padded, (h, w) = pad_to_multiple(img, stride, min_side(stride))
    out = _call(fn, padded[None])[0]
    return np.ascontiguousarray(out[:h, :w], dtype=np.float32)


def run_tiled(
    fn: ModelFn,
    img: np.ndarray,
    tile: int = 512,
    overlap: int = 32,
    stride: int = 4,
    batch_size: int = 1,
    progress: Callable[[int], object] | None = None,
) -> np.ndarray:
    """Run `fn` on overlapping `tile` x `tile` pieces of img (H, W, C) and blend them seamlessly.

    Tiles go through `fn` `batch_size` at a time; `progress`, if given, is called after each batch
    with the number of tiles that batch finished (so `tqdm.update` fits; `count_tiles` gives the total).
    An image no larger than one tile is run whole.
    """
    _check_tiling(tile, overlap, stride, batch_size)
    img = _as_image(img)
    h, w = img.shape[:2]
    if h <= tile and w <= tile:
        out = run_whole(fn, img, stride)
        if progress is not None:
            progress(1)
        return out
    padded, _ = pad_to_multiple(img, stride, min_side(stride))
    rows = _plan_axis(padded.shape[0], tile, overlap, stride)
    cols = _plan_axis(padded.shape[1], tile, overlap, stride)
    # float64 so that blending identical tile outputs gives back exactly the float32 values.
    acc = np.zeros(padded.shape, dtype=np.float64)
    places = [(i, j) for i in range(len(rows.starts)) for j in range(len(cols.starts))]
    for first in range(0, len(places), batch_size):
        batch = places[first : first + batch_size]
        tiles = [padded[rows.window(i), cols.window(j)] for i, j in batch]
        outputs = _call(fn, np.stack(tiles))
        for (i, j), out in zip(batch, outputs):
            weight = rows.masks[i][:, None, None] * cols.masks[j][None, :, None]
            acc[rows.window(i), cols.window(j)] += out * weight
        if progress is not None:
            progress(len(batch))
    # The masks are separable, so the accumulated weight is the outer product of per-axis sums.
    acc /= rows.total[:, None, None]
    acc /= cols.total[None, :, None]
    return acc[:h, :w].astype(np.float32)


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
    """Where tiles start along one axis, each tile's 1-D weight, and the weights' sum per pixel."""

    size: int
    starts: tuple[int, ...]
    masks: tuple[np.ndarray, ...]
    total: np.ndarray

    def window(self, index: int) -> slice:
        return slice(self.starts[index], self.starts[index] + self.size)


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
    return _AxisPlan(size=size, starts=starts, masks=tuple(masks), total=total)


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
    img = np.asarray(img, dtype=np.float32)
    if img.ndim != 3:
        raise ValueError(f"expected an image of shape (H, W, C), got {img.shape}")
    return img


def _call(fn: ModelFn, batch: np.ndarray) -> np.ndarray:
    out = np.asarray(fn(batch))
    if out.shape != batch.shape:
        raise AnimeGANError(
            f"the model returned shape {out.shape} for input {batch.shape}; it must keep the shape"
        )
    return out
