"""Adversarial losses against hand-computed numpy values."""

import numpy as np
import pytest

from animegan.losses import discriminator_loss, discriminator_terms, generator_adversarial_loss

RNG = np.random.default_rng(0)
REAL, FAKE, GRAY, SMOOTH = (RNG.normal(size=(2, 4, 4, 1)).astype(np.float32) for _ in range(4))


def softplus(x):
    return np.log1p(np.exp(x))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("lsgan", np.mean((FAKE - 1.0) ** 2)),
        ("hinge", -np.mean(FAKE)),
        ("gan", np.mean(softplus(-FAKE))),
    ],
)
def test_generator_adversarial_loss(kind, expected):
    assert float(generator_adversarial_loss(FAKE, kind)) == pytest.approx(expected, rel=1e-5)


def test_lsgan_discriminator_terms_are_the_official_ones():
    terms = discriminator_terms(REAL, FAKE, GRAY, SMOOTH, "lsgan")
    assert float(terms["real"]) == pytest.approx(np.mean((REAL - 1.0) ** 2), rel=1e-5)
    assert float(terms["fake"]) == pytest.approx(np.mean(FAKE**2), rel=1e-5)
    assert float(terms["gray"]) == pytest.approx(np.mean(GRAY**2), rel=1e-5)
    assert float(terms["smooth"]) == pytest.approx(np.mean(SMOOTH**2), rel=1e-5)


def test_hinge_and_gan_discriminator_terms():
    hinge = discriminator_terms(REAL, FAKE, GRAY, SMOOTH, "hinge")
    assert float(hinge["real"]) == pytest.approx(np.mean(np.maximum(0.0, 1.0 - REAL)), rel=1e-5)
    assert float(hinge["gray"]) == pytest.approx(np.mean(np.maximum(0.0, 1.0 + GRAY)), rel=1e-5)
    gan = discriminator_terms(REAL, FAKE, GRAY, SMOOTH, "gan")
    assert float(gan["real"]) == pytest.approx(np.mean(softplus(-REAL)), rel=1e-5)
    assert float(gan["smooth"]) == pytest.approx(np.mean(softplus(SMOOTH)), rel=1e-5)


def test_discriminator_loss_weights_v2_hayao_and_v1():
    real, fake, gray, smooth = (
        np.mean((REAL - 1) ** 2), np.mean(FAKE**2), np.mean(GRAY**2), np.mean(SMOOTH**2),
    )  # fmt: skip
    v2 = discriminator_loss(REAL, FAKE, GRAY, SMOOTH, "lsgan", (1.2, 1.2, 1.2, 0.8))
    assert float(v2) == pytest.approx(1.2 * real + 1.2 * fake + 1.2 * gray + 0.8 * smooth, rel=1e-5)
    v1 = discriminator_loss(REAL, FAKE, GRAY, SMOOTH, "lsgan", (1.0, 1.0, 1.0, 0.1))
    assert float(v1) == pytest.approx(real + fake + gray + 0.1 * smooth, rel=1e-5)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown GAN loss"):
        generator_adversarial_loss(FAKE, "wgan")
