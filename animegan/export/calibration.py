"""Representative inputs for int8 calibration and export verification.

From ``--calibration DIR`` (photos, centre-cropped and resized to the calibration size) or, by default,
a fixed set of synthetic photo-like images: smooth colour fields, hard-edged shapes and fine texture,
so that the activation ranges of a photo (flat areas, edges, noise) are all seen. The synthetic set is
seeded: every export of the same model calibrates the same way. Latent-input models calibrate on
seeded standard-normal latents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from animegan.data.images import IMAGE_EXTENSIONS, read_image
from animegan.errors import AnimeGANError

DEFAULT_SIZE = (256, 256)
DEFAULT_COUNT = 16


def synthetic_photo(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """One photo-like HxWx3 float32 image in [0, 1]."""
    coarse = rng.uniform(0, 1, (max(2, height // 32), max(2, width // 32), 3)).astype(np.float32)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 9))):
        colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(max(2, min(height, width) // 16), max(3, min(height, width) // 3)))
        if rng.uniform() < 0.5:
            cv2.circle(image, (x, y), size, colour, -1, lineType=cv2.LINE_AA)
        else:
            cv2.rectangle(image, (x, y), (x + size, y + size // 2), colour, -1, lineType=cv2.LINE_AA)
    image += rng.normal(0, 0.03, image.shape).astype(np.float32)
    return np.clip(image, 0, 1)


def fit(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Centre-crops to the aspect ratio of HxW, then resizes (area filter when shrinking)."""
    h, w = rgb.shape[:2]
    scale = min(h / height, w / width)
    ch, cw = max(1, round(height * scale)), max(1, round(width * scale))
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = rgb[top : top + ch, left : left + cw]
    interpolation = cv2.INTER_AREA if scale > 1 else cv2.INTER_CUBIC
    return np.clip(cv2.resize(crop, (width, height), interpolation=interpolation), 0, 1).astype(np.float32)


def photo_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise AnimeGANError(f"calibration folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise AnimeGANError(f"no images in calibration folder {folder}")
    return files


def calibration_images(
    folder: str | Path | None,
    size: tuple[int, int] = DEFAULT_SIZE,
    count: int = DEFAULT_COUNT,
    seed: int = 0,
) -> list[np.ndarray]:
    """``count`` (at most) 1xHxWx3 float32 batches in [-1, 1]: the folder's photos or synthetic ones."""
    height, width = size
    if folder is None:
        rng = np.random.default_rng(seed)
        images = [synthetic_photo(height, width, rng) for _ in range(count)]
    else:
        images = [fit(read_image(path).rgb, height, width) for path in photo_files(folder)[:count]]
    return [(image * 2.0 - 1.0)[None].astype(np.float32) for image in images]


def calibration_latents(dim: int, count: int = DEFAULT_COUNT, seed: int = 0) -> list[np.ndarray]:
    """Standard-normal 1 x dim latents (what a latent-input generator is sampled with), seeded."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, dim)).astype(np.float32) for _ in range(count)]


def representative_dataset(images: list[np.ndarray]):
    """The callable the TFLite converter wants: yields one ``[batch]`` list per image."""

    def generate() -> Iterator[list[np.ndarray]]:
        for image in images:
            yield [image]

    return generate
