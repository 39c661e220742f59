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

import numpy as np

from animegan.inference.flow import FlowEstimator, consistent, gray, warp


@dataclass(frozen=True)
class TemporalOptions:
    weight: float = 0.6  # the previous result's share where the motion is fully trusted
    tolerance: float = 0.1  # mean |RGB difference| ([0, 1]) of the moved previous input at which trust ends
    cut: float = 0.4  # a frame with a smaller share of trusted pixels starts a new scene
    preset: str = "fast"  # DIS preset (flow.PRESETS)


@dataclass(frozen=True)
class Motion:
    """How one frame's pixels come from the previous frame's."""

    flow: np.ndarray  # (H, W, 2) from this frame to the previous one
    trust: np.ndarray  # (H, W, 1) float32 in [0, weight]: the warped previous result's share


class MotionTracker:
    """Feeds on the input frames in order; gives each one's ``Motion``, or None where a scene starts."""

    def __init__(self, options: TemporalOptions = TemporalOptions()):
        self.options = options
        self._flow = FlowEstimator(options.preset)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # (gray, rgb)

    def __call__(self, rgb: np.ndarray) -> Motion | None:
        """``rgb``: the frame (H, W, 3) uint8 as the model sees it (before padding)."""
        current = gray(rgb)
        previous, self._previous = self._previous, (current, rgb)
        if previous is None or previous[0].shape != current.shape:
            return None
        flow = self._flow(current, previous[0])
        trusted = consistent(flow, self._flow(previous[0], current)).astype(np.float32)
        difference = np.abs(warp(previous[1], flow).astype(np.int16) - rgb).mean(axis=-1) / 255.0
        trusted *= np.clip(1.0 - difference / self.options.tolerance, 0.0, 1.0)
        if np.count_nonzero(trusted) < self.options.cut * trusted.size:
            return None  # a scene cut (or motion too wild to follow): start afresh
        return Motion(flow, (self.options.weight * trusted)[..., None])


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
