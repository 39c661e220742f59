"""Reads a PyTorch ``state_dict`` file (``torch.save`` zip format) into numpy arrays, without PyTorch.

The file is a zip holding ``<name>/data.pkl`` (a pickle whose tensors point at storages by key) and
``<name>/data/<key>`` (raw little-endian storages). Nothing in it is trusted, and every check runs
before the memory it guards is touched:

- the pickle is read by an unpickler that resolves only the handful of globals a state_dict needs, so a
  malicious file cannot run code;
- storages may hold at most ``max_elements`` elements in all (the caller derives it from the target
  architecture), and a storage is read only when the zip declares exactly the size the pickle does;
  a member is then inflated in one bounded read of that size, so a deflate bomb is refused (or cut
  short) without being inflated;
- every tensor's offset, sizes and strides are checked against its storage before a view is made, and
  the tensors together may not hold more than ``max_elements`` elements either (a stride-0 view of one
  element could otherwise claim gigabytes).
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import zipfile
import zlib
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": np.uint16,  # raw bits, widened to float32 below: numpy has no bfloat16
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
# A state_dict's pickle takes about 160 bytes per tensor (12.5 KB for AnimeGANv2's 77): 4 MiB is room
# for 25,000 tensors, and bounds what the unpickler can build.
PICKLE_LIMIT = 4 << 20
# What ``load_state_dict`` allows when the caller names no architecture: 64 Mi elements (256 MiB of
# float32), 30 times the largest generator here.
DEFAULT_MAX_ELEMENTS = 1 << 26
_MAX_DIMS = 8
_MAX_INT = 1 << 62  # larger offsets, sizes or strides cannot be real, and would make the checks slow


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name]).newbyteorder("<")


def _rebuild_parameter(data, *_unused):
    return data


def _is_count(value) -> bool:
    return type(value) is int and 0 <= value < _MAX_INT


class _SafeUnpickler(pickle.Unpickler):
    """Resolves only a state_dict's globals; reads each storage once, within the element budget."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, max_elements: int):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._storages: dict[str, np.ndarray] = {}
        self._storage_budget = max_elements
        self._tensor_budget = max_elements
        self._max_elements = max_elements

    def find_class(self, module, name):
        allowed = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): self._rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        }
        if (module, name) in allowed:
            return allowed[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (not part of a plain state_dict)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError("unexpected persistent id (not a tensor storage)")
        _, storage_type, key, _location, numel = pid
        if not isinstance(key, str) or not _is_count(numel):
            raise pickle.UnpicklingError("a storage with a malformed key or size")
        known = self._storages.get(key)
        if known is not None:
            if known.size != numel or known.dtype != storage_type.dtype:
                raise pickle.UnpicklingError(f"storage {key} is declared twice with different sizes or types")
            return known
        if numel > self._storage_budget:
            raise pickle.UnpicklingError(
                f"storage {key} declares {numel} elements, beyond the {self._max_elements} elements "
                "the target architecture allows in all"
            )
        self._storage_budget -= numel
        raw = read_member(self._archive, f"{self._prefix}/data/{key}", numel * storage_type.dtype.itemsize, exact=True)
        storage = np.frombuffer(raw, dtype=storage_type.dtype)
        if storage_type.name == "BFloat16Storage":
            storage = (storage.astype(np.uint32) << 16).view(np.float32)
        self._storages[key] = storage
        return storage

    def _rebuild_tensor(self, storage, offset, size, stride, *_unused):
        if not (isinstance(storage, np.ndarray) and any(storage is s for s in self._storages.values())):
            raise pickle.UnpicklingError("a tensor without a storage of the file")
        if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride) <= _MAX_DIMS):
            raise pickle.UnpicklingError("a tensor whose size and stride do not match")
        if not all(_is_count(v) for v in (offset, *size, *stride)):
            raise pickle.UnpicklingError("a tensor with a negative, non-integer or out-of-range offset, size or stride")
        numel = math.prod(size)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if numel else offset - 1
        if last >= storage.size or offset > storage.size:
            raise pickle.UnpicklingError(
                f"a tensor of shape {size} reaches element {last} of a storage of {storage.size} (a view past its storage)"
            )
        if numel > self._tensor_budget:
            raise pickle.UnpicklingError(
                f"the tensors claim more than the {self._max_elements} elements the target architecture allows"
            )
        self._tensor_budget -= numel
        if numel == 0:
            return np.zeros(size, storage.dtype)
        itemsize = storage.itemsize
        strides = tuple(s * itemsize if n > 1 else 0 for n, s in zip(size, stride))  # extent checked above
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides, writeable=False)
        return view.copy()


def read_member(archive: zipfile.ZipFile, name: str, limit: int, *, exact: bool = False) -> bytes:
    """The bytes of one member, refused before inflating when its declared size is over ``limit``
    (or, with ``exact``, not equal to it). One bounded read: zipfile inflates no further than asked."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise pickle.UnpicklingError(f"{name} is missing from the archive") from None
    if info.file_size > limit or (exact and info.file_size != limit):
        expected = f"{limit} bytes" if exact else f"at most {limit} bytes"
        raise pickle.UnpicklingError(f"{name} declares {info.file_size} bytes, expected {expected}")
    with archive.open(info) as member:
        data = member.read(info.file_size)
    if len(data) != info.file_size:
        raise pickle.UnpicklingError(f"{name} is shorter than the {info.file_size} bytes it declares")
    return data


def load_state_dict(path: str | Path, max_elements: int = DEFAULT_MAX_ELEMENTS) -> dict[str, np.ndarray]:
    """Returns ``{parameter name: array}`` from a ``.pt``/``.pth`` state_dict file.

    ``max_elements`` bounds the storages and the tensors each (``importers.element_budget`` derives it
    from the generator the weights are for). Any problem is one AnimeGANError line.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise AnimeGANError(
            f"{path} is not a zip-format PyTorch checkpoint (legacy pre-1.6 files: re-save with torch.save)"
        ) from None
    try:
        with archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
            if not pickles:
                raise AnimeGANError(f"{path} is not a PyTorch zip checkpoint (no data.pkl inside)")
            prefix = pickles[0][: -len("/data.pkl")]
            if f"{prefix}/byteorder" in archive.namelist() and read_member(archive, f"{prefix}/byteorder", 16) != b"little":
                raise AnimeGANError(f"{path}: big-endian checkpoints are not supported")
            data = io.BytesIO(read_member(archive, pickles[0], PICKLE_LIMIT))
            state = _SafeUnpickler(data, archive, prefix, max_elements).load()
    except (zipfile.BadZipFile, zlib.error) as error:
        raise AnimeGANError(f"cannot read {path}: damaged zip ({error})") from None
    except (pickle.UnpicklingError, KeyError, ValueError, TypeError, EOFError, IndexError) as error:
        raise AnimeGANError(f"cannot read {path}: {error}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise AnimeGANError(f"{path} does not hold a plain state_dict of tensors")
    return dict(state)
