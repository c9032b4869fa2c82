"""Bookkeeping shared by the patch targets: originals, patched modules, warnings.

``saved[module_name][attr]`` holds the object a module attribute had before
zio replaced it (``_MISSING_ATTR`` if the attribute did not exist), so
:func:`get_original` can hand the real thing to code that needs it and a
second patch never records a green object as "original".
"""

from __future__ import annotations

import sys
import threading
import warnings
from types import ModuleType
from typing import Any, Iterable

__all__ = [
    "ZioPatchWarning",
    "get_original",
    "is_patched",
    "patch_item",
    "patch_module",
    "saved",
    "warn_once",
]


class ZioPatchWarning(RuntimeWarning):
    """Issued when patching happens too late for some objects to be replaced."""


_MISSING_ATTR = object()

#: module name -> {attribute name: original object}
saved: dict[str, dict[str, Any]] = {}
#: targets (patch function names) already applied
applied: set[str] = set()
_warned: set[str] = set()
_lock = threading.RLock()


def patch_item(module: ModuleType | str, name: str, value: Any) -> None:
    """Set ``module.name = value``, remembering the original the first time."""
    if isinstance(module, str):
        module = sys.modules[module] if module in sys.modules else __import__(module)
    originals = saved.setdefault(module.__name__, {})
    if name not in originals:
        originals[name] = getattr(module, name, _MISSING_ATTR)
    setattr(module, name, value)


def patch_module(target: ModuleType | str, source: ModuleType, names: Iterable[str]) -> None:
    """Copy each of ``names`` from ``source`` onto ``target`` (see :func:`patch_item`)."""
    for name in names:
        patch_item(target, name, getattr(source, name))


def get_original(module_name: str, attr: str) -> Any:
    """The object ``module_name.attr`` had before zio patched it (the live one if unpatched).

    Raises AttributeError if the module never had that attribute.
    """
    originals = saved.get(module_name)
    if originals is not None and attr in originals:
        value = originals[attr]
        if value is _MISSING_ATTR:
            raise AttributeError(f"module {module_name!r} had no attribute {attr!r} before patching")
        return value
    module = sys.modules.get(module_name) or __import__(module_name)
    return getattr(module, attr)


def is_patched(module_name: str) -> bool:
    """Whether zio replaced anything in ``module_name``."""
    return module_name in saved


#: target -> ["module.attr", ...] references rebound by a late patch
fixed_references: dict[str, list[str]] = {}


def note_fixed(target: str, fixed: list[str]) -> None:
    """Record references a late patch rebound (see :data:`fixed_references`)."""
    if fixed:
        fixed_references.setdefault(target, []).extend(fixed)


def warn_once(key: str, message: str) -> None:
    """Emit a :class:`ZioPatchWarning` once per ``key`` for the whole process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, ZioPatchWarning, stacklevel=4)
