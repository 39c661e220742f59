"""kill -9 in the middle of an epoch, then --resume: the same weights as a run that was never interrupted."""

import os
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

STEPS = 6  # per epoch: room to land the kill between the first and the last step of epoch 2


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "animegan", *args]


def train_args(tiny_train_args, run_dir):
    args = list(tiny_train_args)
    args[args.index("--steps-per-epoch") + 1] = str(STEPS)
    return [*args, "--out", str(run_dir)]


def checkpoint_arrays(run_dir):
    with np.load(run_dir / "checkpoints" / "epoch_0003.npz") as data:
        return {k: data[k] for k in data.files}


def kill_mid_epoch_2(command, run_dir, env, timeout=240):
    """Start the run; SIGKILL it once epoch 1's checkpoint exists and epoch 2 has done a step."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen, deadline = b"", time.monotonic() + timeout
    pattern = re.compile(rb"epoch 2/3:[^\r\n]*?\|\s*([1-9])/%d" % STEPS)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 0.05)
            if ready:
                chunk = os.read(process.stderr.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
            match = pattern.search(seen)
            if match and (run_dir / "checkpoints" / "epoch_0001.npz").exists():
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                return int(match.group(1)), seen.decode(errors="replace")
        raise AssertionError(f"the run never reached epoch 2:\n{seen.decode(errors='replace')[-2000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted_run(tiny_train_args, cli_env, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    command = cli(*train_args(tiny_train_args, straight), "--no-progress")
    done = subprocess.run(command, capture_output=True, env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]

    steps_done, _ = kill_mid_epoch_2(cli(*train_args(tiny_train_args, killed)), killed, cli_env)
    assert 1 <= steps_done < STEPS
    record = (killed / "checkpoints" / "last.json").read_text()
    assert '"epoch": 1' in record  # killed inside epoch 2: the last checkpoint is epoch 1's
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
