"""Tiny training data made by the tests: 8 photos and 8 cel-shaded style images at 64 px, prepared."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PROJECT = Path(__file__).resolve().parents[2]

# The smallest AnimeGAN run that still exercises everything: 32 px crops, a 2-layer discriminator,
# an untrained VGG19 (no download).
TINY_ARGS = [
    "--epochs", "3", "--init-epochs", "1", "--batch-size", "2", "--image-size", "32",
    "--steps-per-epoch", "3", "--d-channels", "16", "--d-layers", "2", "--vgg-weights", "random",
]  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The training scans cache their verdicts in the user cache: keep the tests' in a folder of their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANIMEGAN_CACHE", str(tmp_path_factory.mktemp("animegan_cache")))
        yield


def _cel_image(rng, size=64):
    image = np.full((size, size, 3), rng.integers(150, 255, 3), np.uint8)
    for _ in range(3):
        y, x = rng.integers(0, size - 16, 2)
        h, w = rng.integers(8, 24, 2)
        image[y : y + h, x : x + w] = rng.integers(0, 255, 3)
    return image


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> dict:
    """{'photos': folder of 8 noisy photos, 'data': prepared style folder} (64 px)."""
    from animegan.data.prepare import prepare_style_dataset

    root = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    (root / "photos").mkdir()
    (root / "style_src").mkdir()
    for i in range(8):
        base = np.linspace(0, 255, 64)[None, :, None] * rng.random(3)[None, None, :]
        noise = rng.normal(0, 30, (64, 64, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(root / "photos" / f"p{i}.png")
        Image.fromarray(_cel_image(rng)).save(root / "style_src" / f"s{i}.png")
    prepare_style_dataset(root / "style_src", root / "data", size=64, workers=1)
    return {"photos": root / "photos", "data": root / "data"}


@pytest.fixture(scope="session")
def cli_env() -> dict:
    """Environment for `python -m animegan` subprocesses: the project importable, CPU only, quiet TF."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


@pytest.fixture(scope="session")
def tiny_train_args(tiny_data) -> list[str]:
    """`animegan train animegan-v2` arguments (without --out) of the smallest complete run."""
    return ["train", "animegan-v2", "--data", str(tiny_data["data"]), "--photos", str(tiny_data["photos"]), *TINY_ARGS]
