"""Writing a stylized video with PyAV: one newly encoded picture stream plus the input's audio.

The choices, and why:
- Codec: ``--codec`` names (``VIDEO_CODECS``) map to FFmpeg encoders; the default is H.264, or VP9 for
  .webm, which holds only VP8, VP9 and AV1. ``--crf`` reaches every encoder with a constant-quality mode.
- Pixels: yuv420p, which every player decodes. H.264 and HEVC cannot store 4:2:0 at an odd width or
  height, so such a video is encoded 4:4:4 at its exact size (never padded or cropped) and a note says so.
- Time: the encoder works in the input stream's time base and each frame keeps its timestamp, so
  variable frame rates survive. MP4/MOV derive a track's length from decode timestamps, which B-frames
  shift on variable-rate input (the file would claim to be shorter), so B-frames are off for MP4/MOV
  output unless the input is known to be constant-rate.
- Rotation: the input's display matrix goes back on the stream as a display matrix, what FFmpeg's
  muxers write and players and FFmpeg's demuxers read (the MP4 muxer ignores an old ``rotate`` tag).
- Colour: RGB to YUV uses the input's matrix and range and the stream carries the input's colour tags.
- Audio: copied packet for packet when the container takes the codec, else re-encoded to AAC (Opus
  for WebM, which cannot hold AAC).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.video_read import VideoInfo

# --codec name -> FFmpeg encoders to try, in order. Any other encoder FFmpeg has is taken by its own name.
VIDEO_CODECS: dict[str, tuple[str, ...]] = {
    "h264": ("libx264",),
    "hevc": ("libx265",),
    "h265": ("libx265",),
    "vp9": ("libvpx-vp9",),
    "vp8": ("libvpx",),
    "av1": ("libsvtav1", "libaom-av1", "librav1e"),
    "mpeg4": ("mpeg4",),
    "prores": ("prores_ks",),
    "ffv1": ("ffv1",),
}
DEFAULT_CRF = 18
_MP4_FAMILY = ("mp4", "mov", "ipod", "3gp")
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


@dataclass(frozen=True)
class EncodeOptions:
    codec: str | None = None  # a VIDEO_CODECS name or an FFmpeg encoder; None: h264 (vp9 for .webm)
    crf: int | None = None  # None: DEFAULT_CRF where the encoder has a CRF, quietly


def choose_encoder(codec: str | None, suffix: str) -> str:
    """The FFmpeg encoder for ``--codec`` (or the default for the output suffix); one-line errors."""
    name = (codec or ("vp9" if suffix.lower() == ".webm" else "h264")).lower()
    candidates = VIDEO_CODECS.get(name, (name,))
    for encoder in candidates:
        if encoder in av.codecs_available and _is_video_encoder(encoder):
            return encoder
    if name in VIDEO_CODECS:
        raise AnimeGANError(f"this FFmpeg has no encoder for --codec {name} (tried {', '.join(candidates)})")
    raise AnimeGANError(
        f"unknown --codec {codec!r}; choose one of {', '.join(VIDEO_CODECS)} or an FFmpeg video encoder name"
    )


def _is_video_encoder(name: str) -> bool:
    try:
        return av.codec.Codec(name, "w").type == "video"
    except av.codec.codec.UnknownCodecError:
        return False


@dataclass
class _AudioOut:
    stream: av.audio.stream.AudioStream
    source: av.audio.stream.AudioStream | None  # set when the input is decoded and re-encoded


class VideoWriter:
    """An output file being written: ``write_frame`` / ``write_packet``, then ``close`` (or ``abort``).

    ``path`` picks the container by its suffix; ``name`` is the path messages show (the file may be
    written under a temporary name with the same suffix). Notes about
    choices the user should know of (4:4:4, re-encoded audio) go to ``note``.
    """

    def __init__(
        self,
        path: str | Path,
        info: VideoInfo,
        audio: list[av.audio.stream.AudioStream],
        options: EncodeOptions,
        name: str | Path | None = None,
        note: Callable[[str], None] = lambda line: None,
    ):
        self.name = str(name or path)
        self._note = note
        self._info = info
        self._durations: dict[int, int] = {}  # pts -> duration of the frames inside the encoder
        encoder = choose_encoder(options.codec, Path(path).suffix)  # before creating anything
        try:
            self.container = av.open(str(path), "w")
        except (av.error.FFmpegError, OSError, ValueError) as error:
            raise AnimeGANError(f"cannot write {self.name}: {error}") from None
        try:
            self.video = self._add_video(encoder, options)
            self.audio = {stream.index: self._add_audio(stream) for stream in audio}
            self.container.start_encoding()  # the header now: a refused stream fails before any work
        except (av.error.FFmpegError, ValueError) as error:
            self.abort()
            raise AnimeGANError(f"cannot write {self.name}: {error}") from None
        except BaseException:
            self.abort()
            raise

    def write_frame(self, rgb: np.ndarray, pts: int, duration: int = 0) -> None:
        """One RGB uint8 frame (the output's size) at ``pts`` in the input stream's time base."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame = frame.reformat(
            format=self.video.pix_fmt,
            dst_colorspace=self._info.colorspace,
            dst_color_range=self._info.color_range or None,
        )
        frame.pts = pts
        frame.time_base = self._info.time_base
        frame.duration = duration
        if duration:
            self._durations[pts] = duration
        self._mux_video(self.video.encode(frame))

    def write_packet(self, packet: av.Packet) -> None:
        """An audio packet from the input, copied or re-encoded as its stream was set up."""
        out = self.audio[packet.stream.index]
        if out.source is None:
            packet.stream = out.stream
            self.container.mux(packet)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:  # a damaged audio packet: a short gap, like any player makes
            return
        for frame in frames:
            self.container.mux(out.stream.encode(frame))

    def close(self) -> None:
        """Flushes the encoders and finishes the file."""
        self._mux_video(self.video.encode(None))
        for out in self.audio.values():
            if out.source is not None:
                for frame in out.source.decode(None):
                    self.container.mux(out.stream.encode(frame))
                self.container.mux(out.stream.encode(None))
        self.container.close()

    def _mux_video(self, packets: list[av.Packet]) -> None:
        # Encoders such as libx264 give every packet 1 / rate; the frame's own duration is the truth
        # (the last frame's sets the length of an MP4 track).
        for packet in packets:
            duration = self._durations.pop(packet.pts, None)
            if duration:
                packet.duration = duration
        self.container.mux(packets)

    def abort(self) -> None:
        """Closes the file without caring whether it is complete (the caller deletes it)."""
        # Already failing or interrupted: a second error from a half-written file says nothing new.
        with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
            self.container.close()

    def _add_video(self, encoder: str, options: EncodeOptions) -> av.video.stream.VideoStream:
        info = self._info
        try:
            stream = self.container.add_stream(encoder, rate=info.rate, options=self._encoder_options(encoder, options))
        except ValueError:
            raise AnimeGANError(
                f"cannot write {self.name}: {Path(self.name).suffix} files cannot hold {encoder} video; "
                "choose another --codec (h264 fits .mp4/.mov/.mkv, vp9 or av1 fit .webm)"
            ) from None
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = self._pixel_format(encoder)
        stream.codec_context.time_base = info.time_base
        stream.time_base = info.time_base
        context = stream.codec_context
        context.colorspace, context.color_range = info.colorspace, info.color_range
        context.color_primaries, context.color_trc = info.color_primaries, info.color_trc
        if info.display_matrix is not None:
            stream.set_display_matrix(info.display_matrix)
        if encoder == "libx265" and self.container.format.name in _MP4_FAMILY:
            stream.codec_tag = "hvc1"  # what Apple players require for HEVC
        return stream

    def _encoder_options(self, encoder: str, options: EncodeOptions) -> dict[str, str]:
        private = {option.name for option in av.CodecContext.create(encoder, "w").supported_options.private}
        chosen = {}
        if "crf" in private:
            chosen["crf"] = str(DEFAULT_CRF if options.crf is None else options.crf)
        elif options.crf is not None:
            self._note(f"note: {encoder} has no CRF mode; --crf is ignored for {self.name}")
        if encoder == "libx265":
            chosen["x265-params"] = "log-level=error"
        if encoder.startswith("libvpx"):
            chosen.update({"deadline": "good", "cpu-used": "4"})  # libvpx's default speed is far slower
            if "row-mt" in private:
                chosen["row-mt"] = "1"
        if not self._info.constant_rate and self.container.format.name in _MP4_FAMILY:
            chosen["bf"] = "0"
        return chosen

    def _pixel_format(self, encoder: str) -> str:
        formats = [f.name for f in av.codec.Codec(encoder, "w").video_formats or ()]
        preferred = "yuv420p" if "yuv420p" in formats or not formats else formats[0]
        width, height = self._info.width, self._info.height
        if (width % 2 == 0 and height % 2 == 0) or _opens(encoder, width, height, preferred):
            return preferred
        if "yuv444p" in formats and _opens(encoder, width, height, "yuv444p"):
            self._note(
                f"note: {self.name} is {width}x{height}; {encoder} cannot store 4:2:0 colour at an odd size, "
                "so it is encoded 4:4:4 at that exact size (some players, browsers among them, cannot play it)"
            )
            return "yuv444p"
        raise AnimeGANError(
            f"cannot write {self.name}: {encoder} cannot encode the odd size {width}x{height}; try --codec vp9"
        )

    def _add_audio(self, source: av.audio.stream.AudioStream) -> _AudioOut:
        try:
            stream = self.container.add_stream_from_template(source)
        except ValueError:  # the container cannot hold this codec
            return self._reencode_audio(source)
        stream.metadata.update({k: v for k, v in source.metadata.items() if k == "language"})
        return _AudioOut(stream, None)

    def _reencode_audio(self, source: av.audio.stream.AudioStream) -> _AudioOut:
        codec = "aac" if "aac" in self.container.supported_codecs else "libopus"
        rates = av.codec.Codec(codec, "w").audio_rates or [source.rate]
        rate = source.rate if source.rate in rates else 48000
        channels = source.layout.nb_channels
        # The standard layout for the channel count: AVI and others may leave theirs unnamed.
        layout = _LAYOUTS.get(channels, "stereo")
        stream = self.container.add_stream(codec, rate=rate, layout=layout)
        stream.bit_rate = min(64000 * channels, 512000)
        self._note(
            f"note: {self.name}: {Path(self.name).suffix} files cannot hold {source.codec_context.name} audio; "
            f"re-encoded to {codec}"
        )
        return _AudioOut(stream, source)


def _opens(encoder: str, width: int, height: int, pix_fmt: str) -> bool:
    """Whether the encoder accepts this size and pixel format (tried on a scratch context)."""
    context = av.CodecContext.create(encoder, "w")
    context.width, context.height, context.pix_fmt = width, height, pix_fmt
    context.framerate, context.time_base = Fraction(25), Fraction(1, 25)
    if encoder == "libx265":
        context.options = {"x265-params": "log-level=none"}
    try:
        context.open()
    except (av.error.FFmpegError, ValueError):
        return False
    return True

