"""``animegan prepare`` and ``animegan train``: parsing, and every user error as one line with exit code 1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import build_parser, main

PROJECT = Path(__file__).resolve().parents[2]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("animegan: error:")]
    assert len(errors) == 1, err
    assert not any("Traceback" in line for line in err)
    return errors[0]



@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """The training scans cache their verdicts in the user cache: keep the tests' in a folder of their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANIMEGAN_CACHE", str(tmp_path_factory.mktemp("animegan_cache")))
        yield


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    from animegan.data.prepare import prepare_style_dataset

    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    for folder in ("photos", "style"):
        (root / folder).mkdir()
        for i in range(4):
            Image.fromarray((rng.random((40, 40, 3)) * 255).astype(np.uint8)).save(root / folder / f"{i}.png")
    prepare_style_dataset(root / "style", root / "data", size=40, workers=1)
    return root


def test_parser_has_the_families_and_common_options():
    args = build_parser().parse_args(
        ["train", "animegan-v1", "--data", "D", "--photos", "P", "--out", "R", "--recipe", "hayao", "--epochs", "4",
         "--init-epochs", "0", "--norm", "layer", "--strategy", "mirrored", "--tv-weight", "0.5", "--resume"]
    )  # fmt: skip
    assert (args.arch, args.recipe, args.epochs, args.init_epochs, args.norm) == ("animegan-v1", "hayao", 4, 0, "layer")
    assert (args.strategy, args.tv_weight, args.resume, args.batch_size) == ("mirrored", 0.5, True, None)
    assert build_parser().parse_args(["prepare", "S", "-o", "D"]).size == 256


def subcommands(parser) -> dict:
    """Name -> parser of a parser's subcommands."""
    import argparse

    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def option_choices(parser, flag: str):
    return next(a for a in parser._actions if flag in a.option_strings).choices


def test_parser_choices_are_the_librarys():
    """One definition each: the parser offers the very tuples the library checks against."""
    from animegan.losses import GAN_LOSSES
    from animegan.losses.reconstruction import RECONSTRUCTION_LOSSES
    from animegan.training.animegan import ARCHITECTURES
    from animegan.training.distill import ARCHITECTURES as DISTILL_ARCHITECTURES
    from animegan.training.fit import STRATEGIES

    train = subcommands(build_parser())["train"]
    families = subcommands(train)
    assert set(ARCHITECTURES) <= set(families)
    for name in (*ARCHITECTURES, "distill"):
        assert option_choices(families[name], "--gan-loss") is GAN_LOSSES
    for name in families:
        assert option_choices(families[name], "--strategy") is STRATEGIES
    assert option_choices(families["distill"], "--arch") is DISTILL_ARCHITECTURES
    assert option_choices(families["vae"], "--recon") is RECONSTRUCTION_LOSSES


def test_missing_data_dir_is_one_line_exit_1_no_traceback(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(PROJECT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-m", "animegan", "train", "animegan-v2", "--data", str(tmp_path / "missing"),
         "--photos", str(tmp_path), "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("animegan: error: data folder not found:")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "--data DATA_DIR and --photos PHOTOS are required"),
        (["--data", "{data}", "--photos", "{photos}", "--recipe", "ghibli"], "unknown recipe 'ghibli'"),
        (["--data", "{data}", "--photos", "{missing}"], "photos folder not found"),
        (["--data", "{photos}", "--photos", "{photos}"], "has no style/ folder"),
        (["--resume"], "nothing to resume"),
        (["--data", "{data}", "--photos", "{photos}", "--image-size", "30"], "--image-size must be a multiple of 8"),
        (["--data", "{data}", "--photos", "{photos}", "--batch-size", "2", "--vgg-weights", "{missing}"],
         "VGG19 weights not found"),
    ],
)
def test_train_user_errors(small_data, tmp_path, capsys, extra, expected):
    paths = {"data": small_data / "data", "photos": small_data / "photos", "missing": tmp_path / "missing"}
    extra = [a.format(**paths) for a in extra]
    assert main(["train", "animegan-v2", "--out", str(tmp_path / "run"), *extra]) == 1
    assert expected in one_error_line(capsys)


