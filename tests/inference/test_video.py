"""Stylizing video files with cheap fake backends: timing, sound, rotation, sizes, codecs and failures.

Clips are generated with PyAV (animegan.inference.video_clips) and read back by decoding them; no
ffprobe. The real Keras generator runs once, in tests/cli/test_stylize_video.py.
"""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.inputs import Job
from animegan.atomic import temporary_path
from animegan.inference.video import VideoOptions, stylize_video, stylize_videos
from animegan.inference.video_clips import inspect_clip, make_clip, truncate
from animegan.inference.video_read import VideoReader, _rotation_matrix

FRAME = 1 / 24
VFR_MS = [0, 40, 80, 200, 240, 500, 520, 540, 900, 1000]


class Identity:
    name = "identity"

    def __init__(self, stride=4):
        self.stride = stride
        self.shapes = []

    def __call__(self, batch):
        assert batch.dtype == np.float32 and batch.min() >= -1 and batch.max() <= 1
        assert batch.shape[1] % self.stride == 0 and batch.shape[2] % self.stride == 0
        self.shapes.append(batch.shape)
        return batch.copy()


class Negative(Identity):
    def __call__(self, batch):
        return -super().__call__(batch)


class InterruptAfter(Identity):
    """Ctrl-C while the model runs, once ``frames`` frames went through."""

    def __init__(self, frames, check=lambda: None):
        super().__init__()
        self.frames, self.seen, self.check = frames, 0, check

    def __call__(self, batch):
        self.check()
        self.seen += len(batch)
        if self.seen > self.frames:
            raise KeyboardInterrupt
        return batch


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "rotated": make_clip(folder / "rotated.mp4", rotation=90),
        "silent": make_clip(folder / "silent.mp4", 320, 240, audio=None),
        "odd": make_clip(folder / "odd.mkv", 175, 143),
        "vfr_mkv": make_clip(folder / "vfr.mkv", timestamps_ms=VFR_MS, audio=None),
        "vfr_mp4": make_clip(folder / "vfr.mp4", timestamps_ms=VFR_MS, audio=None),
        "two_tracks": make_clip(folder / "two.avi", audio=("pcm_u8", "libmp3lame"), codec="mpeg4"),
        "webm": make_clip(folder / "opus.webm", audio="libopus", sample_rate=48000, codec="libvpx-vp9"),
        "subtitled": make_clip(folder / "subtitled.mkv", subtitles=True),
    }


def run(backend, source, out, **options):
    notes = []
    output = Path(out) / (source.stem + (source.suffix if source.suffix != ".avi" else ".mp4"))
    result = stylize_video(backend, Job(source, output), VideoOptions(batch_size=4, **options), note=notes.append)
    return result, inspect_clip(result.output), notes


def packets(path, kind, index=0):
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.get(**{kind: index})[0]) if p.size]


def test_frames_rate_duration_rotation_and_copied_audio_are_kept(clips, tmp_path):
    source = inspect_clip(clips["rotated"])
    result, out, notes = run(Identity(), clips["rotated"], tmp_path)
    assert result.frames == out.frames == source.frames == 48 and result.problem is None
    assert out.times == pytest.approx(source.times, abs=1e-6)
    assert out.rate == 24 and out.duration == pytest.approx(2.0, abs=FRAME)
    assert out.rotation == 90
    assert (out.width, out.height, out.pix_fmt, out.codec) == (176, 144, "yuv420p", "h264")
    assert [a.codec for a in out.audio] == ["aac"]
    assert out.audio[0].seconds == pytest.approx(source.audio[0].seconds, abs=FRAME)
    assert packets(result.output, "audio") == packets(clips["rotated"], "audio")  # copied, not re-encoded
    assert notes == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rotated.mp4"]  # no partial file left


def test_a_video_without_audio_keeps_its_size_and_gets_the_models_pixels(clips, tmp_path):
    result, out, _ = run(Negative(), clips["silent"], tmp_path)
    assert (out.width, out.height, out.frames, out.audio) == (320, 240, 48, [])
    with av.open(str(clips["silent"])) as a, av.open(str(result.output)) as b:
        pairs = zip(a.decode(video=0), b.decode(video=0))
        for before, after in list(pairs)[::12]:
            difference = np.abs(255 - before.to_ndarray(format="rgb24").astype(int) - after.to_ndarray(format="rgb24"))
            assert difference.mean() < 6  # the negative, through two lossy encodes


