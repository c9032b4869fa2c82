"""zio's event-loop layer: fd readiness, timers, callbacks, thread-safe wakeups.

This layer knows nothing about fibers and is public API for integrating C
libraries with a running hub (``zio.current_loop()``)::

    loop = zio.current_loop()
    loop.add_reader(fd, on_readable)        # on_readable(error) each time fd is readable
    handle = loop.call_later(0.5, on_timer)
    loop.call_soon_threadsafe(fn, arg)      # from any thread

Backends: ``epoll`` (Linux default), ``poll``, ``select`` and ``kqueue``
(macOS/BSD; untested on Linux CI).  :func:`create_loop` picks one by name or
``"auto"``.
"""

from __future__ import annotations

import os

from .base import BAD, READ, WRITE, Loop
from .epoll import EpollLoop
from .errors import BackendUnavailableError, FdClosedError, LoopClosedError, WrongThreadError
from .kqueue import KqueueLoop
from .poll import PollLoop
from .select import SelectLoop
from .timers import TimerHandle

__all__ = [
    "BAD",
    "READ",
    "WRITE",
    "BackendUnavailableError",
    "FdClosedError",
    "Loop",
    "LoopClosedError",
    "TimerHandle",
    "WrongThreadError",
    "available_backends",
    "backend_names",
    "create_loop",
    "resolve_backend",
]

# Preference order for "auto".
_BACKENDS: dict[str, type[Loop]] = {
    "epoll": EpollLoop,
    "kqueue": KqueueLoop,
    "poll": PollLoop,
    "select": SelectLoop,
}


def backend_names() -> list[str]:
    """Every backend zio knows, available here or not."""
    return list(_BACKENDS)


def available_backends() -> list[str]:
    """The backends that run on this platform, best first."""
    return [name for name, cls in _BACKENDS.items() if cls.available()]  # type: ignore[attr-defined]


def resolve_backend(name: str | None = None) -> str:
    """Turn ``name`` (or ``$ZIO_BACKEND``, or ``"auto"``) into an available backend name."""
    if name is None:
        name = os.environ.get("ZIO_BACKEND") or "auto"
    name = name.strip().lower()
    available = available_backends()
    if name == "auto":
        return available[0]
    if name not in _BACKENDS:
        raise BackendUnavailableError(
            f"unknown zio backend {name!r}; known backends: {', '.join(_BACKENDS)} "
            f"(available here: {', '.join(available)})"
        )
    if name not in available:
        raise BackendUnavailableError(
            f"zio backend {name!r} is not available on this platform; available here: {', '.join(available)}"
        )
    return name


def create_loop(backend: str | None = None) -> Loop:
    """A new loop on ``backend`` (a name, ``"auto"``, or None for ``$ZIO_BACKEND``/auto)."""
    return _BACKENDS[resolve_backend(backend)]()
