"""VGG19 features for AnimeGAN's content and style losses.

The official code compares ``conv4_4`` *before* its ReLU (``conv4_4_no_activation`` in ``tools/vgg19.py``),
fed caffe-style: RGB in [-1, 1] -> [0, 255] -> BGR -> minus the ImageNet channel means. The style loss
compares Gram matrices of those features between the generated image and a *grayscale* style image, so it
transfers texture and not colour.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
from keras import ops

from animegan.errors import AnimeGANError

VGG_MEAN_BGR = (103.939, 116.779, 123.68)
VGG19_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + VGG19_NOTOP_FILE
)
VGG19_NOTOP_MD5 = "253f8cb515780f3b799900260a226db6"  # the hash keras.applications checks
VGG_WEIGHT_CHOICES = ("imagenet", "random")  # or a path to a weights file


def caffe_preprocess(images):
    """RGB in [-1, 1] -> the caffe-style input VGG19 was trained on: BGR in [0, 255] minus channel means."""
    rgb = (ops.cast(images, "float32") + 1.0) * 127.5
    bgr = ops.flip(rgb, axis=-1)
    return bgr - ops.convert_to_tensor(VGG_MEAN_BGR, "float32")


def gram_matrix(features):
    """Per-image Gram matrix of NHWC features divided by H*W*C (the official ``gram``): (N, C, C)."""
    x = ops.cast(features, "float32")
    shape = ops.shape(x)
    flat = ops.reshape(x, (shape[0], -1, shape[3]))
    size = ops.cast(shape[1] * shape[2] * shape[3], "float32")
    return ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / size


def content_loss(photo_features, generated_features):
    """Mean absolute difference of the VGG features of the photo and of its stylization."""
    return ops.mean(ops.abs(ops.cast(photo_features, "float32") - ops.cast(generated_features, "float32")))


def style_loss(style_features, generated_features):
    """Mean absolute difference of the Gram matrices (style features come from grayscale style images)."""
    return ops.mean(ops.abs(gram_matrix(style_features) - gram_matrix(generated_features)))


def keras_cache_path() -> Path:
    """Where ``keras.applications.VGG19(weights="imagenet")`` caches its no-top weights."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models" / VGG19_NOTOP_FILE


def resolve_vgg_weights(weights: str) -> Path | None:
    """``imagenet`` -> the cached (or freshly downloaded) file; ``random`` -> None; else an existing path.

    Offline and not cached, the download fails: that becomes one line that says how to pass the file.
    """
    if weights == "random":
        return None
    if weights != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise AnimeGANError(f"VGG19 weights not found: {weights} (expected an .h5 or .weights.h5 file)")
        return path
    cached = keras_cache_path()
    if cached.is_file():
        return cached
    try:
        return Path(
            keras.utils.get_file(VGG19_NOTOP_FILE, VGG19_NOTOP_URL, cache_subdir="models", file_hash=VGG19_NOTOP_MD5)
        )
    except Exception as error:  # get_file raises a bare Exception on any fetch failure
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise AnimeGANError(
            f"cannot download the VGG19 ImageNet weights ({reason[:120]}); on an offline machine copy "
            f"{VGG19_NOTOP_FILE} (from {VGG19_NOTOP_URL}) and pass --vgg-weights PATH"
        ) from None


def build_vgg19_content_model(weights: str = "imagenet") -> keras.Model:
    """A frozen model: RGB in [-1, 1] -> VGG19 ``block4_conv4`` before its ReLU (N, H/8, W/8, 512).

    ``weights``: ``imagenet`` (Keras cache or download), ``random`` (smoke tests only) or a path to VGG19
    no-top weights (the Keras ``.h5`` file, or a ``.weights.h5`` saved from ``VGG19(include_top=False)``).
    """
    path = resolve_vgg_weights(weights)
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    if path is not None:
        try:
            vgg.load_weights(str(path))
        except (ValueError, OSError, KeyError, TypeError) as error:
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            raise AnimeGANError(f"cannot load VGG19 weights from {path}: {reason[:160]}") from None
    trunk = keras.Model(vgg.input, vgg.get_layer("block4_conv3").output, name="vgg19_to_block4_conv3")
    source = vgg.get_layer("block4_conv4")
    # block4_conv4 again, with the same weights but no activation: the official conv4_4_no_activation.
    conv4_4 = keras.layers.Conv2D(512, 3, padding="same", activation=None, name="block4_conv4_preact")

    inputs = keras.Input(shape=(None, None, 3), name="rgb")
    features = conv4_4(trunk(caffe_preprocess(inputs)))
    conv4_4.set_weights(source.get_weights())
    model = keras.Model(inputs, features, name="vgg19_block4_conv4_preact")
    model.trainable = False
    return model
