"""Reads a PyTorch ``state_dict`` file (``torch.save`` zip format) into numpy arrays, without PyTorch.

The file is a zip holding ``<name>/data.pkl`` (a pickle whose tensors point at storages by key) and
``<name>/data/<key>`` (raw little-endian storages). The pickle is read by an unpickler that only
resolves the handful of globals a state_dict needs, so a malicious file cannot run code.
"""

from __future__ import annotations

import collections
import pickle
import zipfile
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,  # handled below: numpy has no bfloat16
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name


def _rebuild_tensor(storage, offset, size, stride, *_unused):
    itemsize = storage.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
    ).copy()


def _rebuild_parameter(data, *_unused):
    return data


class _SafeUnpickler(pickle.Unpickler):
    _ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    }

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (not part of a plain state_dict)")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _numel = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        if key not in self._storages:
            raw = self._archive.read(f"{self._prefix}/data/{key}")
            if storage_type.name == "BFloat16Storage":
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                self._storages[key] = bits.view(np.float32)
            else:
                self._storages[key] = np.frombuffer(raw, dtype=np.dtype(_STORAGE_DTYPES[storage_type.name]).newbyteorder("<"))
        return self._storages[key]


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Returns ``{parameter name: array}`` from a ``.pt``/``.pth`` state_dict file."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
            if not pickles:
                raise AnimeGANError(f"{path} is not a PyTorch zip checkpoint (no data.pkl inside)")
            prefix = pickles[0][: -len("/data.pkl")]
            if archive.namelist().count(f"{prefix}/byteorder") and archive.read(f"{prefix}/byteorder") != b"little":
                raise AnimeGANError(f"{path}: big-endian checkpoints are not supported")
            with archive.open(pickles[0]) as handle:
                state = _SafeUnpickler(handle, archive, prefix).load()
    except zipfile.BadZipFile:
        raise AnimeGANError(
            f"{path} is not a zip-format PyTorch checkpoint (legacy pre-1.6 files: re-save with torch.save)"
        ) from None
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as error:
        raise AnimeGANError(f"cannot read {path}: {error}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise AnimeGANError(f"{path} does not hold a plain state_dict of tensors")
    return dict(state)
