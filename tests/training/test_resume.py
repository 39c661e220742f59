"""kill -9 in the middle of a run, then --resume: the same weights as a run that was never interrupted.

The kill is triggered by the checkpoint file appearing (last.json naming epoch 1), not by progress-bar
text, so it does not depend on how a terminal library formats or buffers its output.
"""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

STEPS = 6  # per epoch: epoch 2 takes long enough that the kill lands before its checkpoint


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "animegan", *args]


def train_args(tiny_train_args, run_dir):
    args = list(tiny_train_args)
    args[args.index("--steps-per-epoch") + 1] = str(STEPS)
    return [*args, "--out", str(run_dir)]


def checkpoint_arrays(run_dir):
    with np.load(run_dir / "checkpoints" / "epoch_0003.npz") as data:
        return {k: data[k] for k in data.files}


def committed_epoch(run_dir) -> int | None:
    """The epoch last.json commits, once it and the file it names exist (None before)."""
    record = run_dir / "checkpoints" / "last.json"
    try:
        saved = json.loads(record.read_text())
    except (OSError, ValueError):  # not there yet (it appears by an atomic rename, never half-written)
        return None
    return saved["epoch"] if (record.parent / saved["file"]).is_file() else None


def kill_after_epoch_1(command, run_dir, env, log, timeout=240) -> int:
    """Start the run; SIGKILL it as soon as epoch 1's checkpoint is committed. Returns the committed epoch."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if committed_epoch(run_dir) is not None:
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                return committed_epoch(run_dir)
            time.sleep(0.02)
        raise AssertionError(f"no checkpoint was committed:\n{log.read_text(errors='replace')[-2000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_matches_uninterrupted_run(tiny_train_args, cli_env, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    command = cli(*train_args(tiny_train_args, straight), "--no-progress")
    done = subprocess.run(command, capture_output=True, env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]

    log = tmp_path / "killed.log"
    assert kill_after_epoch_1(cli(*train_args(tiny_train_args, killed), "--no-progress"), killed, cli_env, log) == 1
    record = (killed / "checkpoints" / "last.json").read_text()
    assert '"epoch": 1' in record  # killed before epoch 2 ended: the last checkpoint is epoch 1's
    assert not (killed / "checkpoints" / "epoch_0002.npz").exists()
    assert not (killed / "generator.keras").exists()

    resumed = subprocess.run(
        cli("train", "animegan-v2", "--out", str(killed), "--resume", "--no-progress"),
        capture_output=True, env=cli_env, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    assert f"resumed from {killed / 'checkpoints' / 'epoch_0001.npz'} at epoch 1" in resumed.stderr.decode()

    a, b = checkpoint_arrays(straight), checkpoint_arrays(killed)
    assert a.keys() == b.keys()
    # every variable: both networks and the optimizers' slots and step counters
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-5, rtol=0, err_msg=key)

    import keras

    import animegan.models  # noqa: F401  (registers the generator classes for load_model)

    weights_a = keras.saving.load_model(straight / "generator.keras").get_weights()
    weights_b = keras.saving.load_model(killed / "generator.keras").get_weights()
    for wa, wb in zip(weights_a, weights_b):
        np.testing.assert_allclose(wa, wb, atol=1e-5, rtol=0)
