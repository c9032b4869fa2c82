"""Late patching: find and fix references to originals taken before patching.

``from time import sleep`` in a module imported before ``zio.patch.all()``
keeps the blocking function.  After a target is patched, module globals that
are *the very object* that was replaced are rebound to the green one (in
user and library modules; never in zio itself, in other fiber libraries, or
in modules that need real blocking calls on purpose).  What cannot be
rebound (subclasses of a replaced class, instances made before patching) is
reported once with advice.
"""

from __future__ import annotations

import sys
from typing import Any

from ._registry import warn_once

__all__ = ["rebind_references", "report_early_subclasses"]

#: Modules whose references to originals are deliberate (or handled elsewhere).
EXCLUDED_PREFIXES = (
    "zio",
    "gevent",
    "eventlet",
    "greenlet",
    "asyncio",
    "multiprocessing",
    "concurrent.futures.process",
    "_pytest",
    "pytest",
    "xdist",
    "importlib",
    "typing",
    "unittest.mock",
)


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes made by `class` statements (or heap C types)


def _excluded(name: str, targets: set[str]) -> bool:
    if name in targets:
        return True
    if name.startswith("_") and not name.startswith("__"):
        return True  # private (mostly C) stdlib modules: their names are the originals by design
    return any(name == p or name.startswith(p + ".") for p in EXCLUDED_PREFIXES)


def rebind_references(replacements: list[tuple[Any, Any]], targets: set[str]) -> list[str]:
    """Rebind module globals that are one of the originals; return ``"module.attr"`` fixed."""
    # A static C type (``socket.SocketType`` is ``_socket.socket``) is the base
    # of the replacement classes themselves: never rebind references to one.
    by_id = {
        id(orig): (orig, new)
        for orig, new in replacements
        if orig is not new and not (isinstance(orig, type) and not orig.__flags__ & _HEAPTYPE)
    }
    if not by_id:
        return []
    fixed: list[str] = []
    for name, module in list(sys.modules.items()):
        if module is None or _excluded(name, targets):
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for attr, value in list(namespace.items()):
            entry = by_id.get(id(value))
            if entry is not None and entry[0] is value:
                try:
                    setattr(module, attr, entry[1])
                except (AttributeError, TypeError):
                    continue
                fixed.append(f"{name}.{attr}")
    return fixed


def report_early_subclasses(target: str, originals: list[Any], how: str) -> None:
    """Warn once about classes that subclass a replaced class (they keep blocking)."""
    found: list[str] = []
    for orig in originals:
        if not isinstance(orig, type):
            continue
        for sub in orig.__subclasses__():
            module = getattr(sub, "__module__", "") or ""
            if _excluded(module, {target}):
                continue
            found.append(f"{module}.{sub.__qualname__} (subclass of {orig.__module__}.{orig.__qualname__})")
    if found:
        warn_once(
            f"subclasses:{target}",
            f"zio.patch: {target!r} was imported and subclassed before patching; these classes keep the "
            f"blocking base and will block the whole thread: {', '.join(sorted(found))}. {how}",
        )


def patch_earlier_advice() -> str:
    """The standard advice on how to patch early enough."""
    return (
        "Patch earlier: call zio.patch.all() before any other import in your entry point, "
        "or run the program with `python -m zio.patch script.py`."
    )
