"""The one training driver every family uses: determinism, strategy, resume, callbacks, ``model.fit``.

A family supplies a ``TrainingTask`` (how to build its compiled trainer, its datasets and validation
photos); ``fit`` does the rest the same way for all of them:

1. seeds and deterministic ops (an interrupted run resumed from a checkpoint ends where an uninterrupted
   one would: bit for bit in one process, to float rounding across processes), the mixed-precision
   policy and the ``tf.distribute`` strategy;
2. builds the trainer inside the strategy scope and, with ``resume``, restores the last checkpoint;
3. runs ``model.fit(initial_epoch=...)`` on the epochs still to do, with the shared callbacks;
4. on a NaN stops with the message and the last good checkpoint; otherwise saves the plain generator as
   ``RUN_DIR/generator.keras``. A loss that explodes without becoming NaN is a one-line warning.

On resume the checkpoint gives every variable but the learning rates: those are the config's, so a
run continued with ``--resume --g-lr ...`` trains on with the new rate (``training.resume`` records it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from animegan.atomic import write_text
from animegan.choices import STRATEGIES
from animegan.errors import AnimeGANError
from animegan.training import distributed

CONFIG_FILE = "config.json"
GENERATOR_FILE = "generator.keras"
HISTORY_FILE = "history.jsonl"  # one JSON object per epoch: every loss term and hf_ratio


class TrainingTask(Protocol):
    """What a model family gives the driver."""

    steps_per_epoch: int
    batch_size: int  # the global batch
    shown_losses: tuple[str, ...]  # the metrics the progress bar shows

    def build_trainer(self):
        """A compiled ``GANTrainer`` (called inside the strategy scope)."""

    def dataset(self, first_epoch: int, end_epoch: int):
        """The training batches of epochs ``first_epoch`` .. ``end_epoch - 1``."""

    # Optional: ``tuning_options``, the options of the settings --resume may change (for the NaN advice).
    # An image-to-image task gives validation photos, and gets the photo | stylized sample grid and the
    # hf_ratio artefact metric; a task that generates from noise instead defines
    # ``epoch_callbacks(run_dir) -> list[keras.callbacks.Callback]`` (its own sample grid, metrics).
    def validation_photos(self) -> np.ndarray:
        """(N, H, W, 3) photos in [-1, 1] for the sample grid and the artefact metric."""


@dataclass(frozen=True)
class FitOptions:
    run_dir: Path
    epochs: int
    seed: int = 0
    strategy: str = "default"
    mixed_precision: bool = False
    deterministic: bool = True
    jit_compile: bool = False
    resume: bool = False
    hf_cutoff: float = 0.25
    keep_checkpoints: int = 2
    progress: bool = True


@dataclass
class FitResult:
    run_dir: Path
    epochs_done: int
    initial_epoch: int
    history: dict = field(default_factory=dict)
    generator_path: Path | None = None
    checkpoint: Path | None = None
    seconds: float = 0.0


class TrainingStopped(AnimeGANError):
    """Training stopped early (a NaN loss); the message says why and where the last good checkpoint is."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def configure_determinism(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TF; with ``deterministic``, ask TF for deterministic kernels."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def check_options(options: FitOptions) -> None:
    """The option errors that need no training: call it before writing anything."""
    import tensorflow as tf

    if options.strategy not in STRATEGIES:
        raise AnimeGANError(f"unknown strategy {options.strategy!r}; choose one of {', '.join(STRATEGIES)}")
    distributed.check_cluster(options.strategy)
    if options.strategy == distributed.MULTI_WORKER:
        make_strategy(options.strategy)  # collectives must be set up before any TensorFlow op runs
    if options.mixed_precision and not tf.config.list_physical_devices("GPU"):
        raise AnimeGANError("--mixed-precision needs a GPU (float16 on a CPU is slower, not faster)")
    if options.epochs < 1:
        raise AnimeGANError(f"--epochs must be at least 1, got {options.epochs}")


def configure_precision(mixed_precision: bool) -> None:
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")


_JOINED: dict = {}


