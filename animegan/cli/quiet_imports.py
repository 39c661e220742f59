"""Keeps TensorFlow's import-time C++ log lines (oneDNN, CUDA probing) off the CLI's stderr.

TensorFlow writes them before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` does not hold them
back. ``install()`` wraps the loader of the ``tensorflow`` module so that file descriptor 2 points at
``/dev/null`` while that module executes; Python exceptions raised by the import still propagate.
TensorFlow itself is not imported here: commands that never need it (the TFLite path) stay fast.
"""

from __future__ import annotations

import os
import sys

from animegan._import_hooks import around_import


def _silenced(exec_module, module) -> None:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            exec_module(module)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def install() -> None:
    """Silence the import of TensorFlow from now on in this process (nothing to do if it is already imported)."""
    around_import("tensorflow", _silenced)
