"""The small public functions of the runtime: spawn, sleep, checkpoint and friends."""

from __future__ import annotations

import math
from typing import Any, Callable

from ..loop import Loop
from . import _state
from .task import Task
from .threadpool import run_in_thread

__all__ = [
    "checkpoint",
    "current_hub",
    "current_loop",
    "current_task",
    "current_time",
    "sleep",
    "sleep_forever",
    "sleep_until",
    "spawn",
    "to_thread",
]


def spawn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
    """Start ``fn(*args, **kwargs)`` in a new fiber on this thread's hub; returns its :class:`Task`.

    The task is not tied to a group: join it, or its error is reported through
    the task excepthook.  Prefer :class:`zio.Group` for structured code.
    """
    return _state.get_hub().spawn(fn, args, kwargs)


def current_task() -> Any:
    """The running task (a RootTask for a thread's main line of code)."""
    return _state.get_hub().current_task()


def current_hub() -> Any:
    """This thread's hub (created on first use)."""
    return _state.get_hub()


def current_loop() -> Loop:
    """This thread's event loop, for low-level integration (fd watchers, timers)."""
    return _state.get_hub().loop


def current_time() -> float:
    """The hub's clock (monotonic seconds); deadlines are expressed on it."""
    return _state.get_hub().loop.time()


def checkpoint() -> None:
    """Let other tasks run, and raise Cancelled if the current scope is cancelled."""
    _state.get_hub().checkpoint()


def sleep(seconds: float) -> None:
    """Suspend the current task for ``seconds`` (0 yields once).  A checkpoint."""
    if not seconds > 0:  # also catches NaN
        if seconds != 0:
            raise ValueError(f"sleep length must be a non-negative number, got {seconds!r}")
        _state.get_hub().checkpoint()
        return
    hub = _state.get_hub()
    if seconds == math.inf:
        sleep_forever()
        return
    task = hub.current_task()
    timer = hub.loop.call_later(seconds, hub.unpark, task)
    hub.park(timer.cancel, "zio.sleep()")


def sleep_until(deadline: float) -> None:
    """Suspend until :func:`current_time` reaches ``deadline``.  A checkpoint."""
    hub = _state.get_hub()
    if deadline <= hub.loop.time():
        hub.checkpoint()
        return
    task = hub.current_task()
    timer = hub.loop.call_at(deadline, hub.unpark, task)
    hub.park(timer.cancel, "zio.sleep_until()")


def sleep_forever() -> None:
    """Park until cancelled."""
    hub = _state.get_hub()
    hub.park(_abort_ok, "zio.sleep_forever() (only a cancel can end it)")


def _abort_ok() -> bool:
    return True


def to_thread(fn: Callable[..., Any], *args: Any, abandon_on_cancel: bool = False, **kwargs: Any) -> Any:
    """Run a blocking function in a real OS thread without blocking other fibers."""
    return run_in_thread(fn, *args, abandon_on_cancel=abandon_on_cancel, **kwargs)
