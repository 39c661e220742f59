"""`animegan stylize --ray` on an embedded Ray: the same bytes as plain `stylize`, faults, resume, bad input."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from animegan.cli.main import main
from animegan.inference.video_clips import make_clip

pytestmark = pytest.mark.slow


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden temporaries included) by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def summary_line(err: str) -> str:
    return [line for line in err.splitlines() if " written to " in line][-1]


def run_cli(capsys, *argv) -> tuple[int, str]:
    _streams_on_this_stderr()
    code = main(["stylize", *map(str, argv)])
    return code, capsys.readouterr().err


def _streams_on_this_stderr() -> None:
    """Ray Data's stream handlers keep the stderr of the test that ran the session's first dataset; later
    tests capture another, and a write to the closed one prints '--- Logging error ---' with a traceback
    (a test artefact: a user's process has one stderr)."""
    loggers = [logging.getLogger(), *(v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger))]
    for handler in (h for logger in loggers for h in logger.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) and getattr(handler.stream, "closed", False):
            with handler.lock:  # not setStream: it flushes the closed stream first
                handler.stream = sys.stderr


@pytest.fixture()
def inputs(tmp_path, make_photos) -> Path:
    folder = tmp_path / "in"
    make_photos(folder)
    make_clip(folder / "sub" / "clip.mp4", 36, 28, seconds=0.25)
    return folder


def test_every_backend_writes_the_bytes_plain_stylize_writes(local_ray, tiny_models, inputs, tmp_path, capsys, monkeypatch):
    # A preset name is resolved on the driver: the workers (started before this cache existed) get the file.
    from animegan.weights.presets import PRESETS
    from animegan.weights.resolve import cached_model_path, find_preset

    monkeypatch.setenv("ANIMEGAN_CACHE", str(tmp_path / "cache"))
    preset = sorted(PRESETS)[0]
    cached_model_path(find_preset(preset)).parent.mkdir(parents=True)
    shutil.copy(tiny_models["keras"], cached_model_path(find_preset(preset)))
    models = {"preset": ["-m", preset], "tflite": ["-m", tiny_models["tflite"]], "savedmodel": ["-m", tiny_models["savedmodel"]]}
    models["default"] = []
    for name, model in models.items():
        plain, ray = tmp_path / "plain" / name, tmp_path / "ray" / name
        code, err = run_cli(capsys, inputs, "-o", plain, *model)
        assert code == 1 and summary_line(err) == f"4 written to {plain}, 0 skipped, 1 failed"
        source, target = (inputs, ray) if name != "default" else (inputs.as_uri(), ray.as_uri())
        code, err = run_cli(capsys, source, "-o", target, *model, "--ray")
        assert code == 1, err
        assert summary_line(err) == f"4 written to {target}, 0 skipped, 1 failed"
        assert f"error: cannot read image {inputs / 'broken.png'}: " in err and "Traceback" not in err
        assert sorted(tree(ray)) == ["p1.png", "p2.png", "sub/clip.mp4", "sub/p0.png"]
        assert tree(ray) == tree(plain), name


