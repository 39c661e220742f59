"""Keeps TensorFlow's import-time C++ log lines (oneDNN, CUDA probing) off the CLI's stderr.

TensorFlow writes them before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` does not hold them
back. ``install()`` wraps the loader of the ``tensorflow`` module so that file descriptor 2 points at
``/dev/null`` while that module executes; Python exceptions raised by the import still propagate.
TensorFlow itself is not imported here: commands that never need it (the TFLite path) stay fast.
"""

from __future__ import annotations

import importlib.abc
import os
import sys


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` with the real finders and hands back its spec with a silencing loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = self._loader
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                self._loader.exec_module(module)
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def install() -> None:
    """Silence the import of TensorFlow from now on in this process (nothing to do if it is already imported)."""
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