def test_odd_sizes_are_kept_exactly(clips, tmp_path):
    backend = Identity(stride=8)
    result, out, notes = run(backend, clips["odd"], tmp_path)
    assert (out.width, out.height, out.frames) == (175, 143, 48)
    assert out.pix_fmt == "yuv444p" and any("4:4:4" in note for note in notes)
    assert {shape[1:] for shape in backend.shapes} == {(144, 176, 3)}  # padded to the stride
    _, vp9, notes = run(Identity(), clips["odd"], tmp_path / "vp9", codec="vp9")
    assert (vp9.width, vp9.height, vp9.pix_fmt, vp9.codec) == (175, 143, "yuv420p", "vp9") and notes == []


@pytest.mark.parametrize("clip", ["vfr_mkv", "vfr_mp4"])
def test_variable_frame_rate_keeps_every_timestamp_and_the_duration(clips, tmp_path, clip):
    source = inspect_clip(clips[clip])
    result, out, _ = run(Identity(), clips[clip], tmp_path)
    assert out.times == pytest.approx([ms / 1000 for ms in VFR_MS], abs=1e-3)
    assert out.duration == pytest.approx(source.duration, abs=2e-3)


def test_every_audio_stream_is_kept_and_one_the_container_cannot_hold_is_reencoded_to_aac(clips, tmp_path):
    result, out, notes = run(Identity(), clips["two_tracks"], tmp_path)
    assert result.output.suffix == ".mp4" and out.frames == 48
    assert [(a.codec, a.sample_rate) for a in out.audio] == [("aac", 44100), ("mp3float", 44100)]
    assert [a.seconds for a in out.audio] == pytest.approx([2.0, 2.0], abs=FRAME)
    assert packets(result.output, "audio", 1) == packets(clips["two_tracks"], "audio", 1)  # mp3: copied
    assert notes == [f"note: {result.output}: .mp4 files cannot hold pcm_u8 audio; re-encoded to aac"]


def test_webm_defaults_to_vp9_and_copies_opus(clips, tmp_path):
    result, out, notes = run(Identity(), clips["webm"], tmp_path)
    assert (out.codec, [a.codec for a in out.audio], out.frames) == ("vp9", ["opus"], 48)
    assert packets(result.output, "audio") == packets(clips["webm"], "audio")
    assert notes == []


def test_subtitle_streams_are_dropped_with_a_note(clips, tmp_path):
    _, out, notes = run(Identity(), clips["subtitled"], tmp_path)
    assert out.other_streams == [] and [a.codec for a in out.audio] == ["aac"]
    assert notes == [f"note: {clips['subtitled']}: dropping subtitle stream #2 (srt)"]


def test_codec_and_crf_choices(clips, tmp_path):
    result, out, _ = run(Identity(), clips["silent"], tmp_path / "hevc", codec="hevc")
    assert out.codec == "hevc"
    with av.open(str(result.output)) as container:
        assert container.streams.video[0].codec_tag == "hvc1"
    sizes = {crf: run(Identity(), clips["silent"], tmp_path / f"crf{crf}", crf=crf)[0].output for crf in (8, 40)}
    assert sizes[8].stat().st_size > 2 * sizes[40].stat().st_size
    _, _, notes = run(Identity(), clips["silent"], tmp_path / "mpeg4", codec="mpeg4", crf=20)
    assert any("--crf is ignored" in note for note in notes)
    with pytest.raises(AnimeGANError, match="unknown --codec 'nope'") as error:
        run(Identity(), clips["silent"], tmp_path / "bad", codec="nope")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def test_a_legacy_rotate_tag_is_carried_as_a_display_matrix(tmp_path):
    with av.open(str(tmp_path / "tagged.mkv"), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 16, "yuv420p"
        stream.metadata["rotate"] = "90"  # clockwise, as old FFmpeg wrote it
        for _ in range(3):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((16, 32, 3), np.uint8), format="rgb24")))
        out.mux(stream.encode())
    _, out, _ = run(Identity(), tmp_path / "tagged.mkv", tmp_path / "out")
    assert out.rotation == -90  # counter-clockwise, as PyAV reports it
    for clockwise in (90, 180, 270):
        with VideoReader(make_clip(tmp_path / f"r{clockwise}.mp4", 32, 16, seconds=0.1, rotation=-clockwise)) as r:
            assert r.info.display_matrix == _rotation_matrix(clockwise)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_truncated_file_is_stylized_as_far_as_it_reads(clips, tmp_path, suffix):
    source = clips["rotated"] if suffix == ".mp4" else clips["odd"]
    cut = truncate(source, 0.6, tmp_path / f"cut{suffix}")
    with av.open(str(cut)) as container:  # what PyAV itself can decode from the cut file
        readable = 0
        try:
            for frame in container.decode(video=0):
                readable += 1
        except av.error.FFmpegError:
            pass
    result, out, _ = run(Identity(), cut, tmp_path / "out")
    assert 10 < result.frames < 48 and out.frames == result.frames >= readable
    assert result.problem and "ends early" in result.problem and "\n" not in result.problem
    assert out.audio and out.duration < 2.0 - 0.25


