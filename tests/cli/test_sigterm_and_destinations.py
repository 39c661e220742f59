"""SIGTERM ends a run as Ctrl-C does (no temporaries left, exit 130), and an unwritable export destination is
refused in one line before any conversion work."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import numpy as np
import pytest

from animegan.atomic import MARK


def _clip(path, frames=150, size=(240, 320)):
    import av

    rng = np.random.default_rng(0)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(25))
        stream.height, stream.width = size
        stream.pix_fmt = "yuv420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


@pytest.mark.slow
def test_sigterm_mid_video_removes_the_temporary_and_exits_130(tmp_path):
    source = tmp_path / "clip.mp4"
    _clip(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "out"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.Popen(
        [sys.executable, "-m", "animegan", "stylize", str(source), "-o", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        if out.is_dir() and any(MARK in p.name for p in out.iterdir()):
            break  # the video is being written: its temporary exists
        time.sleep(0.05)
    assert run.poll() is None, f"the run ended before it could be signalled: {run.communicate()}"
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(out.iterdir()) == []  # neither a temporary nor a half-written output
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest


def test_export_under_a_file_is_one_line_before_any_work(v2_keras, tmp_path, capsys):
    from animegan.cli.main import main

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder is needed")
    code = main(["export", str(v2_keras), "--format", "tflite", "-o", str(blocker / "sub" / "m.tflite")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("animegan: error: cannot write") and "is not a folder" in err[0]
    assert "calibrat" not in err[0] and blocker.read_text() == "a file where a folder is needed"
