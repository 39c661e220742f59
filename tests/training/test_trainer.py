"""Short in-process runs of the AnimeGAN trainer through the shared fit driver."""

from pathlib import Path

import keras
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.training.animegan import AnimeGANConfig, AnimeGANTask
from animegan.training.fit import FitOptions, TrainingStopped, fit
from animegan.training.recipes import load_recipe


def tiny_config(tiny_data, **overrides) -> AnimeGANConfig:
    values = dict(
        data_dir=str(tiny_data["data"]), photos_dir=str(tiny_data["photos"]), epochs=3, init_epochs=1,
        batch_size=2, image_size=32, steps_per_epoch=2, d_ch=16, d_layers=2, vgg_weights="random",
    )  # fmt: skip
    values.update(overrides)
    arch = values.pop("arch", "animegan-v2")
    return AnimeGANConfig.from_recipe(arch, load_recipe("hayao"), **values)


def run(tiny_data, run_dir: Path, keep=2, **overrides):
    config = tiny_config(tiny_data, **overrides)
    task = AnimeGANTask(config, report=lambda line: None)
    options = FitOptions(run_dir=run_dir, epochs=config.epochs, seed=config.seed, keep_checkpoints=keep, progress=False)
    return task, fit(task, options)


@pytest.mark.slow
def test_short_run_trains_both_phases_and_writes_everything(tiny_data, tmp_path):
    task, result = run(tiny_data, tmp_path / "run", keep=3)
    history = result.history
    assert len(history["init_loss"]) == 1  # epoch 1: content-only
    for name in ("g_loss", "d_loss", "g_adv", "content", "style", "colour", "tv", "d_real", "d_smooth"):
        assert len(history[name]) == 2 and np.all(np.isfinite(history[name])), name
    assert len(history["hf_ratio"]) == 3 and np.all(np.isfinite(history["hf_ratio"]))

    run_dir = tmp_path / "run"
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [f"epoch_00{i}.png" for i in (1, 2, 3)]
    assert list((run_dir / "logs").rglob("events.out.tfevents.*"))
    assert result.epochs_done == 3 and result.checkpoint.name == "epoch_0003.npz"

    # The init epoch updated only the generator; the GAN epochs changed the generator again.
    ckpt = {e: np.load(run_dir / "checkpoints" / f"epoch_000{e}.npz") for e in (1, 3)}
    keras.utils.set_random_seed(task.config.seed + 1)
    from animegan.models import AnimeGANDiscriminator, build_generator

    fresh_g = build_generator("animegan-v2").get_weights()
    keras.utils.set_random_seed(task.config.seed + 2)
    fresh_d = AnimeGANDiscriminator(ch=16, n_dis=2, norm="layer").get_weights()
    d_keys = sorted(k for k in ckpt[1].files if k.startswith("discriminator."))
    g_keys = sorted(k for k in ckpt[1].files if k.startswith("generator."))
    assert all(np.array_equal(ckpt[1][k], w) for k, w in zip(d_keys, fresh_d))
    assert not all(np.array_equal(ckpt[1][k], w) for k, w in zip(g_keys, fresh_g))
    assert not all(np.array_equal(ckpt[1][k], ckpt[3][k]) for k in g_keys)
    assert not all(np.array_equal(ckpt[1][k], ckpt[3][k]) for k in d_keys)

    # The saved generator is a plain model that stylizes with the trained weights.
    import animegan.models  # noqa: F401  (registers the generator classes for load_model)

    model = keras.saving.load_model(result.generator_path)
    for saved, trained in zip(model.get_weights(), [ckpt[3][k] for k in g_keys]):
        np.testing.assert_array_equal(saved, trained)
    out = np.asarray(model(np.zeros((1, 32, 32, 3), np.float32)))
    assert out.shape == (1, 32, 32, 3) and np.all(np.abs(out) <= 1)

    # ... and the foundation CLI stylizes with it unchanged.
    from animegan.cli.main import main
    from animegan.data.images import read_image

    photo = tiny_data["photos"] / "p0.png"
    assert main(["stylize", str(photo), "-o", str(tmp_path / "styled"), "--model", str(result.generator_path)]) == 0
    assert read_image(tmp_path / "styled" / "p0.png").rgb.shape == (64, 64, 3)


@pytest.mark.slow
def test_nan_stops_with_message_and_keeps_last_good_checkpoint(tiny_data, tmp_path):
    run_dir = tmp_path / "run"
    # Epoch 1 (content-only) is fine; in epoch 2 a 1e30 learning rate blows the generator up.
    with pytest.raises(TrainingStopped) as stopped:
        run(tiny_data, run_dir, epochs=3, g_lr=1e30)
    message = str(stopped.value)
    assert "training stopped: loss" in message and "at epoch 2" in message
    assert "last good checkpoint is" in message and "epoch_0001.npz (epoch 1)" in message
    assert isinstance(stopped.value, AnimeGANError) and "\n" not in message
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert checkpoints == ["epoch_0001.npz", "last.json"]
    with np.load(run_dir / "checkpoints" / "epoch_0001.npz") as saved:
        assert all(np.all(np.isfinite(saved[k])) for k in saved.files)
    assert not (run_dir / "generator.keras").exists()


def test_bad_data_folders_are_one_line_errors(tiny_data, tmp_path):
    with pytest.raises(AnimeGANError, match="data folder not found"):
        AnimeGANTask(tiny_config(tiny_data, data_dir=str(tmp_path / "nope")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnimeGANError, match="has no style/ folder"):
        AnimeGANTask(tiny_config(tiny_data, data_dir=str(tmp_path / "empty")))
    with pytest.raises(AnimeGANError, match="larger than the data"):
        AnimeGANTask(tiny_config(tiny_data, batch_size=64, steps_per_epoch=None))


@pytest.mark.slow
def test_mixed_precision_step_checkpoint_and_float32_export(tiny_data, tmp_path):
    """The mixed_float16 path (a GPU feature; checked here on the CPU, where fit itself refuses it)."""
    from animegan.training.checkpoints import CheckpointManager
    from animegan.training.fit import configure_precision

    config = tiny_config(tiny_data, init_epochs=0, epochs=1, steps_per_epoch=1)  # float16 is slow on a CPU
    task = AnimeGANTask(config, report=lambda line: None)
    configure_precision(True)
    try:
        trainer = task.build_trainer()
        trainer.build_optimizers()
        assert isinstance(trainer.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert any(layer.compute_dtype == "float16" for layer in trainer.generator.layers)
        history = trainer.fit(task.dataset(0, 1), epochs=1, steps_per_epoch=task.steps_per_epoch, verbose=0)
        assert all(np.isfinite(v[-1]) for v in history.history.values())
        manager = CheckpointManager(tmp_path)
        manager.save(trainer, 1)
        slots = trainer.checkpoint_groups()["g_optimizer"]
        assert any(int(np.asarray(v).size) > 1 for v in slots)  # the wrapped Adam's moments are in there
        saved = [np.array(v) for v in slots]
        for variable in slots:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        manager.restore(trainer, manager.latest())
        for value, variable in zip(saved, slots):
            np.testing.assert_array_equal(value, np.asarray(variable))
        exported = trainer.export_generator()
    finally:
        configure_precision(False)
    assert all(layer.compute_dtype == "float32" for layer in exported.layers)
    for a, b in zip(exported.get_weights(), trainer.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
