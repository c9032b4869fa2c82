"""Third-party libraries that choose a blocking strategy when they are imported.

Some libraries look at the platform once, at import, and pick a C-level wait
that blocks the whole OS thread no matter what the stdlib looks like
afterwards.  psycopg 3 is the one that matters: with its C implementation
(``psycopg[binary]`` / ``psycopg[c]``) ``psycopg.waiting.wait`` is
``wait_c``, which calls ``poll(2)`` in C, unless it sees gevent's monkey
patching.  Under zio that would block every fiber for the length of each
query.

:func:`adjust_after_import` registers a fix for a module: it runs now if the
module is already imported (late patching), else right after the module's
first import, through a finder on ``sys.meta_path`` that wraps the module's
loader.  Fixes only rebind module attributes to the library's own
alternatives; they never change the library's code.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any, Callable

__all__ = ["adjust_after_import", "fix_psycopg_waiting"]

_fixes: dict[str, list[Callable[[ModuleType], None]]] = {}
_finder: "_AfterImportFinder | None" = None


class _FixingLoader(importlib.abc.Loader):
    """Delegates to the real loader; applies the fixes after the module body ran."""

    def __init__(self, loader: Any, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _run_fixes(self._name, module)

    def __getattr__(self, attr: str) -> Any:
        # get_source, get_resource_reader, is_package, ...: tracebacks and
        # importlib.resources keep working through the real loader.
        return getattr(self._loader, attr)


class _AfterImportFinder(importlib.abc.MetaPathFinder):
    """Finds watched modules through the finders after it and wraps their loader."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _fixes:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _FixingLoader(spec.loader, fullname)
        return spec


def _run_fixes(name: str, module: ModuleType) -> None:
    for fix in list(_fixes.get(name, ())):
        fix(module)


def adjust_after_import(module_name: str, fix: Callable[[ModuleType], None]) -> None:
    """Call ``fix(module)`` for ``module_name`` now if it is imported, and after each later first import."""
    global _finder
    _fixes.setdefault(module_name, []).append(fix)
    if _finder is None:
        _finder = _AfterImportFinder()
        sys.meta_path.insert(0, _finder)
    module = sys.modules.get(module_name)
    if module is not None:
        fix(module)


def fix_psycopg_waiting(waiting: ModuleType) -> None:
    """Make psycopg 3 wait through the (patched) ``select.poll`` instead of its C ``poll(2)``."""
    wait_c = getattr(waiting, "wait_c", None)
    wait_poll = getattr(waiting, "wait_poll", None)
    if wait_c is None or wait_poll is None:
        return  # pure-Python psycopg already waits with select/selectors, or an unknown version
    if getattr(waiting, "wait", None) is wait_c:
        waiting.wait = wait_poll
