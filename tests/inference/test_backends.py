import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.inference import backends_tflite
from animegan.inference.backends import load_backend
from animegan.models import CycleGANGenerator
from animegan.export.exporter import ExportOptions, export_model


@pytest.fixture(scope="module")
def tflite_models(tmp_path_factory):
    """A dynamic-shape and a fixed 32x48 float32 export of a tiny CycleGAN generator (random weights)."""
    folder = tmp_path_factory.mktemp("tflite")
    keras.utils.set_random_seed(1)
    source = folder / "tiny.keras"
    CycleGANGenerator(n_blocks=1, ngf=8).save(source)
    paths = {"keras": source}
    for name, options in {"dynamic": {"dynamic": True}, "fixed": {"input_size": (32, 48)}}.items():
        paths[name] = folder / f"{name}.tflite"
        export_model(source, paths[name], ExportOptions(format="tflite", verify=False, **options), report=lambda _: None)
    return paths


def test_tflite_backend_and_stylize_command_do_not_import_tensorflow(tflite_models, tmp_path):
    from PIL import Image

    Image.new("RGB", (30, 22), (200, 120, 40)).save(tmp_path / "photo.png")
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from animegan.inference.backends import load_backend

        backend = load_backend({str(tflite_models["dynamic"])!r}, threads=1)
        out = backend(np.zeros((1, 36, 44, 3), np.float32))
        assert out.shape == (1, 36, 44, 3), out.shape
        print(backend.runtime, "tensorflow" in sys.modules, "keras" in sys.modules)

        from animegan.cli.main import main
        code = main(["stylize", {str(tmp_path / "photo.png")!r}, "-o", {str(tmp_path / "out")!r},
                     "-m", {str(tflite_models["dynamic"])!r}, "--threads", "1"])
        print(code, "tensorflow" in sys.modules, "keras" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ai-edge-litert", "False", "False", "0", "False", "False"]
    assert (tmp_path / "out" / "photo.png").is_file()


def test_dynamic_model_runs_any_size_and_batch(tflite_models):
    backend = load_backend(tflite_models["dynamic"], threads=1)
    assert backend.stride == 4 and backend.dynamic
    for shape in [(1, 32, 32, 3), (2, 24, 40, 3), (1, 32, 32, 3)]:
        assert backend(np.zeros(shape, np.float32)).shape == shape


def test_fixed_model_pads_small_and_tiles_large_inputs(tflite_models):
    backend = load_backend(tflite_models["fixed"], threads=1)
    assert not backend.dynamic and backend.input_size == (32, 48)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 48, 3)).astype(np.float32)
    exact = backend(x)
    assert exact.shape == x.shape
    assert backend(x[:, :20, :28]).shape == (1, 20, 28, 3)
    large = np.random.default_rng(1).uniform(-1, 1, (1, 72, 100, 3)).astype(np.float32)
    assert backend(large).shape == large.shape
    assert np.array_equal(backend(x), exact)


def test_runtime_falls_back_to_tf_lite(tflite_models, monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    interpreter, runtime = backends_tflite.interpreter_class()
    assert runtime == "tensorflow"
    backend = load_backend(tflite_models["dynamic"], threads=1)
    assert backend.runtime == "tensorflow" and backend(np.zeros((1, 16, 16, 3), np.float32)).shape == (1, 16, 16, 3)


def test_unknown_files_and_missing_metadata_are_one_line_errors(tflite_models, tmp_path):
    with pytest.raises(AnimeGANError, match="model not found"):
        load_backend(tmp_path / "nope.tflite")
    other = tmp_path / "model.pth"  # .onnx runs on ONNX Runtime now (tests/inference/test_backends_onnx.py)
    other.write_bytes(b"x")
    with pytest.raises(AnimeGANError, match="expected a .keras file, a .tflite file, an .onnx file or a SavedModel directory"):
        load_backend(other)
    orphan = tmp_path / "orphan.tflite"
    orphan.write_bytes(tflite_models["dynamic"].read_bytes())
    with pytest.raises(AnimeGANError, match="has no metadata"):
        load_backend(orphan)
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer")
    (tmp_path / "broken.tflite.json").write_text(tflite_models["dynamic"].with_name("dynamic.tflite.json").read_text())
    with pytest.raises(AnimeGANError, match="cannot load TFLite model"):
        load_backend(broken)


def test_latent_input_keras_model_is_refused_for_photos(tmp_path):
    from animegan.models import VAEConfig, VAEDecoder

    path = tmp_path / "decoder.keras"
    VAEDecoder(VAEConfig(image_size=8, latent_dim=4, base_width=4, max_width=4)).save(path)
    with pytest.raises(AnimeGANError, match="not a photo-to-picture generator"):
        load_backend(path)


@pytest.fixture(scope="module")
def savedmodel(tflite_models, tmp_path_factory):
    path = tmp_path_factory.mktemp("savedmodel") / "tiny"
    export_model(tflite_models["keras"], path, ExportOptions(format="savedmodel", verify=False), report=lambda _: None)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["keras", "savedmodel", "dynamic", "fixed"])
def test_images_of_a_few_pixels_run_on_every_backend_at_their_own_size(tflite_models, savedmodel, kind, tmp_path):
    """1x1, 3x2 ... would fail the networks' inner reflection padding: they are padded for it and cropped back."""
    from PIL import Image

    from animegan.inference.inputs import Job
    from animegan.inference.photos import run_photos

    backend = load_backend(savedmodel if kind == "savedmodel" else tflite_models[kind], threads=1)
    rng = np.random.default_rng(0)
    sizes = [(1, 1), (3, 2), (4, 4), (1, 30), (37, 3)]  # (width, height)
    jobs = []
    for width, height in sizes:
        source = tmp_path / f"{width}x{height}.png"
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(source)
        jobs.append(Job(source, tmp_path / "out" / source.name))
    results = run_photos(backend, jobs)
    assert [r.status for r in results] == ["written"] * len(sizes), [r.reason for r in results]
    assert [Image.open(job.output).size for job in jobs] == sizes
