"""Whole-image statistics for tiled inference, so that tiles look like the whole image (numpy only).

Instance and layer norms normalize with statistics of the picture they see; a tile sees only itself, so
naive tiles get their own contrast and colour (24.7 dB against the whole image on a 1536x1024 photo in
512-pixel tiles). Here every tile normalizes with the statistics the whole image would have had.

The statistics of site k depend on the outputs of the sites before it, normalized with *their* whole-image
statistics, so they cannot be summed over tiles in one pass. How they are found (a two-grid scheme):

1. **Coarse pass**: a downscaled copy (at most ``coarse_pixels``, half the size at most) runs whole with
   its own statistics: ``S0``, consistent from site to site but measured at the wrong resolution.
2. **Fine pass**: every full-resolution tile runs with ``S0`` and measures, per site, the pixels it owns
   (the owned regions partition the image); summed: ``M``, what the full image shows each site when the
   sites before it use ``S0``. The resolution's defect is ``D = M - S0`` (variances: ``M / S0``).
3. **Correction pass**: the copy runs again with each site's own statistics shifted by ``D`` as it goes.
   Sites are solved in graph order within this one pass, so each one sees the corrected sites before it:
   ``S1 = own + D``, the fixed point of "statistics = what the full image shows" up to how the
   coarse and the fine image react differently to a change of statistics (a second-order effect).
4. The output pass runs every tile with ``S1``.

So tiles cost two full-resolution passes instead of one, plus two passes over the small copy.

Measured on a Kodak photo, 256-pixel tiles, bundled default model (see docs/big-photos.md): naive tiles
30.0 dB, ``S0`` alone 28.4-36.1 dB (copy at 1/4 or 1/2), ``S1`` 55.8-61.7 dB, exact statistics 62.3 dB.
Feeding ``M`` straight back (``S <- M(S)``, a streaming pass per round) diverges instead: a site's new
statistics were measured under the *old* statistics of the sites before it, and the mismatch compounds
through the network (6.5 dB after three rounds). A fine pass over a sample of the tiles, paired with
the same pixels of the copy, was measured too and dropped: on a 1536x1024 photo in 35 tiles of 256,
half of them gave 54.9 dB, a quarter 35.9 dB, all of them 62.8 dB (the defect depends on each region's
detail, so a sample misses it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from animegan.inference.tiles import ModelFn, TilePlan, model_input
from animegan.layers.norm_sites import NormSite

VARIANCE_FLOOR = 1e-5  # the norms' epsilon: variance ratios are taken of variance + floor


class StatisticsRunner(Protocol):
    """A model that takes and gives the statistics of its normalization sites (see models.norm_statistics).

    ``__call__(batch, mask, own, means, variances) -> (stylized, measured means, measured variances)``:
    batch (N, H, W, 3) float32 in [-1, 1], mask (N, H, W, 1), own 0.0 or 1.0, and per site (N, groups)
    float32 arrays. ``max_size`` is the largest (H, W) it takes (fixed-shape exports), or None.
    """

    sites: tuple[NormSite, ...]
    max_size: tuple[int, int] | None

    def __call__(
        self, batch: np.ndarray, mask: np.ndarray, own: float, means: list[np.ndarray], variances: list[np.ndarray]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]: ...


class NoSites:
    """The runner of a model without instance or layer norms: its tiles need nothing handed over."""

    sites: tuple[NormSite, ...] = ()
    max_size = None


@dataclass(frozen=True)
class Statistics:
    """Per site: mean and variance, (groups,) float64 each."""

    means: tuple[np.ndarray, ...]
    variances: tuple[np.ndarray, ...]

    @classmethod
    def neutral(cls, sites: tuple[NormSite, ...]) -> Statistics:
        """Zero shifts and unit scales: with ``own = 1`` the model runs on its own statistics."""
        return cls(tuple(np.zeros(s.groups) for s in sites), tuple(np.ones(s.groups) for s in sites))

    def batch(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        def rows(values):
            return [np.repeat(v[None].astype(np.float32), n, axis=0) for v in values]

        return rows(self.means), rows(self.variances)

    def change(self, other: Statistics) -> float:
        """The largest shift from self to other, in units of self's standard deviation (0: the same)."""
        worst = 0.0
        for m0, v0, m1, v1 in zip(self.means, self.variances, other.means, other.variances):
            std0, std1 = np.sqrt(v0 + VARIANCE_FLOOR), np.sqrt(v1 + VARIANCE_FLOOR)
            worst = max(worst, float(np.max(np.abs(m1 - m0) / std0 + np.abs(std1 / std0 - 1.0))))
        return worst


