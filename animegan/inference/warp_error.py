"""How much a video flickers: the warping error E_warp of Lai et al. (ECCV 2018), and PSNR between videos.

For consecutive frames t, t+1 of the INPUT, the flow F from t to t+1 and the forward-backward mask M
(flow.consistent) are measured once; then for any video O of the same frames (the input itself, a
per-frame result, a temporal result)

    E_warp(O_t, O_t+1) = sum_p M(p) |O_t(p) - O_t+1(p + F(p))|^2 / (3 sum_p M(p))

with RGB in [0, 1] (the mean over the kept pixels and the three channels, as Lai et al.'s own
evaluation code computes it), and E_warp(O) is the mean over all pairs. The input's own E_warp is the
floor: what flow errors, lighting and compression leave even where nothing flickers.

The flow here is DIS's ``medium`` preset on the full-size input frames: more accurate than, and
independent of, the ``fast`` flow on work-size frames that ``--temporal`` blends with.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.flow import FlowEstimator, consistent, gray, warp
from animegan.inference.video_read import VideoReader

PSNR_CAP_DB = 100.0  # identical frames: a finite number, so a mean over frames stays meaningful


@dataclass(frozen=True)
class VideoMetrics:
    pairs: int  # consecutive frame pairs measured
    e_warp: dict[str, float]  # video name -> its E_warp ("input" is the floor)
    psnr: dict[str, float]  # video name -> mean PSNR (dB) of "output" frames against it


def pair_error(first: np.ndarray, second: np.ndarray, flow: np.ndarray, mask: np.ndarray) -> float:
    """E_warp of one pair: ``second`` warped back to ``first`` along ``flow``, mean squared over ``mask``."""
    if not mask.any():
        return 0.0
    difference = _unit(first) - _unit(warp(second, flow))
    return float(np.mean(difference[mask] ** 2))


def psnr(first: np.ndarray, second: np.ndarray) -> float:
    """PSNR in dB of two uint8 (or [0, 1] float) images, capped at ``PSNR_CAP_DB``."""
    mse = float(np.mean((_unit(first) - _unit(second)) ** 2))
    return PSNR_CAP_DB if mse <= 10 ** (-PSNR_CAP_DB / 10) else 10 * math.log10(1.0 / mse)


def video_metrics(
    source: str | Path, videos: dict[str, str | Path], reference: str | None = None, preset: str = "medium"
) -> VideoMetrics:
    """E_warp of ``source`` (as "input") and of each named video, with the flow of ``source``'s frames.

    ``reference``: a name in ``videos``; the mean PSNR of every other video against it is reported too.
    The videos are read in step, two frames at a time; all must have ``source``'s frame size. Frames
    past the shortest video are not measured.
    """
    names = ["input", *videos]
    paths = [Path(source), *map(Path, videos.values())]
    estimate = FlowEstimator(preset)
    sums = dict.fromkeys(names, 0.0)
    psnrs = {name: 0.0 for name in videos if reference and name != reference}
    pairs = frames = 0
    previous = None
    for current in _in_step(paths):
        frames += 1
        if reference:
            for name in psnrs:
                psnrs[name] += psnr(current[names.index(name)], current[names.index(reference)])
        if previous is not None:
            first, second = gray(previous[0]), gray(current[0])
            flow = estimate(first, second)
            mask = consistent(flow, estimate(second, first))
            for name, before, after in zip(names, previous, current):
                sums[name] += pair_error(before, after, flow, mask)
            pairs += 1
        previous = current
    if pairs == 0:
        raise AnimeGANError(f"{source} has fewer than two frames (in every video given): nothing to measure")
    return VideoMetrics(pairs, {n: s / pairs for n, s in sums.items()}, {n: s / frames for n, s in psnrs.items()})


def _in_step(paths: list[Path]) -> Iterator[list[np.ndarray]]:
    """The RGB frames of every video, one list per frame index, until the shortest one ends."""
    readers = []
    try:
        for path in paths:
            readers.append(VideoReader(path))
        sizes = {(r.info.width, r.info.height) for r in readers}
        if len(sizes) > 1:
            shown = ", ".join(f"{p.name} {r.info.width}x{r.info.height}" for p, r in zip(paths, readers))
            raise AnimeGANError(f"the videos must have one frame size to be compared: {shown}")
        streams = [_frames(reader) for reader in readers]
        yield from (list(frames) for frames in zip(*streams))
    finally:
        for reader in readers:
            reader.close()


def _frames(reader: VideoReader) -> Iterator[np.ndarray]:
    for event in reader.events():
        if isinstance(event, av.VideoFrame):
            yield event.to_ndarray(format="rgb24", src_color_range=event.color_range or None)


def _unit(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)
