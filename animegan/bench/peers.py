"""End to end on a folder of photos: ``animegan stylize`` against the peers, each in a fresh process.

The peers are the plain scripts ``scripts/peer_onnxruntime.py`` (ONNX Runtime, default session options,
on the float32 ONNX of the same network) and ``scripts/peer_torch.py`` (the PyTorch port's AnimeGANv2 on
the same ``.pt`` weights; only where an interpreter with torch is found). They live in a source checkout,
not in the installed package: without ``scripts/`` beside ``animegan/`` the peers are left out. Each run
is timed start to exit (wall) and by the CPU seconds of the child (user + system): on a machine that
others load, the CPU seconds are the steadier comparison.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import animegan

SCRIPTS = Path(animegan.__file__).resolve().parents[1] / "scripts"


@dataclass(frozen=True)
class Run:
    name: str
    wall: float  # seconds, start to exit; nan when the command failed
    cpu: float  # CPU seconds of the child process (user + system)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.wall == self.wall


def photo_folder(folder: Path, count: int, size: tuple[int, int], source: str | Path | None = None) -> Path:
    """``count`` JPEG photos of ``size`` (centre crops of ``source``'s photos, else synthetic) in ``folder``."""
    from animegan.atomic import write_with
    from animegan.export.calibration import calibration_images

    from PIL import Image

    images = calibration_images(source, size, count=count)
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        rgb = np.rint((image[0] + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
        write_with(folder / f"photo{index:02d}.jpg", lambda path, rgb=rgb: Image.fromarray(rgb).save(path, format="JPEG", quality=95))
    return folder


def timed(name: str, command: list[str], env: dict | None = None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return Run(name, float("nan"), cpu, f"failed: {reason}")
    return Run(name, wall, cpu)


def torch_interpreter(explicit: str | None) -> str | None:
    """The Python that runs the torch peer: ``explicit``, else this one where torch is importable."""
    if explicit:
        return explicit
    return sys.executable if importlib.util.find_spec("torch") is not None else None


def end_to_end(
    photos: Path,
    workdir: Path,
    int8_onnx: Path,
    float_onnx: Path,
    threads: int | None,
    weights_pt: str | None,
    torch_python: str | None,
    align_corners: bool = False,
) -> list[Run]:
    """Times ``animegan stylize`` on the int8 ONNX model, then the peers, on the same photos."""
    runs = []
    out = workdir / "e2e-out"
    command = [sys.executable, "-m", "animegan", "stylize", str(photos), "-o", str(out / "animegan"), "-m", str(int8_onnx), "--overwrite"]
    if threads:
        command += ["--threads", str(threads)]
    runs.append(timed("animegan stylize (onnx int8)", command))
    if not (SCRIPTS / "peer_onnxruntime.py").is_file():
        return runs + [Run("peers", float("nan"), 0.0, f"left out: no {SCRIPTS} (run from a source checkout)")]
    peer = [sys.executable, str(SCRIPTS / "peer_onnxruntime.py"), str(float_onnx), str(photos), str(out / "peer-ort")]
    runs.append(timed("peer onnxruntime (fp32, default options)", peer))
    python = torch_interpreter(torch_python)
    if python is None or not weights_pt:
        why = "no interpreter with torch (give --torch-python)" if python is None else "needs --weights-pt (the port's .pt)"
        runs.append(Run("peer torch", float("nan"), 0.0, f"left out: {why}"))
    else:
        peer = [python, str(SCRIPTS / "peer_torch.py"), str(weights_pt), str(photos), str(out / "peer-torch")]
        runs.append(timed("peer torch (fp32)", peer + (["--align-corners"] if align_corners else [])))
    shutil.rmtree(out, ignore_errors=True)
    return runs
