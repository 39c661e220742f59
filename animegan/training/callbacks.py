"""Callbacks shared by every trainer: phases, NaN stop, checkpoints, samples, the artefact metric, progress.

``fit.py`` puts them in this order, which matters: the NaN guard runs before the checkpoint (so a NaN
epoch is never saved), and the metric callbacks add their numbers to the epoch logs before TensorBoard,
the progress bar and Keras' ``History`` read them.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import keras
import numpy as np

from animegan.data.images import write_image
from animegan.training.hf_ratio import high_frequency_ratio


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number: nothing to check


def generate(generator: keras.Model, photos: np.ndarray, batch_size: int = 4) -> np.ndarray:
    """The generator's float32 output for (N, H, W, 3) photos in [-1, 1], in small batches."""
    outputs = [
        np.asarray(generator(photos[i : i + batch_size], training=False), np.float32)
        for i in range(0, len(photos), batch_size)
    ]
    return np.concatenate(outputs)


class PhaseScheduler(keras.callbacks.Callback):
    """Tells the trainer which epoch starts, so it can switch phase (e.g. initialisation -> adversarial)."""

    def __init__(self, report=None):
        super().__init__()
        self.report = report

    def on_epoch_begin(self, epoch, logs=None):
        if self.model.set_epoch(epoch) and self.report is not None:
            self.report(f"epoch {epoch + 1}: {self.model.phase} phase")


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and remembers where, so nothing after it is saved."""

    def __init__(self):
        super().__init__()
        self.message: str | None = None
        self._epoch = 0

    @property
    def tripped(self) -> bool:
        return self.message is not None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.tripped:
            return
        for name, value in (logs or {}).items():
            if not _finite(value):
                self.message = f"loss {name} became {float(value)} at epoch {self._epoch + 1}, step {batch + 1}"
                self.model.stop_training = True
                return


class LossExplosionWarning(keras.callbacks.Callback):
    """One warning line per epoch (at most) when a loss explodes without becoming NaN.

    A loss's baseline is its value at the first step the run logs it, computed before any update acted
    on it; the loss has exploded once it exceeds ``factor`` (1e4) x max(1, |baseline|). Why that bound:
    every loss here is a mean over pixels in [-1, 1] or over discriminator logits, times the recipe's
    weights, so healthy values stay within O(1)-O(1e3) and move by a factor of 10-100 while a GAN
    trains; 1e4 times the start (and never less than 1e4, so a loss that starts near 0 may grow) is
    only reached when the weights diverge, e.g. ``--g-lr 1e6`` takes AnimeGAN's losses to 1e17. The
    baselines are saved with the checkpoint (``state``), so a resumed run compares with the same start.
    """

    FACTOR = 1e4
    STATE_KEY = "loss_baselines"

    def __init__(self, report, baselines: dict | None = None, factor: float = FACTOR, advice: str = ""):
        super().__init__()
        self.report = report
        self.baselines = {name: float(value) for name, value in (baselines or {}).items()}
        self.factor = factor
        self.advice = advice or "lower the learning rates, then continue with --resume"
        self.warned_epoch: int | None = None
        self._epoch = 0

    def state(self) -> dict:
        return {self.STATE_KEY: dict(self.baselines)}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        exploded = []
        for name, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue  # not a number
            if not math.isfinite(value):
                continue  # NaNGuard's case
            if name not in self.baselines:
                self.baselines[name] = value
            elif abs(value) > self.factor * max(1.0, abs(self.baselines[name])):
                exploded.append(f"{name} {value:.3g} (first {self.baselines[name]:.3g})")
        if exploded and self.warned_epoch != self._epoch:
            self.warned_epoch = self._epoch
            self.report(
                f"animegan: warning: the losses are exploding at epoch {self._epoch + 1}, step {batch + 1}: "
                f"{', '.join(exploded)}, over {self.factor:g} x their first values; {self.advice}"
            )


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves every variable of the trainer at each epoch end, unless the epoch ended on a NaN."""

    def __init__(self, manager, guard: NaNGuard, state=None):
        super().__init__()
        self.manager = manager
        self.guard = guard
        self.state = state or (lambda trainer, epoch: {})
        self.last_path: Path | None = None
        self.last_epoch: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.tripped or not all(_finite(v) for v in (logs or {}).values()):
            return
        self.last_path = self.manager.save(self.model, epoch + 1, self.state(self.model, epoch + 1))
        self.last_epoch = epoch + 1


