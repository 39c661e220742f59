"""A cel-shading target maker: photo → flat colours with dark ink lines, for paired (distillation) training.

``cel_shade`` is a slow, hand-written filter (edge-preserving smoothing, colour quantization, ink edges)
that a small generator can learn to imitate; ``make_pairs`` writes (photo, target) pairs for that.
Everything is deterministic: the same input gives the same bytes on every run (k-means starts from
fixed, evenly spaced lightness seeds rather than random ones).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from animegan.data.images import is_image_path, read_image, write_image
from animegan.errors import AnimeGANError, item_failure


def cel_shade(
    rgb: np.ndarray,
    levels: int = 8,
    edge_strength: float = 0.8,
    *,
    smoothing_passes: int = 3,
    edge_block: int = 9,
    edge_offset: float = 6.0,
    edge_width: int = 2,
) -> np.ndarray:
    """The cel-shaded version of ``rgb`` ((H, W, 3) float in [0, 1]); same shape, float32 in [0, 1].

    - smoothing: ``smoothing_passes`` bilateral filters flatten texture but keep contours;
    - quantization: k-means with ``levels`` colours in CIE Lab (perceptual distances), so the output has
      at most ``levels`` distinct colours before the ink is drawn;
    - ink: an adaptive threshold on the smoothed lightness marks pixels clearly darker than their
      ``edge_block``-pixel neighbourhood (by ``edge_offset`` of 255): lines at contours, nothing in flat
      regions; they are thickened to ``edge_width`` pixels and darken the colours by ``edge_strength``
      (0: no lines, 1: black lines).
    """
    image = _check_rgb(rgb)
    if levels < 2:
        raise ValueError(f"levels must be at least 2, got {levels}")
    if not 0.0 <= edge_strength <= 1.0:
        raise ValueError(f"edge_strength must be in [0, 1], got {edge_strength}")
    smooth = _smooth(image, smoothing_passes)
    flat = _quantize_lab(smooth, levels)
    if edge_strength == 0.0:
        return flat
    ink = ink_mask(smooth, block=edge_block, offset=edge_offset, width=edge_width)
    return (flat * (1.0 - edge_strength * ink[..., None])).astype(np.float32)


def ink_mask(
    rgb: np.ndarray, *, block: int = 9, offset: float = 6.0, width: int = 2, min_area: int = 12
) -> np.ndarray:
    """(H, W) float32 in {0, 1}: 1 where an ink line goes (dark side of a contour, thickened).

    Dark blobs smaller than ``min_area`` pixels (texture, noise) are dropped before thickening.
    """
    gray = cv2.cvtColor(_to_uint8(rgb), cv2.COLOR_RGB2GRAY)
    block = max(3, block | 1)  # odd, as adaptiveThreshold requires
    lines = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, offset
    )
    # Specks (small dark blobs of texture that survived smoothing) are not lines.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False  # the background label
    lines = np.where(keep[labels], 255, 0).astype(np.uint8)
    if width > 1:
        lines = cv2.dilate(lines, np.ones((width, width), np.uint8))
    return (lines > 0).astype(np.float32)


def _smooth(image: np.ndarray, passes: int) -> np.ndarray:
    out = _to_uint8(image)
    for _ in range(passes):
        out = cv2.bilateralFilter(out, d=7, sigmaColor=40, sigmaSpace=7)
    return out.astype(np.float32) / 255.0


def _quantize_lab(rgb: np.ndarray, levels: int) -> np.ndarray:
    """Deterministic k-means in Lab: centres start at evenly spaced lightness quantiles, fixed iterations."""
    lab = cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    # Cluster a fixed, regular subsample (fast on big photos), then label every pixel.
    step = max(1, lab.shape[0] // 20000)
    sample = lab[::step].astype(np.float64)
    order = np.argsort(sample[:, 0], kind="stable")
    picks = order[np.linspace(0, len(order) - 1, levels).round().astype(int)]
    centres = sample[picks].copy()
    for _ in range(12):
        labels = _nearest(sample, centres)
        for k in range(levels):
            members = sample[labels == k]
            if len(members):
                centres[k] = members.mean(axis=0)
    labels = _nearest(lab.astype(np.float64), centres)
    flat_lab = centres[labels].astype(np.float32).reshape(rgb.shape)
    flat = cv2.cvtColor(flat_lab, cv2.COLOR_Lab2RGB)
    return np.clip(flat, 0.0, 1.0).astype(np.float32)


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # Explicit squared differences, not the BLAS |p|^2 - 2p.c + |c|^2 trick: no thread pool to wait on,
    # and the same result on every machine (BLAS kernels may round differently), so targets are reproducible.
    distances = np.empty((points.shape[0], centres.shape[0]), np.float64)
    for k, centre in enumerate(centres):
        diff = points - centre
        distances[:, k] = np.einsum("ij,ij->i", diff, diff)
    return distances.argmin(axis=1)


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    image = np.asarray(rgb, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
    return np.clip(np.nan_to_num(image, nan=0.0), 0.0, 1.0)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def center_crop_resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """The largest centred square, resized to ``size`` x ``size`` (area filter when shrinking)."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = rgb[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(square)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.clip(cv2.resize(square, (size, size), interpolation=interpolation), 0.0, 1.0)


@dataclass
class PairsReport:
    written: list[str] = field(default_factory=list)  # output names (NAME.png)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (input, reason)


def make_pairs(
    photo_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    size: int = 256,
    *,
    levels: int = 8,
    progress=None,
) -> PairsReport:
    """Writes ``out_dir/photos/NAME.png`` and ``out_dir/targets/NAME.png`` for every photo (recursive).

    Photos are centre-cropped to a square and resized to ``size``; the target is ``cel_shade`` of that
    crop. Names are the relative path with '/' → '__'. A photo that fails (unreadable, or any unexpected
    error) is listed in the report with a one-line reason and skipped; ``progress`` (optional) is called
    once per input.
    """
    photo_dir, out_dir = Path(photo_dir), Path(out_dir)
    if not photo_dir.is_dir():
        raise AnimeGANError(f"photo folder not found: {photo_dir}")
    if size < 8:
        raise AnimeGANError(f"--size must be at least 8, got {size}")
    paths = sorted(
        p for p in photo_dir.rglob("*") if p.is_file() and is_image_path(p) and not p.name.startswith(".")
    )
    if not paths:
        raise AnimeGANError(f"no images in {photo_dir}")
    report = PairsReport()
    for path, name in zip(paths, _pair_names(paths, photo_dir)):
        try:
            photo = center_crop_resize(read_image(path).rgb, size)
            target = cel_shade(photo, levels=levels)
            write_image(out_dir / "targets" / name, target)  # first: a photo never lacks its target
            write_image(out_dir / "photos" / name, photo)
        except Exception as error:  # one bad photo is one skipped line (--debug: its traceback)
            report.skipped.append((path, item_failure(path, error)))
        else:
            report.written.append(name)
        if progress is not None:
            progress(1)
    return report


def _pair_names(paths: list[Path], root: Path) -> list[str]:
    """Flat unique PNG names: relative path with '/' → '__'; clashing stems keep their extension."""
    stems = ["__".join(p.relative_to(root).with_suffix("").parts) for p in paths]
    clashes = {stem for stem in stems if stems.count(stem) > 1}
    return [
        f"{stem}_{p.suffix.lstrip('.').lower()}.png" if stem in clashes else f"{stem}.png"
        for stem, p in zip(stems, paths)
    ]
