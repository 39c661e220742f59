"""`--strategy multi-worker`: two worker processes on 127.0.0.1 train like one process; a lost worker ends the run.

The workers run ``multi_worker_toy.py`` (``animegan.training.fit`` on a toy two-phase GAN, as the CLI runs
a family) with their own ``TF_CONFIG``; the one-process reference runs the same task in this process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.training import distributed

TOY = Path(__file__).with_name("multi_worker_toy.py")
PROJECT = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}})


def start_workers(commands: list[list[str]]) -> list[subprocess.Popen]:
    """One process per command, each with the TF_CONFIG of its index in a cluster on free local ports."""
    ports = free_ports(len(commands))
    workers = []
    for index, command in enumerate(commands):
        env = dict(os.environ, TF_CONFIG=tf_config(ports, index), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        workers.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return workers


def toy_workers(run_dirs: list[Path], epochs: int, *extra: str) -> list[subprocess.Popen]:
    return start_workers([[sys.executable, str(TOY), str(d), str(epochs), "multi-worker", *extra] for d in run_dirs])


def finish(worker: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    try:
        _, err = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        pytest.fail(f"a worker did not end within {timeout} s")
    return worker.returncode, err


def weights(run_dir: Path, epoch: int) -> dict:
    with np.load(run_dir / "checkpoints" / f"epoch_{epoch:04d}.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="two TensorFlow workers on 127.0.0.1")
def test_two_workers_resume_after_a_lost_worker_and_end_as_one_process(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("multi_worker_toy", TOY)
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    epochs = 3
    chief_dir, other_dir = tmp_path / "run", tmp_path / "worker1_out"

    # Worker 1 is killed once the chief has committed epoch 1; the chief must stop, not wait for it.
    workers = toy_workers([chief_dir, other_dir], epochs)
    record = chief_dir / "checkpoints" / "last.json"
    deadline = time.monotonic() + 240
    while not (record.is_file() and json.loads(record.read_text())["epoch"] >= 1):
        assert time.monotonic() < deadline and workers[0].poll() is None, finish(workers[0], 1)[1][-2000:]
        time.sleep(0.05)
    os.kill(workers[1].pid, signal.SIGKILL)
    killed_at = time.monotonic()
    code, err = finish(workers[0], timeout=120)
    assert time.monotonic() - killed_at < 120
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert re.match(r"animegan: error: the multi-worker run stopped at (the start of )?epoch 2", last), err[-2000:]
    # TensorFlow names whichever it sees first: the lost heartbeats or the reset connection of a collective.
    lost = r"/job:worker/replica:0/task:1 stopped sending heartbeats|Collective ops is aborted by: .*Connection reset"
    assert re.search(rf"a worker stopped answering \(({lost})", last), last
    assert last.endswith("the last checkpoint holds epoch 1; start every worker again with --resume")
    finish(workers[1])

    # Both start again with --resume: the chief restores epoch 1 and gives it to worker 1.
    resumed = toy_workers([chief_dir, other_dir], epochs, "--resume")
    for worker in resumed:
        code, err = finish(worker)
        assert code == 0, err[-3000:]

    toy.train(tmp_path / "one", epochs, "default")
    one, two = weights(tmp_path / "one", epochs), weights(chief_dir, epochs)
    assert one.keys() == two.keys()
    for key in one:
        np.testing.assert_allclose(two[key], one[key], rtol=1e-4, atol=1e-5, err_msg=key)
    assert {p.name for p in chief_dir.iterdir()} == {"checkpoints", "generator.keras", "history.jsonl", "logs", "samples"}
    # Epoch 1 from the first start, 2 and 3 from the resumed one.
    assert [json.loads(line)["epoch"] for line in (chief_dir / "history.jsonl").read_text().splitlines()] == [1, 2, 3]
    assert sorted(p.name for p in (chief_dir / "samples").iterdir()) == [f"epoch_00{e}.png" for e in (1, 2, 3)]
    assert not other_dir.exists()  # only the chief writes the run folder


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="two TensorFlow workers on 127.0.0.1")
def test_a_worker_that_never_starts_ends_the_other_in_one_line(tmp_path):
    ports = free_ports(2)
    env = dict(os.environ, TF_CONFIG=tf_config(ports, 0), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    command = [sys.executable, str(TOY), str(tmp_path / "run"), "2", "multi-worker", "--start-timeout", "10"]
    alone = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, err = finish(alone, timeout=240)
    assert code != 0
    assert err.strip().splitlines()[-1] == (
        "animegan: error: not every worker of TF_CONFIG joined within 10 s; start the same command on each of them"
    )
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="two TensorFlow workers on 127.0.0.1")
def test_the_cli_trains_a_family_on_two_workers_and_only_the_chief_writes(tmp_path):
    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(images / f"{i}.png")
    tiny = ["--images", str(images), "--image-size", "16", "--latent-dim", "8", "--base-width", "16", "--max-width", "32"]
    tiny += ["--batch-size", "4", "--steps-per-epoch", "2", "--epochs", "2", "--no-progress", "--strategy", "multi-worker"]
    outs = [tmp_path / "run", tmp_path / "worker1_out"]
    cli = [sys.executable, "-m", "animegan", "train", "vae", *tiny]
    results = [finish(worker) for worker in start_workers([[*cli, "--out", str(out)] for out in outs])]
    assert [code for code, _ in results] == [0, 0], results[0][1][-2000:] + results[1][1][-2000:]
    expected = {"checkpoints", "config.json", "generator.keras", "history.jsonl", "logs", "samples"}
    assert expected <= {p.name for p in outs[0].iterdir()}
    assert json.loads((outs[0] / "checkpoints" / "last.json").read_text())["epoch"] == 2
    assert not outs[1].exists()


def test_multi_worker_without_tf_config_is_one_line(tmp_path, capsys, monkeypatch):
    from PIL import Image

    from animegan.cli.main import main

    monkeypatch.delenv("TF_CONFIG", raising=False)
    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    argv = ["train", "vae", "--images", str(tmp_path / "images"), "--out", str(tmp_path / "run"), "--strategy", "multi-worker"]
    assert main(argv) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "animegan: error: --strategy multi-worker needs TF_CONFIG, the cluster and this worker's task "
        "(see docs/scale-out.md)"
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "config, message",
    [
        ("not json", "TF_CONFIG is not a cluster description"),
        ('{"cluster": {"worker": ["a:1"]}}', "TF_CONFIG is not a cluster description (KeyError: 'task')"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "names task worker 1"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "names task ps 0"),
    ],
)
def test_a_malformed_tf_config_is_one_line(config, message, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", config)
    with pytest.raises(AnimeGANError) as raised:
        distributed.cluster_role()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_the_chief_and_the_strategy_follow_tf_config(monkeypatch):
    cluster = {"worker": ["a:1", "b:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert distributed.cluster_role().is_chief and not distributed.is_other_worker()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    assert distributed.is_other_worker()
    with pytest.raises(AnimeGANError, match="describes a cluster of 2 workers: pass --strategy multi-worker"):
        distributed.check_cluster("default")
    with_chief = {"chief": ["c:0"], **cluster}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": with_chief, "task": {"type": "worker", "index": 0}}))
    assert distributed.is_other_worker() and distributed.cluster_role().workers == 3
    monkeypatch.delenv("TF_CONFIG")
    assert not distributed.is_other_worker()
    with pytest.raises(AnimeGANError, match="--strategy multi-worker needs TF_CONFIG"):
        distributed.check_cluster("multi-worker")
