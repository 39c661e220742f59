"""A local HTTP server on 127.0.0.1 for the download tests, with faults on demand; no network is used."""

from __future__ import annotations

import threading
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

