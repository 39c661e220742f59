import numpy as np
import pytest
from PIL import Image

from animegan.errors import AnimeGANError
from animegan.inference.anomaly import anomaly_scores, load_folder, score_folder
from animegan.losses.kl import gaussian_kl
from animegan.losses.reconstruction import reconstruction_error
from animegan.models.vae import ConvVAE, VAEConfig

CONFIG = VAEConfig(image_size=8, latent_dim=3, base_width=4, reconstruction="l1")


def test_scores_are_reconstruction_error_plus_kl_of_the_posterior_mean():
    vae = ConvVAE(CONFIG, seed=0)
    images = np.random.default_rng(0).uniform(-1, 1, (5, 8, 8, 3)).astype(np.float32)
    recon, kl = anomaly_scores(vae, images, batch_size=2)
    mean, log_var = vae.encode(images)
    np.testing.assert_allclose(recon, reconstruction_error(images, vae.decode(mean), "l1"), rtol=1e-5)
    np.testing.assert_allclose(kl, gaussian_kl(mean, log_var), rtol=1e-5)
    again = anomaly_scores(vae, images, batch_size=5)
    # Independent of batching, up to float32 rounding: batches of 2 and 5 run other kernel blockings
    # (and AVX2 and AVX-512 other ones again), so the sums over 192 pixel values add in another order.
    # AMD EPYC differs by 7.6e-6 on scores of about 100 (under 1e-7 relative). 1e-5 relative is far below
    # what a real batching bug changes: swapping two images' scores here moves them by about 10%.
    np.testing.assert_allclose(recon, again[0], rtol=1e-5, atol=0)
    np.testing.assert_allclose(kl, again[1], rtol=1e-5, atol=1e-6)
    assert recon.shape == kl.shape == (5,)


def save(folder, name, size=(12, 10), value=100):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(folder / name)


def test_load_folder_crops_recurses_and_reports_unreadable(tmp_path):
    save(tmp_path / "images", "a.png", value=0)
    save(tmp_path / "images" / "sub", "b.jpg", size=(20, 30), value=255)
    (tmp_path / "images" / "c.png").write_bytes(b"not an image")
    (tmp_path / "images" / "notes.txt").write_text("ignored")
    paths, images, failed = load_folder(tmp_path / "images", 8)
    assert [p.name for p in paths] == ["a.png", "b.jpg"]
    assert images.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(images[0], -1.0)
    np.testing.assert_allclose(images[1], 1.0, atol=0.02)
    assert [p.name for p, _ in failed] == ["c.png"]


def test_load_folder_errors(tmp_path):
    with pytest.raises(AnimeGANError, match="not found"):
        load_folder(tmp_path / "missing", 8)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnimeGANError, match="no readable images"):
        load_folder(tmp_path / "empty", 8)


def test_score_folder_sorts_highest_first(tmp_path):
    for i, value in enumerate((0, 90, 180, 255)):
        save(tmp_path / "images", f"{i}.png", value=value)
    scores, failed = score_folder(ConvVAE(CONFIG, seed=0), tmp_path / "images")
    assert failed == [] and len(scores) == 4
    assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)
    for item in scores:
        assert item.score == pytest.approx(item.reconstruction + item.kl)
