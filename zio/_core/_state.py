"""Per-thread runtime state: which hub belongs to this OS thread.

Kept apart from ``hub.py`` so low-level modules (cancel scopes, tasks) can
find the current hub without import cycles.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["get_hub", "peek_hub", "set_hub", "thread_running", "thread_starting"]

_local = threading.local()

#: Tokens of OS threads that were started but may not run Python code yet.
#: Such a thread is invisible to ``sys._current_frames()`` (it has no frame),
#: so the deadlock check counts these separately: a thread that is about to
#: set an Event must not make a waiter on that Event look stuck.
starting_threads: set[object] = set()


def thread_starting() -> object:
    """Note that an OS thread is being started; return the token for :func:`thread_running`.

    Call before the real ``start_new_thread``; call :func:`thread_running`
    with the token first thing in the new thread (or if starting failed).
    set.add/discard are atomic under the GIL, so no lock is needed.
    """
    token = object()
    starting_threads.add(token)
    return token


def thread_running(token: object) -> None:
    """The thread noted with ``token`` now runs Python code (or never will)."""
    starting_threads.discard(token)


if hasattr(os, "register_at_fork"):
    # Only the forking thread exists in a child: nothing else is starting there.
    os.register_at_fork(after_in_child=starting_threads.clear)


def peek_hub() -> "Hub | None":
    """This thread's hub, or None if none was created yet."""
    return getattr(_local, "hub", None)


def set_hub(hub: "Hub | None") -> None:
    """Install ``hub`` as this thread's hub (None removes it)."""
    _local.hub = hub


def get_hub() -> "Hub":
    """This thread's hub, created on first use with the ``$ZIO_BACKEND`` backend."""
    hub = getattr(_local, "hub", None)
    if hub is None:
        from .hub import Hub

        hub = _local.hub = Hub()
    return hub
