"""The model an export starts from, and the metadata it exports with.

Two kinds are exported: image-to-image generators (``ImageGenerator`` subclasses: AnimeGAN v1/v2,
CycleGAN) and latent-input generators (the StyleGAN-lite generator, the VAE decoder; a whole
``ConvVAE`` file exports its decoder).
"""

from __future__ import annotations

from pathlib import Path

import animegan
from animegan.errors import AnimeGANError
from animegan.inference.metadata import ExportMetadata

EXPORTABLE = "an image generator (animegan-v1, animegan-v2, cyclegan-resnet), a StyleGAN-lite generator or a VAE"


def _latent_architecture(model) -> str | None:
    from animegan.models import StyleGANLiteGenerator, VAEDecoder

    if isinstance(model, StyleGANLiteGenerator):
        return "stylegan-lite"
    if isinstance(model, VAEDecoder):
        return "vae-decoder"
    return None


def exportable(model):
    """The model to export (a ConvVAE's decoder), or None for a model export cannot take."""
    from animegan.models import ConvVAE
    from animegan.models.generator_base import ImageGenerator

    if isinstance(model, ConvVAE):
        return model.decoder
    if isinstance(model, ImageGenerator) or _latent_architecture(model):
        return model
    return None


def load_generator(path: str | Path):
    """Loads a ``.keras`` generator export can take; one-line errors otherwise."""
    import keras

    import animegan.models  # noqa: F401  (registers the classes a .keras file names)

    path = Path(path)
    if not path.is_file():
        raise AnimeGANError(f"model not found: {path}")
    if path.suffix != ".keras":
        raise AnimeGANError(f"cannot export {path}: expected a .keras generator")
    try:
        model = keras.saving.load_model(path, compile=False)
    except (ValueError, TypeError, OSError) as error:
        raise AnimeGANError(f"cannot load Keras model {path}: {str(error).splitlines()[0]}") from None
    generator = exportable(model)
    if generator is None:
        raise AnimeGANError(f"cannot export {path}: not {EXPORTABLE}")
    return generator


def metadata_for(
    model,
    fmt: str,
    quantization: str = "none",
    input_size: tuple[int, int] | None = None,
    signatures: dict[str, str] | None = None,
    norm_sites=None,
) -> ExportMetadata:
    """``norm_sites``: what the export's ``statistics`` signature takes (None: it has none)."""
    from animegan.export.graph import is_latent, latent_dim

    common = dict(
        name=model.name,
        format=fmt,
        quantization=quantization,
        signatures=dict(signatures or {}),
        animegan_version=animegan.__version__,
    )
    if is_latent(model):
        config = getattr(model, "config", None)
        return ExportMetadata(
            architecture=_latent_architecture(model) or type(model).__name__,
            norm=getattr(config, "norm", "demodulation"),  # StyleGAN-lite: weight demodulation, no norm layer
            upsample="bilinear",
            stride=1,
            input_kind="latent",
            latent_dim=latent_dim(model),
            output_size=tuple(int(d) for d in model.outputs[0].shape[1:3]),
            **common,
        )
    from animegan.models.footprint import activation_bytes

    return ExportMetadata(
        architecture=model.architecture,
        norm=model.norm,
        upsample=model.upsample,
        stride=int(model.stride),
        input_size=tuple(input_size) if input_size else None,
        norm_sites=None if norm_sites is None else tuple(norm_sites),
        activation_bytes=round(activation_bytes(model), 1),
        **common,
    )
