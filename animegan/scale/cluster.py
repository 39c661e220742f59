"""Connecting to Ray: an embedded local instance by default, or a cluster named by its address.

Ray is an optional extra and is imported only here, when a command asks for it. Every way this can go
wrong before any work starts (Ray missing, an address that is not one, a cluster that does not answer)
is one ``AnimeGANError`` line.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from animegan.errors import AnimeGANError

INSTALL_HINT = "pip install 'animegan[ray]'"
LOCAL = "local"  # what ``--ray`` without a value means: start Ray inside this command
ADDRESS_FORMS = "auto, ray://HOST:10001 or HOST:6379"
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")
PROBE_SECONDS = 5.0  # how long an unreachable address may take to fail


@dataclass(frozen=True)
class LocalRay:
    """How an embedded Ray is sized. Only job rows and results pass through its object store (workers
    read and write the files themselves), so a small store is enough; the dashboard is not started."""

    num_cpus: int | None = None  # None: every core of this machine
    num_gpus: int | None = None
    object_store_mb: int = 200


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the extra is ray[data]; plain ray lacks pyarrow and pandas)
    except ImportError:
        raise AnimeGANError(f"--ray needs Ray Data, which is not installed: {INSTALL_HINT}") from None
    return ray


def check_address(address: str) -> tuple[str, int] | None:
    """(host, port) to probe for ``address``, None for ``auto`` and ``local``; one line when it is no address."""
    if address in ("auto", LOCAL):
        return None
    match = _HOST_PORT.match(address.removeprefix("ray://"))
    if match is None or not 0 < int(match["port"]) < 65536:
        raise AnimeGANError(
            f"--ray {address!r} is not a Ray address; use {ADDRESS_FORMS}, or --ray alone for a local Ray "
            "(write --ray=ADDRESS or put --ray after the inputs when an input could be read as one)"
        )
    return match["host"].strip("[]"), int(match["port"])


def check_reachable(address: str) -> None:
    """One line when ``address`` is no Ray address or nothing answers there (Ray would retry for minutes)."""
    target = check_address(address)
    if target is not None:
        _probe(address, *target)


def _probe(address: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            return
    except OSError as error:
        why = error.strerror or str(error) or type(error).__name__
        raise AnimeGANError(f"cannot reach the Ray cluster at {address}: {why}") from None


@contextmanager
def _quiet(quiet: bool) -> Iterator[None]:
    """Ray's own logs stay off the terminal (``--debug`` shows them): the job reports every file itself.

    Ray's C++ core logs to this process's stderr at start-up and warns about Ray Data's own actor set-up;
    the level it reads from the environment is announced on stderr, so start-up runs with fd 2 muted
    (errors still arrive as exceptions).
    """
    if not quiet:
        yield
        return
    import logging

    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    level = os.environ.get("RAY_BACKEND_LOG_LEVEL")
    os.environ["RAY_BACKEND_LOG_LEVEL"] = level or "fatal"  # this process only: not the Ray it starts
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if level is None:
            os.environ.pop("RAY_BACKEND_LOG_LEVEL")


@contextmanager
def connected(address: str = LOCAL, local: LocalRay = LocalRay(), quiet: bool = True) -> Iterator[object]:
    """Yields the ``ray`` module connected to ``address``; disconnects at the end if it connected.

    A Ray already initialised in this process (a notebook, a test session) is used as it is.
    """
    ray = import_ray()
    check_reachable(address)
    if ray.is_initialized():
        yield ray
        return
    try:
        with _quiet(quiet):
            _init(ray, address, local, quiet)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise AnimeGANError(f"cannot connect to Ray at {address}: {first}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _init(ray, address: str, local: LocalRay, quiet: bool) -> None:
    if address == LOCAL:
        ray.init(
            address="local",
            num_cpus=local.num_cpus,
            num_gpus=local.num_gpus,
            object_store_memory=local.object_store_mb * 1024 * 1024,
            include_dashboard=False,
            log_to_driver=not quiet,
            logging_level="ERROR" if quiet else "INFO",
        )
    else:
        ray.init(address=address, log_to_driver=not quiet, logging_level="ERROR" if quiet else "INFO")
