"""Registers the project's Keras classes as soon as Keras is imported, without importing it ourselves.

``import animegan`` must make ``keras.saving.load_model`` find the custom layers, yet the CLI's TFLite
path must start without TensorFlow (importing it costs seconds). So: if Keras is already imported,
register now; otherwise wrap the loader of the ``keras`` module so registration runs right after Keras
has finished importing, whoever imports it (``import keras``, ``import tensorflow``, ...).
"""

from __future__ import annotations

import importlib
import sys

from animegan._import_hooks import around_import

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


def _register_after(exec_module, module) -> None:
    exec_module(module)
    _register()


def install() -> None:
    if "keras" in sys.modules:
        _register()
    else:
        around_import("keras", _register_after)
