"""`animegan stylize` with videos: mixed folders, every backend, truncated files, Ctrl-C, bad options."""

import av
import numpy as np
import pytest
from PIL import Image

import animegan.inference.backends as backends
from animegan.cli.main import main
from animegan.inference.video_clips import inspect_clip, make_clip, truncate


class Identity:
    name = "identity"
    stride = 4

    def __call__(self, batch):
        return batch


class InterruptAfter(Identity):
    def __init__(self, frames):
        self.frames = frames

    def __call__(self, batch):
        self.frames -= len(batch)
        if self.frames < 0:
            raise KeyboardInterrupt
        return batch


def error_lines(err):
    return [line for line in err.splitlines() if "error:" in line]


def test_a_mixed_folder_runs_photos_and_videos_with_the_real_generator(tmp_path, v2_keras, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 28, 3), dtype=np.uint8)).save(folder / "p.png")
    make_clip(folder / "clip.mp4", 34, 26, seconds=0.25)
    (folder / "broken.mov").write_bytes(b"this is not a video at all")
    out = tmp_path / "out"
    code = main(["stylize", str(folder), "-o", str(out), "-m", str(v2_keras), "--batch-size", "4"])
    err = capsys.readouterr().err
    assert code == 1
    broken = folder / "broken.mov"
    assert error_lines(err) == [f"error: cannot read video {broken}: Invalid data found when processing input"]
    assert "2 written" in err and "1 failed" in err and "Traceback" not in err
    assert "6/6" in err  # the progress bar counted the frames
    assert Image.open(out / "p.png").size == (28, 20)
    facts = inspect_clip(out / "clip.mp4")
    assert (facts.width, facts.height, facts.frames, facts.rate) == (34, 26, 6, 24)
    assert [a.codec for a in facts.audio] == ["aac"] and facts.audio[0].seconds == pytest.approx(0.25, abs=1 / 24)
    assert sorted(p.name for p in out.iterdir()) == ["clip.mp4", "p.png"]


def test_a_truncated_video_keeps_its_output_and_exits_non_zero(tmp_path, fake_backend, capsys):
    fake_backend(Identity())
    cut = truncate(make_clip(tmp_path / "whole.mkv"), 0.5, tmp_path / "cut.mkv")
    out = tmp_path / "out"
    assert main(["stylize", str(cut), "-o", str(out), "-m", "unused.keras"]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "could not be read to its end" in lines[0] and "cut.mkv" in lines[0]
    assert 0 < inspect_clip(out / "cut.mkv").frames < 48


def test_ctrl_c_exits_130_and_leaves_no_partial_file(tmp_path, fake_backend, capsys):
    fake_backend(InterruptAfter(10))
    clip = make_clip(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    assert main(["stylize", str(clip), "-o", str(out), "-m", "unused.keras", "--batch-size", "2"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_codec_and_crf_are_checked_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(backends, "load_backend", lambda *a, **k: pytest.fail("the model was loaded"))
    clip = make_clip(tmp_path / "clip.mp4", 32, 16, seconds=0.1, audio=None)
    assert main(["stylize", str(clip), "-o", str(tmp_path / "out"), "-m", "m.keras", "--codec", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animegan: error: unknown --codec 'nope'") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        main(["stylize", str(clip), "-o", str(tmp_path / "out"), "-m", "m.keras", "--crf", "99"])
    assert "between 0 and 63" in capsys.readouterr().err


def test_codec_option_reaches_the_encoder(tmp_path, fake_backend):
    fake_backend(Identity())
    clip = make_clip(tmp_path / "clip.mkv", 64, 48, seconds=0.5)
    arguments = ["stylize", str(clip), "-o", str(tmp_path / "out"), "-m", "m.keras", "--codec", "vp9", "--crf", "30"]
    assert main(arguments) == 0
    facts = inspect_clip(tmp_path / "out" / "clip.mkv")
    assert (facts.codec, facts.frames, [a.codec for a in facts.audio]) == ("vp9", 12, ["aac"])


@pytest.mark.slow
def test_exported_models_run_videos_like_the_keras_model(tmp_path, v2_keras):
    from animegan.export.exporter import ExportOptions, export_model

    models = {"keras": v2_keras, "tflite": tmp_path / "v2.tflite", "savedmodel": tmp_path / "v2_savedmodel"}
    quiet = lambda line: None  # noqa: E731
    export_model(v2_keras, models["tflite"], ExportOptions("tflite", dynamic=True, verify=False), report=quiet)
    export_model(v2_keras, models["savedmodel"], ExportOptions("savedmodel", verify=False), report=quiet)
    clip = make_clip(tmp_path / "clip.mov", 36, 20, seconds=0.25, rotation=90)
    outputs = []
    for name, model in models.items():
        assert main(["stylize", str(clip), "-o", str(tmp_path / name), "-m", str(model), "--batch-size", "3"]) == 0
        outputs.append(tmp_path / name / "clip.mov")
    facts = [inspect_clip(path) for path in outputs]
    assert all((f.width, f.height, f.frames, f.rotation, len(f.audio)) == (36, 20, 6, 90, 1) for f in facts)
    source, by_keras, *by_exports = (rgb_frames(path) for path in (clip, *outputs))
    for index, before in enumerate(source):
        assert np.abs(by_keras[index] - before).mean() > 10  # the model did change the pictures
        for frames in by_exports:
            assert np.abs(by_keras[index] - frames[index]).mean() < 2  # the same model, the same pictures


def rgb_frames(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24").astype(int) for frame in container.decode(video=0)]
