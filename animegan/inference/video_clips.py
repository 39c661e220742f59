"""Synthetic test clips made with PyAV: for the tests and the benchmark, no files or ffmpeg needed.

``make_clip`` writes a moving gradient (not trivially compressible), or the pictures it is given (e.g.
pans across a random ``texture``), with, as asked, an audio tone, a rotation, irregular timestamps
(variable frame rate) or a subtitle stream. ``truncate`` cuts a file's bytes the way an interrupted
download or copy does. ``inspect_clip`` reads back what a test checks (frames and their times, rate,
duration, rotation, audio) with PyAV, so ffprobe is never needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def make_clip(
    path: str | Path,
    width: int = 176,
    height: int = 144,
    fps: int = 24,
    seconds: float = 2.0,
    audio: str | Sequence[str] | None = "aac",
    sample_rate: int = 44100,
    rotation: int | None = None,
    timestamps_ms: Sequence[int] | None = None,
    subtitles: bool = False,
    codec: str = "libx264",
    frames: Sequence[np.ndarray] | None = None,
    crf: int | None = None,
) -> Path:
    """Writes a clip; returns its path.

    ``audio``: an audio codec, or several (one stream each), for a 440 Hz tone lasting ``seconds``
    (None: no audio). ``rotation``:
    counter-clockwise degrees in the display matrix (as ``VideoFrame.rotation`` reads it back).
    ``timestamps_ms``: each frame's time in milliseconds, for a variable frame rate (overrides
    ``fps * seconds`` frames). ``frames``: RGB uint8 pictures of one size to write instead of the
    gradient (their size overrides ``width`` and ``height``, their number ``seconds``). ``crf``: the
    encoder's quality (default: its own). MP4 and MOV are written with the index first (``faststart``)
    so that a truncated copy still opens, as most real MP4 files do.
    """
    path = Path(path)
    if frames is not None:
        height, width = frames[0].shape[:2]
        seconds = len(frames) / fps
    options = {"movflags": "faststart"} if path.suffix.lower() in (".mp4", ".mov", ".m4v") else {}
    with av.open(str(path), "w", options=options) as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        if crf is not None:
            video.options = {"crf": str(crf)}
        if timestamps_ms is not None:
            video.codec_context.time_base = Fraction(1, 1000)
            video.codec_context.max_b_frames = 0  # B-frames make MP4 misstate a VFR track's length
        if rotation:
            video.set_display_rotation(rotation)
        codecs = [audio] if isinstance(audio, str) else list(audio or ())
        sounds = [out.add_stream(codec, rate=sample_rate, layout="mono") for codec in codecs]
        text = out.add_mux_stream("subrip") if subtitles else None
        if text is not None:
            text.time_base = Fraction(1, 1000)
        stamps = list(timestamps_ms) if timestamps_ms is not None else range(round(fps * seconds))
        for index, stamp in enumerate(stamps):
            picture = frames[index] if frames is not None else gradient(width, height, index)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            if timestamps_ms is not None:
                frame.pts, frame.time_base = stamp, Fraction(1, 1000)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for sound in sounds:
            _write_tone(out, sound, seconds, sample_rate)
        if text is not None:
            packet = av.Packet(b"a subtitle")
            packet.stream, packet.time_base = text, Fraction(1, 1000)
            packet.pts = packet.dts = 0
            packet.duration = 500
            out.mux(packet)
    return path


@dataclass(frozen=True)
class AudioFacts:
    codec: str
    sample_rate: int
    seconds: float  # decoded samples / sample rate


@dataclass(frozen=True)
class ClipFacts:
    width: int
    height: int
    pix_fmt: str
    codec: str
    times: list[float]  # every decoded frame's presentation time, seconds
    rate: Fraction | None  # the stream's average frame rate
    duration: float | None  # the container's, seconds
    rotation: int  # counter-clockwise degrees, from the first frame's display matrix
    audio: list[AudioFacts]
    other_streams: list[str]  # types of streams that are neither the video nor audio

    @property
    def frames(self) -> int:
        return len(self.times)


def inspect_clip(path: str | Path) -> ClipFacts:
    """Everything the tests check about a video file, read by decoding it."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = list(container.decode(video))
        facts = dict(
            width=frames[0].width,
            height=frames[0].height,
            pix_fmt=frames[0].format.name,
            codec=video.codec_context.name,
            times=[float(frame.pts * frame.time_base) for frame in frames],
            rate=video.average_rate,
            duration=container.duration / av.time_base if container.duration else None,
            rotation=frames[0].rotation,
        )
        others = [s.type for s in container.streams if s.type not in ("video", "audio")]
    audio = []
    with av.open(str(path)) as container:
        for stream in container.streams.audio:
            samples = sum(frame.samples for frame in container.decode(stream))
            audio.append(AudioFacts(stream.codec_context.name, stream.rate, samples / stream.rate))
            container.seek(0)
    return ClipFacts(**facts, audio=audio, other_streams=others)


def gradient(width: int, height: int, index: int) -> np.ndarray:
    """Frame ``index`` of a diagonal gradient that moves a few pixels a frame (RGB uint8)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x + 4 * index) % 256, (y + 2 * index) % 256, (x + y + index) % 256], axis=-1).astype(np.uint8)


def texture(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth random RGB uint8 picture: detail at a few scales, which optical flow can follow."""
    noise = np.random.default_rng(seed).uniform(0, 255, (height, width, 3)).astype(np.float32)
    picture = cv2.GaussianBlur(noise, (0, 0), 2.0) + 0.5 * cv2.GaussianBlur(noise, (0, 0), 6.0)
    picture = (picture - picture.min()) / (picture.max() - picture.min()) * 255
    return picture.astype(np.uint8)


def truncate(path: str | Path, keep: float, target: str | Path | None = None) -> Path:
    """A copy of ``path`` (or ``path`` itself) holding only its first ``keep`` share of bytes."""
    data = Path(path).read_bytes()
    target = Path(target or path)
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def _write_tone(out, sound, seconds: float, sample_rate: int) -> None:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    layout = sound.codec_context.layout.name
    fmt = sound.codec_context.format
    step = sound.codec_context.frame_size or 1024
    for start in range(0, tone.size, step):
        piece = tone[start : start + step]
        samples = _samples(piece, fmt.name.rstrip("p"))
        frame = av.AudioFrame.from_ndarray(samples[None], format=fmt.name, layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
        out.mux(sound.encode(frame))
    out.mux(sound.encode())


def _samples(values: np.ndarray, fmt: str) -> np.ndarray:
    """Values in [-1, 1] in the sample format ``fmt`` (u8, s16, s32, flt, dbl), mono."""
    if fmt == "u8":
        return np.round(values * 127 + 128).astype(np.uint8)
    if fmt in ("s16", "s32"):
        kind = np.int16 if fmt == "s16" else np.int32
        return np.round(values * np.iinfo(kind).max).astype(kind)
    return values.astype(np.float64 if fmt == "dbl" else np.float32)
