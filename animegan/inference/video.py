"""Stylizes video files: every frame through the model, sound and timing kept, per-file errors reported.

One video goes ``VideoReader`` (video_read.py) -> ``run_pipeline`` (video_pipeline.py) -> ``VideoWriter``
(video_write.py). Frames are scaled to the work size (``--max-side``), padded to the model's stride with
``pad_to_multiple`` and stacked ``batch_size`` at a time in the decode thread; the results are cropped,
scaled back to the input's size and encoded in the encode thread.

The result is written under a temporary name beside the output (``animegan.atomic.temporary_path``) and
renamed into place only when complete, so an error or Ctrl-C never leaves a half-written file at the output path;
the temporary file is removed then. A truncated or damaged input is stylized as far as it can be read;
the output is kept and the problem is reported (``VideoResult.problem``), which the CLI counts as a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import cv2
import numpy as np

from animegan.atomic import replacing
from animegan.errors import AnimeGANError
from animegan.inference.backends import Backend
from animegan.inference.batch import Summary, failure_line, remove_stale_temporaries
from animegan.inference.inputs import Job, OutputGuard
from animegan.inference.tiles import min_side, pad_to_multiple, padded_length
from animegan.inference.video_pipeline import Chunk, run_pipeline
from animegan.inference.video_read import VideoReader
from animegan.inference.video_write import EncodeOptions, VideoWriter

# uint8 -> the model's [-1, 1], as one table lookup.
_TO_MODEL = (np.arange(256, dtype=np.float32) / 127.5 - 1.0).astype(np.float32)


class Progress(Protocol):
    def update(self, n: int) -> object: ...


# (expected frame count or None, label) -> a context manager giving a Progress, e.g. a tqdm bar.
ProgressFactory = Callable[[int | None, str], AbstractContextManager[Progress]]


@dataclass(frozen=True)
class VideoOptions:
    max_side: int | None = None
    batch_size: int = 1  # frames per model call
    codec: str | None = None  # see video_write.VIDEO_CODECS; None: h264 (vp9 for .webm)
    crf: int | None = None  # None: the default quality (CRF 18)
    overwrite: bool = False


@dataclass(frozen=True)
class VideoResult:
    output: Path
    frames: int  # frames written
    expected_frames: int | None  # what the input declared
    problem: str | None = None  # set when the input could not be read to its end


@dataclass(frozen=True)
class FramePlan:
    """Sizes for one video: decoded at (height, width), modelled at work size padded to the stride."""

    height: int
    width: int
    work_height: int
    work_width: int
    stride: int

    @classmethod
    def plan(cls, height: int, width: int, max_side: int | None, stride: int) -> FramePlan:
        work_height, work_width = height, width
        if max_side and max(height, width) > max_side:  # the same rounding as stylize.limit_side
            scale = max_side / max(height, width)
            work_height, work_width = max(1, round(height * scale)), max(1, round(width * scale))
        return cls(height, width, work_height, work_width, stride)

    def to_model(self, frame: av.VideoFrame, out: np.ndarray) -> None:
        """Writes the frame, as model input padded to the stride, into ``out`` (H, W, 3) float32."""
        scaled = (frame.width, frame.height) != (self.work_width, self.work_height)
        rgb = frame.to_ndarray(
            format="rgb24",
            width=self.work_width,
            height=self.work_height,
            interpolation="AREA" if scaled else None,
            src_color_range=frame.color_range or None,
        )
        padded, _ = pad_to_multiple(rgb, self.stride, min_side(self.stride))
        np.take(_TO_MODEL, padded, out=out)

    def from_model(self, output: np.ndarray) -> list[np.ndarray]:
        """The model's (N, H, W, 3) output as RGB uint8 frames of the input's size."""
        values = output[:, : self.work_height, : self.work_width] * 127.5
        values += 128.0  # 127.5 to undo the offset, 0.5 to round
        frames = np.clip(values, 0, 255, out=values).astype(np.uint8)
        if (self.work_height, self.work_width) == (self.height, self.width):
            return list(frames)
        size = (self.width, self.height)
        return [cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC) for frame in frames]

    @property
    def padded_shape(self) -> tuple[int, int, int]:
        least = min_side(self.stride)
        return (
            padded_length(self.work_height, self.stride, least),
            padded_length(self.work_width, self.stride, least),
            3,
        )


def stylize_video(
    backend: Backend,
    job: Job,
    options: VideoOptions,
    note: Callable[[str], None] = lambda line: None,
    progress: ProgressFactory | None = None,
) -> VideoResult:
    """Stylizes one video file into ``job.output``; one-line ``AnimeGANError`` when it cannot."""
    if job.output.resolve() == job.source.resolve():
        raise AnimeGANError(f"refusing to overwrite the input {job.source}; choose another output folder")
    with VideoReader(job.source) as reader:
        for stream in reader.dropped:
            note(f"note: {job.source}: dropping {stream.type} stream #{stream.index} ({_codec_name(stream)})")
        frames = FramePlan.plan(reader.info.height, reader.info.width, options.max_side, backend.stride)
        encode = EncodeOptions(options.codec, options.crf)
        writer = None
        written = 0
        with replacing(job.output, what="video") as temporary:
            try:
                writer = VideoWriter(temporary, reader.info, reader.audio, encode, name=job.output, note=note)
                bar = progress(reader.info.expected_frames, job.source.name) if progress else nullcontext()
                with bar as shown:

                    def consume(chunk: Chunk) -> None:
                        nonlocal written
                        if chunk.output is not None:
                            for rgb, (pts, duration) in zip(frames.from_model(chunk.output), chunk.stamps):
                                writer.write_frame(rgb, pts, duration)
                            written += len(chunk.stamps)
                            if shown is not None:
                                shown.update(len(chunk.stamps))
                        for packet in chunk.extras:
                            writer.write_packet(packet)

                    run_pipeline(_chunks(reader, frames, options.batch_size), _checked(backend, job), consume)
                writer.close()
            except av.error.FFmpegError as error:
                _abort(writer)
                raise AnimeGANError(f"cannot write {job.output}: {error}") from None
            except BaseException:
                _abort(writer)
                raise
        return VideoResult(job.output, written, reader.info.expected_frames, reader.incomplete())


def stylize_videos(
    backend: Backend,
    jobs: list[Job],
    options: VideoOptions,
    report: Callable[[str], None] = print,
    progress: ProgressFactory | None = None,
    *,
    debug: bool = False,
) -> Summary:
    """Each video in turn; a failure is reported in one line and the next one still runs.

    A truncated or damaged video is stylized as far as it can be read: its output is kept (written)
    and the problem is reported (failed), so the run still ends non-zero. An unexpected error (a bug,
    or a library failing on a strange file) fails that video only; ``debug`` raises it instead, with
    its traceback. No output is ever an input of the run (``OutputGuard``).
    """
    jobs = list(jobs)
    guard = OutputGuard(jobs)
    remove_stale_temporaries(jobs, report)
    summary = Summary()
    for job in jobs:
        refusal = guard.refusal(job)
        if refusal is not None:
            summary.failed.append((job.source, refusal))
            report(f"error: {refusal}")
            continue
        if job.output.exists() and not options.overwrite:
            summary.skipped.append(job.output)
            report(f"skipped {job.source}: {job.output} exists (use --overwrite)")
            continue
        try:
            result = stylize_video(backend, job, options, note=report, progress=progress)
        except Exception as error:
            if debug and not isinstance(error, AnimeGANError):
                raise
            line = failure_line(job, error)
            summary.failed.append((job.source, line))
            report(f"error: {line}")
            continue
        summary.written.append(result.output)
        if result.problem:
            message = (
                f"{job.source} could not be read to its end: {result.problem}; "
                f"the {result.frames} frames read are in {result.output}"
            )
            summary.failed.append((job.source, message))
            report(f"error: {message}")
    return summary


def _chunks(reader: VideoReader, frames: FramePlan, batch_size: int) -> Iterator[Chunk]:
    """Batches of model-ready frames, each with the audio packets read while it filled."""
    batch = np.empty((batch_size, *frames.padded_shape), np.float32)
    stamps: list[tuple[int, int]] = []
    extras: list[av.Packet] = []
    for event in reader.events():
        if not isinstance(event, av.VideoFrame):
            extras.append(event)
            continue
        frames.to_model(event, batch[len(stamps)])
        stamps.append((event.pts, event.duration))
        if len(stamps) == batch_size:
            yield Chunk(batch, stamps, extras)
            batch = np.empty_like(batch)
            stamps, extras = [], []
    if stamps or extras:
        yield Chunk(batch[: len(stamps)] if stamps else None, stamps, extras)


def _checked(backend: Backend, job: Job) -> Callable[[np.ndarray], np.ndarray]:
    def run(batch: np.ndarray) -> np.ndarray:
        try:
            out = np.asarray(backend(batch))
        except Exception as error:
            if "ResourceExhausted" in type(error).__name__ or "out of memory" in str(error).lower():
                raise AnimeGANError(
                    f"out of memory on {job.source} ({batch.shape[0]} frames of {batch.shape[2]}x{batch.shape[1]}); "
                    "try a smaller --batch-size or --max-side"
                ) from None
            raise
        if out.shape != batch.shape:
            raise AnimeGANError(f"the model returned shape {out.shape} for input {batch.shape}; it must keep the shape")
        return out

    return run


def _abort(writer: VideoWriter | None) -> None:
    """Closes the half-written temporary; ``replacing`` then removes it."""
    if writer is not None:
        writer.abort()


def _codec_name(stream) -> str:
    context = getattr(stream, "codec_context", None)
    return context.name if context is not None else stream.type
