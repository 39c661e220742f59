"""Tiny saved generators for the benchmark tests (the export tests' fixtures live in their own folder)."""

import keras
import numpy as np
import pytest

from animegan.models import ConvVAE, CycleGANGenerator, VAEConfig


@pytest.fixture(scope="session")
def family_files(tmp_path_factory):
    """{'cyclegan-resnet': path, 'vae-decoder': path}: an image-in model and a latent-in one, seeded."""
    folder = tmp_path_factory.mktemp("bench-models")
    keras.utils.set_random_seed(0)
    vae = ConvVAE(VAEConfig(image_size=16, latent_dim=8, base_width=8, max_width=16))
    vae(np.zeros((1, 16, 16, 3), np.float32))  # builds the subclassed wrapper so that it saves
    paths = {}
    for name, model in {"cyclegan-resnet": CycleGANGenerator(n_blocks=1, ngf=8), "vae-decoder": vae}.items():
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return paths
