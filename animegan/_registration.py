"""Registers the project's Keras classes as soon as Keras is imported, without importing it ourselves.

``import animegan`` must make ``keras.saving.load_model`` find the custom layers, yet the CLI's TFLite
path must start without TensorFlow (importing it costs seconds). So: if Keras is already imported,
register now; otherwise wrap the loader of the ``keras`` module so registration runs right after Keras
has finished importing, whoever imports it (``import keras``, ``import tensorflow``, ...).
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys

_MODULES = ("animegan.layers", "animegan.models")


def _initializing(name: str) -> bool:
    module = sys.modules.get(name)
    return module is not None and getattr(module.__spec__, "_initializing", False)


def _register() -> None:
    # When a module of the registered packages is what imports Keras, it is still half-built: importing
    # the models now would be circular. Its import goes on and registers its classes as it completes.
    # (Then a program that imported only animegan.layers must import animegan.models itself before
    # loading a whole model; the CLI and the library's loaders do.) Any other module of ours (losses,
    # data, ...) is not imported by these packages, so registering under it is safe.
    if any(_initializing(name) for name in list(sys.modules) if name.startswith(_MODULES)):
        return
    for name in _MODULES:
        importlib.import_module(name)


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Finds ``keras`` with the real finders and hands back its spec with a wrapped loader.

    It stays installed until Keras has really been executed: ``find_spec`` alone (as TensorFlow calls
    it to probe for Keras) executes nothing.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisteringLoader(spec.loader, self)
                return spec
        return None


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, loader, finder: _AfterKeras):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        _register()


def install() -> None:
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterKeras) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKeras())
