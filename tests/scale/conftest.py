"""One small embedded Ray for the whole session (2 CPUs, a 200 MB object store, no dashboard) and tiny models."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def local_ray():
    """Ray, initialised once; ``animegan.scale.cluster.connected`` uses a Ray that is already running."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'animegan[ray]')")
    pytest.importorskip("ray.data")
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=200 * 1024 * 1024,
        log_to_driver=False,
        logging_level="ERROR",
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict:
    """A tiny CycleGAN generator (random weights) as .keras, a dynamic-shape .tflite and a SavedModel."""
    import keras

    from animegan.export.exporter import ExportOptions, export_model
    from animegan.models import CycleGANGenerator

    folder = tmp_path_factory.mktemp("scale_models")
    keras.utils.set_random_seed(3)
    models = {"keras": folder / "tiny.keras", "tflite": folder / "tiny.tflite", "savedmodel": folder / "tiny_sm"}
    CycleGANGenerator(n_blocks=1, ngf=8).save(models["keras"])
    quiet = lambda line: None  # noqa: E731
    export_model(models["keras"], models["tflite"], ExportOptions("tflite", dynamic=True, verify=False), report=quiet)
    export_model(models["keras"], models["savedmodel"], ExportOptions("savedmodel", verify=False), report=quiet)
    return models


def _make_photos(folder, count: int = 3, size: tuple[int, int] = (40, 52), seed: int = 0) -> list:
    """``count`` noisy photos, one of them in a sub-folder, plus a corrupt ``broken.png``."""
    rng = np.random.default_rng(seed)
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / ("sub" if index == 0 else "") / f"p{index}.png"
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return paths


@pytest.fixture(scope="session")
def make_photos():
    return _make_photos
