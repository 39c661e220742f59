"""The ``animegan`` command: builds the parser from the subcommand modules and runs one.

Each subcommand lives in its own module of this package with an ``add_parser(subparsers)`` that
registers its arguments and ``set_defaults(run=...)``; ``run(args)`` returns the exit code. Modules
import the heavy library code inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading

from animegan.cli import quiet_imports
from animegan.errors import AnimeGANError

# Subcommand modules, in the order --help lists them.
COMMANDS = ("stylize", "weights", "prepare", "pairs", "train", "sample", "score", "export", "bench", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="animegan", description="Turn photos and videos into anime and other art styles."
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and TensorFlow logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"animegan.cli.{name}").add_parser(subparsers)
    return parser


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _debug_log(enabled: bool):
    """With --debug, the ``animegan`` logger's DEBUG records (the tracebacks of items a batch skipped,
    see ``errors.item_failure``) go to stderr for the length of the command."""
    if not enabled:
        yield
        return
    logger, handler = logging.getLogger("animegan"), logging.StreamHandler(sys.stderr)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        quiet_imports.install()
    # SIGTERM (what `timeout`, `kill` and `docker stop` send) ends a run as Ctrl-C does: every temporary
    # file is removed on the way out and the exit code is 130 (143 would hide that cleanup happened).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with _debug_log(args.debug):
            return int(args.run(args) or 0)
    except AnimeGANError as error:
        if args.debug:
            raise
        print(f"animegan: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("animegan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
