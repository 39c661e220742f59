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


def test_the_record_holds_each_kept_files_checksum(tmp_path):
    import hashlib

    manager = CheckpointManager(tmp_path, keep=2)
    for epoch in (1, 2, 3):
        manager.save(Holder(value=float(epoch)), epoch, {"phase": "adversarial", "epoch": epoch})
    record = json.loads((tmp_path / "checkpoints" / "last.json").read_text())
    entries = [record, *record["previous"]]
    assert [(e["epoch"], e["file"]) for e in entries] == [(3, "epoch_0003.npz"), (2, "epoch_0002.npz")]
    for entry in entries:
        data = (tmp_path / "checkpoints" / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
        assert entry["state"]["epoch"] == entry["epoch"]


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "delete"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_newest_intact_one(tmp_path, damage):
    manager = CheckpointManager(tmp_path, keep=2)
    for epoch in (1, 2, 3):
        manager.save(Holder(value=float(epoch)), epoch, {"epoch": epoch})
    latest = tmp_path / "checkpoints" / "epoch_0003.npz"
    data = latest.read_bytes()
    if damage == "truncate":
        latest.write_bytes(data[: len(data) // 2])
    elif damage == "flip a byte":
        latest.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])  # same size: the checksum finds it
    else:
        latest.unlink()
    lines = []
    checkpoint, arrays = manager.newest_intact(report=lines.append)
    assert (checkpoint.epoch, checkpoint.state) == (2, {"epoch": 2})
    assert len(lines) == 1 and "epoch_0003.npz" in lines[0] and "resuming from epoch_0002.npz (epoch 2)" in lines[0]
    restored = Holder()
    manager.restore(restored, checkpoint, arrays)
    assert float(np.asarray(restored.net[0])[0, 0]) == 2.0
    # the next save of epoch 3 replaces the damaged file and keeps epoch 2 as the previous one
    manager.save(Holder(value=3.0), 3)
    assert manager.newest_intact()[0].epoch == 3


def test_no_intact_checkpoint_is_one_line_naming_each(tmp_path):
    manager = CheckpointManager(tmp_path, keep=2)
    for epoch in (1, 2):
        manager.save(Holder(), epoch)
    for path in (tmp_path / "checkpoints").glob("epoch_*.npz"):
        path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(AnimeGANError) as error:
        manager.newest_intact()
    message = str(error.value)
    assert "\n" not in message and message.startswith("no intact checkpoint in")
    assert "epoch_0002.npz" in message and "epoch_0001.npz" in message


def test_an_old_record_without_checksums_still_resumes(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(Holder(value=4.0), 1)
    record_path = tmp_path / "checkpoints" / "last.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({"format": 1, "epoch": 1, "file": record["file"], "state": {}}))
    checkpoint, arrays = manager.newest_intact()
    assert checkpoint.epoch == 1 and checkpoint.sha256 is None and len(arrays) == 4
