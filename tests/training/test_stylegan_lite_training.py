import numpy as np
import pytest
import keras
import tensorflow as tf
from PIL import Image

from animegan.models.stylegan_lite import StyleGANLiteConfig, StyleGANLiteDiscriminator, StyleGANLiteGenerator
from animegan.training.fit import FitOptions, fit
from animegan.training.stylegan_lite import (
    StyleGANLiteTask,
    StyleGANLiteTrainer,
    StyleGANLiteTraining,
    default_optimizers,
    ema_update,
    mix_styles,
)

TINY = StyleGANLiteConfig(resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)
# The smallest network (two blocks): a fit's time is mostly tracing, which grows with the layer count.
SMALLEST = StyleGANLiteConfig(resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=32, channel_max=8)


def blob_folder(folder, count=16, size=20, seed=0):
    """Coloured discs on a dark background: a tiny, learnable distribution."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(count):
        cy, cx = rng.uniform(size / 4, 3 * size / 4, 2)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < rng.uniform(3, size / 3) ** 2)[..., None]
        Image.fromarray(np.where(disc, rng.integers(0, 256, 3), 30).astype(np.uint8)).save(folder / f"{i:02d}.png")
    return sorted(folder.glob("*.png"))


def test_ema_update_is_an_exponential_moving_average():
    model, ema = StyleGANLiteGenerator(TINY), StyleGANLiteGenerator(TINY)
    model.truncation.w_avg.assign(np.full(16, 0.5, "float32"))
    before = [w.numpy().copy() for w in ema.weights]
    ema_update(ema, model, decay=0.9)
    for old, new, source in zip(before, ema.weights, model.weights):
        expected = 0.9 * old + 0.1 * source.numpy() if source.trainable else source.numpy()
        np.testing.assert_allclose(new.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ema.truncation.w_avg.numpy(), 0.5)  # buffers are copied, not averaged


def test_style_mixing_switches_latents_at_one_cutoff():
    seed = keras.random.SeedGenerator(1)
    w1, w2 = np.zeros((64, 3), "float32"), np.ones((64, 3), "float32")
    mixed = np.asarray(mix_styles(w1, w2, 6, 1.0, seed))[..., 0]  # (B, num_ws): 0 then 1
    assert mixed.shape == (64, 6)
    assert np.all(np.diff(mixed, axis=1) >= 0) and np.all(mixed[:, 0] == 0) and np.all(mixed[:, -1] == 1)
    assert len(set(mixed.sum(axis=1))) > 2  # cutoffs vary
    np.testing.assert_array_equal(np.asarray(mix_styles(w1, w2, 6, 0.0, seed)), 0.0)  # no mixing: all w1


def tiny_trainer(settings=None, seed=0):
    keras.utils.set_random_seed(seed)
    settings = settings or StyleGANLiteTraining(r1_interval=2, diffaugment="color,translation,cutout")
    trainer = StyleGANLiteTrainer(StyleGANLiteGenerator(TINY), StyleGANLiteDiscriminator(TINY), settings, seed=seed)
    trainer.compile(*default_optimizers(settings))
    return trainer


def test_tiny_run_losses_finite_discriminator_learns_and_r1_is_lazy():
    rng = np.random.default_rng(0)
    real = np.tanh(rng.normal(size=(32, 16, 16, 3)) + 0.5).astype("float32")
    trainer = tiny_trainer(StyleGANLiteTraining(r1_interval=4))
    before = [w.numpy().copy() for w in trainer.ema_generator.weights]
    history = trainer.fit(tf.data.Dataset.from_tensor_slices(real).batch(8), epochs=4, verbose=0).history
    for name in ("g_loss", "d_loss", "r1", "d_real", "d_fake"):
        assert np.all(np.isfinite(history[name])), name
    assert history["d_loss"][-1] < history["d_loss"][0]  # the discriminator learns to tell them apart
    assert history["r1"][0] > 0
    assert int(trainer.d_optimizer.iterations) == 16
    # the EMA generator moved, slowly
    moved = [np.abs(w.numpy() - b).max() for w, b in zip(trainer.ema_generator.weights, before) if w.dtype == "float32"]
    assert max(moved) > 0
    assert float(np.abs(trainer.generator.truncation.w_avg.numpy()).sum()) > 0  # mean w tracked
    # what a run saves and samples from is the EMA generator, not the raw one
    exported = trainer.export_generator()
    for saved, ema in zip(exported.weights, trainer.ema_generator.weights):
        np.testing.assert_array_equal(saved.numpy(), ema.numpy())
    z = np.random.default_rng(1).normal(size=(2, 16)).astype("float32")
    assert not np.allclose(exported(z), trainer.generator(z), atol=1e-4)


def test_samples_with_the_same_seed_are_identical():
    from animegan.inference.sampling import generate, random_latents

    trainer = tiny_trainer()
    generator = trainer.export_generator()
    first = generate(generator, random_latents(4, 16, seed=7), truncation=0.7)
    again = generate(generator, random_latents(4, 16, seed=7), truncation=0.7)
    other = generate(generator, random_latents(4, 16, seed=8), truncation=0.7)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.slow
def test_resume_continues_exactly(tmp_path):
    paths = tuple(blob_folder(tmp_path / "images", count=8))
    settings = StyleGANLiteTraining(r1_interval=2, diffaugment="translation,cutout")

    def run(out, epochs, resume=False):
        task = StyleGANLiteTask(paths, SMALLEST, settings, batch_size=4, steps_per_epoch=2, seed=3)
        return fit(task, FitOptions(out, epochs, seed=3, resume=resume, progress=False))

    straight = run(tmp_path / "straight", 2)
    run(tmp_path / "split", 1)
    resumed = run(tmp_path / "split", 2, resume=True)
    assert resumed.initial_epoch == 1 and resumed.epochs_done == 2
    a = keras.saving.load_model(straight.generator_path)
    b = keras.saving.load_model(resumed.generator_path)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())
    assert (tmp_path / "split" / "samples" / "epoch_002.png").is_file()
    assert isinstance(a, StyleGANLiteGenerator)
