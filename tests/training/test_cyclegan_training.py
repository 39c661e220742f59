"""A tiny CycleGAN run through the shared fit driver: the cycle loss falls, resume is exact, the saved
generators stylize. (Export parity of the generator is tested with the other architectures in tests/export.)"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from animegan.training.checkpoints import CheckpointManager
from animegan.training.cyclegan import (
    CycleGANConfig, CycleGANTask, CycleGANTrainer, build_trainer, l1, lsgan_discriminator_loss, save_generators
)  # fmt: skip
from animegan.training.fit import FitOptions, fit

EPOCHS, DECAY_EPOCHS, STEPS = 4, 2, 8
TINY = {
    "image_size": 32, "n_blocks": 2, "ngf": 8, "ndf": 8, "batch_size": 2, "steps_per_epoch": STEPS,
    "epochs": EPOCHS, "decay_epochs": DECAY_EPOCHS, "lr": 1e-3, "pool_size": 6, "val_count": 2,
}  # fmt: skip


def _smooth_image(rng, size=40):
    """A colour gradient with a block: easy to reconstruct, so the cycle loss can fall in a few steps."""
    ramp = np.linspace(0, 1, size)
    image = ramp[None, :, None] * rng.random(3) + ramp[:, None, None] * rng.random(3) * 0.5
    y, x = rng.integers(0, size - 12, 2)
    image[y : y + 12, x : x + 12] = rng.random(3)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("cyclegan_domains")
    rng = np.random.default_rng(0)
    for name, count in (("a", 10), ("b", 7)):
        (root / name).mkdir()
        for i in range(count):
            image = _smooth_image(rng)
            if name == "b":
                image = 255 - image[..., ::-1]  # the "other style": inverted, channels swapped
            Image.fromarray(image).save(root / name / f"{i}.png")
    return {"a": root / "a", "b": root / "b"}


@pytest.fixture(scope="module")
def straight_run(domains, tmp_path_factory):
    """An uninterrupted run of EPOCHS epochs through ``animegan.training.fit``, in this process."""
    run_dir = tmp_path_factory.mktemp("cyclegan_runs") / "straight"
    config = CycleGANConfig(str(domains["a"]), str(domains["b"]), **TINY).validated()
    task = CycleGANTask(config, report=lambda line: None)
    result = fit(task, FitOptions(run_dir=run_dir, epochs=EPOCHS, progress=False))
    paths = save_generators(task.trainer, run_dir)
    return {"run_dir": run_dir, "result": result, "trainer": task.trainer, "paths": paths}


def _checkpoint(run_dir: Path, epoch: int) -> dict:
    with np.load(run_dir / "checkpoints" / f"epoch_{epoch:04d}.npz") as data:
        return {k: data[k] for k in data.files}


def test_cli_defaults_are_the_papers_and_options_reach_the_config():
    from animegan.cli.main import build_parser
    from animegan.cli.train_cyclegan import _config

    base = ["train", "cyclegan", "--domain-a", "A", "--domain-b", "B", "--out", "R"]
    config = _config(build_parser().parse_args(base))
    assert (config.epochs, config.decay_epochs, config.batch_size, config.image_size) == (200, 100, 1, 256)
    assert (config.n_blocks, config.ngf, config.ndf, config.norm) == (9, 64, 64, "instance")
    assert (config.lr, config.clipnorm, config.cycle_weight, config.identity_ratio) == (2e-4, 0.0, 10.0, 0.5)
    assert (config.pool_size, config.flip) == (50, True)
    options = ["--blocks", "6", "--norm", "layer", "--clipnorm", "1", "--pool-size", "0", "--no-flip", "--val-photos", "V"]
    config = _config(build_parser().parse_args(base + options))
    assert (config.n_blocks, config.norm, config.clipnorm, config.pool_size, config.flip) == (6, "layer", 1.0, 0, False)
    assert config.val_dir == "V"


def test_decay_epochs_default_to_the_second_half_of_the_run():
    from animegan.cli.main import build_parser
    from animegan.cli.train_cyclegan import _config

    base = ["train", "cyclegan", "--domain-a", "A", "--domain-b", "B", "--out", "R"]
    for epochs, decay in ((1, 0), (2, 1), (7, 3), (200, 100)):
        assert _config(build_parser().parse_args([*base, "--epochs", str(epochs)])).decay_epochs == decay
    assert _config(build_parser().parse_args([*base, "--epochs", "7", "--decay-epochs", "7"])).decay_epochs == 7
    config = CycleGANConfig("a", "b", epochs=1)  # the quick try that used to be refused
    assert CycleGANConfig.from_dict(config.to_dict()) == config and config.decay_epochs == 0


def test_lsgan_discriminator_loss_and_l1():
    ones, zeros = np.ones((2, 3, 3, 1), "float32"), np.zeros((2, 3, 3, 1), "float32")
    assert float(lsgan_discriminator_loss(ones, zeros)) == 0.0  # a perfect discriminator
    assert float(lsgan_discriminator_loss(zeros, ones)) == pytest.approx(1.0)  # 0.5 x (1 + 1)
    assert float(lsgan_discriminator_loss(ones * 3, ones * 0.5)) == pytest.approx(0.5 * (4 + 0.25))
    assert float(l1(ones, -ones)) == pytest.approx(2.0)

def test_trainer_holds_both_generators_discriminators_and_pools():
    config = CycleGANConfig("a", "b", **TINY, clipnorm=2.5)
    trainer = build_trainer(config, steps_per_epoch=STEPS)
    assert isinstance(trainer, CycleGANTrainer)
    assert trainer.generator is trainer.g_ab and trainer.discriminator is trainer.d_b
    assert {type(m).__name__ for m in (trainer.g_ab, trainer.g_ba)} == {"CycleGANGenerator"}
    assert {type(m).__name__ for m in (trainer.d_a, trainer.d_b)} == {"PatchGANDiscriminator"}
    trainer.build_optimizers()
    groups = trainer.checkpoint_groups()
    assert set(groups) == {"g_ab", "g_ba", "d_a", "d_b", "pools", "g_optimizer", "d_optimizer"}
    assert len(groups["pools"]) == 6  # images, count and seed state of each pool
    # One optimizer for both generators, one for both discriminators; Adam(beta_1=0.5) with the schedule.
    g_optimizer, g_variables = trainer.optimizer_variables()["g_optimizer"]
    d_optimizer, d_variables = trainer.optimizer_variables()["d_optimizer"]
    assert len(g_variables) == len(trainer.g_ab.trainable_variables) * 2
    assert len(d_variables) == len(trainer.d_a.trainable_variables) * 2
    assert (g_optimizer.beta_1, g_optimizer.clipnorm, d_optimizer.beta_1, d_optimizer.clipnorm) == (0.5, 2.5, 0.5, 2.5)
    assert float(d_optimizer.learning_rate) == pytest.approx(1e-3)
    g_optimizer.iterations.assign(STEPS * (EPOCHS - DECAY_EPOCHS) + STEPS)  # halfway through the decay
    assert float(g_optimizer.learning_rate) == pytest.approx(1e-3 / 2, rel=1e-5)


@pytest.mark.slow
def test_tiny_run_cycle_loss_falls_and_both_generators_are_saved(straight_run):
    history = straight_run["result"].history
    cycle = history["cycle"]
    assert len(cycle) == EPOCHS and all(np.isfinite(history["g_loss"])) and all(np.isfinite(history["d_loss"]))
    # Seen: 0.83, 0.71, 0.66, 0.62 (the sum of both directions' mean L1); the bound leaves room.
    assert cycle[-1] < 0.85 * cycle[0] and cycle[-1] < cycle[1], cycle
    # The logged totals are the weighted sums of the logged terms (LSGAN + 10 x (cycle + 0.5 x identity)).
    expected_g = np.add(history["g_adv"], 10.0 * (np.add(history["cycle"], 0.5 * np.asarray(history["identity"]))))
    np.testing.assert_allclose(history["g_loss"], expected_g, rtol=1e-5)
    np.testing.assert_allclose(history["d_loss"], np.add(history["d_a"], history["d_b"]), rtol=1e-5)
    run_dir = straight_run["run_dir"]
    for name in ("a2b.keras", "b2a.keras", "generator.keras", "samples/epoch_004.png", "checkpoints/last.json"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "logs").rglob("events.out.tfevents.*")), "no TensorBoard events"
    # The learning rate ended at zero: the schedule was driven by the optimizer's iteration count.
    trainer = straight_run["trainer"]
    assert int(trainer.g_optimizer.iterations.numpy()) == EPOCHS * STEPS
    assert float(trainer.g_optimizer.learning_rate) == 0.0
    assert int(trainer.pool_a.count.numpy()) == 6  # full after 8 generated images


@pytest.mark.slow
def test_interrupted_run_resumed_by_the_cli_ends_with_the_same_weights(straight_run, domains, tmp_path):
    from animegan.cli.main import main
    from animegan.training.fit import save_run_config

    # The first part plans the same 4-epoch run (same schedule) but stops after the epoch 2 checkpoint;
    # the CLI then resumes it, with a freshly built trainer, as a new process would.
    run_dir = tmp_path / "interrupted"
    config = CycleGANConfig(str(domains["a"]), str(domains["b"]), **TINY).validated()
    save_run_config(run_dir, {"family": "cyclegan", "config": config.to_dict()})  # as the CLI does
    fit(CycleGANTask(config, report=lambda line: None), FitOptions(run_dir=run_dir, epochs=2, progress=False))
    assert CheckpointManager(run_dir).latest().epoch == 2

    assert main(["train", "cyclegan", "--out", str(run_dir), "--resume", "--no-progress"]) == 0
    a, b = _checkpoint(straight_run["run_dir"], EPOCHS), _checkpoint(run_dir, EPOCHS)
    assert a.keys() == b.keys()
    for key in a:  # every network weight, both pools' images/counts/seeds, every optimizer slot and step
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)

    # The CLI saved both generators; a2b.keras runs through the ordinary stylize command.
    assert (run_dir / "a2b.keras").is_file() and (run_dir / "b2a.keras").is_file()
    out = tmp_path / "stylized"
    assert main(["stylize", str(domains["a"] / "0.png"), "-o", str(out), "--model", str(run_dir / "a2b.keras")]) == 0
    assert (out / "0.png").is_file()
    # A resume that changes the model is refused with one line.
    assert main(["train", "cyclegan", "--out", str(run_dir), "--resume", "--ngf", "16"]) == 1


@pytest.mark.parametrize(
    "extra, expected",
    [
        ([], "--domain-a DIR and --domain-b DIR are required"),
        (["--domain-a", "/nonexistent/a", "--domain-b", "/nonexistent/b"], "domain A folder not found"),
        (["--domain-a", "A", "--domain-b", "B", "--image-size", "30"], "--image-size must be a multiple of 4"),
        (["--domain-a", "A", "--domain-b", "B", "--epochs", "5", "--decay-epochs", "6"], "--decay-epochs must be"),
    ],
)
def test_cli_user_errors_are_one_line(domains, tmp_path, capsys, extra, expected):
    from animegan.cli.main import main

    extra = [{"A": str(domains["a"]), "B": str(domains["b"])}.get(arg, arg) for arg in extra]
    assert main(["train", "cyclegan", "--out", str(tmp_path / "run"), *extra]) == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "run" / "checkpoints").exists()
