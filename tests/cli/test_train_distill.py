"""`animegan make-pairs` then `animegan train distill`: the files of a run, exact resume, and one-line errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import main

# The smallest complete run: a quarter-width AnimeGANv2, 32 px crops, pure L1 (the adversarial option and
# exact resume are covered with a tiny generator in tests/training/test_distill.py: tracing the AnimeGANv2
# train step is what takes time here).
TINY = ["--width", "0.25", "--batch-size", "2", "--image-size", "32", "--steps-per-epoch", "2", "--no-progress"]


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """The training scans cache their verdicts in the user cache: keep the tests' in a folder of their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANIMEGAN_CACHE", str(tmp_path_factory.mktemp("animegan_cache")))
        yield


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("distill_cli")
    rng = np.random.default_rng(0)
    (root / "photos").mkdir()
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (40, 52, 3), dtype=np.uint8)).save(root / "photos" / f"p{i}.png")
    assert main(["make-pairs", str(root / "photos"), "-o", str(root / "pairs"), "--size", "40"]) == 0
    return root / "pairs"


@pytest.fixture(scope="module")
def run_dir(pairs, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", "distill", "--pairs", str(pairs), "--out", str(run), "--epochs", "1", *TINY]) == 0
    return run


def test_run_writes_model_samples_checkpoints_and_config(run_dir):
    from animegan.training.checkpoints import CheckpointManager

    config = json.loads((run_dir / "config.json").read_text())
    assert config["family"] == "distill"
    assert config["config"]["width"] == 0.25 and config["config"]["adversarial_weight"] == 0.0
    assert [p.name for p in (run_dir / "samples").glob("*.png")] == ["epoch_001.png"]
    assert CheckpointManager(run_dir).latest().epoch == 1
    generator = keras.saving.load_model(run_dir / "generator.keras")
    assert generator.width == 0.25
    out = np.asarray(generator(np.zeros((1, 40, 48, 3), np.float32)))
    assert out.shape == (1, 40, 48, 3) and np.isfinite(out).all()


def test_resume_with_nothing_left_to_train_keeps_the_model(run_dir, capsys):
    before = keras.saving.load_model(run_dir / "generator.keras").get_weights()
    assert main(["train", "distill", "--out", str(run_dir), "--resume", "--no-progress"]) == 0
    assert "nothing to train" in capsys.readouterr().err
    after = keras.saving.load_model(run_dir / "generator.keras").get_weights()
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "--pairs PAIRS_DIR is required"),
        (["--pairs", "MISSING"], "pairs folder not found"),
        (["--pairs", "PAIRS", "--arch", "animegan-v1", "--width", "0.5"], "--width is for animegan-v2 only"),
        (["--pairs", "PAIRS", "--resume"], "nothing to resume"),
    ],
)
def test_bad_arguments_are_one_line_errors(pairs, tmp_path, capsys, extra, message):
    args = [a.replace("MISSING", str(tmp_path / "missing")).replace("PAIRS", str(pairs)) for a in extra]
    assert main(["train", "distill", "--out", str(tmp_path / "run"), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("animegan: error:") and message in err and "\n" not in err


def test_resume_refuses_a_different_network(run_dir, capsys):
    code = main(["train", "distill", "--out", str(run_dir), "--resume", "--width", "0.5"])
    assert code == 1
    assert "differs in width=0.5 (the run has 0.25)" in capsys.readouterr().err


def test_make_pairs_goes_on_after_an_unexpected_error_in_one_photo(pairs, tmp_path, monkeypatch, capsys):
    from animegan.data import celshade

    photos = pairs.parent / "photos"
    real = celshade.cel_shade
    calls = []

    def odd(photo, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError("no room for the palette")
        return real(photo, **kwargs)

    monkeypatch.setattr(celshade, "cel_shade", odd)
    assert main(["make-pairs", str(photos), "-o", str(tmp_path / "out"), "--size", "32"]) == 0
    err = capsys.readouterr().err
    assert f"animegan: skipped {photos / 'p1.png'}: unexpected MemoryError: no room for the palette" in err
    assert "Traceback" not in err and "3 pairs" in err
    # the failed photo left no half pair behind; the others are complete
    assert sorted(p.name for p in (tmp_path / "out" / "photos").iterdir()) == ["p0.png", "p2.png", "p3.png"]
    assert sorted(p.name for p in (tmp_path / "out" / "targets").iterdir()) == ["p0.png", "p2.png", "p3.png"]


def test_a_damaged_pair_is_left_out_in_one_line(pairs, tmp_path, capsys):
    import shutil

    from animegan.training.distill import find_pairs

    copy = tmp_path / "pairs"
    shutil.copytree(pairs, copy)
    target = copy / "targets" / "p2.png"
    target.write_bytes(target.read_bytes()[:200])
    lines = []
    photos, targets = find_pairs(copy, lines.append)
    assert [p.name for p in photos] == ["p0.png", "p1.png", "p3.png"] and [t.name for t in targets] == [
        "p0.png", "p1.png", "p3.png",
    ]  # fmt: skip
    assert len(lines) == 1 and lines[0].startswith(f"animegan: skipping {target}: ")


def test_resume_with_no_intact_checkpoint_is_one_line(run_dir, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    latest = copy / "checkpoints" / "epoch_0001.npz"
    latest.write_bytes(latest.read_bytes()[:1000])  # truncated after it was committed
    assert main(["train", "distill", "--out", str(copy), "--resume", "--epochs", "2", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    errors = [line for line in err.splitlines() if line.startswith("animegan: error:")]
    assert len(errors) == 1 and errors[0].startswith("animegan: error: no intact checkpoint in")
    assert "epoch_0001.npz is 1000 bytes" in errors[0] and "Traceback" not in err
