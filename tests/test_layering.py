"""The import-layering contract in pyproject.toml holds, and a back-edge breaks it (so CI would catch one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (the test extra has it)")


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run(
        [str(LINT), "--config", str(PROJECT / "pyproject.toml"), "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_project_keeps_its_layers():
    done = _lint(PROJECT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "animegan layers KEPT" in done.stdout


def test_a_back_edge_breaks_the_contract(tmp_path):
    copy = tmp_path / "animegan"
    shutil.copytree(PROJECT / "animegan", copy, ignore=shutil.ignore_patterns("assets", "__pycache__"))
    norms = copy / "layers" / "norms.py"
    norms.write_text(norms.read_text() + "\nfrom animegan.inference import tiles  # a deliberate back-edge\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "animegan layers BROKEN" in done.stdout
    assert "animegan.layers.norms -> animegan.inference.tiles" in done.stdout
