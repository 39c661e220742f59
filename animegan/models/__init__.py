"""Model families; importing this package registers every model class with Keras."""

from animegan.models.animegan_v1 import AnimeGANv1Generator
from animegan.models.animegan_v2 import AnimeGANv2Generator
from animegan.models.discriminator import AnimeGANDiscriminator
from animegan.models.registry import GENERATORS, build_generator

__all__ = ["GENERATORS", "AnimeGANDiscriminator", "AnimeGANv1Generator", "AnimeGANv2Generator", "build_generator"]
