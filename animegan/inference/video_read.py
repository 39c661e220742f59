"""Reading a video for stylization with PyAV: its picture decoded, its audio passed on as packets.

``VideoReader`` opens a file, picks the picture stream (the first video stream that is not cover art)
and every audio stream, and decodes up to the first frame so the writer can be set up before the
pipeline starts (size, colour tags, rotation). ``events()`` then yields, in file order, decoded
``av.VideoFrame`` objects and the audio ``av.Packet`` objects, timestamps shifted so the file starts at
zero. Reading never stops at a damaged packet: problems are collected in ``problems`` and
``incomplete()`` tells afterwards whether the file ended early (truncated) or had unreadable parts.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from animegan.errors import AnimeGANError

_DEFAULT_RATE = Fraction(25)


@dataclass(frozen=True)
class VideoInfo:
    """What the writer needs to know about the picture stream before the first frame is encoded."""

    width: int
    height: int
    time_base: Fraction
    rate: Fraction  # average frame rate: the encoder's rate control and the container's header
    constant_rate: bool  # every frame is known to be 1 / rate long (False when unsure)
    display_matrix: tuple[int, ...] | None  # FFmpeg's 3x3 DISPLAYMATRIX (rotation and flips), if any
    colorspace: int  # FFmpeg AVColorSpace / AVColorRange / AVColorPrimaries / AVColorTransferCharacteristic
    color_range: int
    color_primaries: int
    color_trc: int
    expected_frames: int | None  # what the container declares or its duration implies
    duration: float | None  # seconds, as the container declares


class VideoReader:
    """An open input video; close it (or use ``with``) when done."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.container = av.open(str(path), metadata_errors="replace")
        except (av.error.FFmpegError, OSError) as error:
            raise AnimeGANError(f"cannot read video {path}: {_reason(error)}") from None
        try:
            self.video = _picture_stream(self.container, self.path)
            self.audio = list(self.container.streams.audio)
            kept = {self.video.index} | {s.index for s in self.audio}
            self.dropped = [s for s in self.container.streams if s.index not in kept]
            self.problems: list[str] = []
            self.frames_read = 0
            self._read_until = 0.0
            self._offset = _start_offset(self.container)
            self._last_pts: int | None = None
            self.video.codec_context.thread_type = "AUTO"
            self._packets = self.container.demux(self.video, *self.audio)
            self._done = False
            self._pending = self._read_to_first_frame()
            self.info = _describe(self.container, self.video, self._pending[-1])
        except BaseException:
            self.container.close()
            raise

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()

    def events(self) -> Iterator[av.VideoFrame | av.Packet]:
        """Decoded frames of the picture stream and packets of the audio streams, in file order."""
        pending, self._pending = self._pending, []
        yield from pending
        while (events := self._step()) is not None:
            yield from events

    def incomplete(self) -> str | None:
        """Why the file could not be read to its end, or None when it was."""
        duration = self.info.duration
        tolerance = max(0.25, 2 / float(self.info.rate))
        if duration and self._read_until < duration - tolerance:
            return f"it ends early, at {self._read_until:.2f} s of {duration:.2f} s (truncated?)"
        if self.problems:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            return f"parts could not be read: {self.problems[0]}{more}"
        return None

    def _read_to_first_frame(self) -> list[av.VideoFrame | av.Packet]:
        pending: list[av.VideoFrame | av.Packet] = []
        while (events := self._step()) is not None:
            pending += events
            if any(isinstance(event, av.VideoFrame) for event in events):
                return pending
        reason = self.problems[0] if self.problems else "it has no frames"
        raise AnimeGANError(f"cannot read video {self.path}: no frame could be decoded ({reason})")

    def _step(self) -> list[av.VideoFrame | av.Packet] | None:
        """What the next packet gives (frames, an audio packet or nothing); None at the end.

        A read error ends the file there, after the decoder has given back the frames it still holds.
        """
        if self._done:
            return None
        try:
            packet = next(self._packets)
        except StopIteration:
            self._done = True
            return None
        except av.error.FFmpegError as error:
            self.problems.append(f"reading stopped: {_reason(error)}")
            self._done = True
            return self._decode(None)
        self._shift(packet)
        if packet.stream is self.video:
            return self._decode(packet if packet.size else None)  # empty packets at the end flush
        if packet.is_corrupt:  # cut short: copied, it would be a broken packet in the output
            stamp = packet.pts if packet.pts is not None else (packet.dts or 0)
            self.problems.append(f"a damaged {packet.stream.type} packet at {float(stamp * packet.time_base):.2f} s")
            return []
        return [packet] if packet.size else []

    def _shift(self, packet: av.Packet) -> None:
        time_base = packet.stream.time_base
        ticks = round(self._offset / time_base) if self._offset else 0
        for name in ("dts", "pts"):
            value = getattr(packet, name)
            if value is not None and ticks:
                setattr(packet, name, value - ticks)
        end = packet.pts if packet.pts is not None else packet.dts
        if end is not None and packet.size:
            self._read_until = max(self._read_until, float((end + (packet.duration or 0)) * time_base))

    def _decode(self, packet: av.Packet | None) -> list[av.VideoFrame]:
        try:
            frames = self.video.decode(packet)
        except av.error.FFmpegError as error:
            self.problems.append(f"near frame {self.frames_read + 1}: {_reason(error)}")
            return []
        for frame in frames:
            self._retime(frame)
        self.frames_read += len(frames)
        return frames

    def _retime(self, frame: av.VideoFrame) -> None:
        """Keeps each frame's own timestamp; a missing or repeated one goes one step after the last."""
        pts = frame.pts  # already shifted with its packet
        if self._last_pts is not None and (pts is None or pts <= self._last_pts):
            step = max(1, round(1 / (_rate(self.video) * self.video.time_base)))
            pts = self._last_pts + (step if pts is None else 1)
        frame.pts = 0 if pts is None else pts
        frame.time_base = self.video.time_base
        self._last_pts = frame.pts


