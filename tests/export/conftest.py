"""Generators with seeded random weights, saved once per session for the export tests."""

import keras
import numpy as np
import pytest

from animegan.models import CycleGANGenerator, ConvVAE, StyleGANLiteConfig, StyleGANLiteGenerator, VAEConfig, build_generator


@pytest.fixture(scope="session")
def generator_files(tmp_path_factory):
    """{'animegan-v1': path, 'animegan-v2': path} of .keras generators with their default norms."""
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
