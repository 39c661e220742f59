"""Flicker-free video: each stylized frame blended with the previous result, moved along the input's motion.

Two halves, for the two ends of the video pipeline (video_pipeline.py):

- ``MotionTracker`` (decode thread) measures, from the INPUT frames at work size, how each frame's pixels
  came from the previous frame: DIS optical flow both ways (flow.py), and a trust map that is zero where
  the flow fails the forward-backward check (occluded or revealed areas, the frame border) or where the
  previous input, moved along the flow, does not look like this one (lighting changes, flow errors). A
  frame where too little can be trusted starts a new scene: no motion, so it is its own per-frame result.
- ``TemporalBlender`` (encode thread) mixes each stylized frame with the previous blended frame warped to
  it: ``out = stylized + trust * (warped - stylized)``, with ``trust <= weight``.

The recursion is a motion-compensated exponential average: per-frame noise that does not follow the
motion (flicker) shrinks, while new content (trust 0) comes through at once and the weight of an old
frame decays as ``weight ** age``, so nothing freezes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from animegan.inference.flow import FlowEstimator, consistent, gray, warp


@dataclass(frozen=True)
class TemporalOptions:
    weight: float = 0.6  # the previous result's share where the motion is fully trusted
    tolerance: float = 0.1  # mean |RGB difference| ([0, 1]) of the moved previous input at which trust ends
    cut: float = 0.4  # a frame with a smaller share of trusted pixels starts a new scene
    preset: str = "fast"  # DIS preset (flow.PRESETS)
    flow_side: int | None = 1280  # flow on frames scaled to at most this longer side (bounds its cost); None: as is


@dataclass(frozen=True)
class Motion:
    """How one frame's pixels come from the previous frame's."""

    flow: np.ndarray  # (H, W, 2) from this frame to the previous one
    trust: np.ndarray  # (H, W, 1) in [0, weight]: the warped previous result's share

    # Both are kept as float16 (a 64th of a pixel up to 32 px): they wait in the pipeline's queues
    # beside the model's float32 batches, so they add 6 bytes a pixel there, not 12.


class MotionTracker:
    """Feeds on the input frames in order; gives each one's ``Motion``, or None where a scene starts."""

    def __init__(self, options: TemporalOptions = TemporalOptions()):
        self.options = options
        self._flow = FlowEstimator(options.preset)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # (gray, rgb)

    def __call__(self, rgb: np.ndarray) -> Motion | None:
        """``rgb``: the frame (H, W, 3) uint8 as the model sees it (before padding)."""
        current = self._small(gray(rgb))
        previous, self._previous = self._previous, (current, rgb)
        if previous is None or previous[0].shape != current.shape:
            return None
        flow, reverse = self._flow(current, previous[0]), self._flow(previous[0], current)
        trusted = consistent(flow, reverse).astype(np.float32)
        if current.shape != rgb.shape[:2]:
            flow, trusted = _upscaled(flow, rgb.shape[:2]), cv2.resize(trusted, rgb.shape[1::-1])
        difference = cv2.transform(cv2.absdiff(warp(previous[1], flow), rgb).astype(np.float32), _MEAN_OF_RGB)
        trusted *= np.clip(1.0 - difference / self.options.tolerance, 0.0, 1.0)
        if np.count_nonzero(trusted) < self.options.cut * trusted.size:
            return None  # a scene cut (or motion too wild to follow): start afresh
        trust = (self.options.weight * trusted)[..., None]
        return Motion(flow.astype(np.float16), trust.astype(np.float16))

    def _small(self, frame: np.ndarray) -> np.ndarray:
        side = self.options.flow_side
        height, width = frame.shape
        if not side or max(height, width) <= side:
            return frame
        scale = side / max(height, width)
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


_MEAN_OF_RGB = np.full((1, 3), 1 / (3 * 255.0), np.float32)  # |RGB difference| -> mean of the channels in [0, 1]


def _upscaled(flow: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A flow measured on a smaller frame, for the frame of ``shape`` (positions and lengths scaled)."""
    height, width = shape
    big = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    big[..., 0] *= width / flow.shape[1]
    big[..., 1] *= height / flow.shape[0]
    return big


class TemporalBlender:
    """Blends the stylized frames in order; give each its ``MotionTracker`` result."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None

    def __call__(self, stylized: np.ndarray, motion: Motion | None) -> np.ndarray:
        """``stylized``: (H, W, 3) uint8 at work size; returns the blended frame, same shape and type."""
        if motion is None or self._previous is None or self._previous.shape != stylized.shape:
            out = stylized
        else:
            moved = warp(self._previous, motion.flow).astype(np.float32)
            mixed = stylized + motion.trust * (moved - stylized)
            out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        self._previous = out
        return out
