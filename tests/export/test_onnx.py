import builtins
import json

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.export.exporter import ExportOptions, export_model

SMALL_SIZES = ((64, 64), (48, 80))


@pytest.fixture(scope="module")
def v2_onnx(generator_files, tmp_path_factory):
    """AnimeGANv2 exported to ONNX as a user would (default verification sizes): (result, path, report lines)."""
    pytest.importorskip("tf2onnx", reason="the onnx extra is not installed")
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    out = tmp_path_factory.mktemp("onnx") / "v2.onnx"
    lines = []
    result = export_model(generator_files["animegan-v2"], out, ExportOptions(format="onnx"), report=lines.append)
    return result, out, lines


@pytest.mark.slow
def test_onnx_export_verifies_at_the_default_sizes_against_the_cross_runtime_bar(v2_onnx):
    result, _, lines = v2_onnx
    assert result.verification.passed and str(result.verification.threshold) == "max abs < 0.001"
    assert [c.input for c in result.verification.comparisons] == ["256x256", "192x320"]
    assert all(c.max_abs < 1e-4 for c in result.verification.comparisons)  # the direct writer: far inside the bar
    assert not any("tf2onnx" in line for line in lines)


@pytest.mark.slow
def test_onnx_export_writes_its_sidecar_and_runs_at_another_size(v2_onnx):
    import onnxruntime

    _, out, _ = v2_onnx
    assert json.loads(out.with_name("v2.onnx.json").read_text())["format"] == "onnx"
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 40, 56, 3), np.float32)})[0]
    assert y.shape == (1, 40, 56, 3)


@pytest.mark.slow
def test_onnx_int8_export_is_calibrated_verified_and_runs(generator_files, tmp_path):
    pytest.importorskip("tf2onnx", reason="the onnx extra is not installed")
    from animegan.inference.backends import load_backend

    out = tmp_path / "v2-int8.onnx"
    lines = []
    options = ExportOptions(format="onnx", quantization="int8", input_size=(32, 32), calibration_method="minmax")
    result = export_model(generator_files["animegan-v2"], out, options, report=lines.append)
    assert result.verification.passed and all(c.psnr >= 28 for c in result.verification.comparisons)
    assert any(line.startswith("calibrating int8 on 16 images") for line in lines)
    assert json.loads((tmp_path / "v2-int8.onnx.json").read_text())["quantization"] == "int8"
    y = load_backend(out, threads=1)(np.zeros((1, 24, 40, 3), np.float32))  # padded and tiled to 32x32
    assert y.shape == (1, 24, 40, 3)


@pytest.mark.slow
def test_models_the_direct_writer_does_not_know_go_through_tf2onnx(family_files, tmp_path):
    pytest.importorskip("tf2onnx", reason="the onnx extra is not installed")
    source = family_files["cyclegan-resnet"]  # its ReLU is not in the direct writer
    lines = []
    result = export_model(source, tmp_path / "c.onnx", ExportOptions(format="onnx", verify_sizes=SMALL_SIZES), report=lines.append)
    assert result.verification.passed and any("converting with tf2onnx instead" in line for line in lines)
    with pytest.raises(AnimeGANError, match="int8 ONNX is for the project's image generators"):
        export_model(source, tmp_path / "c8.onnx", ExportOptions(format="onnx", quantization="int8"), report=lambda _: None)
    assert not (tmp_path / "c8.onnx").exists()


@pytest.mark.parametrize(
    "options,message",
    [
        (ExportOptions(format="onnx", quantization="float16"), r"--quantize float16 is for --format tflite \(and int8 for onnx\)"),
        (ExportOptions(format="onnx", calibration_method="minmax"), "--calibration-method is for --format onnx --quantize int8"),
        (ExportOptions(format="tflite", quantization="int8", calibration_method="minmax"), "--calibration-method is for"),
    ],
)
def test_onnx_option_mistakes_are_caught_before_any_work(generator_files, tmp_path, options, message):
    with pytest.raises(AnimeGANError, match=message):
        export_model(generator_files["animegan-v2"], tmp_path / "x.onnx", options, report=lambda _: None)


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
        if name in ("tf2onnx", "onnxruntime", "onnx"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tf2onnx)
    with pytest.raises(AnimeGANError, match=r"pip install 'animegan\[onnx\]'"):
        export_model(generator_files["animegan-v2"], tmp_path / "v2.onnx", ExportOptions(format="onnx"), report=lambda _: None)
    assert not (tmp_path / "v2.onnx").exists()
