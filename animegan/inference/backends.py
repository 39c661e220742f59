"""Model backends for inference: each loads one kind of model file and runs batches of images.

A backend is called with float32 NHWC RGB in [-1, 1] (H and W multiples of ``stride``) and returns the
same. ``load_backend`` picks the backend from the path; later formats add one entry to ``_BACKENDS``.
The exported formats live in their own modules (``backends_tflite``, ``backends_savedmodel``,
``backends_onnx``), imported only when a model of theirs is loaded: the TFLite and ONNX ones must not
pull in TensorFlow.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from animegan.errors import AnimeGANError


class Backend(Protocol):
    """``statistics``: the same model taking and giving whole-image normalization statistics (a
    ``whole_statistics.StatisticsRunner``), or None when the model file cannot (an older export)."""

    name: str
    stride: int
    statistics: object | None

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class KerasBackend:
    """A ``.keras`` generator, run through one ``tf.function`` that accepts any batch, H and W."""

    name = "keras"

    def __init__(self, path: Path):
        check_keras_archive(path)  # before the imports: a damaged file is refused in a blink
        import keras
        import tensorflow as tf

        import animegan.models  # noqa: F401  (registers the classes a .keras file names)

        try:
            self.model = keras.saving.load_model(path, compile=False)
        except (ValueError, TypeError, KeyError, OSError, zipfile.BadZipFile) as error:
            raise AnimeGANError(f"cannot load Keras model {path}: {_first_line(error)}") from None
        inputs = getattr(self.model, "inputs", None)
        if not inputs or len(inputs[0].shape) != 4:
            raise AnimeGANError(f"{path} is not a photo-to-picture generator: its input is not an image batch")
        self.stride = int(getattr(self.model, "stride", 4))
        self._run = tf.function(
            lambda x: self.model(x, training=False),
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
            reduce_retracing=True,
        )
        self._statistics = None
        self._layerwise = None
        self._memory = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        from animegan.inference.memory import tensorflow_call

        return tensorflow_call(self._run, np.asarray(batch, np.float32)).numpy()

    @property
    def memory_per_pixel(self) -> float:
        """Peak bytes per input pixel while running (``inference.memory``)."""
        if self._memory is None:
            from animegan.inference.memory import RUNTIME_FACTORS
            from animegan.models.footprint import activation_bytes

            self._memory = activation_bytes(self.model) * RUNTIME_FACTORS["tensorflow"]
        return self._memory

    @property
    def layerwise(self):
        """The stage-by-stage runner of photos over the memory budget (``inference.layerwise``), or None
        for a model it cannot run exactly; built (and probed, a second or two) on first use."""
        if self._layerwise is None:
            from animegan.inference.layerwise import LayerwiseRunner

            runner = LayerwiseRunner(self.model)
            self._layerwise = runner if runner.streamable else False
        return self._layerwise or None

    @property
    def statistics(self):
        """Built on first use: tracing the statistics graph costs a second or two."""
        if self._statistics is None:
            from animegan.inference.backends_statistics import KerasStatistics

            self._statistics = KerasStatistics(self.model)
        return self._statistics


# What every .keras archive holds (keras.src.saving.saving_lib writes these names).
_KERAS_MEMBERS = ("config.json", "metadata.json")
# Unpacked, the largest generator here is a few hundred MB; an archive declaring more is not one of
# them (zipfile never inflates a member past its declared size, so this bounds the CRC pass too).
_KERAS_MAX_UNPACKED = 2 << 30


def check_keras_archive(path: Path) -> None:
    """Refuses, in one line, a ``.keras`` file that is not a complete, undamaged Keras archive.

    Keras reports a file that is not a zip as "File not found" and a damaged member as a ``BadZipFile``
    traceback from h5py; every member's CRC is checked here first (a read of the file, no unpacking to
    disk), after its declared sizes, so that a deflate bomb is refused without inflating it.
    """
    what = f"cannot load Keras model {path}: the file is corrupt or not a .keras archive"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > _KERAS_MAX_UNPACKED:
                raise AnimeGANError(f"{what} (it declares {unpacked:,} bytes unpacked)")
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as error:
        raise AnimeGANError(f"{what} ({_first_line(error)})") from None
    except OSError as error:
        raise AnimeGANError(f"cannot load Keras model {path}: {error.strerror or error}") from None
    if damaged is not None:
        raise AnimeGANError(f"{what} (its member {damaged} is damaged: CRC mismatch)")
    missing = [name for name in _KERAS_MEMBERS if name not in names]
    if missing:
        raise AnimeGANError(f"{what} (it has no {', '.join(missing)})")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_keras(path: Path) -> bool:
    return path.suffix == ".keras" and path.is_file()


def _is_tflite(path: Path) -> bool:
    return path.suffix == ".tflite" and path.is_file()


def _is_onnx(path: Path) -> bool:
    return path.suffix == ".onnx" and path.is_file()


def _is_savedmodel(path: Path) -> bool:
    return path.is_dir() and (path / "saved_model.pb").is_file()


def _keras(path: Path, threads: int | None) -> Backend:
    return KerasBackend(path)


def _image_input(path: Path) -> None:
    """Refuses an export of a latent-input generator: it makes pictures from latents, not from photos."""
    from animegan.inference.metadata import read_metadata

    metadata = read_metadata(path)
    if metadata.is_latent:
        raise AnimeGANError(
            f"{path} is a latent-input generator ({metadata.architecture}): it makes pictures from "
            "latent vectors, it does not stylize photos"
        )


def _tflite(path: Path, threads: int | None) -> Backend:
    from animegan.inference.backends_tflite import TFLiteBackend

    _image_input(path)
    return TFLiteBackend(path, threads=threads)


def _onnx(path: Path, threads: int | None) -> Backend:
    from animegan.inference.backends_onnx import OnnxBackend

    _image_input(path)
    return OnnxBackend(path, threads=threads)


def _savedmodel(path: Path, threads: int | None) -> Backend:
    from animegan.inference.backends_savedmodel import SavedModelBackend

    _image_input(path)
    return SavedModelBackend(path)


# (test on the path, backend factory taking the path and the --threads value), tried in order.
_BACKENDS: list[tuple[Callable[[Path], bool], Callable[[Path, int | None], Backend]]] = [
    (_is_keras, _keras),
    (_is_tflite, _tflite),
    (_is_savedmodel, _savedmodel),
    (_is_onnx, _onnx),
]


def load_backend(model: str | Path, threads: int | None = None) -> Backend:
    """The backend for a model path; a one-line error when nothing can run it.

    ``threads`` is the CPU thread count of the TFLite interpreter or ONNX Runtime (default: all cores).
    """
    path = Path(model)
    if not path.exists():
        raise AnimeGANError(f"model not found: {model}")
    for accepts, backend in _BACKENDS:
        if accepts(path):
            return backend(path, threads)
    raise AnimeGANError(f"cannot run {model}: expected a .keras file, a .tflite file, an .onnx file or a SavedModel directory")
