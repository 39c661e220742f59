"""The shared fit driver on a toy GAN (seconds, not minutes): exact resume, run-folder rules, mirrored replicas.

The toy is the smallest ``TrainingTask``: a one-conv generator and a two-layer discriminator on seeded
random 8x8 "photos". Run as a script (``python tests/training/test_fit.py RUN_DIR REPLICAS``) it trains
the toy with ``--strategy mirrored`` over ``REPLICAS`` logical CPU devices, which is how the test checks
that the replica arithmetic (loss / replicas, gradients summed) equals one-device training.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROJECT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # the script mode: split the CPU before TensorFlow starts
    _REPLICAS = int(sys.argv[2])
    import tensorflow as tf

    _cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * _REPLICAS)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from animegan.errors import AnimeGANError  # noqa: E402
from animegan.training.base import GANTrainer, adam  # noqa: E402
from animegan.training.callbacks import read_epoch_log  # noqa: E402
from animegan.training.fit import FitOptions, fit, summary_lines  # noqa: E402
from tests.training.toy import SeededPhotos, toy_networks  # noqa: E402

class ToyTrainer(GANTrainer):
    """LSGAN plus an L1 pull towards the photo: both networks update every step."""

    LOSS_NAMES = ("g_loss", "d_loss")

    def train_step(self, data):
        photo = data["photo"]
        with tf.GradientTape() as tape:
            fake = self.generator(photo, training=True)
            d_loss = keras.ops.mean(keras.ops.square(self.discriminator(photo, training=True) - 1.0))
            d_loss += keras.ops.mean(keras.ops.square(self.discriminator(fake, training=True)))
            scaled = self.scaled_for(self.d_optimizer, d_loss)
        self.apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        with tf.GradientTape() as tape:
            fake = self.generator(photo, training=True)
            g_loss = keras.ops.mean(keras.ops.square(self.discriminator(fake, training=True) - 1.0))
            g_loss += keras.ops.mean(keras.ops.abs(fake - photo))
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
        return self.record(g_loss=g_loss, d_loss=d_loss)


class ToyTask(SeededPhotos):
    """A ``animegan.training.fit.TrainingTask`` whose epoch ``e`` data is a stateless function of (seed, e)."""

    steps_per_epoch = 3
    batch_size = 4
    shown_losses = ("g_loss", "d_loss")

    tuning_options = ("--lr",)

    def __init__(self, seed: int = 0, lr: float = 1e-2):
        self.seed = seed
        self.lr = lr

    def build_trainer(self) -> ToyTrainer:
        generator, discriminator = toy_networks(self.seed)
        trainer = ToyTrainer(generator, discriminator)
        trainer.compile(g_optimizer=adam(self.lr, name="g_adam"), d_optimizer=adam(self.lr, name="d_adam"))
        return trainer



def options(run_dir, epochs, **kw) -> FitOptions:
    return FitOptions(run_dir=Path(run_dir), epochs=epochs, progress=False, **kw)


def checkpoint(run_dir, epoch) -> dict:
    with np.load(Path(run_dir) / "checkpoints" / f"epoch_{epoch:04d}.npz") as data:
        return {k: data[k] for k in data.files}


def test_stop_then_resume_equals_the_straight_run_bit_for_bit(tmp_path, capsys):
    straight = fit(ToyTask(), options(tmp_path / "straight", 3))
    assert straight.epochs_done == 3 and len(straight.history["g_loss"]) == 3
    assert len(straight.history["hf_ratio"]) == 3
    assert sorted(p.name for p in (tmp_path / "straight" / "samples").iterdir()) == [
        "epoch_001.png", "epoch_002.png", "epoch_003.png",
    ]  # fmt: skip

    fit(ToyTask(), options(tmp_path / "split", 2))
    resumed = fit(ToyTask(), options(tmp_path / "split", 3, resume=True))
    assert "resumed from " + str(tmp_path / "split" / "checkpoints" / "epoch_0002.npz") + " at epoch 2" in (
        capsys.readouterr().err
    )
    assert (resumed.initial_epoch, resumed.epochs_done, len(resumed.history["g_loss"])) == (2, 3, 1)

    a, b = checkpoint(tmp_path / "straight", 3), checkpoint(tmp_path / "split", 3)
    assert a.keys() == b.keys() and any(k.startswith("g_optimizer.") for k in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    history = read_epoch_log(tmp_path / "split" / "history.jsonl")  # appended by the resumed run
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert history == read_epoch_log(tmp_path / "straight" / "history.jsonl")
    record = json.loads((tmp_path / "split" / "checkpoints" / "last.json").read_text())
    assert record["epoch"] == 3 and record["state"]["phase"] == "adversarial" and record["state"]["seed"] == 0

    # The saved generator is a float32 copy with the trained weights.
    model = keras.saving.load_model(resumed.generator_path)
    for saved, trained in zip(model.get_weights(), [b[k] for k in sorted(b) if k.startswith("generator.")]):
        np.testing.assert_array_equal(saved, trained)
    lines = "\n".join(summary_lines(resumed))
    assert "trained epochs 3-3" in lines and f"--model {resumed.generator_path}" in lines and "hf_ratio:" in lines


def test_run_folder_rules(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(AnimeGANError, match="nothing to resume"):
        fit(ToyTask(), options(run, 1, resume=True))
    fit(ToyTask(), options(run, 1))
    with pytest.raises(AnimeGANError, match="already holds a run; pass --resume"):
        fit(ToyTask(), options(run, 2))
    with pytest.raises(AnimeGANError, match="trained with seed 0, not 5"):
        fit(ToyTask(seed=5), options(run, 2, resume=True, seed=5))
    done = fit(ToyTask(), options(run, 1, resume=True))  # already complete: nothing to train, model saved
    assert done.epochs_done == 1 and done.generator_path.is_file()
    with pytest.raises(AnimeGANError, match="unknown strategy"):
        fit(ToyTask(), options(tmp_path / "other", 1, strategy="tpu"))
    with pytest.raises(AnimeGANError, match="--epochs must be at least 1"):
        fit(ToyTask(), options(tmp_path / "other", 0))


def test_a_damaged_latest_checkpoint_resumes_from_the_one_before_and_ends_as_the_straight_run(tmp_path, capsys):
    straight = fit(ToyTask(), options(tmp_path / "straight", 3))
    fit(ToyTask(), options(tmp_path / "split", 2))
    latest = tmp_path / "split" / "checkpoints" / "epoch_0002.npz"
    latest.write_bytes(latest.read_bytes()[:-300])  # truncated on disk after its commit
    resumed = fit(ToyTask(), options(tmp_path / "split", 3, resume=True))
    err = capsys.readouterr().err
    assert "epoch_0002.npz is" in err and "resuming from epoch_0001.npz (epoch 1) instead" in err
    assert "Traceback" not in err and resumed.initial_epoch == 1
    a, b = checkpoint(straight.run_dir, 3), checkpoint(tmp_path / "split", 3)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_resume_trains_on_with_the_configured_learning_rate(tmp_path):
    fit(ToyTask(lr=1e-2), options(tmp_path / "run", 1))
    fit(ToyTask(lr=1e-3), options(tmp_path / "run", 2, resume=True))
    saved = checkpoint(tmp_path / "run", 2)
    with np.load(tmp_path / "run" / "checkpoints" / "epoch_0001.npz") as first:
        assert float(first["g_optimizer.00001"]) == pytest.approx(1e-2)  # adam/learning_rate after epoch 1
    assert float(saved["g_optimizer.00001"]) == pytest.approx(1e-3)
    assert float(saved["d_optimizer.00001"]) == pytest.approx(1e-3)
    # (with the checkpoint's own rate, a resume stays bit-exact: test_stop_then_resume_equals_the_straight_run)


def test_exploding_losses_are_one_warning_line_per_epoch(tmp_path, capsys):
    result = fit(ToyTask(lr=1e3), options(tmp_path / "run", 2))  # losses of 1e15, as --g-lr 1e6 gives AnimeGAN
    warnings = [line for line in capsys.readouterr().err.splitlines() if "losses are exploding" in line]
    assert result.epochs_done == 2 and 1 <= len(warnings) <= 2
    assert warnings[0].startswith("animegan: warning: the losses are exploding at epoch 1")
    assert "lower the learning rates (--lr), then continue with --resume" in warnings[0]
    assert max(result.history["d_loss"]) > 1e4
    quiet = fit(ToyTask(), options(tmp_path / "healthy", 2))
    assert quiet.epochs_done == 2 and "exploding" not in capsys.readouterr().err
    record = json.loads((tmp_path / "run" / "checkpoints" / "last.json").read_text())
    assert set(record["state"]["loss_baselines"]) == {"g_loss", "d_loss"}


@pytest.mark.slow
def test_mirrored_over_two_replicas_equals_one_device(tmp_path):
    fit(ToyTask(), options(tmp_path / "one", 2))
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(PROJECT)  # the script imports tests.training.toy
    done = subprocess.run(
        [sys.executable, __file__, str(tmp_path / "two"), "2"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "replicas 2" in done.stdout
    a, b = checkpoint(tmp_path / "one", 2), checkpoint(tmp_path / "two", 2)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-5, err_msg=key)


if __name__ == "__main__":
    from animegan.training.fit import make_strategy

    print("replicas", make_strategy("mirrored").num_replicas_in_sync)
    fit(ToyTask(), options(sys.argv[1], 2, strategy="mirrored"))
