import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.layers.modulated import EqualizedDense, ModulatedConv2D, NoiseInjection
from animegan.models.stylegan_lite import (
    MappingNetwork,
    StyleGANLiteConfig,
    StyleGANLiteDiscriminator,
    StyleGANLiteGenerator,
)

TINY = StyleGANLiteConfig(resolution=16, z_dim=16, w_dim=16, mapping_layers=4, channel_base=128, channel_max=16)


def latents(n, seed=0, dim=16):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")


def test_sizes_and_widths_come_from_the_config():
    config = StyleGANLiteConfig(resolution=64, channel_base=1024, channel_max=64, channel_min=16)
    assert config.resolutions == (4, 8, 16, 32, 64)
    assert config.num_ws == 10
    assert [config.channels(r) for r in config.resolutions] == [64, 64, 64, 32, 16]
    generator = StyleGANLiteGenerator(StyleGANLiteConfig(resolution=32, z_dim=8, w_dim=12, channel_base=256, channel_max=32))
    assert generator(latents(2, dim=8)).shape == (2, 32, 32, 3)
    convs = [layer for layer in generator.synthesis.layers if isinstance(layer, ModulatedConv2D)]
    assert len(convs) == 1 + 2 * 3 + 4  # 4x4 conv, two per later block, one toRGB per block
    assert sum(isinstance(layer, NoiseInjection) for layer in generator.synthesis.layers) == 7


@pytest.mark.parametrize("kwargs", [{"resolution": 48}, {"resolution": 4}, {"mapping_layers": 9}, {"z_dim": 0}])
def test_bad_config_is_a_user_error(kwargs):
    with pytest.raises(AnimeGANError):
        StyleGANLiteConfig(**kwargs)


def test_mapping_network_uses_lr_multiplier():
    mapping = MappingNetwork(StyleGANLiteConfig(z_dim=8, w_dim=8, mapping_layers=5, mapping_lr_multiplier=0.01))
    dense = [layer for layer in mapping.layers if isinstance(layer, EqualizedDense)]
    assert len(dense) == 5
    assert all(layer.lr_multiplier == 0.01 for layer in dense)
    # stored weights are 1/lr_multiplier times larger than the effective ones
    assert np.std(dense[0].kernel.numpy()) == pytest.approx(100.0, rel=0.3)
    assert np.std(dense[0].effective_kernel().numpy()) == pytest.approx(1 / np.sqrt(8), rel=0.3)
    # pixel norm first: the scale of z does not matter
    z = latents(3, dim=8)
    np.testing.assert_allclose(mapping(z), mapping(10 * z), rtol=1e-4, atol=1e-5)


def test_truncation_pulls_toward_mean_latent():
    generator = StyleGANLiteGenerator(TINY)
    z = latents(4, seed=1)
    w = np.asarray(generator.mapping(z))
    w_avg = np.random.default_rng(2).normal(size=16).astype("float32")
    generator.truncation.w_avg.assign(w_avg)
    for psi in (0.0, 0.5, 1.0):
        ws = np.asarray(generator.map(z, truncation_psi=psi))
        assert ws.shape == (4, TINY.num_ws, 16)
        np.testing.assert_allclose(ws, np.broadcast_to((w_avg + psi * (w - w_avg))[:, None], ws.shape), rtol=1e-5, atol=1e-5)
    images = np.asarray(generator.sample(z, truncation_psi=0.0))
    np.testing.assert_allclose(images[0], images[3], atol=1e-5)  # psi=0: everybody is the mean image
    cut = np.asarray(generator.map(z, truncation_psi=0.0, truncation_cutoff=2))
    np.testing.assert_allclose(cut[:, :2], np.broadcast_to(w_avg, (4, 2, 16)), atol=1e-6)
    np.testing.assert_allclose(cut[:, 2:], np.broadcast_to(w[:, None], (4, TINY.num_ws - 2, 16)), rtol=1e-6)


def test_w_avg_update_is_a_moving_average():
    generator = StyleGANLiteGenerator(TINY)
    w = np.ones((3, 16), "float32")
    generator.truncation.update(w, beta=0.9)
    np.testing.assert_allclose(generator.truncation.w_avg.numpy(), 0.1, rtol=1e-6)


def test_inference_is_deterministic_and_training_noise_is_not():
    generator = StyleGANLiteGenerator(TINY)
    for layer in generator.synthesis.layers:
        if isinstance(layer, NoiseInjection):
            layer.strength.assign(0.5)
    z = latents(2)
    np.testing.assert_array_equal(generator(z), generator(z))
    assert not np.allclose(generator(z, training=True), generator(z, training=True))


def test_style_latents_reach_their_layers():
    generator = StyleGANLiteGenerator(TINY)
    ws = np.asarray(generator.map(latents(1)))
    base = np.asarray(generator.synthesis(ws))
    changed = ws.copy()
    changed[:, -1] += 3.0  # only the last toRGB
    assert not np.allclose(np.asarray(generator.synthesis(changed)), base)


def test_truncation_psi_and_cutoff_are_fixed_in_the_graph(harness):
    # The harness's case (psi 0.7, cutoff 3, a non-zero w_avg and noise) also reloads in a fresh process
    # with the same images, at psi 0.7 and through ``sample`` at psi 0.5.
    generator = harness.model("stylegan-lite")
    assert (generator.truncation.psi, generator.truncation.cutoff) == (0.7, 3)
    z = latents(3, dim=generator.config.z_dim)
    expected = np.asarray(generator(z))
    np.testing.assert_allclose(expected, generator.sample(z, truncation_psi=0.7, truncation_cutoff=3), atol=1e-6)
    assert not np.allclose(expected, generator.sample(z, truncation_psi=1.0), atol=1e-3)


def test_functional_sampler_matches_generator():
    generator = StyleGANLiteGenerator(TINY)
    generator.truncation.w_avg.assign(np.full(16, -0.2, "float32"))
    sampler = generator.with_truncation(0.6)
    z = latents(2)
    np.testing.assert_allclose(sampler(z), generator.sample(z, truncation_psi=0.6), rtol=1e-6, atol=1e-6)
    assert sampler.input_shape == (None, 16) and sampler.output_shape == (None, 16, 16, 3)


def test_discriminator_shapes(harness):
    discriminator = harness.model("stylegan-lite-discriminator")  # the harness reloads it, too
    size = discriminator.config.resolution
    images = np.random.default_rng(0).uniform(-1, 1, (3, size, size, 3)).astype("float32")
    logits = np.asarray(discriminator(images))
    assert logits.shape == (3, 1) and np.all(np.isfinite(logits))
