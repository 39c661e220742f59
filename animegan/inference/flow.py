"""Dense optical flow between video frames, backward warping, and which pixels the flow can be trusted at.

Convention: ``flow = estimate(first, second)`` says where each pixel of ``first`` went, so that
``first[p] ~ second[p + flow[p]]``; ``warp(second, flow)`` samples ``second`` at ``p + flow[p]`` and so
gives ``first``'s view of it. Flow is (H, W, 2) float32, (dx, dy) in pixels.

The flow is OpenCV's DIS (Kroeger et al., ECCV 2016). The ``fast`` preset, which the video path uses
beside the model, takes about 11 ms at 640x360 and 22 ms at 1024x436 on one shared core of a loaded
2-core AMD EPYC (4-6 ms at 640x360 on an idle core); ``medium`` is five to six times slower and more
accurate, for measurements (``warp_error``).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def gray(rgb: np.ndarray) -> np.ndarray:
    """The uint8 luma plane DIS works on, from RGB uint8 (or float in [0, 1])."""
    if rgb.dtype != np.uint8:
        rgb = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


class FlowEstimator:
    """DIS optical flow with one preset. Not thread-safe: one estimator per thread."""

    def __init__(self, preset: str = "fast"):
        self._dis = cv2.DISOpticalFlow_create(PRESETS[preset])

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow from ``first`` to ``second``, both uint8 gray frames of one size."""
        return self._dis.calc(first, second, None)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``p + flow[p]`` (bilinear; beyond the border the edge pixel repeats)."""
    map_x, map_y = _targets(flow)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistent(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Where ``flow`` (first -> second) can be trusted, as a bool (H, W) mask over ``first``.

    A pixel is kept when it lands inside ``second`` and the reverse flow (second -> first) taken from
    where it lands leads back to it: ``|flow + reverse(p + flow)|^2 <= 0.01 (|flow|^2 + |reverse|^2) + 0.5``,
    the forward-backward check of Sundaram et al. (ECCV 2010) with the thresholds Ruder et al. and
    Lai et al. use. Pixels that are occluded in ``second`` (or revealed in ``first``) fail it.
    """
    map_x, map_y = _targets(flow)
    back = cv2.remap(reverse, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = np.sum((flow + back) ** 2, axis=-1)
    bound = 0.01 * (np.sum(flow**2, axis=-1) + np.sum(back**2, axis=-1)) + 0.5
    height, width = flow.shape[:2]
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    return (error <= bound) & inside


def _targets(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sampling positions ``p + flow[p]`` as the two float32 maps ``cv2.remap`` takes."""
    grid_x, grid_y = _grid(*flow.shape[:2])
    return grid_x + flow[..., 0], grid_y + flow[..., 1]


@lru_cache(maxsize=8)
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x.flags.writeable = y.flags.writeable = False  # shared between calls (and threads)
    return x, y