def make_strategy(name: str):
    """``default``: one device; ``mirrored``: every local GPU; ``multi-worker``: the TF_CONFIG cluster.

    Without a GPU, ``mirrored`` replicates over the logical CPU devices: one unless the process split its
    CPU with ``tf.config.set_logical_device_configuration`` (how the tests check the replica arithmetic).
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
        if len(cpus) < 2:
            say("animegan: warning: --strategy mirrored found no GPU; running on the CPU as one replica")
        return tf.distribute.MirroredStrategy(cpus)
    if name == distributed.MULTI_WORKER:
        if _JOINED.get(name) is None:  # one per process: TensorFlow joins a cluster once, at start-up
            _JOINED[name] = distributed.multi_worker_strategy()
        return _JOINED[name]
    raise AnimeGANError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def save_run_config(run_dir: Path, config: dict) -> None:
    if distributed.is_other_worker():  # the chief writes the run folder
        return
    write_text(run_dir / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")


def load_run_config(run_dir: Path) -> dict:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise AnimeGANError(f"nothing to resume in {run_dir}: {CONFIG_FILE} is missing")
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise AnimeGANError(f"cannot read {path}: {error}") from None


def check_run_dir(run_dir: Path, resume: bool) -> None:
    """A new run needs a folder without a checkpoint; a resumed one needs the checkpoint."""
    from animegan.training.checkpoints import CHECKPOINT_DIR, RECORD

    if distributed.is_other_worker():  # the chief checks and writes the run folder
        return
    has_checkpoint = (run_dir / CHECKPOINT_DIR / RECORD).is_file()
    if resume and not has_checkpoint:
        raise AnimeGANError(f"nothing to resume in {run_dir}: no checkpoint yet (start without --resume)")
    if not resume and has_checkpoint:
        raise AnimeGANError(f"{run_dir} already holds a run; pass --resume to continue it, or choose another --out")


def checkpoint_state(trainer, options: FitOptions, extra: Callable[[], dict] | None = None) -> dict:
    """What a checkpoint records beside the variables: the phase, the data order's key, the loss baselines."""
    return {
        "phase": trainer.phase,
        "seed": options.seed,
        "data_order": "stateless in (seed, epoch): epoch N is replayed exactly on resume",
        **(extra() if extra else {}),
    }


def learning_rate_variables(trainer) -> list:
    """The optimizers' learning-rate variables (a schedule has none: it is rebuilt from the config)."""
    return [
        variable
        for optimizer, _ in trainer.optimizer_variables().values()
        for variable in optimizer.variables
        if variable.path.rsplit("/", 1)[-1] == "learning_rate"
    ]


def resume_from_checkpoint(trainer, manager, options: FitOptions) -> tuple[int, dict]:
    """Restore the newest intact checkpoint (keeping the configured learning rates); its epoch and state."""
    checkpoint, arrays = manager.newest_intact(report=say)
    saved_seed = checkpoint.state.get("seed", options.seed)
    if saved_seed != options.seed:
        raise AnimeGANError(
            f"the checkpoint was trained with seed {saved_seed}, not {options.seed}: the data order would differ"
        )
    configured = [(variable, variable.numpy()) for variable in learning_rate_variables(trainer)]
    manager.restore(trainer, checkpoint, arrays)
    for variable, value in configured:
        variable.assign(value)
    next_step = (
        f"continuing with epoch {checkpoint.epoch + 1} of {options.epochs}"
        if checkpoint.epoch < options.epochs
        else "no epochs left"
    )
    say(f"resumed from {checkpoint.path} at epoch {checkpoint.epoch}; {next_step}")
    return checkpoint.epoch, checkpoint.state


def tuning_advice(task: TrainingTask) -> str:
    """What to do about a diverging run: true, since --resume accepts these options changed."""
    options = getattr(task, "tuning_options", ())
    rates = [option for option in options if option != "--clipnorm"]
    change = f"lower the learning rates ({', '.join(rates)})" if rates else "lower the learning rates"
    if "--clipnorm" in options:
        change += " or add --clipnorm"
    return f"{change}, then continue with --resume"


def stop_message(guard_message: str, manager, task: TrainingTask) -> str:
    """The NaN stop's one line: what happened, the last good checkpoint, and what to change on resume."""
    last = manager.latest()
    where = f"the last good checkpoint is {last.path} (epoch {last.epoch})" if last else "no checkpoint was saved"
    return f"training stopped: {guard_message}; {where}; {tuning_advice(task)}"


def epoch_callbacks(task: TrainingTask, run_dir: Path, options: FitOptions) -> list:
    """The task's own epoch-end callbacks, or for photo tasks the sample grid and the hf_ratio metric."""
    from animegan.training.callbacks import HighFrequencyMetric, SampleGrid

    own = getattr(task, "epoch_callbacks", None)
    if own is not None:
        return list(own(run_dir))
    photos = task.validation_photos()
    return [HighFrequencyMetric(photos, cutoff=options.hf_cutoff), SampleGrid(photos, run_dir / "samples")]


