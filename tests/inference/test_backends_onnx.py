"""The .onnx backend and the direct ONNX writers (float32 NCHW, int8 NHWC): parity with Keras, tiny sizes."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
pytest.importorskip("onnx", reason="the onnx extra is not installed")

from animegan.errors import AnimeGANError  # noqa: E402
from animegan.export.calibration import calibration_images  # noqa: E402
from animegan.export.onnx_graph import keras_to_onnx  # noqa: E402
from animegan.export.onnx_quantize import WEIGHT_LEVELS, quantization_parameters, quantize_onnx_int8, quantize_weight  # noqa: E402
from animegan.export.source import metadata_for  # noqa: E402
from animegan.export.verify import psnr, sample_inputs  # noqa: E402
from animegan.inference.backends import load_backend  # noqa: E402
from animegan.inference.backends_onnx import OnnxBackend  # noqa: E402
from animegan.models import build_generator  # noqa: E402

VARIANTS = {
    "v2-layer": ("animegan-v2", {}),
    "v2-half-pixel": ("animegan-v2", {"upsample": "half_pixel"}),
    "v2-align-corners": ("animegan-v2", {"upsample": "align_corners"}),
    "v2-instance": ("animegan-v2", {"norm": "instance"}),
    "v2-batch": ("animegan-v2", {"norm": "batch"}),
    "v1": ("animegan-v1", {}),
}


class _Models(dict):
    """Each variant built (seeded) when a test first asks for it: a pytest-xdist worker builds only its own."""

    def __missing__(self, name):
        arch, kwargs = VARIANTS[name]
        keras.utils.set_random_seed(0)
        self[name] = build_generator(arch, **kwargs)
        return self[name]


@pytest.fixture(scope="module")
def models():
    return _Models()


def _run(proto, x):
    import onnxruntime

    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"photo": x})[0]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_direct_float_writer_matches_keras_at_any_size_and_batch(models, variant):
    model = models[variant]
    proto = keras_to_onnx(model)
    assert not [n for n in proto.graph.node if n.op_type == "Transpose" and n.name not in ("to_nchw_1", "to_nhwc")]
    for shape in ((1, 32, 32, 3), (2, 24, 40, 3)):
        x = np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
        assert np.abs(_run(proto, x) - model(x).numpy()).max() < 1e-4


def test_int8_layer_norm_model_stays_close_to_float(models):
    model = models["v2-layer"]
    calibration = calibration_images(None, (32, 32), count=4)
    for method in ("percentile", "minmax"):
        proto = quantize_onnx_int8(model, calibration, None, method)
        ops = {n.op_type for n in proto.graph.node}
        assert "QLinearConv" in ops and "Conv" not in ops and "LayerNormalization" in ops  # norms stay float
        for x in sample_inputs([(32, 32), (24, 40)]):
            assert psnr(_run(proto, x), model(x).numpy()) >= 28.0


@pytest.mark.parametrize("variant", ["v1", "v2-instance", "v2-batch"])
def test_int8_of_other_norms_runs_at_the_float_shape(models, variant):
    """Random instance-norm nets amplify any rounding (docs/performance.md): shapes and a loose bound here."""
    model = models[variant]
    proto = quantize_onnx_int8(model, calibration_images(None, (32, 32), count=2), (32, 32))
    x = sample_inputs([(32, 32)])[0]
    y, expected = _run(proto, x), model(x).numpy()
    assert y.shape == expected.shape and np.isfinite(y).all() and psnr(y, expected) > 12.0


def test_weights_are_seven_bit_per_channel_and_ranges_hold_zero():
    weight = np.random.default_rng(0).normal(0, 1, (4, 3, 3, 3)).astype(np.float32)
    weight[2] *= 100.0  # a channel with a larger scale does not coarsen the others
    q, scale = quantize_weight(weight)
    assert q.dtype == np.int8 and np.abs(q).max() == WEIGHT_LEVELS and scale.shape == (4,)
    assert np.all(np.abs(q * scale[:, None, None, None] - weight) <= scale[:, None, None, None] / 2 + 1e-6)
    scale, zero_point = quantization_parameters(0.5, 2.0)  # a range without 0 is widened to hold it
    assert zero_point == 0 and scale == pytest.approx(2.0 / 255)
    scale, zero_point = quantization_parameters(-1.0, 1.0)
    assert zero_point in (127, 128) and scale == pytest.approx(2.0 / 255)


def test_unknown_calibration_method_is_a_clear_error(models):
    with pytest.raises(AnimeGANError, match="unknown calibration method"):
        quantize_onnx_int8(models["v2-layer"], calibration_images(None, (16, 16), count=1), None, "entropy")


@pytest.fixture(scope="module")
def onnx_files(models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    model = models["v2-layer"]
    paths = {}
    for name, size in (("any", None), ("fixed", (32, 32))):
        paths[name] = folder / f"{name}.onnx"
        paths[name].write_bytes(keras_to_onnx(model, size).SerializeToString())
        paths[name].with_name(f"{name}.onnx.json").write_text(metadata_for(model, "onnx", "none", size).to_json())
    return paths


def test_load_backend_runs_an_onnx_file_with_its_sidecar(models, onnx_files):
    backend = load_backend(onnx_files["any"], threads=1)
    assert isinstance(backend, OnnxBackend) and backend.stride == 4 and backend.input_size is None
    x = sample_inputs([(24, 40)])[0]
    assert np.abs(backend(x) - models["v2-layer"](x).numpy()).max() < 1e-4


def test_fixed_size_onnx_pads_small_images_and_tiles_large_ones(onnx_files):
    backend = load_backend(onnx_files["fixed"], threads=1)
    assert backend.input_size == (32, 32)
    for shape in ((1, 20, 28, 3), (1, 48, 64, 3)):
        y = backend(np.zeros(shape, np.float32))
        assert y.shape == shape and np.isfinite(y).all()


def test_missing_sidecar_and_broken_file_are_one_line_errors(onnx_files, tmp_path):
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(onnx_files["any"].read_bytes())
    with pytest.raises(AnimeGANError, match="has no metadata"):
        load_backend(lonely)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx file")
    broken.with_name("broken.onnx.json").write_text(onnx_files["any"].with_name("any.onnx.json").read_text())
    with pytest.raises(AnimeGANError, match="cannot load ONNX model") as error:
        load_backend(broken)
    assert "\n" not in str(error.value)


def test_the_onnx_path_never_imports_tensorflow(onnx_files):
    code = (
        "import sys, numpy as np\n"
        "from animegan.inference.backends import load_backend\n"
        f"b = load_backend({str(onnx_files['any'])!r}, threads=1)\n"
        "b(np.zeros((1, 16, 16, 3), np.float32))\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().replace("'", '"')) == []
