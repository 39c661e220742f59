"""export_model on every model family: a tiny CycleGAN generator (image in) and the latent-input
StyleGAN-lite generator and VAE decoder, to SavedModel and TFLite with verified parity."""

import json

import keras
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.backends import load_backend
from animegan.inference.backends_tflite import TFLiteBackend
from animegan.export.exporter import ExportOptions, export_model
from animegan.export.tflite_graph import non_builtin_ops
from animegan.export.verify import sample_latents

pytestmark = pytest.mark.slow


def _export(source, out, **options):
    lines = []
    result = export_model(source, out, ExportOptions(verify_sizes=((32, 32), (16, 24)), **options), report=lines.append)
    return result, lines


@pytest.mark.parametrize("arch", ["cyclegan-resnet", "stylegan-lite", "vae-decoder"])
def test_every_family_exports_to_savedmodel_and_tflite_with_parity(family_files, tmp_path, arch):
    import tensorflow as tf

    latent = arch != "cyclegan-resnet"
    saved, lines = _export(family_files[arch], tmp_path / "saved", format="savedmodel")
    assert saved.verification.passed and len(saved.verification.comparisons) == 2
    assert all(c.max_abs < 1e-4 for c in saved.verification.comparisons)
    assert any("serving_default uint8" in line and "ok" in line for line in lines)
    meta = json.loads((tmp_path / "saved" / "assets" / "animegan.json").read_text())
    assert meta["architecture"] == arch and meta["input_kind"] == ("latent" if latent else "image")

    shape = {"dynamic": True} if latent else {"input_size": (32, 32)}
    lite, lines = _export(family_files[arch], tmp_path / "m.tflite", format="tflite", **shape)
    assert lite.verification.passed and all(c.max_abs < 1e-4 for c in lite.verification.comparisons)
    assert non_builtin_ops((tmp_path / "m.tflite").read_bytes()) == []

    if latent:  # verified on seeded random latents; the SavedModel's float signature takes 'latent'
        assert [c.input for c in lite.verification.comparisons] == ["latent 1", "latent 2"]
        z = np.concatenate(sample_latents(meta["latent_dim"], 3))
        loaded = tf.saved_model.load(str(tmp_path / "saved"))
        via_saved = loaded.signatures["float"](latent=tf.constant(z))["stylized"].numpy()
        backend = TFLiteBackend(tmp_path / "m.tflite", threads=1)
        via_tflite = backend(z)
        assert via_saved.shape == via_tflite.shape == (3, *meta["output_size"], 3)
        assert np.max(np.abs(via_saved - via_tflite)) < 1e-4
        with pytest.raises(AnimeGANError, match="latent-input generator"):
            load_backend(tmp_path / "m.tflite")  # `animegan stylize` refuses it: there is no photo to take
    else:
        assert [c.input for c in lite.verification.comparisons] == ["32x32", "32x32"]


def test_latent_model_rejects_image_options(family_files, tmp_path):
    with pytest.raises(AnimeGANError, match="--input-size is for image models"):
        _export(family_files["vae-decoder"], tmp_path / "v.tflite", format="tflite", input_size=(16, 16))
    with pytest.raises(AnimeGANError, match="latent models calibrate on random latents"):
        _export(family_files["vae-decoder"], tmp_path / "v.tflite", format="tflite", quantization="int8", calibration=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fixed_batch_latent_export_runs_larger_batches_one_by_one(family_files, tmp_path):
    result, lines = _export(family_files["vae-decoder"], tmp_path / "q.tflite", format="tflite", quantization="int8")
    assert any("calibrating int8 on 16 random latents" in line for line in lines)
    assert result.verification.passed and result.metadata.quantization == "int8"
    backend = TFLiteBackend(tmp_path / "q.tflite", threads=1)
    assert not backend.dynamic and backend.latent
    z = np.concatenate(sample_latents(8, 3))
    batch = backend(z)
    assert batch.shape == (3, 16, 16, 3)
    assert np.array_equal(batch[1:2], backend(z[1:2]))


def test_non_generator_files_are_refused(tmp_path):
    path = tmp_path / "dense.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(path)
    with pytest.raises(AnimeGANError, match="cannot export .*: not an image generator"):
        _export(path, tmp_path / "d.tflite", format="tflite")
