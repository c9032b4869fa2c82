"""Re-apply a patch when a patched C module is imported afresh.

Patching sets attributes on module objects.  A C extension module with
multi-phase initialisation (PEP 489), such as ``_queue``, is a *new* object
with new types each time it is imported after its ``sys.modules`` entry was
dropped -- ``importlib.reload``-style tricks and the test suites'
``import_fresh_module('queue', fresh=['_queue'])`` do exactly that.  The
fresh copy would carry the blocking C ``SimpleQueue`` again, which parks the
whole OS thread and deadlocks a fiber program (gevent#1248).

:func:`patch_on_import` registers a hook run on every later import of a
module name; a finder placed first on ``sys.meta_path`` wraps that module's
real loader so the hook runs right after the module executes.  Other names
cost the finder one dict lookup.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any, Callable

__all__ = ["patch_on_import"]

_hooks: dict[str, Callable[[ModuleType], None]] = {}


class _PatchingLoader:
    """Delegates to the real loader, then runs the hook on the new module."""

    def __init__(self, loader: Any, hook: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._hook = hook

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._hook(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder:
    """The ``sys.meta_path`` entry: finds hooked names through the other finders."""

    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        hook = _hooks.get(name)
        if hook is None or getattr(self._busy, "name", None) == name:
            return None
        self._busy.name = name
        try:
            spec = None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.name = None
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader, hook)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached here (importlib.invalidate_caches calls this)."""


_finder = _Finder()


def patch_on_import(module_name: str, hook: Callable[[ModuleType], None]) -> None:
    """Run ``hook(module)`` each time ``module_name`` is imported from now on."""
    _hooks[module_name] = hook
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
