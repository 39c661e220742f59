"""Model families; importing this package registers every model class with Keras."""

from animegan.models.animegan_v1 import AnimeGANv1Generator
from animegan.models.animegan_v2 import AnimeGANv2Generator
from animegan.models.cyclegan import CycleGANGenerator, PatchGANDiscriminator
from animegan.models.discriminator import AnimeGANDiscriminator
from animegan.models.registry import GENERATORS, build_generator
from animegan.models.stylegan_lite import (
    MappingNetwork,
    StyleGANLiteConfig,
    StyleGANLiteDiscriminator,
    StyleGANLiteGenerator,
    SynthesisNetwork,
)
from animegan.models.vae import ConvVAE, VAEConfig, VAEDecoder, VAEEncoder

__all__ = [
    "GENERATORS",
    "AnimeGANDiscriminator",
    "AnimeGANv1Generator",
    "AnimeGANv2Generator",
    "ConvVAE",
    "CycleGANGenerator",
    "MappingNetwork",
    "PatchGANDiscriminator",
    "StyleGANLiteConfig",
    "StyleGANLiteDiscriminator",
    "StyleGANLiteGenerator",
    "SynthesisNetwork",
    "VAEConfig",
    "VAEDecoder",
    "VAEEncoder",
    "build_generator",
]
