"""Shared fixtures: the ../shared folder (skipped cleanly when absent), small saved generators, the model harness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The model harness (tests/harness.py) gives every test its `harness` fixture. With --import-mode=importlib
# pytest imports this file as `tests.conftest` (named from the rootdir, without touching sys.path), so
# `tests` is a package by the time this line is read and `tests.harness` imports from beside this file.
pytest_plugins = ["tests.harness"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference data not available: {SHARED} is absent (it sits beside the project in CI)")
    return SHARED


@pytest.fixture(scope="session")
def v2_keras(tmp_path_factory) -> Path:
    """A randomly initialised AnimeGANv2 generator saved as .keras (seeded)."""
    import keras

    from animegan.models import AnimeGANv2Generator

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("models") / "v2.keras"
    AnimeGANv2Generator(upsample="half_pixel").save(path)
    return path


@pytest.fixture(scope="session")
def make_png():
    """``make_png(path, width, height, idat)``: a PNG whose header declares any size over any IDAT bytes
    (colour type 2, 8-bit RGB, unless ``colour``/``depth`` say otherwise): what a hostile file looks like."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    def make(path: Path, width: int, height: int, idat: bytes, colour: int = 2, depth: int = 8) -> Path:
        header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
        return path

    return make


# Generators with seeded random weights, saved once per session (export and bench tests).
@pytest.fixture(scope="session")
def generator_files(tmp_path_factory):
    """{'animegan-v1': path, 'animegan-v2': path} of .keras generators with their default norms."""
    import keras

    from animegan.models import build_generator

    folder = tmp_path_factory.mktemp("generators")
    paths = {}
    for arch in ("animegan-v1", "animegan-v2"):
        keras.utils.set_random_seed(0)
        paths[arch] = folder / f"{arch}.keras"
        build_generator(arch).save(paths[arch])
    return paths


@pytest.fixture(scope="session")
def family_files(tmp_path_factory):
    """Tiny models of the other families: a CycleGAN generator (image in), a StyleGAN-lite generator and
    a whole VAE (latent in: export takes the VAE's decoder)."""
    import keras
    import numpy as np

    from animegan.models import CycleGANGenerator, ConvVAE, StyleGANLiteConfig, StyleGANLiteGenerator, VAEConfig

    folder = tmp_path_factory.mktemp("families")
    keras.utils.set_random_seed(0)
    vae = ConvVAE(VAEConfig(image_size=16, latent_dim=8, base_width=8, max_width=16))
    vae(np.zeros((1, 16, 16, 3), np.float32))  # builds the subclassed wrapper so that it saves
    models = {
        "cyclegan-resnet": CycleGANGenerator(n_blocks=1, ngf=8),
        "stylegan-lite": StyleGANLiteGenerator(
            StyleGANLiteConfig(resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8)
        ),
        "vae-decoder": vae,
    }
    paths = {}
    for arch, model in models.items():
        paths[arch] = folder / f"{arch}.keras"
        model.save(paths[arch])
    return paths