def fit(task: TrainingTask, options: FitOptions, state: Callable[[], dict] | None = None) -> FitResult:
    """Train (or resume) ``task`` for ``options.epochs`` epochs in total; see the module docstring."""
    from animegan.training.callbacks import (
        EpochCheckpoint,
        EpochLog,
        LossExplosionWarning,
        NaNGuard,
        PhaseScheduler,
        ProgressBar,
        tensorboard_callback,
    )
    from animegan.training.checkpoints import CheckpointManager

    options = distributed.for_this_worker(options)
    run_dir = Path(options.run_dir)
    check_options(options)
    check_run_dir(run_dir, options.resume)
    configure_determinism(options.seed, options.deterministic)
    configure_precision(options.mixed_precision)
    strategy = make_strategy(options.strategy)
    started = time.monotonic()

    replicas = strategy.num_replicas_in_sync
    if task.batch_size % replicas:
        raise AnimeGANError(f"--batch-size {task.batch_size} must be a multiple of the {replicas} replicas")
    with strategy.scope():
        trainer = task.build_trainer()
        trainer.jit_compile = options.jit_compile
        trainer.build_optimizers()
    manager = CheckpointManager(run_dir, keep=options.keep_checkpoints)
    initial_epoch, saved = resume_from_checkpoint(trainer, manager, options) if options.resume else (0, {})

    initial_epoch = distributed.agree_on_start(trainer, strategy, initial_epoch)
    result = FitResult(run_dir, initial_epoch, initial_epoch)
    if initial_epoch >= options.epochs:
        say(f"the run already has {initial_epoch} epochs (--epochs {options.epochs}); nothing to train")
    else:
        trainer.set_epoch(initial_epoch)
        guard = NaNGuard()
        explosion = LossExplosionWarning(
            say, baselines=saved.get(LossExplosionWarning.STATE_KEY), advice=tuning_advice(task)
        )

        def saved_state(model, epoch):
            return checkpoint_state(model, options, lambda: {**(state() if state else {}), **explosion.state()})

        saver = EpochCheckpoint(manager, guard, saved_state)
        callbacks = [
            PhaseScheduler(report=say if options.progress else None),
            guard,
            explosion,
            *epoch_callbacks(task, run_dir, options),
            saver,
            EpochLog(run_dir / HISTORY_FILE),
            tensorboard_callback(run_dir / "logs"),
        ]
        if options.progress:
            callbacks.append(ProgressBar(options.epochs, task.steps_per_epoch, task.shown_losses))
        history = distributed.fit_method(trainer, strategy)(
            task.dataset(initial_epoch, options.epochs),
            epochs=options.epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=task.steps_per_epoch,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # the dataset's order is already seeded per epoch
        )
        result.history = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        result.checkpoint = saver.last_path
        result.epochs_done = saver.last_epoch or initial_epoch
        if guard.tripped:
            raise TrainingStopped(stop_message(guard.message, manager, task))

    from animegan.weights.save import save_model_atomically

    result.generator_path = save_model_atomically(trainer.export_generator(), run_dir / GENERATOR_FILE)
    result.seconds = time.monotonic() - started
    return result


def summary_lines(result: FitResult) -> list[str]:
    """The final report: what was trained, where everything is, and how to use the model."""
    if distributed.is_other_worker():
        return [f"trained epochs {result.initial_epoch + 1}-{result.epochs_done} as {distributed.cluster_role().name}; "
                "the chief wrote the run folder"]  # fmt: skip
    minutes, seconds = divmod(int(result.seconds), 60)
    hf = result.history.get("hf_ratio")
    lines = [
        f"trained epochs {result.initial_epoch + 1}-{result.epochs_done} in {minutes}m{seconds:02d}s"
        if result.epochs_done > result.initial_epoch
        else f"no new epochs (the run holds {result.epochs_done})",
        f"generator:   {result.generator_path}",
        f"samples:     {result.run_dir / 'samples'}/epoch_XXX.png",
        f"checkpoints: {result.run_dir / 'checkpoints'} (continue with --resume)",
        f"tensorboard: tensorboard --logdir {result.run_dir / 'logs'}",
        f"history:     {result.run_dir / HISTORY_FILE} (every epoch's losses and hf_ratio)",
    ]
    if hf:
        lines.append(f"hf_ratio:    {hf[-1]:.3f} (high-frequency energy vs the photos; 1 = as fine-grained)")
    lines.append(f"stylize:     animegan stylize PHOTO -o OUT --model {result.generator_path}")
    return lines
