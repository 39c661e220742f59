import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.tiles import run_whole
from animegan.export.exporter import ExportOptions, export_model
from animegan.export.source import load_generator

pytestmark = pytest.mark.slow
SMALL_SIZES = ((64, 64), (48, 80))

# Runs in a fresh interpreter: nothing of the exporting process (no Keras classes, no animegan) is loaded.
_RELOAD = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf

    for path, photo_file, out_file in zip(*[iter(sys.argv[1:])] * 3):
        loaded = tf.saved_model.load(path)
        serving = loaded.signatures["serving_default"]
        photos = np.load(photo_file)
        out = serving(images=tf.constant(photos))["stylized"].numpy()
        np.save(out_file, out)
        floats = loaded.signatures["float"](photo=tf.zeros([1, 32, 48, 3]))["stylized"]
        print("float", floats.shape, floats.dtype.name)
    print("dtype", out.dtype)
    """
)


@pytest.fixture(scope="module")
def savedmodels(generator_files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("savedmodels")
    paths = {}
    for arch, source in generator_files.items():
        paths[arch] = folder / arch
        lines = []
        export_model(source, paths[arch], ExportOptions(format="savedmodel", verify_sizes=SMALL_SIZES), report=lines.append)
        assert any("serving_default uint8" in line for line in lines)
    return paths


def _expected_uint8(model_file, photos: np.ndarray) -> np.ndarray:
    model = load_generator(model_file)
    out = []
    for photo in photos:
        y = run_whole(lambda b: model(b, training=False).numpy(), photo.astype(np.float32) * (2 / 255) - 1, 4)
        out.append(np.rint(np.clip((y + 1) / 2, 0, 1) * 255))
    return np.stack(out)


def test_savedmodel_reloads_in_a_fresh_process_through_its_uint8_signature(generator_files, savedmodels, tmp_path):
    rng = np.random.default_rng(3)
    args = []
    photos = {}
    for arch, path in savedmodels.items():
        photos[arch] = rng.integers(0, 256, (2, 37, 50, 3), dtype=np.uint8)  # odd size: padded and cropped inside
        np.save(tmp_path / f"{arch}-in.npy", photos[arch])
        args += [str(path), str(tmp_path / f"{arch}-in.npy"), str(tmp_path / f"{arch}-out.npy")]
    done = subprocess.run([sys.executable, "-c", _RELOAD, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "dtype uint8" in done.stdout
    assert done.stdout.count("float (1, 32, 48, 3) float32") == len(savedmodels)  # the float signature too
    for arch in savedmodels:
        got = np.load(tmp_path / f"{arch}-out.npy")
        assert got.shape == photos[arch].shape and got.dtype == np.uint8
        expected = _expected_uint8(generator_files[arch], photos[arch])
        assert np.max(np.abs(got.astype(int) - expected.astype(int))) <= 1


def test_savedmodel_carries_its_metadata(savedmodels):
    for arch, path in savedmodels.items():
        meta = json.loads((path / "assets" / "animegan.json").read_text())
        assert meta["architecture"] == arch and meta["stride"] == 4 and meta["format"] == "savedmodel"
        assert set(meta["signatures"]) == {"serving_default", "float", "statistics"} and meta["input_kind"] == "image"
        sites = meta["norm_sites"]  # what the statistics signature takes, site by site
        assert len(sites) == (40 if arch == "animegan-v1" else 24) and {s["scale"] for s in sites} == {1, 2, 4}


def test_existing_output_is_refused_unless_overwrite(family_files, tmp_path):
    source = family_files["cyclegan-resnet"]  # tiny: what is tested here is the file handling
    path = tmp_path / "saved"
    path.mkdir()
    (path / "keep.txt").write_text("old")
    with pytest.raises(AnimeGANError, match="exists; pass --overwrite"):
        export_model(source, path, ExportOptions(format="savedmodel"), report=lambda _: None)
    assert (path / "keep.txt").read_text() == "old"
    export_model(source, path, ExportOptions(format="savedmodel", overwrite=True, verify=False), report=lambda _: None)
    assert (path / "saved_model.pb").is_file() and (path / "assets" / "animegan.json").is_file()
    assert not (path / "keep.txt").exists()  # replaced as a whole, not merged
    assert [p.name for p in tmp_path.iterdir()] == ["saved"]  # no temporary directory left behind
