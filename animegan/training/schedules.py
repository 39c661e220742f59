"""Learning-rate schedules that depend only on the optimizer's step, so a resumed run continues exactly."""

from __future__ import annotations

import keras
from keras import ops

from animegan.layers.serialization import register


@register
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``initial_learning_rate`` for ``constant_steps`` steps, then linearly down to zero.

    The rate is exactly zero from step ``constant_steps + decay_steps`` on: with that many steps in the
    run, the last update (step ``constant_steps + decay_steps - 1``) uses ``initial / decay_steps``, as the
    reference CycleGAN's last epoch uses ``initial / (n_epochs_decay + 1)``. CycleGAN's recipe is
    100 epochs constant and 100 decaying: ``constant_steps = decay_steps = 100 * steps_per_epoch``.
    """

    def __init__(self, initial_learning_rate: float, constant_steps: int, decay_steps: int, name: str | None = None):
        if decay_steps < 1 or constant_steps < 0:
            raise ValueError(f"need decay_steps >= 1 and constant_steps >= 0, got {decay_steps}, {constant_steps}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        decayed = ops.maximum(step - self.constant_steps, 0.0) / self.decay_steps
        return self.initial_learning_rate * ops.clip(1.0 - decayed, 0.0, 1.0)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
            "name": self.name,
        }
