"""StyleGAN-lite training: non-saturating logistic loss, lazy R1, style mixing, EMA generator, DiffAugment.

One ``train_step`` per batch of real images in [-1, 1]:

1. generator step: fresh latents (two of them, mixed at a random layer with ``mixing_prob``), loss
   ``softplus(-D(aug(G(z))))``; the running mean of w (for truncation) moves toward this batch's w;
2. discriminator step on the same fakes: ``softplus(D(aug(fake))) + softplus(-D(aug(real)))``, plus
   every ``r1_interval`` steps the R1 penalty ``gamma / 2 * ||dD/dx||^2`` on the reals, scaled by the
   interval ("lazy regularisation", StyleGAN2);
3. the EMA generator moves toward the trained one: ``ema = decay * ema + (1 - decay) * g``. Sampling
   and export use the EMA generator.

Which steps get R1 depends on the discriminator optimizer's step, and the random state (latents,
mixing, augmentation, training noise) lives in seed generators that the checkpoint saves, so a run
resumed by ``animegan.training.fit.fit`` continues exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from animegan.losses.adversarial import generator_adversarial_loss
from animegan.losses.r1 import r1_penalty
from animegan.models.stylegan_lite import StyleGANLiteConfig, StyleGANLiteDiscriminator, StyleGANLiteGenerator
from animegan.training.base import GANTrainer, float32_copy
from animegan.training.diffaugment import diff_augment, parse_policy
from animegan.training.run_config import ConfigData
from animegan.training.vae import image_batches


@dataclass(frozen=True)
class StyleGANLiteTraining(ConfigData):
    """The training settings (the networks' sizes are in ``StyleGANLiteConfig``)."""

    r1_gamma: float = 1.0  # StyleGAN2 uses 0.0002 * R^2 / batch; ~1 suits 32-128 px lite runs
    r1_interval: int = 16
    mixing_prob: float = 0.9
    ema_decay: float = 0.999
    w_avg_beta: float = 0.995
    diffaugment: str = ""  # e.g. "color,translation,cutout" for small datasets
    learning_rate: float = 0.002
    beta_1: float = 0.0
    beta_2: float = 0.99

    def __post_init__(self):
        parse_policy(self.diffaugment)
        if self.r1_interval < 1:
            raise ValueError(f"r1_interval must be >= 1, got {self.r1_interval}")
        if not (0.0 <= self.mixing_prob <= 1.0 and 0.0 <= self.ema_decay <= 1.0):
            raise ValueError("mixing_prob and ema_decay must be between 0 and 1")


def discriminator_logistic_loss(real_logits, fake_logits):
    return ops.mean(ops.softplus(ops.cast(fake_logits, "float32"))) + ops.mean(
        ops.softplus(-ops.cast(real_logits, "float32"))
    )


def ema_update(ema: keras.Model, model: keras.Model, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model for trainable weights; other state (w_avg, noise) is copied."""
    for target, source in zip(ema.weights, model.weights, strict=True):
        if source.trainable:
            target.assign(decay * target + (1.0 - decay) * ops.cast(source, target.dtype))
        else:
            target.assign(source)


def mix_styles(w1, w2, num_ws: int, mixing_prob: float, seed):
    """(B, num_ws, w_dim): w1 for layers below a random cutoff, w2 from it on; no mixing with 1 - mixing_prob."""
    batch = ops.shape(w1)[0]
    mixed = keras.random.uniform((batch, 1, 1), seed=seed) < mixing_prob
    cutoff = ops.floor(keras.random.uniform((batch, 1, 1), minval=1.0, maxval=float(num_ws), seed=seed))
    cutoff = ops.where(mixed, cutoff, float(num_ws))
    layer = ops.cast(ops.reshape(ops.arange(num_ws), (1, num_ws, 1)), "float32")
    return ops.where(layer < cutoff, w1[:, None, :], w2[:, None, :])


def rng_states(model) -> list:
    """The seed-generator states of ``model`` (not among its weights, yet needed for an exact resume)."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def default_optimizers(settings: StyleGANLiteTraining) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """StyleGAN2's Adam pair; the discriminator's is corrected for lazy R1 (it steps 1/interval less often)."""
    ratio = settings.r1_interval / (settings.r1_interval + 1)
    g = keras.optimizers.Adam(settings.learning_rate, beta_1=settings.beta_1, beta_2=settings.beta_2, name="g_adam")
    d = keras.optimizers.Adam(
        settings.learning_rate * ratio, beta_1=settings.beta_1**ratio, beta_2=settings.beta_2**ratio, name="d_adam"
    )
    return g, d


class StyleGANLiteTrainer(GANTrainer):
    """Trains a ``StyleGANLiteGenerator`` and ``StyleGANLiteDiscriminator`` with ``fit`` on batches of real images.

    ``compile(g_optimizer, d_optimizer)`` (``default_optimizers`` gives StyleGAN2's); the EMA generator is
    what ``export_generator`` returns and what a run saves for sampling.
    """

    LOSS_NAMES = ("g_loss", "d_loss", "r1", "d_real", "d_fake")

    def __init__(
        self,
        generator: StyleGANLiteGenerator,
        discriminator: StyleGANLiteDiscriminator,
        settings: StyleGANLiteTraining | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(generator, discriminator, **kwargs)
        self.settings = settings or StyleGANLiteTraining()
        self.policy = parse_policy(self.settings.diffaugment)
        self.ema_generator = StyleGANLiteGenerator(generator.config, name="ema_generator")
        self.ema_generator.set_weights(generator.get_weights())
        self.ema_generator.trainable = False
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(g_optimizer, d_optimizer, **kwargs)
        self.build_optimizers()  # slots made now, so fit traces the train step once instead of twice

    def network_variables(self) -> dict:
        return {
            **super().network_variables(),
            "ema_generator": self.ema_generator.weights,
            "rng": [self.seed_generator.state, *rng_states(self.generator)],
        }

    def export_generator(self) -> keras.Model:
        """A float32 copy of the EMA generator (the one to sample from)."""
        return float32_copy(self.ema_generator)

    def call(self, z, training=False):
        return self.ema_generator(z, training=training)

    def _latents(self, batch):
        return keras.random.normal((batch, self.generator.config.z_dim), seed=self.seed_generator)

    def _augment(self, images):
        return diff_augment(images, self.policy, self.seed_generator) if self.policy else images

    def _fake_ws(self, batch):
        config = self.generator.config
        w1 = self.generator.mapping(self._latents(batch), training=True)
        w2 = self.generator.mapping(self._latents(batch), training=True)
        return mix_styles(w1, w2, config.num_ws, self.settings.mixing_prob, self.seed_generator), w1

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        real = ops.cast(real, "float32")
        batch = ops.shape(real)[0]
        s = self.settings

        with tf.GradientTape() as tape:
            ws, w = self._fake_ws(batch)
            fake = self.generator.synthesis(ws, training=True)
            g_loss = generator_adversarial_loss(self.discriminator(self._augment(fake), training=True), kind="gan")
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
        self.generator.truncation.update(ops.stop_gradient(w), s.w_avg_beta)

        fake = ops.stop_gradient(ops.cast(fake, "float32"))
        do_r1 = ops.equal(self.d_optimizer.iterations % s.r1_interval, 0)
        with tf.GradientTape() as tape:
            real_aug = self._augment(real)
            fake_logits = self.discriminator(self._augment(fake), training=True)
            real_logits = self.discriminator(real_aug, training=True)
            d_loss = discriminator_logistic_loss(real_logits, fake_logits)
            r1 = tf.cond(
                do_r1, lambda: r1_penalty(self.discriminator, real_aug)[0], lambda: tf.constant(0.0, tf.float32)
            )
            scaled = self.scaled_for(self.d_optimizer, d_loss + (s.r1_gamma / 2.0 * s.r1_interval) * r1)
        self.apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)

        ema_update(self.ema_generator, self.generator, s.ema_decay)

        self.trackers["r1"].update_state(r1, sample_weight=ops.cast(do_r1, "float32"))
        logs = self.record(g_loss=g_loss, d_loss=d_loss, d_real=ops.mean(real_logits), d_fake=ops.mean(fake_logits))
        return {**logs, "r1": self.trackers["r1"].result()}


@dataclass
class StyleGANLiteTask:
    """A StyleGAN-lite run on one folder of images: the ``animegan.training.fit`` task, with latent sample grids."""

    paths: tuple[Path, ...]
    config: StyleGANLiteConfig
    settings: StyleGANLiteTraining
    batch_size: int
    steps_per_epoch: int
    seed: int = 0
    shown_losses: tuple[str, ...] = ("g_loss", "d_loss", "r1")
    tuning_options: ClassVar[tuple[str, ...]] = ("--lr",)  # what --resume may change (fit's NaN advice)

    def build_trainer(self) -> StyleGANLiteTrainer:
        trainer = StyleGANLiteTrainer(
            StyleGANLiteGenerator(self.config), StyleGANLiteDiscriminator(self.config), self.settings, seed=self.seed
        )
        trainer.compile(*default_optimizers(self.settings), jit_compile=False)  # fit() sets the run's choice
        return trainer

    def dataset(self, first_epoch: int, end_epoch: int):
        size, steps = self.config.resolution, self.steps_per_epoch
        return image_batches(self.paths, size, self.batch_size, steps, self.seed, first_epoch, end_epoch)

    def epoch_callbacks(self, run_dir: Path) -> list[keras.callbacks.Callback]:
        latents = np.random.default_rng(self.seed).standard_normal((16, self.config.z_dim)).astype(np.float32)
        return [LatentSampleGrid(latents, Path(run_dir) / "samples")]


class LatentSampleGrid(keras.callbacks.Callback):
    """Writes ``directory/epoch_XXX.png``: the EMA generator's images for fixed latents (progress at a glance)."""

    def __init__(self, latents: np.ndarray, directory: str | Path):
        super().__init__()
        self.latents = latents
        self.directory = Path(directory)

    def on_epoch_end(self, epoch, logs=None):
        from animegan.data.images import write_image
        from animegan.inference.sampling import image_grid

        images = np.asarray(self.model.ema_generator(self.latents), np.float32)
        if np.all(np.isfinite(images)):  # after a NaN step there is nothing to show
            write_image(self.directory / f"epoch_{epoch + 1:03d}.png", image_grid(np.clip(images, -1.0, 1.0)))
