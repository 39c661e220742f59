"""Atomic per-epoch checkpoints: round trip of every group, the commit record, pruning, mismatches."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.training.checkpoints import CheckpointManager


class Holder:
    """Just what CheckpointManager needs: named groups of variables."""

    def __init__(self, shapes=((2, 3), (4,)), value=0.0):
        self.net = [keras.Variable(np.full(s, value, np.float32)) for s in shapes]
        self.opt = [keras.Variable(np.int64(0), dtype="int64"), keras.Variable(np.full((2, 3), value, np.float32))]

    def checkpoint_groups(self):
        return {"generator": self.net, "g_optimizer": self.opt}


def test_round_trip_and_record(tmp_path):
    manager = CheckpointManager(tmp_path)
    assert manager.latest() is None
    saved = Holder(value=1.5)
    saved.opt[0].assign(7)
    path = manager.save(saved, 3, {"phase": "adversarial"})
    record = json.loads((tmp_path / "checkpoints" / "last.json").read_text())
    assert record["epoch"] == 3 and record["file"] == path.name == "epoch_0003.npz"
    latest = manager.latest()
    assert (latest.epoch, latest.path, latest.state) == (3, path, {"phase": "adversarial"})
    restored = Holder(value=0.0)
    manager.restore(restored, latest)
    for a, b in zip(saved.net + saved.opt, restored.net + restored.opt):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(np.asarray(restored.opt[0])) == 7


def test_keeps_the_newest_and_ignores_crash_leftovers(tmp_path):
    manager = CheckpointManager(tmp_path, keep=2)
    holder = Holder()
    for epoch in (1, 2, 3):
        manager.save(holder, epoch)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid whose process is gone: what a kill -9 mid-write leaves behind
    leftover = tmp_path / "checkpoints" / f".epoch_0004.npz.{dead.pid}.animegan-tmp.npz"
    leftover.write_bytes(b"half")
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("epoch_*")) == ["epoch_0002.npz", "epoch_0003.npz"]
    assert manager.latest().epoch == 3
    manager.save(holder, 4)
    assert not leftover.exists()


def test_mismatched_model_is_one_clear_error(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(Holder(shapes=((2, 3), (4,))), 1)
    with pytest.raises(AnimeGANError, match="does not match this model"):
        manager.restore(Holder(shapes=((2, 3), (5,))), manager.latest())
    with pytest.raises(AnimeGANError, match="does not match this model"):
        manager.restore(Holder(shapes=((2, 3),)), manager.latest())
