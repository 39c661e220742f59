"""Maps architecture names (what the CLI and the weight registry say) to generator classes."""

from __future__ import annotations

from animegan.errors import AnimeGANError
from animegan.models.animegan_v1 import AnimeGANv1Generator
from animegan.models.animegan_v2 import AnimeGANv2Generator
from animegan.models.cyclegan import CycleGANGenerator

GENERATORS = {cls.architecture: cls for cls in (AnimeGANv1Generator, AnimeGANv2Generator, CycleGANGenerator)}


def build_generator(arch: str, **config):
    """A fresh generator of architecture ``arch`` with ``config`` (norm, upsample, ...)."""
    if arch not in GENERATORS:
        raise AnimeGANError(f"unknown architecture {arch!r}; choose one of {', '.join(GENERATORS)}")
    return GENERATORS[arch](**config)
