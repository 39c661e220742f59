"""How much memory a photo needs, and the tile size that keeps it under a budget (numpy only).

The need is estimated from the model, not from the pixel count alone: ``activation_bytes`` is the
sum, per input pixel, of every layer's float32 output (``models.activation_bytes``, run symbolically;
exports carry it in their metadata). Runtimes keep only part of that alive at once; the factors
below are measured peak RSS over that sum (``animegan bench --photo-sizes`` prints estimate and
measurement side by side). The process's own size so far (the model loaded, the photo decoded) is
read from the OS, and the photo's own buffers are added per pixel.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass

from animegan.errors import AnimeGANError

GIB = 1024**3
DEFAULT_MAX_MEMORY = 2 * GIB
WHOLE_IMAGE_BYTES = 3 * 12.0  # a whole run's float32 copies of the photo: model input, output, clipped
MIN_TILE = 128  # below this, tiles are mostly overlap: an out-of-memory retry gives up there

# Peak RSS growth per pixel over activation_bytes, measured at 1 MP on a 2-core AMD EPYC: LiteRT with
# XNNPACK 0.38 (bundled default), TensorFlow 0.11 (default) and 0.10 (AnimeGANv2); rounded up for margin.
RUNTIME_FACTORS = {"tflite": 0.45, "tensorflow": 0.15}
FALLBACK_ACTIVATION_BYTES = 6000.0  # an export without the figure in its metadata: about an AnimeGANv2's

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class OutOfMemory(Exception):
    """A backend ran out of (GPU) memory on a batch: the caller retries with smaller tiles."""


def tensorflow_call(run, *args):
    """``run(*args)`` with TensorFlow's out-of-memory error raised as ``OutOfMemory`` (TF backends only)."""
    import tensorflow as tf

    try:
        return run(*args)
    except tf.errors.ResourceExhaustedError as error:
        raise OutOfMemory(str(error).splitlines()[0]) from error


def parse_size(text: str) -> int:
    """``"2G"``, ``"512M"``, ``"1.5GiB"``, ``"800000000"`` to bytes (K, M, G, T are powers of 1024)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        raise AnimeGANError(f"bad memory size {text!r}: expected e.g. 2G, 512M or 1.5G")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def format_size(size: float) -> str:
    for unit, scale in (("GiB", GIB), ("MiB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1024:.0f} KiB"


def process_bytes() -> int:
    """This process's peak resident size so far; 0 where the OS does not say (Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


_baseline: list[int] = []


def baseline_bytes() -> int:
    """The process's size when the first photo is planned (the model loaded), kept for every later one.

    Not the size now: after a big photo the peak includes that photo's run, and every later photo
    would get less room, and smaller tiles, than it has.
    """
    if not _baseline:
        _baseline.append(process_bytes())
    return _baseline[0]


@dataclass(frozen=True)
class MemoryPlan:
    """What a photo would need whole, the tile size (None: whole) that fits the budget, and how many
    pixels the coarse statistics pass may run on."""

    whole_bytes: int
    tile: int | None
    budget: int
    coarse_pixels: int
    tiled_bytes: int | None = None  # the estimate in those tiles

    def note(self, height: int, width: int, how: str | None = None) -> str:
        """The one line said when tiling kicks in; ``how`` replaces "N-pixel tiles"."""
        return (
            f"{width}x{height} needs about {format_size(self.whole_bytes)} whole, over the "
            f"{format_size(self.budget)} budget (--max-memory): {how or f'{self.tile}-pixel tiles'}"
        )


def plan_memory(
    budget: int,
    height: int,
    width: int,
    model_bytes_per_pixel: float,
    image_bytes_per_pixel: float,
    stride: int,
    overlap: int,
    band_bytes_per_pixel: float = 24.0,
    base: int | None = None,
) -> MemoryPlan:
    """The tile side (a multiple of ``stride``) whose model activations fit what the budget leaves.

    ``image_bytes_per_pixel``: the photo's own buffers (input, output) per pixel of the whole photo;
    ``band_bytes_per_pixel``: the blending band, one tile high and the photo wide (float64 RGB).
    """
    base = baseline_bytes() if base is None else base
    pixels = height * width
    fixed = base + image_bytes_per_pixel * pixels
    whole = int(fixed + (model_bytes_per_pixel + WHOLE_IMAGE_BYTES) * pixels)
    left = max(0.0, budget - fixed)
    coarse = max(MIN_TILE**2, int(left / model_bytes_per_pixel))
    if whole <= budget:
        return MemoryPlan(whole, None, budget, coarse)
    # model * t^2 + band * width * t = left, for the tile side t
    a, b = model_bytes_per_pixel, band_bytes_per_pixel * width
    side = (-b + math.sqrt(b * b + 4 * a * left)) / (2 * a)
    tile = int(min(side, max(height, width)))
    tile = max(tile - tile % stride, MIN_TILE - MIN_TILE % stride, 2 * overlap + stride)
    tiled = int(fixed + a * tile * tile + b * tile)
    return MemoryPlan(whole, tile, budget, coarse, tiled)


def smaller_tile(tile: int, stride: int, overlap: int) -> int | None:
    """The next tile size to try after running out of memory (half), or None below ``MIN_TILE``."""
    half = tile // 2
    half -= half % stride
    if half < max(MIN_TILE, 2 * overlap + stride):
        return None
    return half
