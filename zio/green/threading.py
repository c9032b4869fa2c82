"""Cooperative ``threading``, usable without patching: the stdlib module run on fibers.

This is CPython's own ``threading`` module (the one installed with the
running interpreter, so it always matches its version), executed a second
time with :mod:`zio.green.thread` in place of ``_thread``.  Its ``Thread``
starts fibers, and its ``Lock``, ``RLock``, ``Condition``, ``Event``,
``Semaphore``, ``BoundedSemaphore``, ``Barrier``, ``Timer`` and ``local``
park fibers instead of blocking the OS thread.  It keeps its own registry of
threads, separate from the stdlib module's; ``zio.patch.thread()`` instead
patches the stdlib module in place, so there is one registry.
"""

from __future__ import annotations

import atexit
import importlib.util
import sys

from . import thread as _green_thread

#: The stdlib names this module provides cooperative versions of.
__implements__ = [
    "Barrier",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Lock",
    "RLock",
    "Semaphore",
    "Thread",
    "Timer",
    "local",
    "get_ident",
]


def _load() -> dict:
    spec = importlib.util.find_spec("threading")
    assert spec is not None and spec.loader is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as f:
        source = f.read()
    code = compile(source, spec.origin, "exec")
    namespace: dict = {"__name__": __name__, "__file__": spec.origin, "__builtins__": __builtins__}
    # The module does `import _thread` and `from _thread import ...` at its top:
    # show it the green module for the duration of that one execution.
    saved = sys.modules.get("_thread")
    sys.modules["_thread"] = _green_thread  # type: ignore[assignment]
    try:
        exec(code, namespace)
    finally:
        if saved is not None:
            sys.modules["_thread"] = saved
    namespace["_CRLock"] = _green_thread.RLock
    return namespace


_ns = _load()
globals().update({k: v for k, v in _ns.items() if k not in ("__name__", "__file__", "__doc__", "__builtins__")})
__all__ = list(_ns.get("__all__", ()))
# The interpreter only runs the stdlib module's _shutdown at exit; run ours too,
# so non-daemon fiber threads started through this module are waited for.
atexit.register(_ns["_shutdown"])
del _ns
