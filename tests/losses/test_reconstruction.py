import numpy as np
import pytest

from animegan.losses.reconstruction import reconstruction_error


def pair(seed=2):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (2, 4, 4, 3)).astype("float32"), rng.uniform(-1, 1, (2, 4, 4, 3)).astype("float32")


def test_values_are_summed_per_image():
    target, prediction = pair()
    diff = (target - prediction).astype("float64")
    np.testing.assert_allclose(reconstruction_error(target, prediction, "l1"), np.abs(diff).sum((1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(reconstruction_error(target, prediction, "mse"), (diff**2).sum((1, 2, 3)), rtol=1e-5)
    t, p = (target + 1) / 2.0, (prediction + 1) / 2.0
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum((1, 2, 3))
    np.testing.assert_allclose(reconstruction_error(target, prediction, "bce"), bce, rtol=1e-4)


@pytest.mark.parametrize("kind", ["l1", "mse", "bce"])
def test_exact_reconstruction_is_the_minimum(kind):
    target, _ = pair()
    exact = np.asarray(reconstruction_error(target, target, kind))
    off = np.asarray(reconstruction_error(target, np.clip(target + 0.3, -1, 1), kind))
    assert exact.shape == (2,) and np.all(off > exact)
    if kind != "bce":  # BCE of soft targets bottoms out at their entropy
        np.testing.assert_allclose(exact, 0.0, atol=1e-6)


def test_bce_stays_finite_at_saturated_predictions():
    target = np.full((1, 2, 2, 3), -1.0, "float32")
    assert np.isfinite(np.asarray(reconstruction_error(target, -target, "bce"))).all()


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="l1"):
        reconstruction_error(*pair(), "huber")
