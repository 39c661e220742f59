"""CycleGAN training (Zhu et al. 2017): two generators and two PatchGAN discriminators in one trainer.

``g_ab`` maps domain A to B and ``g_ba`` back; ``d_a`` and ``d_b`` judge each domain. Each
``train_step`` takes a batch from each domain and, in the reference implementation's order, first
updates both generators (LSGAN + cycle + identity losses, discriminators fixed), then both
discriminators on the real images and on generated ones drawn from a history pool of 50 per
discriminator. Checkpoints, resume, sample grids, NaN stop and TensorBoard are the shared
``animegan.training.fit`` machinery; this module adds the trainer, its configuration and the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import tensorflow as tf
from keras import ops

from animegan.errors import AnimeGANError
from animegan.losses.adversarial import generator_adversarial_loss
from animegan.training.base import GANTrainer, adam, float32_copy
from animegan.training.image_pool import ImagePool
from animegan.training.image_task import ImageToImageTask
from animegan.training.run_config import RunConfig
from animegan.training.schedules import ConstantThenLinearDecay

# The reference's defaults: lambda_A = lambda_B = 10, lambda_identity = 0.5 (relative to the cycle weight).
CYCLE_WEIGHT = 10.0
IDENTITY_RATIO = 0.5
POOL_SIZE = 50
GENERATOR_FILES = {"a2b": "a2b.keras", "b2a": "b2a.keras"}


def lsgan_discriminator_loss(real_logits, fake_logits):
    """mean((D(real) - 1)^2) and mean(D(fake)^2), halved as the reference does so D learns more slowly."""
    real = ops.mean(ops.square(ops.cast(real_logits, "float32") - 1.0))
    fake = ops.mean(ops.square(ops.cast(fake_logits, "float32")))
    return 0.5 * (real + fake)


def l1(a, b):
    return ops.mean(ops.abs(ops.cast(a, "float32") - ops.cast(b, "float32")))


class CycleGANTrainer(GANTrainer):
    """Trains ``g_ab``, ``g_ba``, ``d_a`` and ``d_b`` with ``fit`` on ``(images_a, images_b)`` batches.

    ``compile(g_optimizer, d_optimizer)`` (the base's): one optimizer steps both generators, the other
    both discriminators, as the reference chains their parameters. The base's ``generator`` is ``g_ab``
    (the sample grids and ``generator.keras`` show A -> B) and its ``discriminator`` is ``d_b``.
    ``image_shape`` is the training crop (H, W, 3), which sizes the two history pools.
    """

    LOSS_NAMES = ("g_loss", "g_adv", "cycle", "identity", "d_loss", "d_a", "d_b")

    def __init__(
        self,
        g_ab: keras.Model,
        g_ba: keras.Model,
        d_a: keras.Model,
        d_b: keras.Model,
        image_shape: tuple[int, int, int] = (256, 256, 3),
        cycle_weight: float = CYCLE_WEIGHT,
        identity_ratio: float = IDENTITY_RATIO,
        pool_size: int = POOL_SIZE,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(g_ab, d_b, **kwargs)
        self.g_ab, self.g_ba, self.d_a, self.d_b = g_ab, g_ba, d_a, d_b
        self.cycle_weight = float(cycle_weight)
        self.identity_ratio = float(identity_ratio)
        # pool_a holds generated A images (shown to d_a), pool_b generated B images (shown to d_b).
        self.pool_a = ImagePool(pool_size, image_shape, seed=seed, name="pool_a")
        self.pool_b = ImagePool(pool_size, image_shape, seed=None if seed is None else seed + 1, name="pool_b")

    def optimizer_variables(self) -> dict:
        return {
            "g_optimizer": (self.g_optimizer, self.g_ab.trainable_variables + self.g_ba.trainable_variables),
            "d_optimizer": (self.d_optimizer, self.d_a.trainable_variables + self.d_b.trainable_variables),
        }

    def network_variables(self) -> dict:
        # The pools' stored images, fill counts and random states are part of an exact resume.
        return {
            "g_ab": self.g_ab.weights,
            "g_ba": self.g_ba.weights,
            "d_a": self.d_a.weights,
            "d_b": self.d_b.weights,
            "pools": self.pool_a.variables + self.pool_b.variables,
        }

    def export_generators(self) -> dict[str, keras.Model]:
        """Float32 copies of both generators by file stem: ``a2b`` and ``b2a``."""
        return {"a2b": float32_copy(self.g_ab), "b2a": float32_copy(self.g_ba)}

    def train_step(self, data):
        real_a, real_b = data
        g_variables = self.optimizer_variables()["g_optimizer"][1]
        with tf.GradientTape() as tape:
            fake_b = self.g_ab(real_a, training=True)
            fake_a = self.g_ba(real_b, training=True)
            cycle = l1(self.g_ba(fake_b, training=True), real_a) + l1(self.g_ab(fake_a, training=True), real_b)
            identity = ops.zeros((), "float32")
            if self.identity_ratio:  # two more generator passes, skipped when the term is off
                identity = l1(self.g_ab(real_b, training=True), real_b) + l1(self.g_ba(real_a, training=True), real_a)
            g_adv = generator_adversarial_loss(self.d_b(fake_b, training=True), "lsgan") + (
                generator_adversarial_loss(self.d_a(fake_a, training=True), "lsgan")
            )
            g_loss = g_adv + self.cycle_weight * (cycle + self.identity_ratio * identity)
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, g_variables)

        # The discriminators see this step's fakes (made before the generator update, as in the
        # reference), each exchanged through its history pool.
        pooled_a = self.pool_a(ops.stop_gradient(fake_a))
        pooled_b = self.pool_b(ops.stop_gradient(fake_b))
        d_variables = self.optimizer_variables()["d_optimizer"][1]
        with tf.GradientTape() as tape:
            d_a = lsgan_discriminator_loss(self.d_a(real_a, training=True), self.d_a(pooled_a, training=True))
            d_b = lsgan_discriminator_loss(self.d_b(real_b, training=True), self.d_b(pooled_b, training=True))
            d_loss = d_a + d_b
            scaled = self.scaled_for(self.d_optimizer, d_loss)
        self.apply(self.d_optimizer, tape, scaled, d_variables)
        return self.record(g_loss=g_loss, g_adv=g_adv, cycle=cycle, identity=identity, d_loss=d_loss, d_a=d_a, d_b=d_b)


@dataclass(frozen=True)
class CycleGANConfig(RunConfig):
    """Everything a CycleGAN run depends on; saved as RUN_DIR/config.json and reloaded by --resume.

    The defaults are the paper's: 200 epochs, the first half at ``lr``, the second (``decay_epochs``,
    by default half of ``epochs``: 100) linearly to 0, batch 1, 256x256 crops, ResNet-9 generators with
    ngf 64, PatchGAN with ndf 64, instance norm.
    """

    domain_a: str
    domain_b: str
    val_dir: str | None = None  # domain-A images for the sample grids (default: the first of domain A)
    epochs: int = 200
    decay_epochs: int | None = None  # None = epochs // 2 (the paper's half and half)
    batch_size: int = 1
    image_size: int = 256
    steps_per_epoch: int | None = None  # None = max(#A, #B) // batch_size
    n_blocks: int = 9
    ngf: int = 64
    ndf: int = 64
    norm: str = "instance"
    lr: float = 2e-4
    clipnorm: float = 0.0
    cycle_weight: float = CYCLE_WEIGHT
    identity_ratio: float = IDENTITY_RATIO
    pool_size: int = POOL_SIZE
    flip: bool = True
    seed: int = 0
    val_count: int = 4

    RESUMABLE: ClassVar[frozenset[str]] = frozenset({"epochs", "domain_a", "domain_b", "val_dir"})
    TUNABLE: ClassVar[tuple[str, ...]] = ("lr", "clipnorm")

    def __post_init__(self):
        if self.decay_epochs is None:  # fixed when the run is planned, so a resumed run keeps its schedule
            object.__setattr__(self, "decay_epochs", self.epochs // 2)

    def validated(self) -> CycleGANConfig:
        from animegan.layers.norms import check_norm

        check_norm(self.norm)
        self.require_image_size(4)
        self.require_positive("epochs", "batch_size", "n_blocks", "ngf", "ndf")
        if not 0 <= self.decay_epochs <= self.epochs:
            raise AnimeGANError(
                f"--decay-epochs must be between 0 and --epochs ({self.epochs}), got {self.decay_epochs}"
            )
        if self.pool_size < 0 or self.cycle_weight < 0 or self.identity_ratio < 0 or self.lr <= 0:
            raise AnimeGANError("--pool-size, --cycle-weight and --identity-ratio must be 0 or more, --lr positive")
        return self


def learning_rate(config: CycleGANConfig, steps_per_epoch: int):
    """``config.lr`` constant, then linearly to zero over the last ``decay_epochs`` (a float if none)."""
    if config.decay_epochs == 0:
        return config.lr
    return ConstantThenLinearDecay(
        config.lr,
        constant_steps=(config.epochs - config.decay_epochs) * steps_per_epoch,
        decay_steps=config.decay_epochs * steps_per_epoch,
    )


def build_trainer(config: CycleGANConfig, steps_per_epoch: int) -> CycleGANTrainer:
    """The compiled trainer of ``config``; each network has its own seed, so every process builds the same."""
    from animegan.models import CycleGANGenerator, PatchGANDiscriminator

    networks = []
    for offset, build in enumerate(
        (
            lambda: CycleGANGenerator(config.n_blocks, config.ngf, config.norm, name="g_ab"),
            lambda: CycleGANGenerator(config.n_blocks, config.ngf, config.norm, name="g_ba"),
            lambda: PatchGANDiscriminator(config.ndf, norm=config.norm, name="d_a"),
            lambda: PatchGANDiscriminator(config.ndf, norm=config.norm, name="d_b"),
        ),
        start=1,
    ):
        keras.utils.set_random_seed(config.seed + offset)
        networks.append(build())
    trainer = CycleGANTrainer(
        *networks,
        image_shape=(config.image_size, config.image_size, 3),
        cycle_weight=config.cycle_weight,
        identity_ratio=config.identity_ratio,
        pool_size=config.pool_size,
        seed=config.seed,
    )
    # Two schedule objects with the same values: each optimizer serializes its own.
    trainer.compile(
        g_optimizer=adam(learning_rate(config, steps_per_epoch), config.clipnorm, name="g_adam"),
        d_optimizer=adam(learning_rate(config, steps_per_epoch), config.clipnorm, name="d_adam"),
        jit_compile=False,  # fit() sets the run's choice
    )
    return trainer


class CycleGANTask(ImageToImageTask):
    """Both domains, validation images and the compiled trainer of one run (a ``fit.TrainingTask``).

    ``trainer`` is the one ``build_trainer`` made last, so the caller can save both generators after fit.
    """

    shown_losses = ("g_loss", "cycle", "d_loss")

    def __init__(self, config: CycleGANConfig, report=print):
        super().__init__(config, report)
        images = {}
        for key, folder in (("A", config.domain_a), ("B", config.domain_b)):
            if not Path(folder).is_dir():
                raise AnimeGANError(f"domain {key} folder not found: {folder}")
            images[key] = self.scan(folder, f"domain {key} images")
        self.images_a, self.images_b = images["A"], images["B"]
        self.plan({"A images": len(self.images_a), "B images": len(self.images_b)}, config.val_dir, self.images_a)
        self.trainer: CycleGANTrainer | None = None

    def build_trainer(self) -> CycleGANTrainer:
        self.trainer = build_trainer(self.config, self.steps_per_epoch)
        return self.trainer

    def dataset(self, first_epoch: int, end_epoch: int):
        """(A, B) batches from the shared seeded pipeline: A is its photo stream, B its style stream."""
        from animegan.data.dataset import training_dataset

        batches = training_dataset(self.images_a, self.images_b, None, self.pipeline(), first_epoch, end_epoch)
        return batches.map(lambda batch: (batch["photo"], batch["style"]))


def save_generators(trainer: CycleGANTrainer, run_dir: str | Path) -> dict[str, Path]:
    """Writes RUN_DIR/a2b.keras and RUN_DIR/b2a.keras (float32, atomically); returns their paths."""
    from animegan.weights.save import save_model_atomically

    return {
        stem: save_model_atomically(model, Path(run_dir) / GENERATOR_FILES[stem])
        for stem, model in trainer.export_generators().items()
    }
