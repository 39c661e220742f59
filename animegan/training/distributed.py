"""Training on several machines: ``--strategy multi-worker`` with the standard ``TF_CONFIG``.

Keras 3's ``model.fit`` does not run under ``tf.distribute.MultiWorkerMirroredStrategy`` with more than one
worker (keras-team/keras#20585: a ``PerReplica`` conversion error in ``_maybe_symbolic_build``, then in the
``strategy.reduce(..., axis=0)`` of scalar logs), so ``fit_method`` gives ``fit.py`` a loop with the same
signature that drives each family's own ``train_step``: ``strategy.run`` of that step inside a
``tf.function``, over a distributed dataset, with the logs reduced (mean over replicas) here. The
callbacks are the ones ``fit.py`` gives ``model.fit``, called at the same points. One machine keeps
``model.fit``.

Every worker runs the same command. What each one does:

- the global batch is the one a single process would train on: each worker builds the same seeded
  pipeline and takes its own slice of every batch (``distribute``), and the gradients are summed over
  the replicas (the families divide their losses by the replica count), so the weights follow a
  one-process run to float rounding;
- the chief (task ``chief``, else ``worker`` 0) alone writes the run folder; the other workers write
  into a scratch folder of their own that is deleted when they exit (``for_this_worker``). On
  ``--resume`` only the chief reads the checkpoint: ``agree_on_start`` copies every variable and the
  epoch to the others (the CLI of each worker still reads the run's ``config.json``);
- a worker that dies is noticed by TensorFlow's coordination service (heartbeats) within seconds: the
  collectives of the others are aborted and they stop with one line, naming the last checkpoint to
  ``--resume`` from; ``COLLECTIVE_TIMEOUT_S`` bounds a collective whose peer is alive but stuck, and a
  watchdog process ``START_TIMEOUT_S`` a start-up that waits for a worker that never comes.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import re
import shutil
import sys
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from animegan.errors import AnimeGANError

MULTI_WORKER = "multi-worker"
# A collective op whose peers do not all arrive within this time fails (a peer alive but stuck); a dead
# peer is noticed sooner by the coordination service's heartbeats. Generous: the chief writes
# checkpoints and sample grids at each epoch end while the others wait for it.
COLLECTIVE_TIMEOUT_S = 600.0
# How long the workers wait for every worker of TF_CONFIG to join before they give up.
START_TIMEOUT_S = 600.0
_WATCHDOGS: dict[int, subprocess.Popen] = {}  # strategy id -> its start-up watchdog, until the first collective
_TRAINING_TASKS = ("chief", "worker")


@dataclass(frozen=True)
class ClusterRole:
    """This process in the ``TF_CONFIG`` cluster: its task, and how many tasks train."""

    task_type: str
    task_index: int
    workers: int  # chief + worker tasks
    chief_in_cluster: bool

    @property
    def is_chief(self) -> bool:
        return self.task_type == "chief" or (not self.chief_in_cluster and self.task_index == 0)

    @property
    def name(self) -> str:
        return f"{self.task_type} {self.task_index}"


def cluster_role(environ=os.environ) -> ClusterRole | None:
    """This process's role from ``TF_CONFIG``, or None without one; one line when it is malformed."""
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        task_type, task_index = str(task["type"]), int(task.get("index", 0))
        sizes = {kind: len(cluster.get(kind, [])) for kind in _TRAINING_TASKS}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise AnimeGANError(
            f"TF_CONFIG is not a cluster description ({type(error).__name__}: {error}); expected "
            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": N}}'
        ) from None
    if task_type not in _TRAINING_TASKS or not 0 <= task_index < sizes[task_type]:
        raise AnimeGANError(
            f"TF_CONFIG names task {task_type} {task_index}, which its cluster does not list "
            f"({sizes['chief']} chief, {sizes['worker']} workers)"
        )
    return ClusterRole(task_type, task_index, sizes["chief"] + sizes["worker"], sizes["chief"] > 0)


def is_other_worker() -> bool:
    """True in a worker of a multi-worker run that is not the chief: it writes nothing to the run folder."""
    role = cluster_role()
    return role is not None and role.workers > 1 and not role.is_chief


