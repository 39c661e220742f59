"""Per-epoch checkpoints that survive ``kill -9`` and a damaged file: every variable, written atomically, checksummed.

Layout under RUN_DIR/checkpoints/:
  epoch_0003.npz  the values of every variable group of ``GANTrainer.checkpoint_groups()`` (networks,
                  trainable or not, and every optimizer's slots and iteration counter) after 3 epochs
  last.json       the commit record: which file is the latest complete checkpoint, the number of epochs
                  it holds, its SHA-256 and size, the trainer state (phase, seed, data-order scheme), and
                  the same for the older checkpoints still kept (``previous``)

A save writes the ``.npz`` to a temporary file, fsyncs it and renames it into place, then does the same
for ``last.json``: a crash at any moment leaves the previous ``last.json`` pointing at a complete file.
Older epoch files beyond ``keep`` are removed only after the new record is committed.

On resume, ``newest_intact`` checks the recorded checksum and reads every array (the zip's own CRCs),
newest first, and falls back to the newest checkpoint that passes, saying so in one line: a file
truncated or damaged after its commit costs the epochs since the previous one, not the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animegan.atomic import open_for_writing, remove_stale, write_text
from animegan.errors import AnimeGANError

CHECKPOINT_DIR = "checkpoints"
RECORD = "last.json"
FORMAT_VERSION = 2  # 2: sha256, size and the previous checkpoints in the record


@dataclass(frozen=True)
class Checkpoint:
    """A committed checkpoint: ``epoch`` completed epochs, its file, and the state saved with it.

    ``sha256`` and ``size`` are what the record says the file was (None for a file found without a record).
    """

    epoch: int
    path: Path
    state: dict
    sha256: str | None = None
    size: int | None = None


def _value(variable) -> np.ndarray:
    return np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable)


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _entry(checkpoint: Checkpoint) -> dict:
    return {
        "epoch": checkpoint.epoch,
        "file": checkpoint.path.name,
        "sha256": checkpoint.sha256,
        "size": checkpoint.size,
        "state": checkpoint.state,
    }


class CheckpointManager:
    """Saves and restores a trainer's ``checkpoint_groups()`` under ``run_dir/checkpoints``."""

    def __init__(self, run_dir: str | os.PathLike[str], keep: int = 2):
        self.directory = Path(run_dir) / CHECKPOINT_DIR
        self.keep = max(1, keep)

    def save(self, trainer, epoch: int, state: dict | None = None) -> Path:
        """Write the trainer's variables after ``epoch`` completed epochs; returns the file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        arrays, manifest = {}, {}
        for group, variables in trainer.checkpoint_groups().items():
            manifest[group] = []
            for i, variable in enumerate(variables):
                value = arrays[f"{group}.{i:05d}"] = _value(variable)
                manifest[group].append([getattr(variable, "path", ""), list(value.shape)])
        path = self.directory / f"epoch_{epoch:04d}.npz"
        with open_for_writing(path) as f:
            np.savez(f, **arrays)
        saved = Checkpoint(epoch, path, state or {}, file_sha256(path), path.stat().st_size)
        previous = [c for c in self._recorded() if c.path.name != path.name and c.epoch < epoch]
        kept = previous[: self.keep - 1]
        record = {
            "format": FORMAT_VERSION, **_entry(saved), "variables": manifest, "previous": [_entry(c) for c in kept],
        }  # fmt: skip
        write_text(self.directory / RECORD, json.dumps(record, indent=1))
        self._prune(keep_names={path.name, *(c.path.name for c in kept)})
        return path

    def _prune(self, keep_names: set[str]) -> None:
        files = sorted(self.directory.glob("epoch_*.npz"))
        for old in files[: max(0, len(files) - self.keep)]:
            if old.name not in keep_names:
                old.unlink(missing_ok=True)
        remove_stale(self.directory)  # temporaries left by a killed run

    def _read_record(self) -> dict | None:
        record_path = self.directory / RECORD
        if not record_path.is_file():
            return None
        try:
            record = json.loads(record_path.read_text())
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
            return record
        except (OSError, ValueError, TypeError) as error:
            raise AnimeGANError(f"cannot read {record_path}: {error}") from None

    def _checkpoint(self, entry: dict) -> Checkpoint:
        return Checkpoint(
            int(entry["epoch"]), self.directory / str(entry["file"]), dict(entry.get("state") or {}),
            entry.get("sha256"), entry.get("size"),
        )  # fmt: skip

    def _recorded(self) -> list[Checkpoint]:
        """The checkpoints the record names, newest first (empty without a readable record)."""
        try:
            record = self._read_record()
        except AnimeGANError:
            return []
        if record is None:
            return []
        checkpoints = []
        for entry in [record, *(record.get("previous") or [])]:
            try:
                checkpoints.append(self._checkpoint(entry))
            except (KeyError, TypeError, ValueError):
                continue
        return checkpoints

    def latest(self) -> Checkpoint | None:
        """The last committed checkpoint, or None when there is none (its file is not verified)."""
        record = self._read_record()
        if record is None:
            return None
        try:
            checkpoint = self._checkpoint(record)
        except (KeyError, TypeError, ValueError) as error:
            raise AnimeGANError(f"cannot read {self.directory / RECORD}: {error}") from None
        if not checkpoint.path.is_file():
            raise AnimeGANError(
                f"checkpoint record {self.directory / RECORD} names {checkpoint.path.name}, which is missing"
            )
        return checkpoint

    def candidates(self) -> list[Checkpoint]:
        """Every checkpoint there is, newest first: the recorded ones, then epoch files the record does not name."""
        recorded = self._recorded()
        names = {c.path.name for c in recorded}
        for path in sorted(self.directory.glob("epoch_*.npz"), reverse=True):
            if path.name not in names:
                try:
                    recorded.append(Checkpoint(int(path.stem.split("_")[1]), path, {}))
                except ValueError:
                    continue
        return sorted(recorded, key=lambda c: c.epoch, reverse=True)

    @staticmethod
    def load(checkpoint: Checkpoint) -> dict[str, np.ndarray]:
        """Every saved array, after checking the recorded size and SHA-256; a one-line error if damaged."""
        path = checkpoint.path
        if not path.is_file():
            raise AnimeGANError(f"{path.name} is missing")
        if checkpoint.size is not None and path.stat().st_size != checkpoint.size:
            raise AnimeGANError(
                f"{path.name} is {path.stat().st_size} bytes, {checkpoint.size} were saved (truncated?)"
            )
        if checkpoint.sha256 is not None and file_sha256(path) != checkpoint.sha256:
            raise AnimeGANError(f"{path.name} does not match its checksum (damaged)")
        try:
            with np.load(path) as data:  # reading every array checks the zip's CRCs
                return {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
            raise AnimeGANError(f"{path.name} is not a readable checkpoint ({error})") from None

    def newest_intact(self, report=None) -> tuple[Checkpoint, dict[str, np.ndarray]]:
        """The newest checkpoint that loads, with its arrays; ``report`` gets one line if it is not the latest."""
        failures = []
        for checkpoint in self.candidates():
            try:
                arrays = self.load(checkpoint)
            except AnimeGANError as error:
                failures.append(str(error))
                continue
            if failures and report is not None:
                report(
                    f"animegan: warning: {'; '.join(failures)}; resuming from {checkpoint.path.name} "
                    f"(epoch {checkpoint.epoch}) instead"
                )
            return checkpoint, arrays
        detail = "; ".join(failures) if failures else "there are none"
        raise AnimeGANError(f"no intact checkpoint in {self.directory}: {detail}")

    def restore(self, trainer, checkpoint: Checkpoint, arrays: dict[str, np.ndarray] | None = None) -> None:
        """Assign every saved value back; the trainer's optimizers must be built (``build_optimizers``)."""
        saved = arrays if arrays is not None else self.load(checkpoint)
        for group, variables in trainer.checkpoint_groups().items():
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
