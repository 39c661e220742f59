"""An optional temporal term for training: a stylizer should move with its input (ReReVST's idea).

Video flicker comes from a generator that answers a small motion of the photo with a different picture.
This term takes a random small motion W of each training photo (a shift of a few pixels, a slight turn
and zoom about the centre) and penalises ``|G(W(x)) - W(G(x))|``: stylizing the moved photo must give the
moved stylization. Pixels that W brings in from outside the frame are left out.

Wang et al., "Consistent Video Style Transfer via Relaxation and Regularization" (ReReVST, IEEE TIP
2020) regularise with such synthetic motions; this is the plain L1 form of it. The trainer hook is one
term in the generator's loss (see ``temporal_loss``).
"""

from __future__ import annotations

import math

import keras
from keras import ops


def random_motions(batch: int, height: int, width: int, seed=None, shift: float = 4.0, degrees: float = 2.0,
                   zoom: float = 0.02):  # fmt: skip
    """(batch, 8) projective transforms for ``keras.ops.image.affine_transform``: small random motions.

    Each is a turn of up to ``degrees``, a zoom of up to ``zoom`` and a shift of up to ``shift`` pixels
    about the image centre, drawn uniformly; ``seed`` as for ``keras.random`` (an int or a SeedGenerator).
    """
    seeds = keras.random.SeedGenerator(seed) if seed is None or isinstance(seed, int) else seed
    angle = keras.random.uniform((batch,), -1, 1, seed=seeds) * (degrees * math.pi / 180)
    scale = 1 + keras.random.uniform((batch,), -1, 1, seed=seeds) * zoom
    moves = keras.random.uniform((batch, 2), -1, 1, seed=seeds) * shift
    return motion_transforms(angle, scale, moves, height, width)


def motion_transforms(angle, scale, moves, height: int, width: int):
    """The transforms for given turns (radians), zooms and (dx, dy) shifts about the image centre.

    ``affine_transform`` maps each output pixel to where it samples the input, ``p_in = A p_out + b``,
    so A = s R(angle) and b keeps the centre c in place before the shift: b = c - A c - shift.
    """
    cx, cy = (width - 1) / 2, (height - 1) / 2
    a0, a1 = scale * ops.cos(angle), -scale * ops.sin(angle)
    b0, b1 = scale * ops.sin(angle), scale * ops.cos(angle)
    a2 = cx - a0 * cx - a1 * cy - moves[:, 0]
    b2 = cy - b0 * cx - b1 * cy - moves[:, 1]
    zeros = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def temporal_loss(generator, photo, generated=None, transforms=None, seed=None, training: bool = True):
    """Mean ``|G(W(x)) - W(G(x))|`` over the pixels W keeps inside the frame (NHWC, any value range).

    ``generated``: ``generator(photo)`` when the trainer has it already (saves one generator call);
    ``transforms``: from ``random_motions`` (drawn here when None). The hook in a trainer's generator
    step is one line, e.g. in AnimeGAN's: ``losses["temporal"] = temporal_loss(self.generator, photo,
    generated)``, added to ``g_loss`` with its weight (``--temporal-weight``; 0 leaves it out).
    """
    photo = ops.cast(photo, "float32")
    batch, height, width = ops.shape(photo)[0], photo.shape[1], photo.shape[2]
    if transforms is None:
        transforms = random_motions(batch, height, width, seed=seed)
    if generated is None:
        generated = generator(photo, training=training)
    moved_photo = ops.image.affine_transform(photo, transforms, fill_mode="reflect")
    stylized_moved = ops.cast(generator(moved_photo, training=training), "float32")
    moved_stylized = ops.image.affine_transform(ops.cast(generated, "float32"), transforms, fill_mode="reflect")
    inside = ops.image.affine_transform(ops.ones_like(photo[..., :1]), transforms, fill_value=0)
    inside = ops.cast(inside > 0.999, "float32")
    difference = ops.abs(stylized_moved - moved_stylized) * inside
    channels = ops.cast(ops.shape(photo)[-1], "float32")
    return ops.sum(difference) / (ops.maximum(ops.sum(inside), 1.0) * channels)