def test_existing_run_needs_resume_and_resume_refuses_changes(small_data, tmp_path, capsys):
    from animegan.training.animegan import AnimeGANConfig
    from animegan.training.recipes import load_recipe

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.json").write_text(json.dumps({"epoch": 1, "file": "epoch_0001.npz"}))
    config = AnimeGANConfig.from_recipe(
        "animegan-v2", load_recipe("hayao"), data_dir=str(small_data / "data"), photos_dir=str(small_data / "photos")
    )
    (run / "config.json").write_text(json.dumps({"family": "animegan", "config": config.to_dict()}))
    common = ["--data", str(small_data / "data"), "--photos", str(small_data / "photos"), "--out", str(run)]
    assert main(["train", "animegan-v2", *common]) == 1
    assert "already holds a run; pass --resume" in one_error_line(capsys)
    assert main(["train", "animegan-v2", *common, "--resume", "--seed", "3", "--tv-weight", "2"]) == 1
    line = one_error_line(capsys)
    assert "differs in seed=3 (the run has 0)" in line and "tv weight=2.0 (the run has 1.0)" in line
    assert main(["train", "animegan-v1", "--out", str(run), "--resume"]) == 1
    assert "holds a animegan-v2 run, not animegan-v1" in one_error_line(capsys)


def test_mixed_precision_without_gpu_is_refused(small_data, tmp_path, capsys):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is present")
    code = main(
        ["train", "animegan-v2", "--data", str(small_data / "data"), "--photos", str(small_data / "photos"),
         "--out", str(tmp_path / "run"), "--mixed-precision", "--batch-size", "2"]
    )  # fmt: skip
    assert code == 1
    assert "--mixed-precision needs a GPU" in one_error_line(capsys)


def test_prepare_cli(small_data, tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 1
    assert "style folder not found" in one_error_line(capsys)
    (small_data / "style" / "bad.png").write_bytes(b"junk")
    try:
        assert main(["prepare", str(small_data / "style"), "-o", str(tmp_path / "out"), "--size", "32"]) == 0
    finally:
        (small_data / "style" / "bad.png").unlink()
    captured = capsys.readouterr()
    assert "4 style images" in captured.out and "1 skipped" in captured.out and "data_mean" in captured.out
    assert "skipped" in captured.err and "bad.png" in captured.err
    assert sorted(p.name for p in (tmp_path / "out" / "smooth").iterdir()) == ["0.png", "1.png", "2.png", "3.png"]


def test_offline_without_vgg_weights_is_one_line_saying_how_to_supply_them(small_data, tmp_path, capsys, monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_cache"))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: [Errno -3] name resolution")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    code = main(
        ["train", "animegan-v2", "--data", str(small_data / "data"), "--photos", str(small_data / "photos"),
         "--out", str(tmp_path / "run"), "--batch-size", "2", "--image-size", "32", "--no-progress"]
    )  # fmt: skip
    assert code == 1
    line = one_error_line(capsys)
    assert "cannot download the VGG19 ImageNet weights" in line and "--vgg-weights PATH" in line


def test_a_truncated_photo_is_left_out_in_one_line_before_training(small_data, tmp_path):
    import shutil

    from animegan.training.animegan import AnimeGANConfig, AnimeGANTask
    from animegan.training.recipes import load_recipe

    photos = tmp_path / "photos"
    shutil.copytree(small_data / "photos", photos)
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "whole.jpg")
    whole = (tmp_path / "whole.jpg").read_bytes()
    (photos / "cut.jpg").write_bytes(whole[: len(whole) // 2])  # the header is intact, the pixels are not
    config = AnimeGANConfig.from_recipe(
        "animegan-v2", load_recipe("hayao"), data_dir=str(small_data / "data"), photos_dir=str(photos), batch_size=2
    )
    lines = []
    task = AnimeGANTask(config, report=lines.append)
    assert sorted(p.name for p in task.photos) == ["0.png", "1.png", "2.png", "3.png"]
    assert len(lines) == 1 and lines[0].startswith(f"animegan: skipping {photos / 'cut.jpg'}: truncated or corrupt (")
