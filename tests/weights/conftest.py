"""A local HTTP server on 127.0.0.1 for the download tests: Range support, and faults on demand."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Behaviour:
    """What the server does; tests change it between requests."""

    files: dict[str, bytes] = field(default_factory=dict)  # URL path -> body
    truncate_next: int = 0  # this many next responses stop half-way and close the connection
    corrupt: bool = False  # serve flipped bytes (same length)
    ranges: bool = True  # honour Range (206) or always send the whole file (200)
    requests: list[dict] = field(default_factory=list)  # (path, Range header) of each request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    behaviour: Behaviour

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        b = self.behaviour
        b.requests.append({"path": self.path, "range": self.headers.get("Range")})
        body = b.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if b.corrupt:
            body = bytes(x ^ 0xFF for x in body[:64]) + body[64:]
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and b.ranges:
            start = int(match[1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Accept-Ranges", "bytes" if b.ranges else "none")
        self.end_headers()
        if b.truncate_next:
            b.truncate_next -= 1
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)


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
def local_server():
    behaviour = Behaviour()
    handler = type("Handler", (_Handler,), {"behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    running = LocalServer(behaviour, server, thread)
    yield running
    if thread.is_alive():
        running.stop()


@pytest.fixture(scope="session")
def reference_pt(shared_dir) -> bytes:
    return (shared_dir / "reference/animegan_v2/generator-random.pt").read_bytes()
