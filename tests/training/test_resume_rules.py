"""training/resume.py: what --resume may change (length, moved folders, learning rates), and the record it keeps."""

import json

import keras
import numpy as np
import pytest

from animegan.cli.main import build_parser
from animegan.errors import AnimeGANError
from animegan.training.checkpoints import CheckpointManager
from animegan.training.distill import DistillConfig
from animegan.training.fit import save_run_config
from animegan.training.resume import resumed_config, saved_config
from animegan.training.run_config import SettingChange


class Holder:
    def checkpoint_groups(self):
        return {"generator": [keras.Variable(np.zeros(2, np.float32))]}


def make_run(run_dir, family: str, config, epochs_done: int = 3):
    """A run folder as the CLI leaves it: config.json and a committed checkpoint after ``epochs_done``."""
    save_run_config(run_dir, {"family": family, "config": config.to_dict()})
    CheckpointManager(run_dir).save(Holder(), epochs_done)
    return run_dir


def test_changed_learning_rates_are_applied_and_recorded_with_their_epoch(tmp_path):
    run = make_run(tmp_path / "run", "distill", DistillConfig(pairs_dir="pairs", epochs=5))
    lines = []
    config = resumed_config(
        saved_config(run, "distill", DistillConfig),
        {"lr": 1e-4, "d_lr": 2e-4, "epochs": 8, "pairs_dir": "moved"}, run, lines.append,
    )  # fmt: skip
    assert (config.lr, config.d_lr, config.epochs, config.pairs_dir) == (1e-4, 2e-4, 8, "moved")
    assert config.changes == (SettingChange(epoch=4, name="lr", before=2e-4, after=1e-4),)  # d_lr is unchanged
    assert lines == ["animegan: --resume changes from epoch 4: lr 0.0002 -> 0.0001"]
    # config.json keeps the history; a later resume adds to it
    save_run_config(run, {"family": "distill", "config": config.to_dict()})
    saved = json.loads((run / "config.json").read_text())["config"]
    assert saved["changes"] == [{"epoch": 4, "name": "lr", "before": 2e-4, "after": 1e-4}]
    CheckpointManager(run).save(Holder(), 6)
    again = resumed_config(saved_config(run, "distill", DistillConfig), {"lr": 1e-4, "d_lr": 5e-5}, run)
    assert [(c.epoch, c.name, c.after) for c in again.changes] == [(4, "lr", 1e-4), (7, "d_lr", 5e-5)]
    assert DistillConfig.from_dict(again.to_dict()) == again


def test_other_differences_are_refused_in_one_line(tmp_path):
    run = make_run(tmp_path / "run", "distill", DistillConfig(pairs_dir="pairs", width=0.5))
    with pytest.raises(AnimeGANError) as error:
        resumed_config(saved_config(run, "distill", DistillConfig), {"width": 1.0, "seed": 2, "lr": 1e-3}, run)
    message = str(error.value)
    assert message == (
        "--resume continues the saved run, which differs in width=1.0 (the run has 0.5); seed=2 (the run has 0)"
    )
    with pytest.raises(AnimeGANError, match="holds a distill run, not cyclegan"):
        saved_config(run, "cyclegan", DistillConfig)


def test_animegan_cli_resume_takes_new_learning_rates_but_not_new_loss_weights(tmp_path):
    from animegan.cli import train_animegan
    from animegan.training.animegan import AnimeGANConfig
    from animegan.training.recipes import load_recipe

    config = AnimeGANConfig.from_recipe("animegan-v2", load_recipe("hayao"), data_dir="d", photos_dir="p")
    run = make_run(tmp_path / "run", "animegan", config, epochs_done=12)
    parse = build_parser().parse_args
    common = ["train", "animegan-v2", "--out", str(run), "--resume"]
    resumed = train_animegan._resumed_config(parse([*common, "--g-lr", "1e-5", "--d-lr", "2e-5", "--clipnorm", "1"]))
    assert (resumed.g_lr, resumed.d_lr, resumed.clipnorm, resumed.init_lr) == (1e-5, 2e-5, 1.0, 2e-4)
    assert [(c.epoch, c.name, c.before, c.after) for c in resumed.changes] == [
        (13, "g_lr", 2e-5, 1e-5), (13, "d_lr", 4e-5, 2e-5), (13, "clipnorm", 0.0, 1.0),
    ]  # fmt: skip
    with pytest.raises(AnimeGANError, match=r"differs in style weight=9.0 \(the run has 2.5\)"):
        train_animegan._resumed_config(parse([*common, "--g-lr", "1e-5", "--style-weight", "9"]))
    with pytest.raises(AnimeGANError, match=r"differs in recipe='shinkai' \(the run has 'hayao'\)"):
        train_animegan._resumed_config(parse([*common, "--recipe", "shinkai"]))
