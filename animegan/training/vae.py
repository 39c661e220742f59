"""VAE training: reconstruction loss (L1, MSE or BCE, the model config's choice) plus beta times KL.

The loss per image is ``recon(x, decode(z)) + beta * KL(q(z|x) || N(0, I))`` with z drawn by the
reparameterised sampling layer, averaged over the batch. ``beta`` can ramp up linearly from 0 over
``beta_warmup_steps`` optimizer steps (KL annealing, which keeps the posterior from collapsing early);
as it depends only on the optimizer's step, a resumed run continues on the same schedule.
Validation (``fit(validation_data=...)``) reconstructs from the posterior mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from animegan.data.dataset import PipelineConfig, training_dataset, validation_images
from animegan.losses.kl import gaussian_kl
from animegan.losses.reconstruction import reconstruction_error
from animegan.models.vae import ConvVAE, VAEConfig
from animegan.training.base import GANTrainer, wrap_for_policy
from animegan.training.run_config import ConfigData


@dataclass(frozen=True)
class VAETraining(ConfigData):
    beta: float = 1.0
    beta_warmup_steps: int = 0
    learning_rate: float = 1e-3

    def __post_init__(self):
        if self.beta < 0 or self.beta_warmup_steps < 0:
            raise ValueError("beta and beta_warmup_steps must be >= 0")


def beta_at(step, beta: float, warmup_steps: int):
    """beta * min(1, step / warmup_steps); plain beta without warm-up."""
    if warmup_steps <= 0:
        return ops.convert_to_tensor(beta, "float32")
    return beta * ops.minimum(1.0, ops.cast(step, "float32") / float(warmup_steps))


class VAETrainer(GANTrainer):
    """Trains a ``ConvVAE`` with ``fit`` on batches of images in [-1, 1]; ``compile(optimizer)``.

    The VAE stands in the base class's generator place (there is no discriminator), so the shared
    driver's sample grids and artefact metric show reconstructions and the run saves the whole VAE.
    """

    LOSS_NAMES = ("loss", "recon", "kl", "beta")

    def __init__(self, vae: ConvVAE, settings: VAETraining | None = None, **kwargs):
        super().__init__(vae, None, **kwargs)
        self.settings = settings or VAETraining()

    @property
    def vae(self) -> ConvVAE:
        return self.generator

    def compile(self, optimizer=None, d_optimizer=None, **kwargs):
        """One optimizer (Adam at ``settings.learning_rate`` by default); ``d_optimizer`` is ignored.

        Skips ``GANTrainer.compile``, which would wrap the missing discriminator optimizer too.
        """
        keras.Model.compile(self, optimizer=None, **kwargs)
        self.g_optimizer = wrap_for_policy(optimizer or keras.optimizers.Adam(self.settings.learning_rate, name="adam"))
        self.d_optimizer = None
        self.build_optimizers()  # slots made now, so fit traces the train step once instead of twice

    def optimizer_variables(self) -> dict:
        return {"optimizer": (self.g_optimizer, self.vae.trainable_variables)}

    def network_variables(self) -> dict:
        weights = {id(w) for w in self.vae.weights}
        rng = [v for v in self.vae.variables if id(v) not in weights]  # the sampling layer's seed state
        return {"vae": self.vae.weights, "rng": rng}

    def _loss_terms(self, images, training: bool):
        mean, log_var = self.vae.encode(images, training=training)
        latent = self.vae.sampling([mean, log_var]) if training else mean
        reconstruction = self.vae.decode(latent, training=training)
        recon = ops.mean(reconstruction_error(images, reconstruction, self.vae.config.reconstruction))
        kl = ops.mean(gaussian_kl(mean, log_var))
        return recon, kl

    def train_step(self, data):
        images = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, "float32")
        beta = beta_at(self.g_optimizer.iterations, self.settings.beta, self.settings.beta_warmup_steps)
        with tf.GradientTape() as tape:
            recon, kl = self._loss_terms(images, training=True)
            loss = recon + beta * kl
            scaled = self.scaled_for(self.g_optimizer, loss)
        self.apply(self.g_optimizer, tape, scaled, self.vae.trainable_variables)
        return self.record(loss=loss, recon=recon, kl=kl, beta=beta)

    def test_step(self, data):
        images = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, "float32")
        recon, kl = self._loss_terms(images, training=False)
        beta = ops.convert_to_tensor(self.settings.beta, "float32")
        return self.record(loss=recon + beta * kl, recon=recon, kl=kl, beta=beta)


@dataclass
class VAETask:
    """The ``animegan.training.fit`` task of a VAE run on one folder of images (see ``TrainingTask``)."""

    paths: tuple[Path, ...]
    config: VAEConfig
    settings: VAETraining
    batch_size: int
    steps_per_epoch: int
    seed: int = 0
    validation_paths: tuple[Path, ...] | None = None  # default: the first training images
    shown_losses: tuple[str, ...] = ("loss", "recon", "kl")
    tuning_options: ClassVar[tuple[str, ...]] = ("--lr",)  # what --resume may change (fit's NaN advice)

    def build_trainer(self) -> VAETrainer:
        trainer = VAETrainer(ConvVAE(self.config, seed=self.seed), self.settings)
        trainer.compile(jit_compile=False)  # fit() sets the run's choice
        return trainer

    def dataset(self, first_epoch: int, end_epoch: int):
        size, steps = self.config.image_size, self.steps_per_epoch
        return image_batches(self.paths, size, self.batch_size, steps, self.seed, first_epoch, end_epoch)

    def validation_photos(self) -> np.ndarray:
        return validation_images(self.validation_paths or self.paths, self.config.image_size, count=8)


def image_batches(paths, size: int, batch_size: int, steps_per_epoch: int, seed: int, first_epoch: int, end_epoch: int):
    """Batches (B, size, size, 3) in [-1, 1] of ``paths`` from the shared deterministic pipeline (random
    square crops and flips; every image once per pass), so resumed epochs see the same data."""
    import tensorflow as tf

    config = PipelineConfig(size, batch_size, steps_per_epoch, seed=seed, scale_range=(1.0, 1.1))
    batches = training_dataset(paths, None, None, config, first_epoch, end_epoch)
    return batches.map(lambda batch: batch["photo"], num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
