"""``animegan prepare``: a folder of style images -> the official AnimeGAN training layout.

DATA_DIR/style/   the style images, resized so the shorter side is ``size`` (PNG)
DATA_DIR/smooth/  the same images with their edges smoothed (CartoonGAN's edge_smooth.py, which
                  AnimeGAN ships as tools/edge_smooth.py): Canny(100, 200) on grayscale, dilate with a
                  5x5 square, and every pixel inside the dilated edges replaced by a 5x5 Gaussian
                  (cv2.getGaussianKernel(5, 0) outer product) of the reflect-padded image
DATA_DIR/data_mean.json  AnimeGANv2's colour offset (tools/data_mean.py): per-channel means over the
                  style set, as the B, G, R values to *add* so the three channel means become equal

Photos are never copied: training reads the user's photo folder directly. The official script squashes
every image to size x size; this keeps the aspect ratio, since the training pipeline crops anyway.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from animegan.atomic import write_text
from animegan.data.images import is_image_path, read_image, write_image
from animegan.errors import AnimeGANError, item_failure

CANNY_THRESHOLDS = (100, 200)
KERNEL_SIZE = 5
DATA_MEAN_FILE = "data_mean.json"


@dataclass(frozen=True)
class PrepareReport:
    """What ``prepare_style_dataset`` did: names written, (path, reason) skipped, the offset and its file."""

    written: list[str]
    skipped: list[tuple[Path, str]]
    data_mean_bgr: tuple[float, float, float]
    data_mean_path: Path
    extra: dict = field(default_factory=dict)


def edge_smooth(image: np.ndarray) -> np.ndarray:
    """The official edge smoothing of one uint8 (H, W, 3) image (channel order does not matter).

    Pixels within the 5x5-dilated Canny edges take the 5x5 Gaussian of the reflect-padded image,
    truncated to uint8 as the official loop's assignment into a uint8 array does; all others are kept.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, *CANNY_THRESHOLDS)
    dilated = cv2.dilate(edges, np.ones((KERNEL_SIZE, KERNEL_SIZE), np.uint8))
    gauss = cv2.getGaussianKernel(KERNEL_SIZE, 0)
    kernel = gauss @ gauss.T
    pad = KERNEL_SIZE // 2
    # np.pad "reflect" (no edge repeat) as the official code; correlating the padded image and keeping
    # the interior gives, at every pixel, the official sum of the 5x5 window times the kernel. The kernel
    # entries are multiples of 1/256, so the float64 sums are exact and truncation matches bit for bit.
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect").astype(np.float64)
    blurred = cv2.filter2D(padded, -1, kernel, borderType=cv2.BORDER_CONSTANT)[pad:-pad, pad:-pad]
    out = image.copy()
    mask = dilated != 0
    out[mask] = blurred[mask].astype(np.uint8)
    return out


