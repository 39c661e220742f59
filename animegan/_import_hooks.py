"""Run code around the import of one module without importing it: a meta-path finder that asks the real
finders for the module's spec and wraps its loader, so ``around(exec_module, module)`` runs when (and only
when) the module is really executed. ``find_spec`` alone (as TensorFlow calls it to probe for Keras)
executes nothing. The finder removes itself once the module has been executed.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable

Around = Callable[[Callable[[object], None], object], None]


class _AroundFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, around: Around):
        self.name = name
        self.around = around

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _AroundLoader(spec.loader, self)
                return spec
        return None


class _AroundLoader(importlib.abc.Loader):
    def __init__(self, loader, finder: _AroundFinder):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = self._loader
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self._finder.around(self._loader.exec_module, module)


def around_import(name: str, around: Around) -> None:
    """Run ``around(exec_module, module)`` in place of ``exec_module(module)`` when ``name`` is imported.

    Does nothing when ``name`` is already imported or the same hook is already waiting for it.
    """
    if name in sys.modules:
        return
    waiting = (f for f in sys.meta_path if isinstance(f, _AroundFinder))
    if not any(f.name == name and f.around is around for f in waiting):
        sys.meta_path.insert(0, _AroundFinder(name, around))
