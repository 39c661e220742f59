"""The trainer every GAN family subclasses: networks and optimizers in one ``keras.Model`` run by ``fit``.

The pattern of keras-io's ``dcgan_overriding_train_step.py``: networks are given to ``__init__``, one
optimizer per network to ``compile``, ``keras.metrics.Mean`` trackers are listed in ``metrics`` and
``train_step`` returns their results. On top of it:

- *phases*: a family can train differently in some epochs (AnimeGAN's content-only initialisation).
  ``set_epoch`` picks the phase and, when it changes, rebuilds ``train_function``; ``fit`` looks the
  function up at every step, so the switch happens inside the same ``fit`` call, between epochs.
- *checkpoint state*: ``checkpoint_groups`` names every variable that an exact resume needs (all network
  weights, trainable or not, and every optimizer's slots and iteration counter).
- *distribution and mixed precision*: losses are divided by the number of replicas before the gradient
  (Keras sums gradients across replicas) and scaled by a ``LossScaleOptimizer`` under ``mixed_float16``.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def adam(learning_rate: float, clipnorm: float | None = None, name: str | None = None) -> keras.optimizers.Adam:
    """The default GAN optimizer: Adam with beta_1 0.5 (as the official AnimeGAN code), optional clipnorm."""
    return keras.optimizers.Adam(
        learning_rate=learning_rate, beta_1=0.5, beta_2=0.999, clipnorm=clipnorm or None, name=name
    )


def wrap_for_policy(optimizer):
    """The optimizer, wrapped in a ``LossScaleOptimizer`` when the global policy is ``mixed_float16``."""
    if keras.mixed_precision.global_policy().name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{optimizer.name}_loss_scale")
    return optimizer


def float32_copy(model: keras.Model) -> keras.Model:
    """A float32 copy of ``model`` with its weights: what is saved and exported after mixed-precision training."""
    policy = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy("float32")
        plain = type(model).from_config(model.get_config())
    finally:
        keras.mixed_precision.set_global_policy(policy)
    plain.set_weights([w.numpy() if hasattr(w, "numpy") else w for w in model.get_weights()])
    return plain


class GANTrainer(keras.Model):
    """A generator and a discriminator (and whatever a family adds), trained with ``model.fit``.

    Subclasses define ``LOSS_NAMES`` (the metrics they log), implement ``train_step`` (or one step per
    phase, see ``phase_at``), and may add optimizers by overriding ``compile`` and ``optimizer_variables``.
    """

    LOSS_NAMES: tuple[str, ...] = ()
    PHASES: tuple[str, ...] = ("adversarial",)

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.LOSS_NAMES}
        self.phase = self.PHASES[0]
        # The networks are built functional models; nothing is left for fit() to build symbolically.
        self.built = True

    # --- compile -----------------------------------------------------------------------------------
    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """One optimizer per network. ``kwargs`` go to ``keras.Model.compile`` (jit_compile, ...)."""
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = wrap_for_policy(g_optimizer)
        self.d_optimizer = wrap_for_policy(d_optimizer)

    def optimizer_variables(self) -> dict:
        """Optimizer name -> (optimizer, the variables it updates)."""
        return {
            "g_optimizer": (self.g_optimizer, self.generator.trainable_variables),
            "d_optimizer": (self.d_optimizer, self.discriminator.trainable_variables),
        }

    def build_optimizers(self) -> None:
        """Create every optimizer's slots now, so a checkpoint can be restored into them before fit."""
        for optimizer, variables in self.optimizer_variables().values():
            if not optimizer.built:
                optimizer.build(variables)

    def network_variables(self) -> dict:
        return {"generator": self.generator.weights, "discriminator": self.discriminator.weights}

    def checkpoint_groups(self) -> dict:
        """Group name -> ordered variables: everything an exact resume restores."""
        groups = dict(self.network_variables())
        for name, (optimizer, _) in self.optimizer_variables().items():
            groups[name] = optimizer.variables
        return groups

    # --- metrics and phases ------------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, **values) -> dict:
        """Update the named trackers and return {name: running mean} for those names."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in values}

    def phase_at(self, epoch: int) -> str:
        """The phase of a 0-based epoch; the base class has one."""
        return self.PHASES[0]

    def set_epoch(self, epoch: int) -> bool:
        """Enter the phase of ``epoch``; True when it changed (and the train function was rebuilt)."""
        phase = self.phase_at(epoch)
        if phase == self.phase:
            return False
        self.phase = phase
        if getattr(self, "compiled", False):
            self.make_train_function(force=True)
        return True

    # --- steps -------------------------------------------------------------------------------------
    def call(self, inputs, training: bool = False):
        return self.generator(inputs, training=training)

    @staticmethod
    def replica_scaled(loss):
        """The per-replica loss to differentiate: gradients are summed over replicas."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss / replicas if replicas > 1 else loss

    def scaled_for(self, optimizer, loss):
        """What to differentiate inside the tape: loss / replicas, times the loss scale if any."""
        return optimizer.scale_loss(self.replica_scaled(loss))

    @staticmethod
    def apply(optimizer, tape, scaled_loss, variables) -> None:
        optimizer.apply(tape.gradient(scaled_loss, variables), variables)

    def export_generator(self) -> keras.Model:
        """A float32 copy of the generator with the trained weights, for saving and inference."""
        return float32_copy(self.generator)
