"""training/distill.py: aligned paired batches, learning a known colour transform, the adversarial option, bad input."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from PIL import Image

from animegan.errors import AnimeGANError
from animegan.training.distill import DistillConfig, DistillTask, DistillTrainer, find_pairs
from animegan.training.fit import FitOptions, fit

# The known target: every pixel's colour multiplied by a fixed 3x3 matrix (rows sum to 1, channels mixed).
COLOUR_MATRIX = np.array([[0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.7, 0.1, 0.2]], np.float32)


def _write_pairs(root, count=8, size=48, seed=0):
    rng = np.random.default_rng(seed)
    for sub in ("photos", "targets"):
        (root / sub).mkdir(parents=True)
    y, x = np.mgrid[0:size, 0:size] / size
    for i in range(count):
        image = rng.random(3) * (1 - y[..., None]) + rng.random(3) * y[..., None]
        for _ in range(3):  # a few sharp-edged discs of flat colour
            cy, cx, r = rng.integers(0, size, 3)
            image[((y * size - cy) ** 2 + (x * size - cx) ** 2) < (r / 2 + 4) ** 2] = rng.random(3)
        photo = np.rint(image * 255).astype(np.uint8)
        target = np.rint(photo.astype(np.float32) @ COLOUR_MATRIX.T).clip(0, 255).astype(np.uint8)
        Image.fromarray(photo).save(root / "photos" / f"p{i}.png")
        Image.fromarray(target).save(root / "targets" / f"p{i}.png")
    return root


@pytest.fixture(scope="module")
def colour_pairs(tmp_path_factory):
    return _write_pairs(tmp_path_factory.mktemp("colour") / "pairs")


class TinyTask(DistillTask):
    """The real task with a two-layer per-pixel generator, so learning takes seconds."""

    def build_generator(self):
        inputs = keras.Input((None, None, 3))
        hidden = keras.layers.Conv2D(16, 1, activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Conv2D(3, 1, activation="tanh")(hidden))


def _config(pairs, **overrides):
    values = dict(pairs_dir=str(pairs), batch_size=4, image_size=32, steps_per_epoch=10, lr=1e-2, d_ch=8, d_layers=1)
    return DistillConfig(**{**values, **overrides}).validated()


def test_paired_batches_stay_aligned_through_crop_scale_and_flip(colour_pairs):
    task = DistillTask(_config(colour_pairs, steps_per_epoch=2))
    both = list(task.dataset(0, 2))
    for batch in both:
        photo, target = (batch["photo"].numpy() + 1) / 2, (batch["target"].numpy() + 1) / 2
        assert photo.shape == target.shape == (4, 32, 32, 3)
        # Misaligned by even one pixel, the sharp disc edges would leave errors far above uint8 rounding.
        assert np.abs(photo @ COLOUR_MATRIX.T - target).mean() < 0.004
        assert np.abs(photo - target).mean() > 0.05
    # Epoch 1 alone (what a resumed run builds) is the second epoch of the full stream.
    resumed = list(task.dataset(1, 2))
    for name in ("photo", "target"):
        np.testing.assert_array_equal(resumed[0][name].numpy(), both[2][name].numpy())


def test_learns_a_fixed_colour_matrix_to_low_error(colour_pairs, tmp_path):
    result = fit(TinyTask(_config(colour_pairs, epochs=8)), FitOptions(tmp_path / "run", epochs=8, progress=False))
    first_epoch_l1 = result.history["l1"][0]
    generator = keras.saving.load_model(result.generator_path)
    photos, targets = find_pairs(colour_pairs)
    errors = []
    for photo_path, target_path in zip(photos, targets):
        photo = np.asarray(Image.open(photo_path), np.float32)[None] / 127.5 - 1
        target = np.asarray(Image.open(target_path), np.float32)[None] / 127.5 - 1
        errors.append(np.abs(np.asarray(generator(photo)) - target).mean())
    identity_l1 = np.mean([np.abs(np.asarray(Image.open(p), np.float32) - np.asarray(Image.open(t), np.float32)).mean()
                           for p, t in zip(photos, targets)]) / 127.5  # fmt: skip
    # Full images (not crops), in [-1, 1] units: from ~0.35 (first epoch) to under 0.06.
    assert np.mean(errors) < 0.06
    assert np.mean(errors) < first_epoch_l1 / 4
    assert np.mean(errors) < identity_l1 / 5


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("adversarial_weight", [0.0, 0.5])
def test_discriminator_trains_only_with_an_adversarial_weight(colour_pairs, adversarial_weight):
    task = TinyTask(_config(colour_pairs, adversarial_weight=adversarial_weight, steps_per_epoch=2))
    trainer = task.build_trainer()
    g_before, d_before = _weights(trainer.generator), _weights(trainer.discriminator)
    logs = trainer.fit(task.dataset(0, 1), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False).history
    assert _changed(g_before, trainer.generator)
    assert _changed(d_before, trainer.discriminator) == (adversarial_weight > 0)
    if adversarial_weight:
        assert np.isfinite([logs["g_adv"][-1], logs["d_loss"][-1]]).all()
        assert logs["g_loss"][-1] > logs["l1"][-1]  # L1 plus a positive LSGAN term
    else:
        assert logs["g_loss"] == logs["l1"]


def test_bad_pairs_folders_are_refused(tmp_path, colour_pairs):
    with pytest.raises(AnimeGANError, match="pairs folder not found"):
        find_pairs(tmp_path / "nowhere")
    (tmp_path / "only_photos" / "photos").mkdir(parents=True)
    with pytest.raises(AnimeGANError, match="no targets/ folder"):
        find_pairs(tmp_path / "only_photos")
    pairs = _write_pairs(tmp_path / "broken", count=2)
    (pairs / "targets" / "p0.png").unlink()
    with pytest.raises(AnimeGANError, match="has no target"):
        find_pairs(pairs)
    Image.new("RGB", (40, 48)).save(pairs / "targets" / "p0.png")
    with pytest.raises(AnimeGANError, match="48x48 but its target is 40x48"):
        find_pairs(pairs)
    with pytest.raises(AnimeGANError, match=r"larger than the data \(8 pairs\)"):
        DistillTask(_config(colour_pairs, batch_size=9, steps_per_epoch=None))


def test_config_checks_and_round_trip(colour_pairs):
    config = _config(colour_pairs, width=0.5, adversarial_weight=0.25)
    assert DistillConfig.from_dict(config.to_dict()) == config
    for bad, message in [
        ({"arch": "animegan-v1", "width": 0.5}, "--width is for animegan-v2 only"),
        ({"image_size": 36}, "multiple of 8"),
        ({"adversarial_weight": -1.0}, "0 or more"),
        ({"arch": "stylegan"}, "unknown architecture"),
    ]:
        with pytest.raises(AnimeGANError, match=message):
            dataclasses.replace(config, **bad).validated()
    with pytest.raises(AnimeGANError, match="0 or more"):
        DistillTrainer(keras.Sequential(), keras.Sequential(), adversarial_weight=-0.1)


def test_resume_through_fit_ends_exactly_where_an_uninterrupted_run_does(colour_pairs, tmp_path):
    config = _config(colour_pairs, epochs=2, steps_per_epoch=3, adversarial_weight=0.5)
    straight = fit(TinyTask(config), FitOptions(tmp_path / "straight", epochs=2, progress=False))
    fit(TinyTask(config), FitOptions(tmp_path / "resumed", epochs=1, progress=False))
    resumed = fit(TinyTask(config), FitOptions(tmp_path / "resumed", epochs=2, resume=True, progress=False))
    assert resumed.initial_epoch == 1 and resumed.epochs_done == 2
    a = keras.saving.load_model(straight.generator_path).get_weights()
    b = keras.saving.load_model(resumed.generator_path).get_weights()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
