"""Adversarial losses on the discriminator's patch logits.

``lsgan`` is what every official AnimeGAN recipe uses; ``hinge`` and ``gan`` (non-saturating, sigmoid
cross-entropy on logits) are the same terms as the official ``tools/ops.py`` offers. AnimeGAN's
discriminator sees four batches: real style images (target 1), generated images, grayscale style images
and grayscale edge-smoothed style images (all three target 0), so it learns that colour, texture and crisp
edges together make the style.
"""

from __future__ import annotations

from keras import ops

from animegan.choices import GAN_LOSSES

# Order of the discriminator terms and of the weights that go with them.
DISCRIMINATOR_TERMS = ("real", "fake", "gray", "smooth")


def _check(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def _as_float32(x):
    return ops.cast(x, "float32")


def generator_adversarial_loss(fake_logits, kind: str = "lsgan"):
    """The generator's adversarial loss on D(G(photo)).

    lsgan: mean((fake - 1)^2); hinge: -mean(fake); gan: mean(softplus(-fake)), i.e. sigmoid cross-entropy
    with label 1.
    """
    _check(kind)
    fake = _as_float32(fake_logits)
    if kind == "lsgan":
        return ops.mean(ops.square(fake - 1.0))
    if kind == "hinge":
        return -ops.mean(fake)
    return ops.mean(ops.softplus(-fake))


def _real_term(logits, kind):
    if kind == "lsgan":
        return ops.mean(ops.square(logits - 1.0))
    if kind == "hinge":
        return ops.mean(ops.relu(1.0 - logits))
    return ops.mean(ops.softplus(-logits))


def _fake_term(logits, kind):
    if kind == "lsgan":
        return ops.mean(ops.square(logits))
    if kind == "hinge":
        return ops.mean(ops.relu(1.0 + logits))
    return ops.mean(ops.softplus(logits))


def discriminator_terms(real_logits, fake_logits, gray_logits, smooth_logits, kind: str = "lsgan") -> dict:
    """The four unweighted discriminator terms, as the official ``discriminator_loss`` computes them.

    lsgan: real = mean((real - 1)^2), fake = mean(fake^2), gray = mean(gray^2), smooth = mean(smooth^2).
    hinge: mean(relu(1 - real)) and mean(relu(1 + x)) for the others. gan: mean(softplus(-real)) and
    mean(softplus(x)). Returns a dict keyed by ``DISCRIMINATOR_TERMS``.
    """
    _check(kind)
    logits = [_as_float32(x) for x in (real_logits, fake_logits, gray_logits, smooth_logits)]
    return {
        "real": _real_term(logits[0], kind),
        "fake": _fake_term(logits[1], kind),
        "gray": _fake_term(logits[2], kind),
        "smooth": _fake_term(logits[3], kind),
    }


def discriminator_loss(
    real_logits,
    fake_logits,
    gray_logits,
    smooth_logits,
    kind: str = "lsgan",
    weights: tuple[float, float, float, float] = (1.2, 1.2, 1.2, 0.8),
):
    """The weighted sum of the four discriminator terms (before the recipe's overall ``d_adv`` weight).

    ``weights`` are (real, fake, gray, smooth). The official values: AnimeGANv2 Hayao (1.2, 1.2, 1.2, 0.8),
    Shinkai (1.7, 1.7, 1.7, 1.0), Paprika (1.0, 1.0, 1.0, 0.005); AnimeGAN v1 (1, 1, 1, 0.1).
    """
    terms = discriminator_terms(real_logits, fake_logits, gray_logits, smooth_logits, kind)
    return sum(w * terms[name] for w, name in zip(weights, DISCRIMINATOR_TERMS))