def check_cluster(strategy: str) -> None:
    """A ``TF_CONFIG`` of several workers goes with ``--strategy multi-worker``, and that strategy needs one."""
    role = cluster_role()
    if strategy == MULTI_WORKER and role is None:
        raise AnimeGANError(
            "--strategy multi-worker needs TF_CONFIG, the cluster and this worker's task (see docs/scale-out.md)"
        )
    if strategy != MULTI_WORKER and role is not None and role.workers > 1:
        raise AnimeGANError(
            f"TF_CONFIG describes a cluster of {role.workers} workers: pass --strategy multi-worker, or unset TF_CONFIG"
        )


def multi_worker_strategy():
    """``MultiWorkerMirroredStrategy`` for the ``TF_CONFIG`` cluster, start-up and collectives bounded in time."""
    import tensorflow as tf

    check_cluster(MULTI_WORKER)
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=COLLECTIVE_TIMEOUT_S)
    watchdog = _start_watchdog(START_TIMEOUT_S)
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        _stop_watchdog(watchdog)
        raise AnimeGANError(f"cannot join the TF_CONFIG cluster: {_first_line(error)}") from None
    _WATCHDOGS[id(strategy)] = watchdog
    return strategy


# The watchdog: a bare Python process that ends its parent unless told (stdin written or closed) in time.
_WATCHDOG = """
import os, select, signal, sys
parent, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ready, _, _ = select.select([sys.stdin], [], [], seconds)
if not ready:
    sys.stderr.write(message + chr(10))
    sys.stderr.flush()
    os.kill(parent, signal.SIGKILL)
"""


def _start_watchdog(seconds: float) -> subprocess.Popen:
    """Ends this process in one line if the cluster has not come together within ``seconds``.

    A worker of TF_CONFIG that never starts leaves the others blocked inside TensorFlow's start-up, in
    C++ that holds the interpreter (no Python thread runs, SIGTERM is not acted on, the collective
    timeout does not apply), so a separate process does it; the first collective of the run
    (``agree_on_start``) stops it.
    """
    message = (
        f"animegan: error: not every worker of TF_CONFIG joined within {seconds:g} s; "
        "start the same command on each of them"
    )
    command = [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(seconds), message]
    return subprocess.Popen(command, stdin=subprocess.PIPE)


def _stop_watchdog(watchdog: subprocess.Popen | None) -> None:
    if watchdog is not None:
        watchdog.stdin.close()
        watchdog.wait()


def is_multi_worker(strategy) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def for_this_worker(options):
    """``FitOptions`` as this worker runs them: the chief as given, another worker in a scratch folder."""
    if options.strategy != MULTI_WORKER or not is_other_worker():
        return options
    from animegan.atomic import remove_stale, temporary_path

    root = Path(tempfile.gettempdir())
    remove_stale(root)  # the scratch folders of workers killed before (named with their pid)
    scratch = temporary_path(root / "animegan-worker")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return dataclasses.replace(options, run_dir=scratch, resume=False, progress=False)


def agree_on_start(trainer, strategy, initial_epoch: int) -> int:
    """Every worker takes the chief's variables (a restored checkpoint) and epoch; a no-op on one machine."""
    if not is_multi_worker(strategy):
        return initial_epoch
    import tensorflow as tf

    variables = [v for group in trainer.checkpoint_groups().values() for v in group]
    values = [v.value if hasattr(v, "value") else v for v in variables]
    epoch = tf.constant(initial_epoch, tf.int64)

    def chiefs(*tensors):
        # The chief is replica 0: its values, zeros elsewhere, summed over the replicas (one all-reduce
        # per dtype: the collective packs its tensors together).
        ctx = tf.distribute.get_replica_context()
        first = tf.equal(ctx.replica_id_in_sync_group, 0)
        out = list(tensors)
        for dtype in {t.dtype for t in tensors}:
            where = [i for i, t in enumerate(tensors) if t.dtype == dtype]
            kept = [tf.where(first, tensors[i], tf.zeros_like(tensors[i])) for i in where]
            for i, value in zip(where, ctx.all_reduce(tf.distribute.ReduceOp.SUM, kept)):
                out[i] = value
        return out

    @tf.function
    def broadcast(*tensors):
        return strategy.run(chiefs, args=tensors)

    try:
        reduced = broadcast(epoch, *[tf.convert_to_tensor(v) for v in values])
        local = [strategy.experimental_local_results(r)[0] for r in reduced]
    except tf.errors.OpError as error:
        raise _lost(error, "while starting") from None
    finally:
        _stop_watchdog(_WATCHDOGS.pop(id(strategy), None))  # the cluster has come together
    for variable, value in zip(variables, local[1:]):
        variable.assign(value)
    return int(local[0])