def _picture_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            if stream.codec_context is None:
                raise AnimeGANError(f"cannot read video {path}: this FFmpeg cannot decode {stream.codec.name}")
            return stream
    raise AnimeGANError(f"cannot read video {path}: it has no video stream")


def _describe(container, stream, first: av.VideoFrame) -> VideoInfo:
    rate = _rate(stream)
    own = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
    own = own or _tag_seconds(stream.metadata.get("DURATION"))  # Matroska keeps it as a tag
    duration = container.duration / av.time_base if container.duration else own
    expected = stream.frames or (round((own or duration) * rate) if (own or duration) else None)
    return VideoInfo(
        width=first.width,
        height=first.height,
        time_base=stream.time_base,
        rate=rate,
        constant_rate=_constant_rate(stream, rate),
        display_matrix=_display_matrix(first, stream),
        colorspace=first.colorspace,
        color_range=first.color_range,
        color_primaries=first.color_primaries,
        color_trc=first.color_trc,
        expected_frames=expected or None,
        duration=duration,
    )


def _tag_seconds(tag: str | None) -> float | None:
    """``HH:MM:SS.fraction`` (Matroska's per-stream DURATION tag) in seconds."""
    try:
        hours, minutes, seconds = (tag or "").split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def _rate(stream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate < 1000:
            return Fraction(rate)
    return _DEFAULT_RATE


def _constant_rate(stream, rate: Fraction) -> bool:
    """Whether the frames are evenly spaced: exact from a full index (MP4, MOV), else a guess."""
    entries = stream.index_entries
    if stream.frames and len(entries) == stream.frames and len(entries) > 2:
        stamps = sorted(entry.timestamp for entry in entries)
        steps = [b - a for a, b in zip(stamps, stamps[1:])]
        return max(steps) - min(steps) <= 1
    return bool(stream.base_rate) and Fraction(stream.base_rate) == rate


def _display_matrix(frame: av.VideoFrame, stream) -> tuple[int, ...] | None:
    """The frame's DISPLAYMATRIX side data; a legacy ``rotate`` tag becomes the matching matrix."""
    side = frame.side_data.get(av.sidedata.sidedata.Type.DISPLAYMATRIX)
    if side is not None and len(bytes(side)) == 36:
        matrix = struct.unpack("=9i", bytes(side))
        return None if matrix == _IDENTITY else matrix
    tag = next((value for key, value in stream.metadata.items() if key.lower() == "rotate"), None)
    if tag and tag.lstrip("-").isdigit() and int(tag) % 360:
        return _rotation_matrix(int(tag))
    return None


_IDENTITY = (1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30)


def _rotation_matrix(clockwise: int) -> tuple[int, ...]:
    """FFmpeg's av_display_rotation_set for a clockwise quarter turn (what the ``rotate`` tag means)."""
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[clockwise % 360 // 90 * 90]
    one = 1 << 16
    return (cos * one, sin * one, 0, -sin * one, cos * one, 0, 0, 0, 1 << 30)


def _start_offset(container) -> Fraction:
    """Seconds to subtract so the file starts at zero (MPEG-TS and the like start anywhere)."""
    start = container.start_time
    return Fraction(start, av.time_base) if start and start > 0 else Fraction(0)


def _reason(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return str(text).splitlines()[0] if text else type(error).__name__
