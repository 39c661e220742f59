import builtins
import json

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.export.exporter import ExportOptions, export_model

SMALL_SIZES = ((64, 64), (48, 80))


@pytest.mark.slow
def test_onnx_export_matches_keras_at_two_sizes(generator_files, tmp_path):
    pytest.importorskip("tf2onnx", reason="the onnx extra is not installed")
    onnxruntime = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    out = tmp_path / "v2.onnx"
    result = export_model(
        generator_files["animegan-v2"],
        out,
        ExportOptions(format="onnx", verify_sizes=SMALL_SIZES),
        report=lambda _: None,
    )
    assert result.verification.passed and len(result.verification.comparisons) == 2
    assert json.loads((tmp_path / "v2.onnx.json").read_text())["format"] == "onnx"
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 40, 56, 3), np.float32)})[0]
    assert y.shape == (1, 40, 56, 3)


@pytest.mark.slow
def test_onnx_export_of_a_latent_model_takes_latents(family_files, tmp_path):
    pytest.importorskip("tf2onnx", reason="the onnx extra is not installed")
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    result = export_model(family_files["vae-decoder"], tmp_path / "d.onnx", ExportOptions(format="onnx", dynamic=True), report=lambda _: None)
    assert result.verification.passed and [c.input for c in result.verification.comparisons] == ["latent 1", "latent 2"]
    assert json.loads((tmp_path / "d.onnx.json").read_text())["input_kind"] == "latent"


def test_missing_onnx_extra_is_a_clear_error(generator_files, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_tf2onnx(name, *args, **kwargs):
        if name in ("tf2onnx", "onnxruntime"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tf2onnx)
    with pytest.raises(AnimeGANError, match=r"pip install 'animegan\[onnx\]'"):
        export_model(generator_files["animegan-v2"], tmp_path / "v2.onnx", ExportOptions(format="onnx"), report=lambda _: None)
    assert not (tmp_path / "v2.onnx").exists()