def _worker_pids() -> list[int]:
    """The processes of this user whose title names the Ray Data worker of the job."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"StylizeWorker" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _kill_after_first_output(folder: Path, total: int, killed: list, deadline: float = 120.0) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        done = [p for p in folder.rglob("*.png") if not p.name.startswith(".")] if folder.exists() else []
        pids = _worker_pids()
        if done and pids:
            if len(done) < total:
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                killed.append((len(done), pids))
            return
        time.sleep(0.02)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker's pid in /proc")
def test_a_killed_worker_is_replaced_and_every_output_is_written_once_whole(local_ray, tiny_models, tmp_path, capsys, make_photos):
    photos = make_photos(tmp_path / "in", count=10, size=(384, 384))
    (tmp_path / "in" / "broken.png").unlink()
    plain, ray = tmp_path / "plain", tmp_path / "ray"
    model = ["-m", tiny_models["tflite"], "--threads", "1"]
    assert run_cli(capsys, tmp_path / "in", "-o", plain, *model)[0] == 0
    killed: list = []
    killer = threading.Thread(target=_kill_after_first_output, args=(ray, len(photos), killed), daemon=True)
    killer.start()
    code, err = run_cli(capsys, tmp_path / "in", "-o", ray, *model, "--ray")
    killer.join()
    assert killed, "the worker finished before it could be killed"
    assert code == 0, err
    assert summary_line(err) == f"10 written to {ray}, 0 skipped, 0 failed"
    assert tree(ray) == tree(plain)  # whole, the same bytes, and no temporary left beside them

    # An interrupted job resumes: what exists is skipped, a dead writer's temporary is removed.
    for name in ("p3.png", "p4.png"):
        (ray / name).unlink()
    (ray / ".p3.png.999999999.animegan-tmp.png").write_bytes(b"half")
    code, err = run_cli(capsys, tmp_path / "in", "-o", ray, *model, "--ray")
    assert code == 0 and summary_line(err) == f"2 written to {ray}, 8 skipped, 0 failed"
    assert err.count("exists (use --overwrite)") == 8
    assert tree(ray) == tree(plain)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "address, message",
    [
        ("photos/", "--ray 'photos/' is not a Ray address; use auto, ray://HOST:10001 or HOST:6379"),
        ("ray://nowhere", "is not a Ray address"),
        ("127.0.0.1:{port}", "cannot reach the Ray cluster at 127.0.0.1:{port}: Connection refused"),
        ("ray://127.0.0.1:{port}", "cannot reach the Ray cluster at ray://127.0.0.1:{port}: Connection refused"),
    ],
)
def test_a_bad_or_unreachable_address_is_one_line(address, message, tmp_path, capsys, make_photos):
    pytest.importorskip("ray")
    port = _free_port()
    make_photos(tmp_path / "in", count=1)
    started = time.monotonic()
    code, err = run_cli(capsys, tmp_path / "in", "-o", tmp_path / "out", f"--ray={address.format(port=port)}")
    assert code == 1 and time.monotonic() - started < 30
    assert err.splitlines() == [f"animegan: error: {err.split('error: ', 1)[1].strip()}"]
    assert message.format(port=port) in err
    assert not (tmp_path / "out").exists()


def test_without_the_extra_ray_is_one_line_saying_what_to_install(tmp_path, capsys, monkeypatch, make_photos):
    make_photos(tmp_path / "in", count=1)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    code, err = run_cli(capsys, tmp_path / "in", "-o", tmp_path / "out", "--ray")
    assert code == 1
    assert err.strip() == "animegan: error: --ray needs Ray Data, which is not installed: pip install 'animegan[ray]'"


def test_workers_the_cluster_cannot_hold_are_refused_before_any_work(local_ray, tiny_models, tmp_path, capsys, make_photos):
    make_photos(tmp_path / "in", count=1)
    argv = [tmp_path / "in", "-o", tmp_path / "out", "-m", tiny_models["tflite"], "--ray", "--ray-workers", "3"]
    code, err = run_cli(capsys, *argv)
    assert code == 1
    assert err.strip() == (
        "animegan: error: 3 workers with 1 CPUs each need 3 CPUs; the Ray cluster has 2 "
        "(use fewer --ray-workers or fewer per worker)"
    )
    assert not (tmp_path / "out").exists()


def test_a_model_the_workers_cannot_load_ends_the_job_in_one_line(local_ray, tmp_path, capsys, make_photos):
    make_photos(tmp_path / "in", count=2)
    model = tmp_path / "junk.keras"
    model.write_bytes(b"not a zip file")
    code, err = run_cli(capsys, tmp_path / "in", "-o", tmp_path / "out", "-m", model, "--ray")
    assert code == 1 and "Traceback" not in err
    assert [line for line in err.splitlines() if "error:" in line] == [
        f"animegan: error: cannot load Keras model {model}: "
        + err.split(f"cannot load Keras model {model}: ", 1)[1].splitlines()[0]
    ]
    assert str(model) in err and "animegan-ray-models" not in err  # named as the user named it
    assert not list((tmp_path / "out").rglob("*.png"))
