"""The bundled default (animegan/assets): small, loads offline, stylizes a photo towards the cel-shade look."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from animegan.cli.main import main
from animegan.data.celshade import cel_shade
from animegan.data.images import read_image
from animegan.weights.resolve import BUNDLED_DEFAULT

PROJECT = Path(__file__).resolve().parents[2]
ASSETS = BUNDLED_DEFAULT.parent
COFFEE = PROJECT / "examples" / "coffee.jpg"


@pytest.fixture(scope="module")
def stylized_coffee(tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    """(photo, stylized) of examples/coffee.jpg through `animegan stylize` with no --model."""
    out = tmp_path_factory.mktemp("default")
    assert main(["stylize", str(COFFEE), "-o", str(out)]) == 0
    (written,) = list(out.iterdir())
    return read_image(COFFEE).rgb, read_image(written).rgb


def test_stylize_without_model_uses_the_bundled_default(stylized_coffee):
    photo, stylized = stylized_coffee
    assert stylized.shape == photo.shape
    assert np.abs(stylized - photo).mean() > 0.02  # it did something


def test_default_output_is_close_to_the_cel_shade_target(stylized_coffee):
    photo, stylized = stylized_coffee
    target = cel_shade(photo)
    # Mean absolute error in [0, 1] units against the filter the model was distilled from. When the model
    # was bundled: 0.078 for the output, 0.092 for the photo itself (the net draws the flat colours and
    # most outlines, softer than the filter).
    error = np.abs(stylized - target).mean()
    assert error < 0.09
    assert error < np.abs(photo - target).mean()
    # The output is flatter than the photo, like the target: less fine texture (mean |Laplacian|).
    assert _texture(stylized) < 0.8 * _texture(photo)


def _texture(image: np.ndarray) -> float:
    import cv2

    gray = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY)
    return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F)).mean())


def test_bundled_files_are_small_and_agree():
    import keras

    from animegan.inference.backends import load_backend
    from animegan.models import AnimeGANv2Generator

    keras_file, tflite_file = ASSETS / "default.keras", ASSETS / "default.tflite"
    assert BUNDLED_DEFAULT in (keras_file, tflite_file)
    total = sum(p.stat().st_size for p in ASSETS.iterdir() if p.is_file())
    assert total < 10e6
    model = keras.saving.load_model(keras_file)
    assert isinstance(model, AnimeGANv2Generator) and model.width == 0.5
    assert model.count_params() < AnimeGANv2Generator().count_params() / 3
    photo = np.random.default_rng(0).random((1, 64, 96, 3), np.float32) * 2 - 1
    expected = np.asarray(model(photo))
    got = np.asarray(load_backend(tflite_file)(photo))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 0.05  # float16 weights


def test_width_multiplier_leaves_the_official_network_unchanged():
    from animegan.models import AnimeGANv2Generator

    official, half = AnimeGANv2Generator(), AnimeGANv2Generator(width=0.5)
    assert official.count_params() == 2_143_552
    assert "width" not in official.get_config()
    named = lambda model: [layer.name for layer in model.layers if "." in layer.name]  # noqa: E731
    assert named(official) == named(half)
    assert AnimeGANv2Generator.from_config(half.get_config()).count_params() == half.count_params()
