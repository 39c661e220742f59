"""`animegan video-metrics`, and `animegan stylize` with --temporal / --no-temporal / --preserve-colour."""

import zlib

import av
import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import build_parser, main
from animegan.inference.video_clips import inspect_clip, make_clip, texture


class Jitter:
    """Identity plus bands of noise drawn from a seed taken from each frame: frame by frame, it flickers."""

    name, stride = "jitter", 4

    def __call__(self, batch):
        out = np.empty_like(batch)
        for index, frame in enumerate(batch):
            bands = np.random.default_rng(zlib.crc32(frame.tobytes())).normal(0, 0.1, (frame.shape[0] // 4, 1, 3))
            out[index] = np.clip(frame + bands.repeat(4, axis=0), -1, 1)
        return out


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    wide = texture(64 + 2 * 12, 48, 0)
    frames = [wide[:, 2 * i : 2 * i + 64] for i in range(12)]
    return make_clip(tmp_path_factory.mktemp("pan") / "pan.mp4", frames=frames, crf=10)


def metrics(capsys, *arguments):
    assert main(["video-metrics", *map(str, arguments)]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {line[:21].strip(): float(line[21:].split()[0]) for line in lines}


def test_temporal_beats_per_frame_and_video_metrics_says_by_how_much(tmp_path, pan, fake_backend, capsys):
    fake_backend(Jitter())
    for flag in ("--no-temporal", "--temporal"):
        assert main(["stylize", str(pan), "-o", str(tmp_path / flag), "-m", "m.keras", flag, "--batch-size", "3"]) == 0
        facts, source = inspect_clip(tmp_path / flag / "pan.mp4"), inspect_clip(pan)
        assert facts.times == pytest.approx(source.times, abs=1e-6) and len(facts.audio) == 1
    capsys.readouterr()
    plain, blended = (tmp_path / flag / "pan.mp4" for flag in ("--no-temporal", "--temporal"))
    numbers = metrics(capsys, pan, blended, "--reference", plain)
    assert numbers["pairs of frames"] == 11
    floor = numbers["E_warp input (floor)"]
    assert numbers["E_warp reference"] > 5 * floor
    assert numbers["E_warp output"] - floor < 0.5 * (numbers["E_warp reference"] - floor)
    assert numbers["excess kept"] < 50 and numbers["PSNR vs reference"] > 20
    alone = metrics(capsys, pan, plain)
    assert alone["E_warp output"] == pytest.approx(numbers["E_warp reference"])
    assert "excess kept" not in alone and "PSNR vs reference" not in alone


def test_temporal_is_the_default_for_videos_and_colour_preservation_is_off():
    args = build_parser().parse_args(["stylize", "clip.mp4", "-o", "out"])
    assert args.temporal is True and args.preserve_colour is False
    args = build_parser().parse_args(["stylize", "a.mp4", "-o", "out", "--no-temporal", "--preserve-color"])
    assert args.temporal is False and args.preserve_colour is True


def test_preserve_colour_reaches_photos_and_videos(tmp_path, fake_backend):
    class Swap:  # a "style" that swaps red and blue: nothing but colour
        name, stride = "swap", 4

        def __call__(self, batch):
            return batch[..., ::-1].copy()

    fake_backend(Swap())
    folder = tmp_path / "in"
    folder.mkdir()
    picture = texture(32, 24, 1)
    make_clip(folder / "clip.mkv", frames=[picture] * 3, audio=None, codec="ffv1")
    Image.fromarray(picture).save(folder / "photo.png")
    for flag in ([], ["--preserve-colour"]):
        out = tmp_path / ("kept" if flag else "plain")
        assert main(["stylize", str(folder), "-o", str(out), "-m", "m.keras", "--codec", "ffv1", *flag]) == 0
    with av.open(str(folder / "clip.mkv")) as container:
        seen = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    for name, before in (("photo.png", picture.astype(int)), ("clip.mkv", seen)):
        plain, kept = (first_picture(tmp_path / kind / name) for kind in ("plain", "kept"))
        assert np.abs(plain - before[..., ::-1]).mean() < 3  # swapped
        assert np.abs(kept - before).mean() < np.abs(plain - before).mean() / 4  # swapped back, near enough


def first_picture(path):
    if path.suffix == ".png":
        return np.asarray(Image.open(path).convert("RGB")).astype(int)
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)


def test_video_metrics_errors_are_one_line(tmp_path, pan, capsys):
    small = make_clip(tmp_path / "small.mp4", 32, 16, seconds=0.2, audio=None)
    assert main(["video-metrics", str(pan), str(small)]) == 1
    assert capsys.readouterr().err.strip().endswith("pan.mp4 64x48, small.mp4 32x16")
    single = make_clip(tmp_path / "single.mp4", frames=[texture(32, 16, 0)], audio=None)
    assert main(["video-metrics", str(single), str(single)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fewer than two frames" in err
    assert main(["video-metrics", str(tmp_path / "missing.mp4"), str(single)]) == 1
    assert "cannot read video" in capsys.readouterr().err
