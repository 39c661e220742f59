"""The model test harness: every model family, built tiny, through the same checks (as keras-hub's
TestCase does with ``run_model_saving_test`` and ``run_litert_export_test``).

- config round trip: ``from_config(get_config())`` gives the same config and, with the same weights,
  the same outputs;
- ``.keras`` save and reload in a fresh process: ONE subprocess reloads every case (one TensorFlow
  start for the whole run, shared by the xdist workers), the outputs must match within a tolerance;
- TFLite float32 export through ``animegan.export`` against Keras, at a small input size.

``CASES`` lists every family at every normalization choice it offers (with the upsample modes spread
over them). A pytest plugin (``tests/conftest.py`` loads it) gives the tests one session-scoped
``harness`` fixture, which builds each case once, seeded. Run as a script it is the fresh process:
``python -P tests/harness.py FOLDER`` reloads what ``FOLDER/manifest.json`` lists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from animegan.choices import NORMS

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

# Same weights and inputs in another process: only thread scheduling may differ (how Eigen and oneDNN
# split their sums), a few float32 ulps of outputs of order 1. A wrong or missing weight is off by >1e-2.
FRESH_PROCESS_ATOL = 1e-5
# The same process and batch through a second graph built from the config: only op fusion may differ.
ROUND_TRIP_ATOL = 1e-6


def _call(model, x) -> dict:
    return {"output": model(x, training=False)}


def _vae_outputs(vae, x) -> dict:
    mean, log_var = vae.encode(x)
    return {"reconstruction": vae(x, training=False), "mean": mean, "log_var": log_var}


def _stylegan_outputs(generator, z) -> dict:
    # psi 0.5 is not the graph's 0.7: w_avg must have been saved and reloaded too
    return {"image": generator(z, training=False), "psi 0.5": generator.sample(z, truncation_psi=0.5)}


@dataclass(frozen=True)
class Case:
    """One model to check: its family, how to build it (from ``animegan.models``), one input batch."""

    id: str
    family: str
    build: Callable
    input_shape: tuple[int, ...]  # rank 4: images in [-1, 1]; rank 2: standard-normal latents
    outputs: Callable = _call  # (model, inputs) -> {name: array}: what the reloaded model must give again
    attributes: tuple[str, ...] = ()  # read again after the reload: state that get_config does not hold
    export: bool = False  # also the TFLite float32 export parity (slow)


PHOTOS = (2, 24, 28, 3)  # H and W multiples of every image family's stride (4)
_IMAGE_ATTRIBUTES = ("architecture", "stride", "upsample")


def _generator(family: str, class_name: str, norm: str, official: bool = False, export: bool = False, **kwargs):
    """An image generator case; ``official`` builds the class with no arguments at all (its defaults)."""

    def build(m):
        cls = getattr(m, class_name)
        return cls() if official else cls(norm=norm, **kwargs)

    attributes = (*_IMAGE_ATTRIBUTES, *(("n_blocks", "ngf") if family == "cyclegan-resnet" else ()))
    return Case(f"{family}/{norm}", family, build, PHOTOS, attributes=attributes, export=export)


def _stylegan_config():
    from animegan.models import StyleGANLiteConfig

    return StyleGANLiteConfig(resolution=8, z_dim=8, w_dim=8, mapping_layers=2, channel_base=64, channel_max=8)


def _stylegan(m):
    from animegan.layers.modulated import NoiseInjection

    generator = m.StyleGANLiteGenerator(_stylegan_config(), truncation_psi=0.7, truncation_cutoff=3)
    generator.truncation.w_avg.assign(np.full(8, 0.3, np.float32))
    for layer in generator.synthesis.layers:  # non-zero noise: the fixed noise images must reload too
        if isinstance(layer, NoiseInjection):
            layer.strength.assign(0.5)
    return generator


def _vae(norm: str, reconstruction: str = "mse") -> Case:
    def build(m):
        config = m.VAEConfig(16, latent_dim=4, base_width=4, max_width=8, norm=norm, reconstruction=reconstruction)
        return m.ConvVAE(config, seed=1)

    return Case(f"vae/{norm}", "vae", build, (2, 16, 16, 3), outputs=_vae_outputs, export=True)


def _discriminator(family: str, norm: str, build: Callable, input_shape=PHOTOS) -> Case:
    return Case(f"{family}/{norm}", family, lambda m: build(m, norm), input_shape)


def _animegan_discriminator(m, norm: str):
    # spectral normalization on all but the norm-free one, so both kinds of conv reload
    return m.AnimeGANDiscriminator(ch=16, norm=norm, spectral_norm=norm != "none")


def _patchgan(m, norm: str):
    return m.PatchGANDiscriminator(ndf=4, norm=norm)


def _stylegan_discriminator(m):
    return m.StyleGANLiteDiscriminator(_stylegan_config())


# Every family at every normalization choice it offers, the upsample modes spread over them. The official
# v1 and v2 (no arguments) are the default cases, shared with the parameter-count tests; v1 has no width
# knob, so it is the one full-size family. Exports (a few seconds each, mostly tracing the SavedModel):
# every generator family at its default, and every norm through the VAE decoder, the cheapest one that
# has norm layers (the norms come from one factory, layers/norms.py, whatever the family).
CASES = {
    case.id: case
    for case in (
        _generator("animegan-v1", "AnimeGANv1Generator", "instance", official=True, export=True),
        _generator("animegan-v1", "AnimeGANv1Generator", "layer", upsample="align_corners"),
        _generator("animegan-v1", "AnimeGANv1Generator", "batch", upsample="half_pixel"),
        _generator("animegan-v1", "AnimeGANv1Generator", "none"),
        _generator("animegan-v2", "AnimeGANv2Generator", "layer", official=True, export=True),
        _generator("animegan-v2", "AnimeGANv2Generator", "instance", upsample="half_pixel", width=0.25),
        _generator("animegan-v2", "AnimeGANv2Generator", "batch", upsample="align_corners", width=0.5),
        _generator("animegan-v2", "AnimeGANv2Generator", "none", width=0.25),
        _generator("cyclegan-resnet", "CycleGANGenerator", "instance", n_blocks=2, ngf=4, export=True),
        *(_generator("cyclegan-resnet", "CycleGANGenerator", n, n_blocks=1, ngf=4) for n in NORMS if n != "instance"),
        Case("stylegan-lite", "stylegan-lite", _stylegan, (2, 8), outputs=_stylegan_outputs, export=True),
        _vae("none"),
        _vae("layer"),
        _vae("batch"),
        _vae("instance", reconstruction="l1"),
        *(_discriminator("animegan-discriminator", n, _animegan_discriminator) for n in NORMS),
        *(_discriminator("patchgan", n, _patchgan, (2, 32, 36, 3)) for n in NORMS),  # 32 px: a 2x2 patch
        Case("stylegan-lite-discriminator", "stylegan-lite-discriminator", _stylegan_discriminator, (2, 8, 8, 3)),
    )
}


def make_inputs(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if len(shape) == 2:
        return rng.standard_normal(shape).astype(np.float32)
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def _numpy(outputs: dict) -> dict[str, np.ndarray]:
    return {name: np.asarray(value) for name, value in outputs.items()}


def _attribute(model, dotted: str):
    for name in dotted.split("."):
        model = getattr(model, name)
    return model


def _describe(model, case: Case) -> dict:
    """What must survive a reload besides the outputs, as JSON data."""
    attributes = {name: _attribute(model, name) for name in case.attributes}
    described = {"class": type(model).__name__, "config": model.get_config(), "attributes": attributes}
    return json.loads(json.dumps(described))


def _models_in(model) -> list:
    import keras

    found = [model]
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _models_in(layer)
    return found


def _norm_of(model) -> str | None:
    return getattr(model, "norm", None) or getattr(getattr(model, "config", None), "norm", None)


def _assert_outputs_close(got: dict, expected: dict, atol: float, what: str) -> None:
    assert got.keys() == expected.keys(), what
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=0, atol=atol, err_msg=f"{what}: {name}")


class ModelHarness:
    """The session's built cases and the checks every family goes through."""

    def __init__(self, folder: Path, run_folder: Path):
        self.folder = folder  # this process's files
        self.run_folder = run_folder  # shared by every xdist worker of the run
        self.cases = CASES
        self._models: dict = {}

    def model(self, case_id: str):
        """The case's model, built once per session from seed 0 (tests must not change it)."""
        if case_id not in self._models:
            import keras

            import animegan.models

            case = self.cases[case_id]
            keras.utils.set_random_seed(0)
            model = case.build(animegan.models)
            case.outputs(model, self.inputs(case_id))  # builds a subclassed model (ConvVAE) before it is saved
            self._models[case_id] = model
        return self._models[case_id]

    def models(self, family: str) -> list:
        return [self.model(case_id) for case_id, case in self.cases.items() if case.family == family]

    def norm(self, case_id: str) -> str | None:
        """The normalization the case's model uses (None for a family without the choice)."""
        return _norm_of(self.model(case_id))

    def inputs(self, case_id: str) -> np.ndarray:
        return make_inputs(self.cases[case_id].input_shape)

    def outputs(self, case_id: str, model=None) -> dict[str, np.ndarray]:
        model = self.model(case_id) if model is None else model
        return _numpy(self.cases[case_id].outputs(model, self.inputs(case_id)))

    def saved(self, case_id: str) -> Path:
        path = self.folder / f"{case_id.replace('/', '-')}.keras"
        if not path.exists():
            self.model(case_id).save(path)
        return path

    def coverage(self) -> dict:
        """{family: the norms its cases build} and, under None, every model class built (sub-models too)."""
        found: dict = {None: set()}
        for case_id, case in self.cases.items():
            model = self.model(case_id)
            found.setdefault(case.family, set()).add(self.norm(case_id))
            found[None] |= {type(m) for m in _models_in(model)}
        return found

    # === (a) config round trip ===
    def check_config_round_trip(self, case_id: str) -> None:
        import keras

        model = self.model(case_id)
        config = model.get_config()
        assert json.loads(json.dumps(config)) == config, "get_config must be plain JSON data"
        # a .keras file names the class by its registered name, which older files rely on
        assert keras.saving.serialize_keras_object(model)["registered_name"] == f"animegan>{type(model).__name__}"
        clone = type(model).from_config(config)
        assert type(clone) is type(model) and clone.get_config() == config
        clone.set_weights(model.get_weights())
        _assert_outputs_close(self.outputs(case_id, clone), self.outputs(case_id), ROUND_TRIP_ATOL, case_id)

    # === (b) .keras save and reload in a fresh process ===
    def fresh_process(self) -> dict:
        """The one fresh process's report: {"facts": {...}, "cases": {case_id: {"saved": ..., "reloaded": ...}}}.

        The first caller of the run (whichever xdist worker) saves every case and runs it; the others
        read its report and files. A failed run is reported to every caller, not run again.
        """
        folder = self.run_folder / "fresh-process"
        with _exclusive(self.run_folder / "fresh-process.lock"):
            if not (folder / "report.json").exists() and not (folder / "failed.txt").exists():
                self._run_fresh_process(folder)
        if (folder / "failed.txt").exists():
            pytest.fail("the fresh process failed:\n" + (folder / "failed.txt").read_text(), pytrace=False)
        return json.loads((folder / "report.json").read_text())

    def _run_fresh_process(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {}
        for case_id, case in self.cases.items():
            model, stem = self.model(case_id), folder / case_id.replace("/", "-")
            np.save(f"{stem}.in.npy", self.inputs(case_id))
            np.savez(f"{stem}.saved.npz", **self.outputs(case_id))
            manifest[case_id] = {"model": str(self.saved(case_id)), "stem": str(stem), "saved": _describe(model, case)}
        (folder / "manifest.json").write_text(json.dumps(manifest))
        command = [sys.executable, "-P", __file__, str(folder)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            (folder / "failed.txt").write_text(result.stderr[-3000:])

    def check_fresh_process_reload(self, case_id: str) -> None:
        """The reloaded model's class, config, attributes and outputs against the saved model's."""
        report = self.fresh_process()["cases"][case_id]
        assert report["reloaded"] == report["saved"]
        stem = self.run_folder / "fresh-process" / case_id.replace("/", "-")
        with np.load(f"{stem}.saved.npz") as saved, np.load(f"{stem}.reloaded.npz") as reloaded:
            _assert_outputs_close(dict(reloaded), dict(saved), FRESH_PROCESS_ATOL, case_id)

    # === (c) TFLite float32 export parity ===
    def check_tflite_export(self, case_id: str) -> None:
        """``animegan.export``'s float32 TFLite conversion, run by the LiteRT backend, against Keras.

        Fixed shape (what the GPU delegate takes): the case's photo size, or one latent. The exporter's
        own checks (file writing, metadata, its verification) are tests/export's; this is the parity.
        """
        from animegan.export.graph import is_latent
        from animegan.export.source import exportable, metadata_for
        from animegan.export.tflite import convert_tflite
        from animegan.export.verify import THRESHOLDS
        from animegan.inference.backends_tflite import TFLiteBackend

        model = exportable(self.model(case_id))  # a whole VAE exports its decoder
        latent = is_latent(model)
        shape = (1, int(model.inputs[0].shape[-1])) if latent else (1, *self.cases[case_id].input_shape[1:])
        size = None if latent else shape[1:3]
        content = convert_tflite(model, "none", size)
        metadata = metadata_for(model, "tflite", "none", size)
        backend = TFLiteBackend(model_content=content, metadata=metadata, threads=1)
        x = make_inputs(shape, seed=1)
        got, expected = backend(x), np.asarray(model(x, training=False))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=THRESHOLDS["none"].limit, err_msg=case_id)


@contextmanager
def _exclusive(path: Path):
    """Holds an exclusive lock on ``path``: one xdist worker at a time."""
    if fcntl is None:  # then every worker has its own run folder (see the fixture)
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def harness(tmp_path_factory) -> ModelHarness:
    base = tmp_path_factory.getbasetemp()
    # xdist workers have their own base folder inside the run's: the run's is where they meet
    run_folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") and fcntl else base
    return ModelHarness(tmp_path_factory.mktemp("harness"), run_folder)


def _reload_all(folder: Path) -> None:
    """The fresh process: Keras comes in through another animegan module (as a user's script may do it),
    so the files load only if importing animegan registered the model classes."""
    import animegan.losses  # noqa: F401
    import keras

    registered = keras.saving.get_registered_object("animegan>AnimeGANv2Generator") is not None
    facts = {"registered after importing animegan.losses": registered}
    manifest = json.loads((folder / "manifest.json").read_text())
    report: dict = {"facts": facts, "cases": {}}
    for case_id, entry in manifest.items():
        case = CASES[case_id]
        model = keras.saving.load_model(entry["model"], compile=False)
        outputs = case.outputs(model, np.load(f"{entry['stem']}.in.npy"))
        np.savez(f"{entry['stem']}.reloaded.npz", **_numpy(outputs))
        report["cases"][case_id] = {"saved": entry["saved"], "reloaded": _describe(model, case)}
    (folder / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _reload_all(Path(sys.argv[1]))
