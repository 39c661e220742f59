"""The TensorFlow functions that exports trace: the float model and the uint8 serving wrapper.

Two kinds of model are exported (``animegan.export.source``): image-to-image generators (NHWC RGB in [-1, 1] to
the same) and latent-input generators (a batch of latent vectors to NHWC RGB images). The uint8 wrapper
puts the CLI's pre- and post-processing inside the graph, so that a client sends photos as they are and
gets pictures back: uint8 -> [-1, 1], reflect-pad bottom/right to a multiple of the stride (edge padding
where the image is too small to reflect, as ``inference.tiles`` does), the generator, crop back,
[-1, 1] -> uint8 (clip, round half to even, as ``data.images`` writes files). A latent model's input
stays float (there is nothing to pre-process); only its output is turned into uint8 pictures.

Image models with instance or layer norms also export the ``statistics`` function
(``models.norm_statistics``): inputs ``photo``, ``mask`` (N, H, W, 1), ``own`` (N, 1) and per site
``mean_000``, ``variance_000``, ... (N, groups); outputs ``stylized`` and per site ``measured_mean_000``,
``measured_variance_000``, ... It is how tiles of an exported model normalize with whole-image statistics.
"""

from __future__ import annotations

import tensorflow as tf

from animegan.inference.metadata import STATISTICS_SIGNATURE, site_names

FLOAT_INPUT = "photo"
UINT8_INPUT = "images"
LATENT_INPUT = "latent"
OUTPUT = "stylized"
STATISTICS = STATISTICS_SIGNATURE
MASK_INPUT = "mask"
OWN_INPUT = "own"


def is_latent(model) -> bool:
    """True for a latent-input generator (input ``(batch, latent_dim)``), False for an image one."""
    return len(model.inputs[0].shape) == 2


def latent_dim(model) -> int:
    return int(model.inputs[0].shape[-1])


def _pad_index(size, extra):
    """Source indices for ``size + extra`` positions: reflect, or edge when ``extra >= size``."""
    index = tf.range(size + extra)
    reflected = tf.where(index < size, index, 2 * (size - 1) - index)
    edge = tf.minimum(index, size - 1)
    return tf.where(extra < size, reflected, edge)


def pad_to_multiple(images, multiple: int):
    """Pads H and W of an NHWC batch at the bottom and right up to multiples of ``multiple``."""
    shape = tf.shape(images)
    for axis in (1, 2):
        size = shape[axis]
        extra = (multiple - size % multiple) % multiple
        images = tf.gather(images, _pad_index(size, extra), axis=axis)
    return images


def to_uint8(y):
    """[-1, 1] float pictures to uint8 (clipped, rounded half to even)."""
    y = tf.clip_by_value((y + 1.0) * 0.5, 0.0, 1.0)
    return tf.cast(tf.round(y * 255.0), tf.uint8)


def float_function(model):
    """The model as it is: float32 in (images in [-1, 1] with H and W multiples of the stride, or latents)."""

    def run(x):
        return {OUTPUT: model(x, training=False)}

    return run


def uint8_function(model, stride: int):
    """Image models: NHWC uint8 RGB of any size to uint8 RGB of the same size."""

    def stylize(images):
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        x = tf.cast(images, tf.float32) * (2.0 / 255.0) - 1.0
        y = model(pad_to_multiple(x, stride), training=False)[:, :height, :width, :]
        return {OUTPUT: to_uint8(y)}

    return stylize


def latent_uint8_function(model):
    """Latent models: float32 latents to uint8 RGB pictures."""

    def generate(latent):
        return {OUTPUT: to_uint8(model(latent, training=False))}

    return generate


def input_spec(model, input_size: tuple[int, int] | None = None, dynamic: bool = True) -> tf.TensorSpec:
    """The float input of ``model``.

    Image models: ``[1, H, W, 3]`` for a fixed ``input_size``, else ``[None, None, None, 3]``.
    Latent models: ``[None, latent_dim]`` when ``dynamic``, else ``[1, latent_dim]``.
    """
    if is_latent(model):
        return tf.TensorSpec([None if dynamic else 1, latent_dim(model)], tf.float32, name=LATENT_INPUT)
    height, width = input_size if input_size else (None, None)
    return tf.TensorSpec([1 if input_size else None, height, width, 3], tf.float32, name=FLOAT_INPUT)


def uint8_spec() -> tf.TensorSpec:
    return tf.TensorSpec([None, None, None, 3], tf.uint8, name=UINT8_INPUT)


def statistics_function(model, sites):
    """The model taking and giving its sites' statistics, flat: ``(photo, mask, own, *means, *variances)``."""
    from animegan.models.norm_statistics import statistics_function as statistics_graph

    run = statistics_graph(model, sites)
    count = len(sites)

    def statistics(photo, mask, own, *given):
        stylized, means, variances = run(photo, mask, own, list(given[:count]), list(given[count:]))
        out = {OUTPUT: stylized}
        for k in range(count):
            _, _, mean_name, variance_name = site_names(k)
            out[mean_name], out[variance_name] = means[k], variances[k]
        return out

    return statistics


def statistics_specs(sites, input_size: tuple[int, int] | None = None) -> list[tf.TensorSpec]:
    """Inputs of ``statistics_function``: batch 1 and fixed H and W for a fixed ``input_size``, else any."""
    batch = 1 if input_size else None
    height, width = input_size if input_size else (None, None)
    specs = [
        tf.TensorSpec([batch, height, width, 3], tf.float32, name=FLOAT_INPUT),
        tf.TensorSpec([batch, height, width, 1], tf.float32, name=MASK_INPUT),
        tf.TensorSpec([batch, 1], tf.float32, name=OWN_INPUT),
    ]
    names = [site_names(k) for k in range(len(sites))]
    specs += [tf.TensorSpec([batch, s.groups], tf.float32, name=n[0]) for s, n in zip(sites, names)]
    specs += [tf.TensorSpec([batch, s.groups], tf.float32, name=n[1]) for s, n in zip(sites, names)]
    return specs