class HighFrequencyMetric(keras.callbacks.Callback):
    """Adds ``hf_ratio`` (see ``animegan.training.hf_ratio``) on the validation photos to each epoch's logs."""

    def __init__(self, photos: np.ndarray, cutoff: float = 0.25, name: str = "hf_ratio"):
        super().__init__()
        self.photos = photos
        self.cutoff = cutoff
        self.name = name

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        generated = generate(self.model.generator, self.photos)
        if np.all(np.isfinite(generated)):  # after a NaN step there is nothing to measure
            logs[self.name] = high_frequency_ratio(generated, self.photos, self.cutoff)


def sample_grid(photos: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """Rows of ``photo | stylized`` as one (N*H, 2*W, 3) image in [0, 1]."""
    rows = [np.concatenate([p, g], axis=1) for p, g in zip(photos, generated)]
    return np.clip((np.concatenate(rows, axis=0) + 1.0) / 2.0, 0.0, 1.0)


class SampleGrid(keras.callbacks.Callback):
    """Writes ``directory/epoch_XXX.png`` (1-based epoch): the validation photos and their stylization."""

    def __init__(self, photos: np.ndarray, directory: str | Path):
        super().__init__()
        self.photos = photos
        self.directory = Path(directory)

    def on_epoch_end(self, epoch, logs=None):
        generated = generate(self.model.generator, self.photos)
        if not np.all(np.isfinite(generated)):
            return
        write_image(self.directory / f"epoch_{epoch + 1:03d}.png", sample_grid(self.photos, generated))


class ProgressBar(keras.callbacks.Callback):
    """A tqdm bar per epoch showing the main losses; the closed bar keeps the epoch's final numbers."""

    def __init__(self, epochs: int, steps: int, shown: tuple[str, ...], file=None):
        super().__init__()
        self.epochs = epochs
        self.steps = steps
        self.shown = shown
        self.file = file or sys.stderr
        self.bar = None

    def _postfix(self, logs) -> dict:
        return {k: f"{float(v):.4g}" for k, v in (logs or {}).items() if k in self.shown}

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.steps, desc=f"epoch {epoch + 1}/{self.epochs}", unit="step", file=self.file, leave=True
        )

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix(self._postfix(logs), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix(self._postfix(logs))
            self.bar.close()
            self.bar = None

    def on_train_end(self, logs=None):
        if self.bar is not None:  # stopped mid-epoch
            self.bar.close()
            self.bar = None


class EpochLog(keras.callbacks.Callback):
    """Appends each epoch's logs to ``RUN_DIR/history.jsonl``: ``{"epoch": 1-based, name: value, ...}``.

    JSON lines rather than ``keras.callbacks.CSVLogger``: a phase change (AnimeGAN's content-only epochs,
    then the GAN epochs) changes the metric names, which a CSV header fixed at the first epoch would drop.
    A resumed run appends; an epoch whose checkpoint was not committed is logged again when it is redone.
    """

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        import json

        row = {"epoch": epoch + 1}
        for name, value in (logs or {}).items():
            try:
                row[name] = float(value)
            except (TypeError, ValueError):
                continue
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def read_epoch_log(path: str | Path) -> list[dict]:
    """The rows of a ``history.jsonl``, the last one of each epoch (a redone epoch replaces its first try)."""
    import json

    rows: dict[int, dict] = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[int(row["epoch"])] = row
    return [rows[epoch] for epoch in sorted(rows)]


class EpochScalars(keras.callbacks.Callback):
    """Each epoch's logs as TensorBoard scalars (``RUN_DIR/logs/train``), without the ``tensorboard`` package.

    ``keras.callbacks.TensorBoard`` needs ``tensorboard`` installed for ``tf.summary.scalar``; this writes
    the same kind of event records with ``tf.summary.write``, which is part of TensorFlow itself.
    """

    def __init__(self, log_dir: str | Path):
        super().__init__()
        self.log_dir = Path(log_dir) / "train"
        self.writer = None

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self.writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
        )
        with self.writer.as_default():
            for name, value in (logs or {}).items():
                tf.summary.write(f"epoch_{name}", tf.constant(float(value), tf.float32), step=epoch, metadata=metadata)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()


def tensorboard_callback(log_dir: str | Path) -> keras.callbacks.Callback:
    """Keras' TensorBoard callback when ``tensorboard`` is installed, else ``EpochScalars``."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        return keras.callbacks.TensorBoard(str(log_dir), write_graph=False, profile_batch=0)
    return EpochScalars(log_dir)