class _Moments:
    """Whole-image mean and variance per site, summed over owned regions (float64, centred on ``centre``)."""

    def __init__(self, sites: tuple[NormSite, ...], centre: Statistics):
        self.sites = sites
        self.centre = centre.means
        self.weight = np.zeros(len(sites))
        self.first = [np.zeros(s.groups) for s in sites]
        self.second = [np.zeros(s.groups) for s in sites]

    def add(self, mask: np.ndarray, means: list[np.ndarray], variances: list[np.ndarray]) -> None:
        """One batch: masks (N, H, W, 1) and the measured (N, groups) means and variances per site."""
        area = mask.reshape(mask.shape[0], -1).sum(axis=1, dtype=np.float64)
        for k, site in enumerate(self.sites):
            weight = area / site.scale**2  # the mask average-pooled to the site's resolution
            shift = np.asarray(means[k], np.float64) - self.centre[k]
            self.weight[k] += weight.sum()
            self.first[k] += (weight[:, None] * shift).sum(axis=0)
            self.second[k] += (weight[:, None] * (np.asarray(variances[k], np.float64) + shift**2)).sum(axis=0)

    def result(self) -> Statistics:
        means, variances = [], []
        for k in range(len(self.sites)):
            first = self.first[k] / self.weight[k]
            means.append(self.centre[k] + first)
            variances.append(np.maximum(self.second[k] / self.weight[k] - first**2, 0.0))
        return Statistics(tuple(means), tuple(variances))


def coarse_copy(img: np.ndarray, pixels: int, stride: int, max_size: tuple[int, int] | None = None) -> np.ndarray:
    """The downscaled copy of the coarse passes: at most ``pixels`` and half the size, on the stride grid."""
    height, width = img.shape[:2]
    scale = min(0.5, float(np.sqrt(pixels / (height * width))))
    if max_size is not None:
        scale = min(scale, max_size[0] / height, max_size[1] / width)
    size = (max(stride, int(width * scale) // stride * stride), max(stride, int(height * scale) // stride * stride))
    return model_input(cv2.resize(img, size, interpolation=cv2.INTER_AREA))


def _coarse(runner: StatisticsRunner, copy: np.ndarray, shift: Statistics) -> Statistics:
    """Own statistics of the copy, each site shifted by ``shift`` as the pass goes (the used statistics)."""
    means, variances = shift.batch(1)
    _, measured_means, measured_variances = runner(copy[None], np.ones((1,) + copy.shape[:2] + (1,), np.float32), 1.0, means, variances)
    return Statistics(
        tuple(np.asarray(m[0], np.float64) + d for m, d in zip(measured_means, shift.means)),
        tuple(np.asarray(v[0], np.float64) * r for v, r in zip(measured_variances, shift.variances)),
    )


def _fine(
    runner: StatisticsRunner,
    img: np.ndarray,
    plan: TilePlan,
    statistics: Statistics,
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> Statistics:
    """Every tile with fixed ``statistics``: the whole image's statistics, from the pixels each tile owns."""
    moments = _Moments(runner.sites, statistics)
    places = plan.places
    for first in range(0, len(places), batch_size):
        batch = places[first : first + batch_size]
        tiles = np.stack([plan.tile(img, i, j) for i, j in batch])
        masks = np.stack([plan.owned(i, j) for i, j in batch])
        means, variances = statistics.batch(len(batch))
        _, measured_means, measured_variances = runner(tiles, masks, 0.0, means, variances)
        moments.add(masks, measured_means, measured_variances)
        if progress is not None:
            progress(len(batch))
    return moments.result()


def whole_statistics(
    runner: StatisticsRunner,
    img: np.ndarray,
    plan: TilePlan,
    coarse_pixels: int,
    batch_size: int = 1,
    progress: Callable[[int], object] | None = None,
) -> Statistics:
    """The statistics every tile of ``plan`` should normalize with (see the module docstring).

    ``progress`` is called with the number of tiles of each batch of the fine pass.
    """
    copy = coarse_copy(img, coarse_pixels, plan.stride, runner.max_size)
    start = _coarse(runner, copy, Statistics.neutral(runner.sites))
    measured = _fine(runner, img, plan, start, batch_size, progress)
    defect = Statistics(
        tuple(m - s for m, s in zip(measured.means, start.means)),
        tuple((m + VARIANCE_FLOOR) / (s + VARIANCE_FLOOR) for m, s in zip(measured.variances, start.variances)),
    )
    return _coarse(runner, copy, defect)


def with_statistics(runner: StatisticsRunner, statistics: Statistics) -> ModelFn:
    """The model as ``fn(batch) -> batch`` that normalizes every site with fixed ``statistics``."""

    def run(batch: np.ndarray) -> np.ndarray:
        mask = np.ones(batch.shape[:3] + (1,), np.float32)
        means, variances = statistics.batch(batch.shape[0])
        return runner(batch, mask, 0.0, means, variances)[0]

    return run
