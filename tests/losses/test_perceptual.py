"""Gram/content/style losses vs numpy; the VGG19 feature model's preprocessing, layer and weight errors."""

import keras
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.losses import build_vgg19_content_model, caffe_preprocess, content_loss, gram_matrix, style_loss
from animegan.losses import perceptual

RNG = np.random.default_rng(3)
A = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)
B = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)


def np_gram(x):
    n, h, w, c = x.shape
    flat = x.reshape(n, h * w, c).astype(np.float64)
    return np.einsum("npc,npd->ncd", flat, flat) / (h * w * c)


def test_gram_is_divided_by_hwc_per_image():
    np.testing.assert_allclose(np.asarray(gram_matrix(A)), np_gram(A), rtol=1e-5, atol=1e-6)


def test_content_and_style_losses():
    assert float(content_loss(A, B)) == pytest.approx(np.mean(np.abs(A - B)), rel=1e-5)
    assert float(style_loss(A, B)) == pytest.approx(np.mean(np.abs(np_gram(A) - np_gram(B))), rel=1e-5)


def test_caffe_preprocess():
    rgb = np.array([[[[-1.0, 0.0, 1.0]]]], np.float32)  # R=0, G=127.5, B=255 in [0, 255]
    expected = [255.0 - 103.939, 127.5 - 116.779, 0.0 - 123.68]  # BGR minus the means
    np.testing.assert_allclose(np.asarray(caffe_preprocess(rgb))[0, 0, 0], expected, rtol=1e-6)


@pytest.fixture(scope="module")
def random_vgg():
    keras.utils.set_random_seed(0)
    return build_vgg19_content_model("random")


def test_features_are_block4_conv4_before_relu(random_vgg):
    x = RNG.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    features = np.asarray(random_vgg(x))
    assert features.shape == (1, 4, 4, 512)
    assert features.min() < 0  # no ReLU
    # The same computation by hand from the trunk: conv4_3 output -> conv with block4_conv4's weights.
    trunk = random_vgg.get_layer("vgg19_to_block4_conv3")
    kernel, bias = random_vgg.get_layer("block4_conv4_preact").get_weights()
    h = np.asarray(trunk(caffe_preprocess(x)))
    expected = np.asarray(keras.ops.conv(h, kernel, padding="same")) + bias
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-3)
    assert not random_vgg.trainable_weights


def test_weights_file_round_trip(tmp_path, random_vgg):
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    vgg.save_weights(path)
    model = build_vgg19_content_model(str(path))
    np.testing.assert_array_equal(
        model.get_layer("block4_conv4_preact").get_weights()[0], vgg.get_layer("block4_conv4").get_weights()[0]
    )


def test_missing_weights_file_is_one_line(tmp_path):
    with pytest.raises(AnimeGANError, match="VGG19 weights not found"):
        build_vgg19_content_model(str(tmp_path / "nope.h5"))


def test_offline_imagenet_says_how_to_pass_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached here

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(AnimeGANError) as error:
        perceptual.resolve_vgg_weights("imagenet")
    message = str(error.value)
    assert "--vgg-weights PATH" in message and "\n" not in message
