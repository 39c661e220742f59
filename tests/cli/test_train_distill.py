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
