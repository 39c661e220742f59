"""Builds the server (REST routes + the Gradio page on one FastAPI app) and runs it with uvicorn.

``serve(settings)`` is what ``animegan serve`` runs: it blocks until Ctrl-C. ``running(settings)``
starts the same server on a background thread and yields its URL (the tests). Nothing
reaches the network: Gradio's analytics are off before it is imported, FastAPI's CDN-hosted /docs pages
are off, ``share`` is never asked for, and the page's fonts are the ones Gradio ships.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from animegan.errors import AnimeGANError
from animegan.serve.settings import LOCAL_HOST, ServeSettings

if TYPE_CHECKING:  # the real imports wait for build_server: gradio is slow to import and optional
    import gradio as gr
    from fastapi import FastAPI

    from animegan.serve.jobs import Stylist
    from animegan.serve.uploads import Uploads
    from animegan.serve.worker import ModelWorker

LOCAL_NAMES = {LOCAL_HOST, "localhost", "::1"}


@dataclass
class Server:
    """One server's parts, for tests and the benchmark to look into (queue, temporary folders)."""

    settings: ServeSettings
    app: FastAPI  # the REST routes, with the page mounted at /
    stylist: Stylist
    worker: ModelWorker
    uploads: Uploads
    page: gr.Blocks
    page_app: FastAPI  # Gradio's own app, mounted at /

    def end_streams(self) -> None:
        """Ends Gradio's long-lived streams (heartbeats, queue updates) so that shutdown does not wait on them."""
        self.page._queue.close()
        self.page_app.stop_event.set()

    def close(self) -> None:
        self.worker.close()
        self.stylist.styles.unload()
        self.uploads.remove_all()


def _offline_gradio() -> None:
    """Gradio reads these when imported and when a Blocks is made: no telemetry, no version check."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def require_web_extra() -> None:
    """A one-line error, before any work, when the ``web`` extra's packages are missing."""
    import importlib.util

    missing = [name for name in ("gradio", "fastapi", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise AnimeGANError(f"animegan serve needs {', '.join(missing)}: pip install 'animegan[web]'")


def build_server(settings: ServeSettings) -> Server:
    require_web_extra()
    from animegan.serve.jobs import Stylist
    from animegan.serve.styles import StyleRegistry
    from animegan.serve.uploads import Uploads
    from animegan.serve.worker import ModelWorker

    styles = StyleRegistry(settings.models, settings.downloads, settings.threads, settings.loaded_models)
    styles.backend(styles.default)  # a default that cannot load fails now, not at the first request
    root = settings.temp_dir or Path(tempfile.mkdtemp(prefix="animegan-serve-"))
    uploads = Uploads(root, settings.keep_uploads)
    _offline_gradio()
    os.environ["GRADIO_TEMP_DIR"] = str(uploads.gradio)  # read when the page's components are made
    import gradio as gr
    from fastapi import FastAPI
    from starlette.routing import Mount

    from animegan.serve.page import CSS, build_page, theme
    from animegan.serve.rest import add_routes

    stylist = Stylist(styles, settings.limits)
    worker = ModelWorker(settings.queue_size)
    app = FastAPI(title="animegan", docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json")
    add_routes(app, stylist, worker, uploads)
    demo = build_page(stylist, worker, uploads, settings.keep_results)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["api"],
        run_history=False,
        show_error=True,
        max_file_size=settings.limits.max_upload_bytes,
        ssr_mode=False,
        enable_monitoring=False,
        pwa=False,
        mcp_server=False,
        theme=theme(),
        css=CSS,
    )
    mounted = next(route.app for route in app.routes if isinstance(route, Mount))
    return Server(settings, app, stylist, worker, uploads, demo, mounted)


def start_line(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in LOCAL_NAMES:
        where = "this computer only; --host 0.0.0.0 opens it to your network"
    else:
        where = "reachable from other machines: no login, no TLS"
    return f"animegan: serving on http://{shown}:{port} ({where}); Ctrl-C stops it"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = error.strerror or error
        raise AnimeGANError(f"cannot listen on {host}:{port}: {reason}; choose another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _uvicorn(server: Server):
    import uvicorn

    class Uvicorn(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            server.end_streams()  # on the event loop, before uvicorn waits for open connections
            await super().shutdown(sockets=sockets)

    config = uvicorn.Config(server.app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    return Uvicorn(config)


def serve(settings: ServeSettings, announce: Callable[[str], None] | None = None) -> None:
    """Runs the server until Ctrl-C (or SIGTERM); its temporary folder is removed on the way out."""
    sock = _bind(settings.host, settings.port)
    try:
        server = build_server(settings)
    except BaseException:
        sock.close()
        raise
    try:
        (announce or (lambda line: print(line, file=sys.stderr, flush=True)))(
            start_line(settings.host, sock.getsockname()[1])
        )
        _uvicorn(server).run(sockets=[sock])
    finally:
        sock.close()
        server.close()


@dataclass
class Running:
    url: str
    server: Server


@contextmanager
def running(settings: ServeSettings) -> Iterator[Running]:
    """The server on a background thread, on ``settings.port`` (0: a free port); stopped on exit."""
    sock = _bind(settings.host, settings.port)
    server = build_server(settings)
    runner = _uvicorn(server)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, name="animegan-serve", daemon=True)
    thread.start()
    try:
        while not runner.started:
            if not thread.is_alive():
                raise AnimeGANError("the server stopped while starting")
            threading.Event().wait(0.05)
        host, port = sock.getsockname()[:2]
        yield Running(f"http://{host}:{port}", server)
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        sock.close()
        server.close()
