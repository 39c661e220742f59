import json

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference.backends import load_backend
from animegan.export.gpu_report import gpu_report
from animegan.export.exporter import DEFAULT_TFLITE_SIZE, ExportOptions, export_model
from animegan.export.tflite import check_builtins_only
from animegan.export.tflite_graph import non_builtin_ops, op_names, read_ops

pytestmark = pytest.mark.slow
ARCHS = ("animegan-v1", "animegan-v2")
SMALL_SIZES = ((64, 64), (48, 80))  # verification sizes that keep the tests fast


def _export(source, out, **options):
    options.setdefault("verify_sizes", SMALL_SIZES)
    return export_model(source, out, ExportOptions(format="tflite", **options), report=lambda _: None)


@pytest.fixture(scope="module")
def float32_dynamic(generator_files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tflite32")
    return {arch: (folder / f"{arch}.tflite", _export(source, folder / f"{arch}.tflite", dynamic=True))
            for arch, source in generator_files.items()}  # fmt: skip


@pytest.mark.parametrize("arch", ARCHS)
def test_float32_dynamic_export_matches_keras_with_builtin_ops_only(float32_dynamic, arch):
    out, result = float32_dynamic[arch]
    content = out.read_bytes()
    assert non_builtin_ops(content) == []
    assert {"MIRROR_PAD", "RESIZE_BILINEAR", "CONV_2D"} <= op_names(content)
    assert result.verification.passed and len(result.verification.comparisons) == 2
    assert all(c.max_abs < 1e-4 for c in result.verification.comparisons)
    meta = json.loads(out.with_name(out.name + ".json").read_text())
    assert meta["architecture"] == arch and meta["stride"] == 4 and meta["input_size"] is None
    assert meta["quantization"] == "none" and meta["input_range"] == [-1.0, 1.0]
    backend = load_backend(out, threads=1)  # any size, including one the verification never saw
    assert backend.dynamic and backend(np.zeros((2, 40, 72, 3), np.float32)).shape == (2, 40, 72, 3)


def test_dynamic_export_reports_what_the_gpu_delegate_rejects(float32_dynamic):
    report = gpu_report(float32_dynamic["animegan-v2"][0].read_bytes(), with_analyzer=False)
    rejected = {v.name for v in report.incompatible}
    assert "SHAPE" in rejected and "RESIZE_BILINEAR" in rejected
    assert report.dynamic_inputs and not report.compatible


@pytest.mark.parametrize("arch", ARCHS)
def test_float16_export_meets_40db(generator_files, tmp_path, arch):
    out = tmp_path / "f16.tflite"
    result = _export(generator_files[arch], out, quantization="float16", input_size=(64, 96))
    assert result.verification.passed
    assert all(c.psnr >= 40 and c.input == "64x96" for c in result.verification.comparisons)
    assert "DEQUANTIZE" in op_names(out.read_bytes()) and non_builtin_ops(out.read_bytes()) == []


@pytest.mark.parametrize("arch", ARCHS)
def test_default_float16_export_has_no_gpu_incompatible_op(generator_files, arch):
    from animegan.export.source import load_generator
    from animegan.export.tflite import convert_tflite

    # what `animegan export --format tflite --quantize float16` converts: fixed 512x512
    content = convert_tflite(load_generator(generator_files[arch]), "float16", DEFAULT_TFLITE_SIZE)
    report = gpu_report(content)
    assert report.incompatible == [], report.summary()
    assert report.compatible and not report.dynamic_inputs
    assert "TFLite ModelAnalyzer" in report.analyzer_text  # TensorFlow's own report was captured too


def test_int8_export_of_v2_calibrated_on_a_photo_folder_meets_28db(generator_files, tmp_path):
    from PIL import Image

    from animegan.export.calibration import synthetic_photo

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(4):
        Image.fromarray(np.uint8(synthetic_photo(50, 70, rng) * 255)).save(photos / f"{i}.png")
    out = tmp_path / "int8.tflite"
    lines = []
    result = export_model(
        generator_files["animegan-v2"],
        out,
        ExportOptions(format="tflite", quantization="int8", input_size=(64, 64), calibration=photos),
        report=lines.append,
    )
    assert any("calibrating int8 on 4 images" in line for line in lines)
    assert result.verification.passed and all(c.psnr >= 28 for c in result.verification.comparisons)
    content = out.read_bytes()
    assert {"QUANTIZE", "MIRROR_PAD", "RESIZE_BILINEAR"} <= op_names(content) and non_builtin_ops(content) == []
    types = {(op.name, op.outputs[0].dtype) for op in read_ops(content)}  # convolutions int8, layer norms float
    assert {("CONV_2D", "INT8"), ("MEAN", "FLOAT32"), ("RSQRT", "FLOAT32")} <= types
    assert not {("CONV_2D", "FLOAT32"), ("MEAN", "INT8"), ("RSQRT", "INT8"), ("SUB", "INT8")} & types
    assert json.loads(out.with_name("int8.tflite.json").read_text())["quantization"] == "int8"


def test_select_tf_ops_are_refused():
    import tensorflow as tf

    fn = tf.function(lambda x: tf.linalg.det(x), input_signature=[tf.TensorSpec([1, 3, 3], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    content = converter.convert()
    assert any(name.startswith("Flex") for name in non_builtin_ops(content))
    with pytest.raises(AnimeGANError, match="non-builtin ops"):
        check_builtins_only(content)


def test_dynamic_range_export_meets_28db(family_files, tmp_path):
    out = tmp_path / "dr.tflite"
    result = _export(family_files["cyclegan-resnet"], out, quantization="dynamic", input_size=(32, 32))
    assert result.verification.passed and all(c.psnr >= 28 for c in result.verification.comparisons)
    assert result.metadata.quantization == "dynamic" and non_builtin_ops(out.read_bytes()) == []
