"""The shared callbacks one at a time: progress bar, NaN guard, sample grid, hf_ratio, TensorBoard scalars."""

import io

import keras
import numpy as np
import tensorflow as tf

from animegan.training.callbacks import (
    EpochLog,
    EpochScalars,
    HighFrequencyMetric,
    LossExplosionWarning,
    NaNGuard,
    ProgressBar,
    SampleGrid,
    read_epoch_log,
    sample_grid,
)
from animegan.training.fit import FitResult, summary_lines


class Holder:
    """What the callbacks read from ``self.model``: a generator and ``stop_training``."""

    def __init__(self, generator):
        self.generator = generator
        self.stop_training = False


def identity_generator(size=8):
    x = keras.Input((size, size, 3))
    return keras.Model(x, keras.layers.Identity()(x))


def attach(callback, model):
    callback._model = model  # what keras.callbacks.CallbackList.set_model does
    return callback


def test_progress_bar_shows_the_epoch_and_the_chosen_losses():
    out = io.StringIO()
    bar = ProgressBar(epochs=2, steps=3, shown=("g_loss", "d_loss"), file=out)
    bar.on_epoch_begin(1)
    for step in range(3):
        bar.on_train_batch_end(step, {"g_loss": 1.25, "d_loss": 0.5, "style": 9.0})
    bar.on_epoch_end(1, {"g_loss": 1.25, "d_loss": 0.5})
    text = out.getvalue()
    assert "epoch 2/2" in text and "3/3" in text
    assert "g_loss=1.25" in text and "d_loss=0.5" in text and "style" not in text


def test_nan_guard_stops_and_says_where():
    guard = attach(NaNGuard(), Holder(None))
    guard.on_epoch_begin(4)
    guard.on_train_batch_end(0, {"g_loss": 1.0})
    assert not guard.tripped and not guard.model.stop_training
    guard.on_train_batch_end(6, {"g_loss": 1.0, "d_loss": float("nan")})
    assert guard.tripped and guard.model.stop_training
    assert guard.message == "loss d_loss became nan at epoch 5, step 7"
    guard.on_train_batch_end(7, {"g_loss": float("inf")})
    assert "d_loss" in guard.message  # the first one is kept


def test_loss_explosion_is_judged_against_the_first_value_and_told_once_per_epoch():
    lines = []
    warn = LossExplosionWarning(lines.append, advice="lower --g-lr")
    warn.on_epoch_begin(0)
    warn.on_train_batch_end(0, {"g_loss": 300.0, "tv": 0.01, "phase": "init"})  # the baselines
    warn.on_train_batch_end(1, {"g_loss": 3e6, "tv": 9e3})  # 10000 x 300, and under the floor of 1e4
    assert lines == []
    warn.on_train_batch_end(2, {"g_loss": 4e6, "tv": 2e4, "d_loss": 5.0})
    warn.on_train_batch_end(3, {"g_loss": 1e17})
    assert len(lines) == 1 and lines[0].startswith("animegan: warning: the losses are exploding at epoch 1, step 3")
    assert "g_loss 4e+06 (first 300)" in lines[0] and "tv 2e+04 (first 0.01)" in lines[0]
    assert lines[0].endswith("over 10000 x their first values; lower --g-lr")
    warn.on_epoch_begin(1)
    warn.on_train_batch_end(0, {"g_loss": float("nan")})  # NaNGuard's case
    warn.on_train_batch_end(1, {"g_loss": 1e17})
    assert len(lines) == 2 and "epoch 2, step 2" in lines[1]
    # a resumed run compares with the run's first values, saved with the checkpoint
    resumed = LossExplosionWarning(lines.append, baselines=warn.state()[LossExplosionWarning.STATE_KEY])
    assert resumed.baselines == {"g_loss": 300.0, "tv": 0.01, "d_loss": 5.0}
    resumed.on_train_batch_end(0, {"g_loss": 1e17})
    assert len(lines) == 3


def test_sample_grid_rows_are_photo_then_stylized(tmp_path):
    photos = np.full((2, 4, 4, 3), -1.0, np.float32)
    generated = np.full((2, 4, 4, 3), 1.0, np.float32)
    grid = sample_grid(photos, generated)
    assert grid.shape == (8, 8, 3)
    assert np.all(grid[:, :4] == 0.0) and np.all(grid[:, 4:] == 1.0)

    photos = np.zeros((2, 8, 8, 3), np.float32)
    callback = attach(SampleGrid(photos, tmp_path / "samples"), Holder(identity_generator()))
    callback.on_epoch_end(0)
    callback.on_epoch_end(11)
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["epoch_001.png", "epoch_012.png"]


def test_hf_ratio_of_an_identity_generator_is_one():
    photos = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    metric = attach(HighFrequencyMetric(photos), Holder(identity_generator()))
    logs = {"g_loss": 1.0}
    metric.on_epoch_end(0, logs)
    assert abs(logs["hf_ratio"] - 1.0) < 1e-6


def test_epoch_scalars_are_tensorboard_events(tmp_path):
    callback = EpochScalars(tmp_path / "logs")
    callback.on_train_begin()
    callback.on_epoch_end(0, {"g_loss": 2.5, "hf_ratio": 1.5})
    callback.on_epoch_end(1, {"g_loss": 2.0, "hf_ratio": 1.25})
    callback.on_train_end()
    events = list((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))
    assert len(events) == 1
    seen = {}
    for record in tf.data.TFRecordDataset(str(events[0])):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            seen[(value.tag, event.step)] = float(tf.make_ndarray(value.tensor))
    assert seen == {
        ("epoch_g_loss", 0): 2.5, ("epoch_hf_ratio", 0): 1.5, ("epoch_g_loss", 1): 2.0, ("epoch_hf_ratio", 1): 1.25,
    }  # fmt: skip


def test_epoch_log_keeps_changing_metric_names_and_the_last_try_of_an_epoch(tmp_path):
    log = EpochLog(tmp_path / "history.jsonl")
    log.on_epoch_end(0, {"init_loss": 3.0, "hf_ratio": 1.0})
    log.on_epoch_end(1, {"g_loss": 2.0, "d_loss": 1.0, "hf_ratio": 1.5})
    log.on_epoch_end(1, {"g_loss": 1.5, "d_loss": 1.0, "hf_ratio": 1.25})  # redone after a resume
    assert read_epoch_log(tmp_path / "history.jsonl") == [
        {"epoch": 1, "init_loss": 3.0, "hf_ratio": 1.0},
        {"epoch": 2, "g_loss": 1.5, "d_loss": 1.0, "hf_ratio": 1.25},
    ]


def test_summary_says_where_the_model_is_and_how_to_use_it(tmp_path):
    result = FitResult(tmp_path, epochs_done=5, initial_epoch=2, history={"hf_ratio": [1.4, 1.2]},
                       generator_path=tmp_path / "generator.keras", seconds=75)  # fmt: skip
    lines = summary_lines(result)
    assert lines[0] == "trained epochs 3-5 in 1m15s"
    assert any(line.endswith("1.200 (high-frequency energy vs the photos; 1 = as fine-grained)") for line in lines)
    assert lines[-1] == f"stylize:     animegan stylize PHOTO -o OUT --model {tmp_path / 'generator.keras'}"
