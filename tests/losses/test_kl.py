import numpy as np
import pytest

from animegan.losses.kl import gaussian_kl


def test_kl_matches_closed_form_and_monte_carlo():
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(3, 4)).astype("float32")
    log_var = rng.normal(scale=0.5, size=(3, 4)).astype("float32")
    kl = np.asarray(gaussian_kl(mean, log_var))
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2) / 2 - 1/2, summed over dimensions
    std = np.exp(0.5 * log_var.astype("float64"))
    expected = (np.log(1 / std) + (std**2 + mean**2) / 2 - 0.5).sum(-1)
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    # and a Monte Carlo estimate of E_q[log q - log p]
    samples = mean[0] + std[0] * rng.normal(size=(200_000, 4))
    log_q = (-0.5 * ((samples - mean[0]) / std[0]) ** 2 - np.log(std[0])).sum(-1)
    log_p = (-0.5 * samples**2).sum(-1)
    assert (log_q - log_p).mean() == pytest.approx(kl[0], abs=0.02)
    np.testing.assert_allclose(gaussian_kl(np.zeros((2, 4)), np.zeros((2, 4))), 0.0, atol=1e-7)
