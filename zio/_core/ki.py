"""KeyboardInterrupt delivery.

Python raises KeyboardInterrupt in whatever frame runs when SIGINT arrives,
which in a fiber runtime may be the hub's scheduler or a lock's bookkeeping.
While a hub drives the main thread, zio's SIGINT handler raises at once only
when the main task itself is running user code; otherwise it records the
interrupt and the hub delivers it to the main task at its blocking point.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from greenlet import getcurrent

from . import _state
from .preempt import preemptible

__all__ = ["install_sigint_handler", "restore_sigint_handler"]

_INTERNAL_PREFIXES = ("zio.loop", "zio._core", "zio.sync")


def _task_base_code() -> Any:
    from .task import _worker_main

    return _worker_main.__code__


def _protected(frame: FrameType | None) -> bool:
    """Whether ``frame``'s chain (up to the task's entry point) is inside zio internals."""
    base = _task_base_code()
    while frame is not None:
        if frame.f_code is base:
            return False
        name = frame.f_globals.get("__name__", "")
        if name.startswith(_INTERNAL_PREFIXES):
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    hub = _state.peek_hub()
    if hub is None or hub.closed:
        raise KeyboardInterrupt
    main = hub.main_task
    current = getcurrent()
    # A RootTask is bound to its greenlet; a Task to whichever pooled worker runs it.
    main_glet = getattr(main, "glet", None) or getattr(main, "_glet", None)
    if current is main_glet and not _protected(frame):
        raise KeyboardInterrupt
    if current is not hub.greenlet and preemptible(frame):
        # A patched thread runs its own code (``_thread.interrupt_main()``
        # lands here): no zio bookkeeping is half done in this greenlet and
        # every other one is suspended at a switch, so the main task can be
        # marked (or woken) now.  Through the loop, the mark would wait for
        # the hub's next poll, which a busy hub postpones, and the main task
        # could pass the point where CPython raises.  (The test is the time
        # slicer's: code it may interrupt is code that is safe to act under.)
        hub.deliver_keyboard_interrupt()
        return
    # zio's own code runs (the hub may be blocked in its poll): deliver from the loop.
    hub.loop.call_soon_threadsafe(hub.deliver_keyboard_interrupt)


def install_sigint_handler() -> Any:
    """Install zio's SIGINT handler if the default one is active; returns what to restore (or None)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        current = signal.getsignal(signal.SIGINT)
    except ValueError:
        return None
    if current is not signal.default_int_handler:
        return None  # the user installed their own: leave it alone
    signal.signal(signal.SIGINT, _on_sigint)
    return current


def restore_sigint_handler(previous: Any) -> None:
    """Undo :func:`install_sigint_handler`."""
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)
