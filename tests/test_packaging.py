"""One import name: the wheel holds only `animegan/`, and a user's own `training.py` or `export/` cannot shadow it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_holds_only_the_animegan_package(tmp_path):
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools in this environment")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(PROJECT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("animegan-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"animegan", next(t for t in tops if t.endswith(".dist-info"))}
    names = zipfile.ZipFile(wheel).namelist()
    assert "animegan/training/recipes/hayao.toml" in names  # package data travels with the sub-package
    assert "animegan/assets/default.tflite" in names


def test_a_users_own_training_and_export_modules_do_not_shadow_ours(tmp_path):
    (tmp_path / "training.py").write_text("raise SystemExit('the user training.py was imported')\n")
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "__init__.py").write_text("raise SystemExit('the user export/ was imported')\n")
    photo = tmp_path / "photo.png"
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)).save(photo)
    script = (
        "import animegan.export, animegan.training\n"
        "from animegan.inference.backends import load_backend\n"
        "from animegan.inference.metadata import ExportMetadata\n"
        "import sys; sys.argv = ['animegan', 'stylize', 'photo.png', '-o', 'out']\n"
        "from animegan.cli.main import main; raise SystemExit(main())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(PROJECT)  # the checkout under test, after the cwd on sys.path
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "photo.png").is_file()
