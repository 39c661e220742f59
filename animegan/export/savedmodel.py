"""SavedModel export: ``serving_default`` (uint8 pictures out) and ``float`` signatures.

Image models: ``serving_default`` takes uint8 photos of any size and returns uint8 pictures of the same
size. Latent models: it takes float32 latents and returns uint8 pictures. ``float`` is the model as it is.
Built with Keras 3's ``ExportArchive``, which tracks the Keras variables so that the SavedModel (and
the TFLite converter reading it) gets the real weights. The metadata goes to ``assets/animegan.json``;
TensorFlow Serving ignores it and the project's SavedModel backend reads the stride from it.
Image models with instance or layer norms get a third signature, ``statistics`` (``export.graph``),
through which the project's backend runs tiles with whole-image statistics.
"""

from __future__ import annotations

from pathlib import Path

import keras

from animegan.export.graph import (
    STATISTICS,
    float_function,
    input_spec,
    is_latent,
    latent_uint8_function,
    statistics_function,
    statistics_specs,
    uint8_function,
    uint8_spec,
)

SERVING = "serving_default"
FLOAT = "float"
IMAGE_SIGNATURES = {
    SERVING: "uint8 NHWC RGB 'images', any size -> uint8 'stylized', same size",
    FLOAT: "float32 NHWC RGB 'photo' in [-1, 1], H and W multiples of the stride -> float32 'stylized'",
}
LATENT_SIGNATURES = {
    SERVING: "float32 'latent' (batch, latent_dim) -> uint8 NHWC RGB 'stylized'",
    FLOAT: "float32 'latent' (batch, latent_dim) -> float32 NHWC RGB 'stylized' in [-1, 1]",
}


STATISTICS_SIGNATURE = (
    "float32 'photo', 'mask' (N, H, W, 1), 'own' (N, 1), per normalization site 'mean_000', "
    "'variance_000', ... -> 'stylized' and 'measured_mean_000', 'measured_variance_000', ..."
)


def signatures_of(model, sites=()) -> dict[str, str]:
    if is_latent(model):
        return LATENT_SIGNATURES
    return {**IMAGE_SIGNATURES, STATISTICS: STATISTICS_SIGNATURE} if sites else IMAGE_SIGNATURES


def build_archive(model, stride: int, sites=()):
    """An ExportArchive with the ``float`` signature (any size / any batch), the uint8 ``serving_default``
    and, given normalization ``sites``, the ``statistics`` signature."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    if is_latent(model):
        spec = input_spec(model, dynamic=True)
        archive.add_endpoint(SERVING, latent_uint8_function(model), input_signature=[spec])
    else:
        spec = input_spec(model)
        archive.add_endpoint(SERVING, uint8_function(model, stride), input_signature=[uint8_spec()])
    archive.add_endpoint(FLOAT, float_function(model), input_signature=[spec])
    if sites:
        archive.add_endpoint(STATISTICS, statistics_function(model, sites), input_signature=statistics_specs(sites))
    return archive


def write_float_savedmodel(model, directory: Path, spec, sites=(), input_size=None) -> Path:
    """A temporary SavedModel for the converters: a float ``serving_default`` signature of input ``spec``
    and, given normalization ``sites``, the ``statistics`` signature (fixed at ``input_size`` if given)."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SERVING, float_function(model), input_signature=[spec])
    if sites:
        specs = statistics_specs(sites, input_size)
        archive.add_endpoint(STATISTICS, statistics_function(model, sites), input_signature=specs)
    archive.write_out(str(directory), verbose=False)
    return directory