def resize_shorter_side(image: np.ndarray, size: int) -> np.ndarray:
    """Resize so the shorter side is ``size`` (area filter when shrinking, bilinear when enlarging)."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_h, new_w) == (h, w):
        return image
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, new_h), interpolation=interpolation)


def channel_means_bgr(image: np.ndarray) -> np.ndarray:
    """Mean of B, G and R (0-255) of one RGB uint8 image."""
    return image.reshape(-1, 3).mean(axis=0, dtype=np.float64)[::-1]


def data_mean_from_channel_means(means_bgr: np.ndarray) -> tuple[float, float, float]:
    """tools/data_mean.py: with per-image B, G, R means (N, 3), (avg - B_mean, avg - G_mean, avg - R_mean)."""
    per_channel = np.asarray(means_bgr, np.float64).mean(axis=0)
    return tuple(float(per_channel.mean() - c) for c in per_channel)


def list_style_images(style_dir: Path) -> list[Path]:
    """Image files under ``style_dir`` (recursive, sorted); hidden files are ignored."""
    return sorted(
        p for p in style_dir.rglob("*") if p.is_file() and is_image_path(p) and not p.name.startswith(".")
    )


def _output_names(paths: list[Path], root: Path) -> list[str]:
    """Flat, unique PNG names: the relative path with '/' -> '__'; a clash keeps the extension in the name."""
    stems = ["__".join(p.relative_to(root).with_suffix("").parts) for p in paths]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem] = counts.get(stem, 0) + 1
    return [
        f"{stem}_{p.suffix.lstrip('.').lower()}.png" if counts[stem] > 1 else f"{stem}.png"
        for stem, p in zip(stems, paths)
    ]


def _prepare_one(path: Path, name: str, out_dir: Path, size: int) -> tuple[str, np.ndarray]:
    rgb = read_image(path).rgb  # AnimeGANError on an unreadable file
    image = np.rint(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    image = resize_shorter_side(image, size)
    write_image(out_dir / "style" / name, image.astype(np.float32) / 255.0)
    write_image(out_dir / "smooth" / name, edge_smooth(image).astype(np.float32) / 255.0)
    return name, channel_means_bgr(image)


def prepare_style_dataset(
    style_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    size: int = 256,
    workers: int | None = None,
    progress: Callable[[], None] | None = None,
) -> PrepareReport:
    """Build ``out_dir/{style,smooth}`` and ``out_dir/data_mean.json`` from the images in ``style_dir``.

    An image that fails (unreadable, or any unexpected error) is skipped and listed in the report with
    a one-line reason, and the others are still prepared; none prepared at all is an error.
    """
    style_dir, out_dir = Path(style_dir), Path(out_dir)
    if size < 8:
        raise AnimeGANError(f"--size must be at least 8, got {size}")
    if not style_dir.is_dir():
        raise AnimeGANError(f"style folder not found: {style_dir}")
    paths = list_style_images(style_dir)
    if not paths:
        raise AnimeGANError(f"no images in {style_dir} (supported: png, jpg, jpeg, bmp, webp, tif, tiff)")
    if out_dir.resolve() == style_dir.resolve():
        raise AnimeGANError("the output folder must differ from the style folder")
    names = _output_names(paths, style_dir)

    def work(job: tuple[Path, str]):
        try:
            return _prepare_one(job[0], job[1], out_dir, size)
        except Exception as error:  # one bad image is one skipped line (--debug: its traceback)
            return AnimeGANError(item_failure(job[0], error))
        finally:
            if progress is not None:
                progress()

    # OpenCV and the codecs release the GIL, so threads overlap the decoding and the smoothing.
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(work, zip(paths, names)))

    written, means, skipped = [], [], []
    for path, result in zip(paths, results):
        if isinstance(result, AnimeGANError):
            skipped.append((path, str(result)))
        else:
            written.append(result[0])
            means.append(result[1])
    if not written:
        raise AnimeGANError(f"none of the {len(paths)} images in {style_dir} could be read ({skipped[0][1]})")

    data_mean = data_mean_from_channel_means(np.stack(means))
    mean_path = out_dir / DATA_MEAN_FILE
    payload = {
        "data_mean_bgr": [round(v, 4) for v in data_mean],
        "images": len(written),
        "size": size,
        "definition": "per-channel offset (0-255) that AnimeGANv2 adds to each style image's B, G, R "
        "so the style set's channel means become equal (tools/data_mean.py)",
    }
    write_text(mean_path, json.dumps(payload, indent=2) + "\n")
    return PrepareReport(written, skipped, data_mean, mean_path)


def read_data_mean(data_dir: str | os.PathLike[str]) -> tuple[float, float, float] | None:
    """The B, G, R offset that ``prepare`` wrote into ``data_dir``, or None when the file is absent."""
    path = Path(data_dir) / DATA_MEAN_FILE
    if not path.is_file():
        return None
    try:
        values = json.loads(path.read_text())["data_mean_bgr"]
        b, g, r = (float(v) for v in values)
    except (ValueError, KeyError, TypeError) as error:
        raise AnimeGANError(f"cannot read {path}: {error}") from None
    return b, g, r
