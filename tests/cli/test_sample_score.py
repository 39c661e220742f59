import av
import numpy as np
import pytest
import keras
import tensorflow as tf
from PIL import Image

from animegan.cli.main import main
from animegan.data.images import read_image
from animegan.models.stylegan_lite import StyleGANLiteGenerator
from animegan.models.vae import ConvVAE, VAEConfig


def discs(count, seed, size=16):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for _ in range(count):
        cy, cx = rng.uniform(size / 4, 3 * size / 4, 2)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < rng.uniform(2, size / 3) ** 2)[..., None]
        out.append(np.where(disc, rng.uniform(-1, 1, 3), -0.5))
    return np.asarray(out, np.float32)


def save_pngs(folder, images, prefix):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(np.round((image + 1) * 127.5).astype(np.uint8)).save(folder / f"{prefix}{i:02d}.png")


@pytest.fixture(scope="module")
def stylegan_run(tmp_path_factory):
    """A real (one epoch, two steps) `animegan train stylegan-lite` run at 8 px."""
    root = tmp_path_factory.mktemp("stylegan")
    save_pngs(root / "images", discs(4, seed=0, size=12), "d")
    tiny = ["--image-size", "8", "--z-dim", "8", "--w-dim", "8", "--mapping-layers", "1", "--channel-base", "32"]
    common = ["--images", str(root / "images"), "--out", str(root / "run"), "--no-progress", "--batch-size", "2"]
    assert main(["train", "stylegan-lite", *common, *tiny, "--channel-max", "8", "--epochs", "1"]) == 0
    return root / "run"


def test_train_stylegan_lite_writes_a_run(stylegan_run):
    names = {p.name for p in stylegan_run.iterdir()}
    assert {"config.json", "checkpoints", "samples", "logs", "generator.keras"} <= names
    assert (stylegan_run / "samples" / "epoch_001.png").is_file()
    generator = keras.saving.load_model(stylegan_run / "generator.keras")
    assert isinstance(generator, StyleGANLiteGenerator) and generator.config.resolution == 8


@pytest.mark.parametrize(
    "bad, message",
    [(["--image-size", "24"], "power of two"), (["--diffaugment", "blur"], "DiffAugment"), (["--ema-decay", "2"], "ema_decay")],
)
def test_train_stylegan_lite_refuses_bad_settings_before_writing(tmp_path, capsys, bad, message):
    save_pngs(tmp_path / "images", discs(1, seed=0), "d")
    argv = ["train", "stylegan-lite", "--images", str(tmp_path / "images"), "--out", str(tmp_path / "run"), *bad]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    """A VAE trained briefly on discs, saved as a run would save it."""
    from animegan.training.vae import VAETrainer, VAETraining

    keras.utils.set_random_seed(0)
    run = tmp_path_factory.mktemp("vae_run")
    config = VAEConfig(image_size=16, latent_dim=8, base_width=16, max_width=32)
    trainer = VAETrainer(ConvVAE(config, seed=0), VAETraining(learning_rate=2e-3))
    trainer.compile()
    trainer.fit(tf.data.Dataset.from_tensor_slices(discs(256, seed=0)).batch(32), epochs=6, verbose=0)
    trainer.export_generator().save(run / "generator.keras")
    return run


def test_sample_grid_is_reproducible_with_a_seed(stylegan_run, tmp_path):
    args = [str(stylegan_run), "-n", "6", "--columns", "3", "--truncation", "0.7"]
    assert main(["sample", *args, "--seed", "4", "-o", str(tmp_path / "a.png")]) == 0
    assert main(["sample", *args, "--seed", "4", "-o", str(tmp_path / "b.png")]) == 0
    assert main(["sample", *args, "--seed", "5", "-o", str(tmp_path / "c.png")]) == 0
    a, b, c = (read_image(tmp_path / f"{n}.png").rgb for n in "abc")
    assert a.shape == (2 * 8 + 2, 3 * 8 + 4, 3)  # 2 rows x 3 columns, 2 px gaps
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sample_interpolation_writes_mp4(stylegan_run, tmp_path):
    out = tmp_path / "walk.mp4"
    assert main(["sample", str(stylegan_run), "--interpolate", "--frames", "12", "--fps", "12", "-o", str(out)]) == 0
    with av.open(str(out)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 12 and frames[0].shape == (8, 8, 3)


def test_sample_user_errors(stylegan_run, tmp_path, capsys):
    assert main(["sample", str(stylegan_run), "--interpolate", "-o", str(tmp_path / "walk.png")]) == 1
    assert "mp4" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "nope"), "-o", str(tmp_path / "x.png")]) == 1
    assert "run folder not found" in capsys.readouterr().err
    walk = ["sample", str(stylegan_run), "--interpolate", "--reconstruct", str(tmp_path), "-o", str(tmp_path / "w.mp4")]
    assert main(walk) == 1
    assert "cannot be combined" in capsys.readouterr().err
    assert main(["sample", str(stylegan_run), "--reconstruct", str(tmp_path), "-o", str(tmp_path / "r.png")]) == 1
    assert "needs a vae run" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", str(stylegan_run), "--truncation", "1.5", "-o", str(tmp_path / "x.png")])


def test_vae_samples_and_scores_rank_unusual_images_first(vae_run, tmp_path, capsys):
    assert main(["sample", str(vae_run), "-n", "4", "--seed", "1", "-o", str(tmp_path / "vae.png")]) == 0
    images = tmp_path / "images"
    save_pngs(images, discs(6, seed=9), "disc")
    assert main(["sample", str(vae_run), "-n", "3", "--reconstruct", str(images), "-o", str(tmp_path / "r.png")]) == 0
    assert read_image(tmp_path / "r.png").rgb.shape == (3 * 16 + 4, 2 * 16 + 2, 3)  # image | reconstruction rows
    noise = np.random.default_rng(3).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    save_pngs(images, noise, "noise")
    (images / "broken.png").write_bytes(b"not a png")
    capsys.readouterr()
    assert main(["score", str(vae_run), str(images)]) == 1  # one unreadable file
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 8
    scores = [float(line.split("\t")[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert {line.split("\t")[-1].rsplit("/", 1)[-1][:5] for line in lines[:2]} == {"noise"}
    assert "broken.png" in captured.err


def test_score_needs_a_vae(stylegan_run, tmp_path, capsys):
    save_pngs(tmp_path / "images", discs(1, seed=0), "d")
    assert main(["score", str(stylegan_run), str(tmp_path / "images")]) == 1
    assert "not a vae run" in capsys.readouterr().err


@pytest.mark.slow
def test_train_vae_cli_then_resume(tmp_path, capsys):
    save_pngs(tmp_path / "images", discs(8, seed=1, size=20), "d")
    common = ["--images", str(tmp_path / "images"), "--out", str(tmp_path / "run"), "--no-progress"]
    tiny = ["--image-size", "16", "--latent-dim", "4", "--base-width", "8", "--batch-size", "4", "--recon", "l1"]
    assert main(["train", "vae", *common, *tiny, "--epochs", "1", "--beta-warmup-steps", "4"]) == 0
    assert (tmp_path / "run" / "generator.keras").is_file()
    assert main(["train", "vae", *common, "--epochs", "2", "--resume"]) == 0
    assert "resumed from" in capsys.readouterr().err
    assert main(["train", "stylegan-lite", *common, "--epochs", "1", "--resume"]) == 1  # a vae run
    assert main(["train", "vae", *common, "--epochs", "1"]) == 1  # already holds a run
    assert main(["score", str(tmp_path / "run"), str(tmp_path / "images")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 8
