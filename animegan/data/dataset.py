"""The ``tf.data`` input of the image-to-image trainers.

Every random choice (which images, crop, scale, flip) is a stateless function of (seed, epoch, stream,
index), so the batches of epoch ``e`` are the same whichever process builds them: a run resumed at epoch
``e`` sees exactly the data an uninterrupted run would have. Decoding and augmentation run in parallel
``map`` calls with ``deterministic=True``; there is no Python code per image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animegan.data.image_checks import decode_image, image_problems
from animegan.data.images import is_image_path, read_image
from animegan.errors import AnimeGANError, item_failure

# What tf.io.decode_image reads (TIFF is not among them).
TF_DECODABLE = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"})

# Independent random streams, folded into the (seed, epoch) key.
_ORDER_STREAMS = {"photo": 1, "style": 2, "smooth": 3}
_AUGMENT_STREAM = 10


@dataclass(frozen=True)
class ImageFolder:
    """The usable images of a folder, and the (path, reason) of the ones left out."""

    paths: tuple[Path, ...]
    skipped: tuple[tuple[Path, str], ...]


def skipped_lines(folder: ImageFolder) -> list[str]:
    """One line per file the scan left out, naming it and why."""
    return [f"animegan: skipping {path}: {reason}" for path, reason in folder.skipped]


def scan_image_folder(
    folder: str | os.PathLike[str], what: str = "images", checks: str | os.PathLike[str] | None = None
) -> ImageFolder:
    """Image files under ``folder`` (recursive, sorted) that the training pipeline can decode.

    Each file is decoded in full once, with the pipeline's own decoder, so a broken or truncated file
    is listed here rather than failing an epoch later. Formats ``tf.io`` cannot decode (TIFF) are listed
    as skipped. ``checks``: a JSON file that keeps each verdict keyed by path, size and modification
    time, so a later scan decodes only new or changed files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AnimeGANError(f"{what} folder not found: {folder}")
    to_check, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if not is_image_path(path):
            continue
        if path.suffix.lower() not in TF_DECODABLE:
            skipped.append((path, f"{path.suffix} is not supported for training (convert it to PNG or JPEG)"))
        else:
            to_check.append(path)
    problems = image_problems(to_check, checks)
    usable = []
    for path in to_check:
        if problems[path] is None:
            usable.append(path)
        else:
            skipped.append((path, problems[path]))
    if not usable:
        raise AnimeGANError(f"no usable {what} in {folder}")
    return ImageFolder(tuple(usable), tuple(sorted(skipped)))


@dataclass(frozen=True)
class PipelineConfig:
    """How training batches are made.

    image_size: square crop side; batch_size: global batch; steps_per_epoch: batches per epoch;
    seed: the data-order seed; flip: random horizontal flips; scale_range: the shorter side is resized to
    image_size times a random factor in this range before the crop; style_offset_bgr: AnimeGANv2's
    data_mean (0-255, added to the colour style images only), or None.
    """

    image_size: int
    batch_size: int
    steps_per_epoch: int
    seed: int = 0
    flip: bool = True
    scale_range: tuple[float, float] = (1.0, 1.25)
    style_offset_bgr: tuple[float, float, float] | None = None


def _fold(tf, seed, *values):
    for value in values:
        seed = tf.random.experimental.stateless_fold_in(seed, tf.cast(value, tf.int64))
    return seed


