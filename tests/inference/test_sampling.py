import av
import numpy as np
import pytest
import keras

from animegan.errors import AnimeGANError
from animegan.inference import sampling
from animegan.models.stylegan_lite import StyleGANLiteConfig, StyleGANLiteGenerator
from animegan.models.vae import ConvVAE, VAEConfig

STYLEGAN = StyleGANLiteConfig(resolution=8, z_dim=4, w_dim=4, mapping_layers=1, channel_base=32, channel_max=4)
VAE = VAEConfig(image_size=8, latent_dim=3, base_width=4)


def test_random_latents_follow_the_seed():
    a, b, c = (sampling.random_latents(3, 5, seed) for seed in (1, 1, 2))
    assert a.shape == (3, 5) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_slerp_ends_and_keeps_the_norm():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(sampling.slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(sampling.slerp(a, b, 1.0), b, atol=1e-12)
    np.testing.assert_allclose(sampling.slerp(a, b, 0.5), [np.sqrt(0.5)] * 2)
    np.testing.assert_allclose(sampling.slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: plain lerp


def test_interpolation_latents_loop_through_keyframes():
    latents = sampling.interpolation_latents(12, 6, keyframes=3, seed=4)
    keys = sampling.random_latents(3, 6, 4)
    assert latents.shape == (12, 6)
    np.testing.assert_allclose(latents[[0, 4, 8]], keys, rtol=1e-6)  # 4 frames per leg, 3 legs
    steps = np.linalg.norm(np.diff(np.concatenate([latents, latents[:1]]), axis=0), axis=1)
    assert steps.max() < 2 * np.median(steps)  # smooth, and the last frame leads back to the first
    with pytest.raises(AnimeGANError, match="frames"):
        sampling.interpolation_latents(1, 6)


def test_image_grid_places_images_with_white_gaps():
    images = np.stack([np.full((2, 3, 3), v, np.float32) for v in (-1.0, 0.0, 1.0)])
    grid = sampling.image_grid(images, columns=2, padding=1)
    assert grid.shape == (5, 7, 3)
    np.testing.assert_array_equal(grid[:2, :3], 0.0)
    np.testing.assert_array_equal(grid[:2, 4:], 0.5)
    np.testing.assert_array_equal(grid[3:, :3], 1.0)
    np.testing.assert_array_equal(grid[2], 1.0)  # the gap row
    np.testing.assert_array_equal(grid[3:, 4:], 1.0)  # the empty cell


def test_truncation_zero_gives_the_mean_image():
    generator = StyleGANLiteGenerator(STYLEGAN)
    generator.truncation.w_avg.assign(np.full(4, 0.2, "float32"))
    latents = sampling.random_latents(5, 4, seed=0)
    images = sampling.generate(generator, latents, truncation=0.0, batch_size=2)
    assert images.shape == (5, 8, 8, 3) and images.min() >= -1 and images.max() <= 1
    np.testing.assert_allclose(images, np.broadcast_to(images[:1], images.shape), atol=1e-5)
    assert not np.allclose(sampling.generate(generator, latents)[0], sampling.generate(generator, latents)[1])
    vae = ConvVAE(VAE)
    np.testing.assert_allclose(
        sampling.generate(vae, latents[:, :3], truncation=0.0), np.asarray(vae.decode(np.zeros((5, 3), "float32"))), atol=1e-6
    )
    with pytest.raises(AnimeGANError, match="truncation"):
        sampling.generate(vae, latents[:, :3], truncation=1.5)


def test_write_video_frames_and_atomicity(tmp_path):
    frames = np.random.default_rng(0).uniform(-1, 1, (5, 7, 9, 3)).astype(np.float32)  # odd sizes are padded
    out = tmp_path / "walk.mp4"
    sampling.write_video(frames, out, fps=5, upscale=2)
    with av.open(str(out)) as container:
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(decoded) == 5 and decoded[0].shape == (14, 18, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.mp4"]  # no partial file left
    (tmp_path / "taken.mp4").mkdir()
    with pytest.raises(AnimeGANError, match="cannot write video"):
        sampling.write_video(frames, tmp_path / "taken.mp4")
    assert (tmp_path / "taken.mp4").is_dir() and not any((tmp_path / "taken.mp4").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.mp4", "walk.mp4"]


def test_run_models_are_found_and_checked(tmp_path):
    with pytest.raises(AnimeGANError, match="not found"):
        sampling.find_run_model(tmp_path / "missing")
    with pytest.raises(AnimeGANError, match="no generator.keras"):
        sampling.find_run_model(tmp_path)
    (tmp_path / "older").mkdir()
    ConvVAE(VAE).save(tmp_path / "older" / "generator.keras")
    assert sampling.find_run_model(tmp_path) == tmp_path / "older" / "generator.keras"
    StyleGANLiteGenerator(STYLEGAN).save(tmp_path / "generator.keras")
    assert sampling.find_run_model(tmp_path) == tmp_path / "generator.keras"
    assert isinstance(sampling.load_generative_model(tmp_path), StyleGANLiteGenerator)
    assert sampling.latent_dim(sampling.load_generative_model(tmp_path / "older")) == 3
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(tmp_path / "other.keras")
    with pytest.raises(AnimeGANError, match="not a StyleGAN-lite generator or VAE"):
        sampling.load_generative_model(tmp_path / "other.keras")
