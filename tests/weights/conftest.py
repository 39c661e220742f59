"""A local HTTP server on 127.0.0.1 for the download tests, with faults on demand; no network is used."""

from __future__ import annotations

import io
import pickle
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Behaviour:
    """What the server does; tests change it between requests."""

    files: dict[str, bytes] = field(default_factory=dict)  # URL path -> body
    truncate_next: int = 0  # this many next responses stop half-way and close the connection
    fail_next: int = 0  # this many next responses are HTTP 500
    corrupt: bool = False  # serve flipped bytes (same length)
    requests: list[str] = field(default_factory=list)  # the path of each request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    behaviour: Behaviour

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        b = self.behaviour
        b.requests.append(self.path)
        body = b.files.get(self.path)
        if b.fail_next:
            b.fail_next -= 1
            self.send_error(500)
            return
        if body is None:
            self.send_error(404)
            return
        if b.corrupt:
            body = bytes(x ^ 0xFF for x in body[:64]) + body[64:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if b.truncate_next:
            b.truncate_next -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@dataclass
class LocalServer:
    behaviour: Behaviour
    server: ThreadingHTTPServer
    thread: threading.Thread

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def local_server(monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):  # a proxy set for the machine must not see the test's requests
        monkeypatch.setenv(name, "127.0.0.1")
    behaviour = Behaviour()
    handler = type("Handler", (_Handler,), {"behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    running = LocalServer(behaviour, server, thread)
    yield running
    if thread.is_alive():
        running.stop()


@pytest.fixture
def retry_waits(monkeypatch) -> list[float]:
    """pooch waits 1 s, 2 s, ... between attempts: record the waits instead of sleeping them."""
    import types

    import pooch.core

    waits: list[float] = []
    monkeypatch.setattr(pooch.core, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture(scope="session")
def reference_pt(shared_dir) -> bytes:
    return (shared_dir / "reference/animegan_v2/generator-random.pt").read_bytes()


# --- .pt files written by the tests themselves (no torch): the torch.save zip layout, hostile on demand ---


@dataclass(frozen=True)
class Tensor:
    """A tensor as torch.save pickles it: a view (offset, size, stride) into storage ``key``."""

    key: str
    offset: int
    size: tuple
    stride: tuple


@dataclass(frozen=True)
class Storage:
    data: bytes
    numel: int | None = None  # what the pickle declares; None: len(data) // 4 (float32)
    dtype: str = "FloatStorage"


class _Global:
    """A global the pickle names (torch._utils._rebuild_tensor_v2, torch.FloatStorage) without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce wants a callable; never called
        raise AssertionError("not callable")


class _PickledTensor:
    def __init__(self, tensor: Tensor, storage: Storage):
        self.tensor, self.storage = tensor, storage

    def __reduce__(self):
        import collections

        t = self.tensor
        return (_Global("torch._utils", "_rebuild_tensor_v2"), (_StorageRef(t.key, self.storage), t.offset, t.size, t.stride, False, collections.OrderedDict()))


@dataclass(frozen=True)
class _StorageRef:
    key: str
    storage: Storage


class _TorchPickler(pickle._Pickler):  # the pure-Python pickler: it lets us write GLOBAL for a module we lack
    dispatch = dict(pickle._Pickler.dispatch)

    def _save_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    dispatch[_Global] = _save_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            s = obj.storage
            numel = len(s.data) // 4 if s.numel is None else s.numel
            return ("storage", _Global("torch", s.dtype), obj.key, "cpu", numel)
        return None


def write_pt(path, tensors: dict[str, Tensor], storages: dict[str, Storage], *, bombs: dict[str, dict] | None = None):
    """A torch.save-style zip. ``bombs`` maps a member (a storage key, or "data.pkl") to the keyword
    arguments of ``deflate_bomb`` that replace its content."""
    import collections

    bombs = bombs or {}
    state = collections.OrderedDict((name, _PickledTensor(t, storages[t.key])) for name, t in tensors.items())
    buffer = io.BytesIO()
    _TorchPickler(buffer, protocol=2).dump(state)
    members = {"archive/data.pkl": buffer.getvalue(), "archive/byteorder": b"little"}
    members.update({f"archive/data/{key}": s.data for key, s in storages.items()})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            short = name.rsplit("/", 1)[-1] if "/data/" in name else name.removeprefix("archive/")
            if short in bombs:
                deflate_bomb(archive, name, **bombs[short])
            else:
                archive.writestr(name, data)
    return path


def deflate_bomb(archive: zipfile.ZipFile, name: str, *, inflates_to: int, declared: int | None = None, head: bytes = b""):
    """A member whose deflate stream inflates to ``inflates_to`` zero bytes (a multiple of 1 MiB, about
    1 KB each) and whose central directory declares ``declared`` (default: the same) bytes.

    Never inflated here: one 1 MiB block is compressed once after a full flush, so the block is
    self-contained and repeated. ``head`` (at most 1 MiB) replaces the first bytes of the inflated data.
    The CRC is that of the declared bytes when they are ``head`` and zeros within the first block, else 0
    (zipfile checks it only after inflating everything declared).
    """
    block = 1 << 20
    first = head + bytes(block - len(head))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(first) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = start + zeros * (inflates_to // block - 1) + compressor.flush(zlib.Z_FINISH)
    assert len(zlib.decompressobj(-15).decompress(zeros, block + 1)) == block  # 1 MiB per ~1 KB repeated
    declared = inflates_to if declared is None else declared
    info = zipfile.ZipInfo(name)
    archive.writestr(info, stream)  # stored as is; then the central directory is made to say "deflate"
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = declared
    info.CRC = zlib.crc32(first[:declared]) if declared <= block else 0


@pytest.fixture(scope="session")
def pt_writer():
    """``write_pt`` and friends for tests (conftest helpers are reached through a fixture)."""
    import types

    return types.SimpleNamespace(write=write_pt, Tensor=Tensor, Storage=Storage)
