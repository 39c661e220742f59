"""`animegan export` and `animegan stylize` on exported models: the same photo through every backend."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import main
from animegan.models import CycleGANGenerator, build_generator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def v2_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_cli")
    keras.utils.set_random_seed(2)
    path = folder / "v2.keras"
    build_generator("animegan-v2").save(path)
    return path


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    """A tiny CycleGAN generator: for the tests of the command's behaviour, where the model does not matter."""
    keras.utils.set_random_seed(3)
    path = tmp_path_factory.mktemp("export_cli_tiny") / "tiny.keras"
    CycleGANGenerator(n_blocks=1, ngf=8).save(path)
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photo")
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(coarse).resize((90, 61), Image.BICUBIC).save(folder / "photo.png")  # odd size on purpose
    return folder / "photo.png"


def _stylize(photo, model, out, capsys, *extra):
    assert main(["stylize", str(photo), "-o", str(out), "-m", str(model), "--overwrite", *extra]) == 0, capsys.readouterr().err
    return np.asarray(Image.open(out / "photo.png")).astype(int)


def test_keras_savedmodel_and_tflite_stylize_the_same_photo_alike(v2_file, photo, tmp_path, capsys):
    saved = tmp_path / "v2_saved"
    tflite = tmp_path / "v2.tflite"
    assert main(["export", str(v2_file), "--format", "savedmodel", "-o", str(saved)]) == 0
    err = capsys.readouterr().err
    assert "verify savedmodel float32 256x256" in err and "serving_default uint8" in err and "wrote" in err
    assert main(["export", str(v2_file), "--format", "tflite", "--dynamic", "-o", str(tflite)]) == 0
    err = capsys.readouterr().err
    assert "verify tflite float32 192x320" in err and "GPU delegate:" in err
    assert json.loads((tmp_path / "v2.tflite.json").read_text())["input_size"] is None

    reference = _stylize(photo, v2_file, tmp_path / "keras", capsys)
    via_saved = _stylize(photo, saved, tmp_path / "saved", capsys)
    via_tflite = _stylize(photo, tflite, tmp_path / "tflite", capsys, "--threads", "1")
    assert reference.shape == (61, 90, 3)
    assert np.max(np.abs(via_saved - reference)) <= 1  # same TF kernels
    assert np.max(np.abs(via_tflite - reference)) <= 1  # float32: max abs < 1e-4 before rounding to 8 bits


def test_no_verify_skips_the_parity_check(tiny_file, tmp_path, capsys):
    out = tmp_path / "fast.tflite"
    assert main(["export", str(tiny_file), "--format", "tflite", "--input-size", "64x64", "--no-verify", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "verify tflite" not in err and out.is_file() and (tmp_path / "fast.tflite.json").is_file()


def _one_line_error(argv, capsys, *fragments):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("animegan: error: ") and "Traceback" not in "\n".join(err)
    for fragment in fragments:
        assert fragment in err[-1]


def test_bad_paths_and_options_are_one_line_errors(tiny_file, tmp_path, capsys):
    out = str(tmp_path / "m.tflite")
    _one_line_error(["export", str(tmp_path / "missing.keras"), "--format", "tflite", "-o", out], capsys, "model not found")
    _one_line_error(["export", str(tiny_file), "--format", "tflite", "-o", str(tmp_path / "m.bin")], capsys, "must end in .tflite")
    _one_line_error(["export", str(tiny_file), "--format", "tflite", "--input-size", "30x30", "-o", out], capsys, "multiple of the model stride 4")
    _one_line_error(["export", str(tiny_file), "--format", "savedmodel", "--quantize", "int8", "-o", str(tmp_path / "s")], capsys, "is for --format tflite")
    _one_line_error(["export", str(tiny_file), "--format", "tflite", "--quantize", "int8", "--calibration", str(tmp_path / "none"), "-o", out], capsys, "calibration folder not found")
    existing = tmp_path / "exists.tflite"
    existing.write_bytes(b"keep")
    _one_line_error(["export", str(tiny_file), "--format", "tflite", "-o", str(existing)], capsys, "exists; pass --overwrite")
    assert existing.read_bytes() == b"keep"
    not_a_model = tmp_path / "x.keras"
    not_a_model.write_bytes(b"junk")
    _one_line_error(["export", str(not_a_model), "--format", "tflite", "-o", out], capsys, "cannot load Keras model")


def test_failed_verification_is_one_line_and_writes_nothing(tiny_file, tmp_path, capsys, monkeypatch):
    from animegan.export import verify

    monkeypatch.setitem(verify.THRESHOLDS, "float16", verify.Threshold("psnr", 500.0))
    out = tmp_path / "f16.tflite"
    _one_line_error(
        ["export", str(tiny_file), "--format", "tflite", "--quantize", "float16", "--input-size", "64x64", "-o", str(out)],
        capsys,
        "verification failed for tflite float16",
        "PSNR >= 500 dB",
    )
    assert not out.exists() and not (tmp_path / "f16.tflite.json").exists()
