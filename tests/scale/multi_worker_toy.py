"""A toy two-phase GAN trained by ``animegan.training.fit`` (seconds, not minutes), for the multi-worker tests.

As a script, ``python multi_worker_toy.py RUN_DIR EPOCHS STRATEGY [--resume] [--start-timeout S]`` trains it as the
CLI would, with the worker's ``TF_CONFIG`` taken from the environment, and prints a user error as the
CLI does (``animegan: error: ...``, exit code 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import tensorflow as tf

from animegan.errors import AnimeGANError
from animegan.training.base import GANTrainer
from animegan.training.fit import FitOptions, fit
from tests.training.toy import SeededPhotos, toy_networks  # the checkout is on PYTHONPATH (start_workers)

class TwoPhaseToy(GANTrainer):
    """Epoch 1 pulls the generator towards the photo (L1); later epochs add an LSGAN discriminator."""

    LOSS_NAMES = ("l1", "g_loss", "d_loss")
    PHASES = ("warm-up", "adversarial")

    def phase_at(self, epoch: int) -> str:
        return "warm-up" if epoch < 1 else "adversarial"

    def train_step(self, data):
        photo = data["photo"]
        if self.phase == "warm-up":
            with tf.GradientTape() as tape:
                l1 = keras.ops.mean(keras.ops.abs(self.generator(photo, training=True) - photo))
                scaled = self.scaled_for(self.g_optimizer, l1)
            self.apply(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
            return self.record(l1=l1)
        with tf.GradientTape() as tape:
            fake = self.generator(photo, training=True)
            d_loss = keras.ops.mean(keras.ops.square(self.discriminator(photo, training=True) - 1.0))
            d_loss += keras.ops.mean(keras.ops.square(self.discriminator(fake, training=True)))
            scaled = self.scaled_for(self.d_optimizer, d_loss)
        self.apply(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        with tf.GradientTape() as tape:
            g_loss = keras.ops.mean(keras.ops.square(self.discriminator(self.generator(photo, training=True)) - 1.0))
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
        return self.record(g_loss=g_loss, d_loss=d_loss)


class ToyTask(SeededPhotos):
    """A ``fit.TrainingTask``: epoch ``e``'s photos are a stateless function of (seed, e)."""

    batch_size = 4
    shown_losses = ("l1", "g_loss", "d_loss")

    def __init__(self, steps_per_epoch: int = 40, seed: int = 0):
        self.steps_per_epoch = steps_per_epoch
        self.seed = seed

    def build_trainer(self) -> TwoPhaseToy:
        generator, discriminator = toy_networks(self.seed)
        trainer = TwoPhaseToy(generator, discriminator)
        # SGD with momentum, not Adam: its update is linear in the gradient, so two processes agree to
        # float rounding (Adam's first steps are lr * sign(gradient), which rounding can flip near zero).
        sgd = lambda name: keras.optimizers.SGD(0.05, momentum=0.5, name=name)  # noqa: E731
        trainer.compile(g_optimizer=sgd("g_sgd"), d_optimizer=sgd("d_sgd"))
        return trainer



def train(run_dir, epochs: int, strategy: str, resume: bool = False):
    options = FitOptions(run_dir=Path(run_dir), epochs=epochs, strategy=strategy, resume=resume, progress=False)
    return fit(ToyTask(), options)


if __name__ == "__main__":
    if "--start-timeout" in sys.argv:  # how long to wait for the other workers (the tests: seconds)
        from animegan.training import distributed

        distributed.START_TIMEOUT_S = float(sys.argv[sys.argv.index("--start-timeout") + 1])
    try:
        result = train(sys.argv[1], int(sys.argv[2]), sys.argv[3], resume="--resume" in sys.argv)
    except AnimeGANError as error:
        print(f"animegan: error: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"trained to epoch {result.epochs_done} in {result.run_dir}")
