import keras
import numpy as np
import pytest

from animegan.training.schedules import ConstantThenLinearDecay


def test_schedule_is_constant_then_linear_to_zero():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=50)
    lr = lambda step: float(schedule(step))  # noqa: E731
    assert lr(0) == lr(50) == lr(100) == pytest.approx(2e-4, rel=1e-6)
    assert lr(125) == pytest.approx(1e-4, rel=1e-5)
    assert lr(149) == pytest.approx(2e-4 / 50, rel=1e-5)  # the last update of a 150-step run
    assert lr(150) == 0.0 and lr(10_000) == 0.0
    values = [lr(s) for s in range(100, 151)]
    np.testing.assert_allclose(np.diff(values), -2e-4 / 50, rtol=1e-4)


def test_schedule_serializes_and_drives_an_optimizer_from_its_iteration_count():
    schedule = ConstantThenLinearDecay(1e-3, constant_steps=3, decay_steps=4, name="decay")
    config = keras.optimizers.schedules.serialize(schedule)
    clone = keras.optimizers.schedules.deserialize(config)
    assert isinstance(clone, ConstantThenLinearDecay) and clone.get_config() == schedule.get_config()
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    restored = keras.optimizers.Adam.from_config(optimizer.get_config())
    restored.iterations.assign(5)  # as a checkpoint restore sets it
    assert float(restored.learning_rate) == pytest.approx(1e-3 * (1 - 2 / 4))
    with pytest.raises(ValueError):
        ConstantThenLinearDecay(1e-3, constant_steps=3, decay_steps=0)