def distribute(strategy, dataset):
    """Each worker's share of every global batch of ``dataset``: consecutive slices, one per replica."""
    import tensorflow as tf

    def share(context: tf.distribute.InputContext):
        replicas = context.num_replicas_in_sync
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local

        def split(*element):
            parts = tf.nest.map_structure(
                lambda t: tf.reshape(t, [replicas, -1, *t.shape[1:]])[first : first + local], element
            )
            return tf.data.Dataset.from_tensor_slices(parts if len(element) > 1 else parts[0])

        return dataset.flat_map(split)

    return strategy.distribute_datasets_from_function(share)


def fit_method(trainer, strategy):
    """``trainer.fit`` on one machine; under MultiWorkerMirroredStrategy, ``fit_loop`` with its arguments."""
    if not is_multi_worker(strategy):
        return trainer.fit
    return lambda dataset, **kwargs: fit_loop(trainer, strategy, dataset, **kwargs)


def fit_loop(
    trainer,
    strategy,
    dataset,
    *,
    epochs: int,
    initial_epoch: int,
    steps_per_epoch: int,
    callbacks: list,
    verbose: int = 0,
    shuffle: bool = False,
):
    """What ``model.fit`` does for ``fit.py``, with each step run on every replica; returns the History."""
    import keras
    import tensorflow as tf

    if getattr(trainer, "jit_compile", False):
        print("animegan: note: --xla is not applied to the multi-worker step", file=sys.stderr, flush=True)
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        [*callbacks, history], model=trainer, epochs=epochs, steps=steps_per_epoch, verbose=verbose
    )
    iterator = iter(distribute(strategy, dataset))
    steps: dict[str, object] = {}  # one traced step per phase: a phase change switches the step function
    trainer.stop_training = False
    where = "before the first step"
    try:
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            where = f"at the start of epoch {epoch + 1}"
            trainer.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            step = steps.get(trainer.phase) or steps.setdefault(trainer.phase, _step_function(trainer, strategy))
            logs: dict = {}
            for batch in range(steps_per_epoch):
                where = f"at epoch {epoch + 1}, step {batch + 1}"
                callback_list.on_train_batch_begin(batch)
                logs = {name: float(value) for name, value in step(iterator).items()}
                callback_list.on_train_batch_end(batch, logs)
                if trainer.stop_training:
                    break
            where = f"at the end of epoch {epoch + 1}"
            callback_list.on_epoch_end(epoch, dict(logs))
            if trainer.stop_training:
                break
        callback_list.on_train_end()
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.CancelledError,
            tf.errors.AbortedError, tf.errors.InternalError) as error:  # fmt: skip
        raise _lost(error, where, callbacks) from None
    return history


def _step_function(trainer, strategy):
    import tensorflow as tf

    def step(iterator):
        logs = strategy.run(trainer.train_step, args=(next(iterator),))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in logs.items()}

    return tf.function(step)


def _lost(error, where: str, callbacks: list = ()) -> AnimeGANError:
    """The one line for a cluster that lost a worker: what TensorFlow saw, and how to continue."""
    from animegan.training.callbacks import EpochCheckpoint

    saver = next((c for c in callbacks if isinstance(c, EpochCheckpoint)), None)
    last = f"the last checkpoint holds epoch {saver.last_epoch}; " if saver is not None and saver.last_epoch else ""
    return AnimeGANError(
        f"the multi-worker run stopped {where}: a worker stopped answering ({_first_line(error)}); "
        f"{last}start every worker again with --resume"
    )


def _first_line(error: BaseException) -> str:
    """What a TensorFlow error says in one line: which task stopped its heartbeats, else its first line."""
    text = str(getattr(error, "message", None) or error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line, following in zip(lines, lines[1:]):
        if "stopped sending heartbeats" in line:
            return f"{following} stopped sending heartbeats"
    useful = [line for line in lines if "aborted" in line.lower() or "deadline" in line.lower()]
    return re.sub(r"\{\{.*?\}\}\s*", "", (useful or lines or [type(error).__name__])[0])