def test_an_unreadable_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    with pytest.raises(AnimeGANError, match="cannot read video .*bad.mp4") as error:
        stylize_video(Identity(), Job(bad, tmp_path / "out" / "bad.mp4"), VideoOptions())
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def test_ctrl_c_leaves_no_file_at_the_output_path(clips, tmp_path):
    output = tmp_path / "out" / "rotated.mp4"

    def while_running():
        assert temporary_path(output).exists() and not output.exists()

    with pytest.raises(KeyboardInterrupt):
        stylize_video(InterruptAfter(12, while_running), Job(clips["rotated"], output), VideoOptions(batch_size=4))
    assert list((tmp_path / "out").iterdir()) == []


def test_a_model_error_leaves_no_file_either(clips, tmp_path):
    class WrongShape(Identity):
        def __call__(self, batch):
            return batch[:, :8]

    with pytest.raises(AnimeGANError, match="must keep the shape"):
        stylize_video(WrongShape(), Job(clips["silent"], tmp_path / "x.mp4"), VideoOptions())
    assert list(tmp_path.iterdir()) == []


def test_max_side_limits_the_work_size_not_the_output_size(clips, tmp_path):
    backend = Identity()
    _, out, _ = run(backend, clips["silent"], tmp_path, max_side=100)
    assert {shape[1:] for shape in backend.shapes} == {(76, 100, 3)}  # 100x75, padded to 4
    assert (out.width, out.height, out.frames) == (320, 240, 48)


def test_a_batch_of_videos_reports_each_failure_in_one_line_and_goes_on(clips, tmp_path):
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"not a video")
    cut = truncate(clips["rotated"], 0.5, tmp_path / "cut.mp4")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "silent.mp4").write_bytes(b"already there")
    jobs = [Job(p, out / p.name) for p in (bad, cut, clips["vfr_mkv"], clips["silent"])]
    lines = []
    summary = stylize_videos(Identity(), jobs, VideoOptions(), report=lines.append)
    assert [p.name for p in summary.written] == ["cut.mp4", "vfr.mkv"]
    assert summary.skipped == [out / "silent.mp4"]
    assert [p.name for p, _ in summary.failed] == ["bad.mkv", "cut.mp4"]
    assert all("\n" not in line for line in lines)
    assert lines[0].startswith("error: cannot read video") and "bad.mkv" in lines[0]
    assert lines[1].startswith("error:") and "could not be read to its end" in lines[1]
    assert str(out / "cut.mp4") in lines[1]
    assert (out / "silent.mp4").read_bytes() == b"already there"
    assert sorted(p.name for p in out.iterdir()) == ["cut.mp4", "silent.mp4", "vfr.mkv"]


def test_the_reader_reports_the_first_frame_facts(clips):
    with VideoReader(clips["rotated"]) as reader:
        info = reader.info
        assert (info.width, info.height, info.rate, info.time_base.denominator > 0) == (176, 144, Fraction(24), True)
        assert info.constant_rate and info.expected_frames == 48 and info.duration == pytest.approx(2.0)
        frames = [e for e in reader.events() if isinstance(e, av.VideoFrame)]
        assert len(frames) == 48 and reader.incomplete() is None
    with VideoReader(clips["vfr_mp4"]) as reader:
        assert not reader.info.constant_rate
