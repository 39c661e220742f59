"""The stage-by-stage run (``inference.layerwise``): the whole image's picture in strips, in bounded memory."""

import tempfile

import numpy as np
import pytest

from animegan.inference import layerwise as layerwise_module
from animegan.inference.layerwise import LayerwiseRunner
from animegan.inference.stylize import run_pixels, stylize_array

pytestmark = pytest.mark.slow  # each runner is built and probed once: a few seconds per model


def _model(arch, **kwargs):
    import keras

    from animegan.models import CycleGANGenerator, build_generator

    keras.utils.set_random_seed(0)
    if arch == "cyclegan":
        return CycleGANGenerator(n_blocks=2, ngf=8)
    return build_generator(arch, **kwargs)


class _Keras:
    """What stylize needs of a KerasBackend, around a model built in memory."""

    name, stride = "keras", 4

    def __init__(self, model, runner=None):
        self.model = model
        self.memory_per_pixel = 8000.0
        runner = runner or LayerwiseRunner(model)
        self.layerwise = runner if runner.streamable else None
        self.statistics = None

    def __call__(self, batch):
        return np.asarray(self.model(batch, training=False))


@pytest.fixture(scope="module")
def v2():
    """AnimeGANv2 (layer norm) and its runner, shared by the tests that need any streamable model."""
    model = _model("animegan-v2")
    return model, LayerwiseRunner(model)


@pytest.fixture(scope="module")
def photo():
    # non-square, sides off the stride grid: the padding at the bottom and right is the whole run's
    return np.random.default_rng(0).uniform(-1, 1, (150, 94, 3)).astype(np.float32)


def _whole(model, photo):
    from animegan.inference.tiles import run_whole

    return run_whole(lambda b: np.asarray(model(b, training=False)), photo, 4)


@pytest.mark.parametrize(
    "arch, kwargs",
    [("animegan-v1", {}), ("animegan-v2", {}), ("animegan-v2", {"norm": "instance"}), ("cyclegan", {})],
)
def test_strips_give_the_whole_images_picture(arch, kwargs, photo, v2):
    model = _model(arch, **kwargs) if (arch, kwargs) != ("animegan-v2", {}) else v2[0]
    runner = LayerwiseRunner(model) if model is not v2[0] else v2[1]
    assert runner.streamable and runner.sites and len(runner.stages) > len(runner.sites) // 2
    whole = _whole(model, photo)
    for rows in (8, 40):  # many strips and few; every strip is shorter than the photo
        np.testing.assert_allclose(runner(photo, rows), whole, atol=2e-4)


def test_a_resize_to_another_tensors_size_is_refused_and_tiles_estimate_instead(photo):
    model = _model("animegan-v2", upsample="align_corners")
    runner = LayerwiseRunner(model)
    assert not runner.streamable and "differs" in runner.reason
    backend, lines = _Keras(model), []
    assert backend.layerwise is None
    out = stylize_array(backend, (photo + 1) / 2, tile=96, max_memory=None, report=lines.append)
    assert out.shape == photo.shape


def test_bands_arrive_in_order_and_integer_pixels_stay_integers(photo, v2):
    (model, runner), bands = v2, []
    assert runner(photo, 16, finished=lambda row, band: bands.append((row, band.shape))) is None
    assert [row for row, _ in bands] == list(range(0, 150, 16)) and sum(s[0] for _, s in bands) == 150
    assert all(s[1:] == (94, 3) for _, s in bands)
    pixels = np.rint((photo + 1) * 127.5).astype(np.uint8)
    out = run_pixels(_Keras(model, runner), pixels, tile=64, max_memory=None)
    expected = np.rint(np.clip((_whole(model, pixels.astype(np.float32) / 127.5 - 1) + 1) / 2, 0, 1) * 255)
    assert out.dtype == np.uint8 and np.abs(out.astype(int) - expected).max() <= 1


def test_strips_fit_the_budget_and_scratch_files_are_removed_even_on_error(photo, v2, tmp_path, monkeypatch):
    runner = v2[1]
    small, large = runner.strip_rows(4032, 64 * 2**20), runner.strip_rows(4032, 1024 * 2**20)
    assert runner.stride <= small < large and small % 4 == 0 == large % 4
    assert runner.peak_bytes(4032, large) <= 1024 * 2**20 < runner.peak_bytes(4032, 2 * large)
    assert runner.disk_bytes(3024, 4032) > runner.disk_bytes(1512, 2016) > 0
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    runner(photo, 16)
    assert list(tmp_path.iterdir()) == []
    reads = []

    def failing_read(self, first, last):
        reads.append(first)
        if len(reads) > 5:
            raise OSError("disk went away")
        return original(self, first, last)

    original = layerwise_module._RowFile.read
    monkeypatch.setattr(layerwise_module._RowFile, "read", failing_read)
    with pytest.raises(OSError, match="disk went away"):
        runner(photo, 16)
    assert list(tmp_path.iterdir()) == []


def test_without_scratch_space_tiles_estimate_the_statistics_and_say_so(photo, v2, monkeypatch):
    backend, lines = _Keras(*v2), []
    monkeypatch.setattr(backend.layerwise, "free_disk", lambda: 0)
    from animegan.inference.backends_statistics import KerasStatistics

    backend.statistics = KerasStatistics(backend.model)
    out = stylize_array(backend, (photo + 1) / 2, tile=96, max_memory=None, report=lines.append)
    assert out.shape == photo.shape and any("scratch space" in line and "TMPDIR" in line for line in lines)
