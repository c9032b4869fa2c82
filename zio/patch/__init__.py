"""The patching layer: make unmodified blocking code concurrent on zio's hub.

``import zio.patch; zio.patch.all()`` as the first lines of a program (or
``python -m zio.patch script.py``) swaps the blocking parts of the stdlib for
the cooperative versions in :mod:`zio.green`: each blocking call then parks
the current fiber and lets the others run.  Threads become fibers, which the
main thread time-slices like OS threads (:func:`set_time_slice`).

Each target has its own function (``zio.patch.socket()``, ``zio.patch.thread()``,
...) and a module in :mod:`zio.patch.targets` whose ``REPLACES`` says which
names of which stdlib modules it replaces.  Patching is idempotent; calling
:func:`all` again with other flags adds the newly enabled targets.  zio's own
thread pool keeps using the real threads it captured at import.

Patching late (after the target modules were imported and used) is handled
as well as it can be: module-level references to replaced functions and
classes (``from time import sleep``) are rebound, logging's locks are
replaced, and what cannot be fixed (classes subclassed before patching,
threads already running) is reported once with a :class:`ZioPatchWarning`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._core import preempt as _preempt
from ._registry import ZioPatchWarning, applied, fixed_references, get_original, is_patched

__all__ = [
    "TARGETS",
    "ZioPatchWarning",
    "all",
    "available",
    "dns",
    "fixed_references",
    "get_original",
    "get_time_slice",
    "is_patched",
    "os",
    "queue",
    "select",
    "selectors",
    "set_time_slice",
    "signal",
    "socket",
    "ssl",
    "subprocess",
    "thread",
    "time",
]

#: Targets in the order :func:`all` applies them (threads before anything that makes locks).
TARGETS: tuple[str, ...] = (
    "os",
    "thread",
    "time",
    "socket",
    "dns",
    "select",
    "selectors",
    "ssl",
    "subprocess",
    "signal",
    "queue",
)

_unavailable: dict[str, str] = {}


def _target_module(name: str) -> Any:
    return importlib.import_module(f"{__name__}.targets.{name}")


def available(name: str) -> bool:
    """Whether target ``name`` can be patched here (its green module exists and imports)."""
    if name not in TARGETS:
        raise ValueError(f"unknown zio.patch target {name!r}; known targets: {', '.join(TARGETS)}")
    try:
        module = _target_module(name)
    except ImportError as exc:
        _unavailable[name] = str(exc)
        return False
    check = getattr(module, "available", None)
    if check is not None and not check():
        _unavailable[name] = getattr(module, "UNAVAILABLE_REASON", "not supported here")
        return False
    return True


def _apply(name: str, *, required: bool) -> bool:
    if name in applied:
        return True
    if not available(name):
        if required:
            raise RuntimeError(f"zio.patch.{name}() is not available: {_unavailable.get(name)}")
        return False
    _target_module(name).apply()
    applied.add(name)
    return True


def all(**flags: bool) -> None:  # noqa: A001 - the public name the docs promise
    """Patch every target; ``name=False`` leaves that target alone (e.g. ``thread=False``).

    Targets whose green module is not available on this platform are skipped.
    Idempotent: a second call patches only targets not patched yet.
    """
    unknown = set(flags) - set(TARGETS)
    if unknown:
        raise TypeError(
            f"zio.patch.all() got unknown target(s) {', '.join(sorted(unknown))}; known targets: {', '.join(TARGETS)}"
        )
    for name in TARGETS:
        if flags.get(name, True):
            _apply(name, required=False)


def os() -> None:
    """Patch ``os``: waitpid, fork (fresh hub in the child), read/write on non-blocking fds."""
    _apply("os", required=True)


def thread() -> None:
    """Patch ``_thread``, ``threading`` and ``_threading_local``: threads become fibers."""
    _apply("thread", required=True)


def time() -> None:
    """Patch ``time.sleep``."""
    _apply("time", required=True)


def socket() -> None:
    """Patch ``socket`` (sockets park the fiber on I/O)."""
    _apply("socket", required=True)


def dns() -> None:
    """Patch the resolver functions of ``socket`` (getaddrinfo and friends)."""
    _apply("dns", required=True)


def select() -> None:
    """Patch ``select.select`` and ``select.poll``."""
    _apply("select", required=True)


def selectors() -> None:
    """Patch ``selectors.DefaultSelector`` and the selector classes."""
    _apply("selectors", required=True)


def ssl() -> None:
    """Patch ``ssl`` (SSLContext, SSLSocket)."""
    _apply("ssl", required=True)


def subprocess() -> None:
    """Patch ``subprocess``: Popen waits and communicates cooperatively."""
    _apply("subprocess", required=True)


def signal() -> None:
    """Patch ``signal``: Python handlers run in a fiber, ``signal.pause`` parks."""
    _apply("signal", required=True)


def queue() -> None:
    """Patch ``queue`` (``SimpleQueue``, and the others if threads are not patched)."""
    _apply("queue", required=True)


def set_time_slice(seconds: float | None) -> None:
    """Set how much CPU a patched thread may use without blocking before others get a turn.

    Threads become fibers, and fibers only switch when they block; code
    written for threads may instead busy-wait or compute for long.  Once the
    main thread has started a patched thread, a fiber of theirs (or the main
    program) that has used ``seconds`` of CPU without switching is made to
    yield at its next bytecode boundary if anything else waits, as an OS
    thread would be preempted.  Native zio tasks and zio's own code are never preempted.
    ``None`` or ``0`` turns this off.  :func:`thread` sets it from
    ``$ZIO_TIME_SLICE`` (default 0.01 s).  Main thread only.  See docs/patch.md.
    """
    _preempt.set_time_slice(seconds)


def get_time_slice() -> float | None:
    """The time slice of patched threads in seconds (None: off); see :func:`set_time_slice`."""
    return _preempt.get_time_slice()
