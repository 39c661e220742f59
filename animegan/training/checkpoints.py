"""Per-epoch checkpoints that survive ``kill -9``: every variable of the trainer, written atomically.

Layout under RUN_DIR/checkpoints/:
  epoch_0003.npz  the values of every variable group of ``GANTrainer.checkpoint_groups()`` (networks,
                  trainable or not, and every optimizer's slots and iteration counter) after 3 epochs
  last.json       the commit record: which file is the latest complete checkpoint, the number of epochs
                  it holds and the trainer state (phase, seed, data-order scheme)

A save writes the ``.npz`` to a temporary file, fsyncs it and renames it into place, then does the same
for ``last.json``: a crash at any moment leaves the previous ``last.json`` pointing at a complete file.
Older epoch files beyond ``keep`` are removed only after the new record is committed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animegan.atomic import open_for_writing, remove_stale, write_text
from animegan.errors import AnimeGANError

CHECKPOINT_DIR = "checkpoints"
RECORD = "last.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A committed checkpoint: ``epoch`` completed epochs, its file, and the state saved with it."""

    epoch: int
    path: Path
    state: dict


def _value(variable) -> np.ndarray:
    return np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable)


class CheckpointManager:
    """Saves and restores a trainer's ``checkpoint_groups()`` under ``run_dir/checkpoints``."""

    def __init__(self, run_dir: str | os.PathLike[str], keep: int = 2):
        self.directory = Path(run_dir) / CHECKPOINT_DIR
        self.keep = max(1, keep)

    def save(self, trainer, epoch: int, state: dict | None = None) -> Path:
        """Write the trainer's variables after ``epoch`` completed epochs; returns the file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        groups = trainer.checkpoint_groups()
        arrays, manifest = {}, {}
        for group, variables in groups.items():
            manifest[group] = []
            for i, variable in enumerate(variables):
                value = arrays[f"{group}.{i:05d}"] = _value(variable)
                manifest[group].append([getattr(variable, "path", ""), list(value.shape)])
        path = self.directory / f"epoch_{epoch:04d}.npz"
        with open_for_writing(path) as f:
            np.savez(f, **arrays)
        record = {
            "format": FORMAT_VERSION,
            "epoch": epoch,
            "file": path.name,
            "state": state or {},
            "variables": manifest,
        }
        write_text(self.directory / RECORD, json.dumps(record, indent=1))
        self._prune(keep_name=path.name)
        return path

    def _prune(self, keep_name: str) -> None:
        files = sorted(self.directory.glob("epoch_*.npz"))
        for old in files[: max(0, len(files) - self.keep)]:
            if old.name != keep_name:
                old.unlink(missing_ok=True)
        remove_stale(self.directory)  # temporaries left by a killed run

    def latest(self) -> Checkpoint | None:
        """The last committed checkpoint, or None when there is none."""
        record_path = self.directory / RECORD
        if not record_path.is_file():
            return None
        try:
            record = json.loads(record_path.read_text())
            path = self.directory / record["file"]
            epoch, state = int(record["epoch"]), dict(record.get("state", {}))
        except (ValueError, KeyError, TypeError) as error:
            raise AnimeGANError(f"cannot read {record_path}: {error}") from None
        if not path.is_file():
            raise AnimeGANError(f"checkpoint record {record_path} names {path.name}, which is missing")
        return Checkpoint(epoch, path, state)

    def restore(self, trainer, checkpoint: Checkpoint) -> None:
        """Assign every saved value back; the trainer's optimizers must be built (``build_optimizers``)."""
        groups = trainer.checkpoint_groups()
        try:
            with np.load(checkpoint.path) as data:
                saved = {key: data[key] for key in data.files}
        except (OSError, ValueError) as error:
            raise AnimeGANError(f"cannot read checkpoint {checkpoint.path}: {error}") from None
        for group, variables in groups.items():
            keys = sorted(k for k in saved if k.rsplit(".", 1)[0] == group)
            if len(keys) != len(variables):
                raise AnimeGANError(
                    f"checkpoint {checkpoint.path.name} does not match this model: {group} has {len(keys)} "
                    f"saved variables, the model {len(variables)} (was the run made with other options?)"
                )
            for key, variable in zip(keys, variables):
                value = saved[key]
                if tuple(value.shape) != tuple(variable.shape):
                    raise AnimeGANError(
                        f"checkpoint {checkpoint.path.name} does not match this model: {group} variable "
                        f"{getattr(variable, 'path', key)} has shape {tuple(variable.shape)}, saved {value.shape}"
                    )
                variable.assign(value)