def _epoch_order(tf, count: int, n: int, seed):
    """``count`` indices into ``n`` items: concatenated seeded permutations (every item once per pass)."""
    passes = -(-count // n)
    keys = tf.random.stateless_uniform([passes, n], seed=seed)
    return tf.reshape(tf.argsort(keys, axis=1, stable=True), [-1])[:count]


def _random_crop(tf, image, size: int, scale_range, flip: bool, seed):
    """Resize the shorter side to size * U(scale_range), crop size x size, maybe flip; all seeded."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.random.stateless_uniform([], _fold(tf, seed, 0), minval=scale_range[0], maxval=scale_range[1])
    target = tf.math.ceil(size * scale) / tf.reduce_min(shape)
    new_hw = tf.maximum(tf.cast(tf.math.ceil(shape * target), tf.int32), size)
    image = tf.image.resize(image, new_hw, antialias=True)
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=_fold(tf, seed, 1))
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=_fold(tf, seed, 2))
    return tf.clip_by_value(image, 0.0, 1.0)


def _gray3(tf, image):
    return tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))


def training_dataset(
    photos: list[Path] | tuple[Path, ...],
    styles: list[Path] | tuple[Path, ...] | None,
    smooths: list[Path] | tuple[Path, ...] | None,
    config: PipelineConfig,
    first_epoch: int,
    end_epoch: int,
):
    """Batches for epochs ``first_epoch`` .. ``end_epoch - 1``, exactly ``steps_per_epoch`` each.

    Each element is a dict of float32 (B, S, S, 3) tensors in [-1, 1]: ``photo``, ``style`` (colour,
    shifted by ``style_offset_bgr``), ``style_gray`` (grayscale style, 3 channels) and ``smooth_gray``
    (grayscale edge-smoothed style), which is what the official trainer feeds its discriminator.
    Each domain cycles through its own seeded permutations, so every image is seen once per pass.
    A stream given as None is not read (and its keys are absent): CycleGAN has no smoothed images, a VAE
    only photos. The streams that are read get the same images and crops as with all three.
    """
    import tensorflow as tf

    size, per_epoch = config.image_size, config.steps_per_epoch * config.batch_size
    given = {"photo": photos, "style": styles, "smooth": smooths}
    sources = {name: paths for name, paths in given.items() if paths is not None}
    tables = {name: tf.constant([str(p) for p in paths]) for name, paths in sources.items()}
    base_seed = tf.constant([config.seed, 0], tf.int64)
    offset = None
    if config.style_offset_bgr is not None:
        offset = tf.constant(np.asarray(config.style_offset_bgr[::-1], np.float32) / 255.0)

    def epoch_slices(epoch):
        epoch_seed = _fold(tf, base_seed, epoch)
        columns = {
            name: tf.gather(
                tables[name], _epoch_order(tf, per_epoch, len(paths), _fold(tf, epoch_seed, _ORDER_STREAMS[name]))
            )
            for name, paths in sources.items()
        }
        columns["seed"] = tf.repeat(epoch_seed[None], per_epoch, axis=0)
        columns["index"] = tf.range(per_epoch, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices(columns)

    def load(example):
        seed = _fold(tf, example["seed"], _AUGMENT_STREAM, example["index"])
        crop = {
            name: _random_crop(tf, decode_image(tf, example[name]), size, config.scale_range, config.flip, _fold(tf, seed, k))
            for k, name in enumerate(_ORDER_STREAMS)
            if name in sources
        }
        images = {"photo": crop["photo"]}
        if "style" in crop:
            images["style"] = crop["style"] if offset is None else crop["style"] + offset
            images["style_gray"] = _gray3(tf, crop["style"])
        if "smooth" in crop:
            images["smooth_gray"] = _gray3(tf, crop["smooth"])
        return {name: image * 2.0 - 1.0 for name, image in images.items()}

    return _epoch_batches(tf, config, first_epoch, end_epoch, epoch_slices, load)


def paired_dataset(photos, targets, config: PipelineConfig, first_epoch: int, end_epoch: int):
    """Batches of {'photo', 'target'} in [-1, 1] for epochs ``first_epoch`` .. ``end_epoch - 1``.

    The same stateless (seed, epoch, index) randomness as ``training_dataset``, with one twist: a photo
    and its target are cropped, scaled and flipped with the same seed, so they stay aligned pixel for pixel.
    """
    import tensorflow as tf

    size, per_epoch = config.image_size, config.steps_per_epoch * config.batch_size
    photo_table = tf.constant([str(p) for p in photos])
    target_table = tf.constant([str(p) for p in targets])
    base_seed = tf.constant([config.seed, 0], tf.int64)

    def epoch_slices(epoch):
        epoch_seed = _fold(tf, base_seed, epoch)
        order = _epoch_order(tf, per_epoch, len(photos), _fold(tf, epoch_seed, 1))
        return tf.data.Dataset.from_tensor_slices(
            {
                "photo": tf.gather(photo_table, order),
                "target": tf.gather(target_table, order),
                "seed": tf.repeat(epoch_seed[None], per_epoch, axis=0),
                "index": tf.range(per_epoch, dtype=tf.int64),
            }
        )

    def load(example):
        seed = _fold(tf, example["seed"], _AUGMENT_STREAM, example["index"])
        crop = {
            name: _random_crop(tf, decode_image(tf, example[name]), size, config.scale_range, config.flip, seed)
            for name in ("photo", "target")
        }
        return {name: image * 2.0 - 1.0 for name, image in crop.items()}

    return _epoch_batches(tf, config, first_epoch, end_epoch, epoch_slices, load)


def _epoch_batches(tf, config: PipelineConfig, first_epoch: int, end_epoch: int, epoch_slices, load):
    """The epochs' examples (``epoch_slices(epoch)``) loaded in parallel, in a deterministic order, batched."""
    epochs = max(0, end_epoch - first_epoch)
    dataset = tf.data.Dataset.range(first_epoch, max(first_epoch, end_epoch)).flat_map(epoch_slices)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.batch(config.batch_size, drop_remainder=True)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(epochs * config.steps_per_epoch))
    options = tf.data.Options()
    options.deterministic = True
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def center_crop_resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """The central square of an (H, W, 3) image resized to size x size (area filter), float32."""
    import cv2

    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = np.ascontiguousarray(rgb[top : top + side, left : left + side])
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interpolation).astype(np.float32)


def validation_images(paths: list[Path] | tuple[Path, ...], size: int, count: int = 4) -> np.ndarray:
    """Up to ``count`` images (the first readable ones, in order) as (N, size, size, 3) in [-1, 1]."""
    images = []
    for path in paths:
        if len(images) == count:
            break
        try:
            images.append(center_crop_resize(read_image(path).rgb, size))
        except Exception as error:  # one unreadable photo leaves the grid a row shorter
            item_failure(path, error)
            continue
    if not images:
        raise AnimeGANError("no readable validation photos")
    return np.stack(images) * 2.0 - 1.0
