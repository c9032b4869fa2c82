"""Event: a flag that tasks can wait for (``threading.Event`` semantics)."""

from __future__ import annotations

from typing import Any, NamedTuple

from greenlet import getcurrent

from .._core.task import Task
from ._waiter import (
    Waiter,
    WaitQueue,
    allocate_lock,
    check_cancelled,
    current_task,
    get_ident,
    new_waiter,
    park_timed,
    validate_timeout,
)

__all__ = ["Event", "EventStatistics"]


class EventStatistics(NamedTuple):
    """Snapshot returned by :meth:`Event.statistics`."""

    is_set: bool
    tasks_waiting: int


class Event:
    """A flag, initially false; ``wait()`` blocks until it is set.

    ``set()`` wakes every waiter (in any thread) and is not a checkpoint; it
    may be called from a plain thread or an event-loop callback.  ``wait()``
    is a cancellation point even when the flag is already set.  Selectable:
    ``zio.select(event, ...)`` or ``event.wait_op()``.
    """

    __slots__ = ("_guard", "_flag", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._flag = False
        self._waiters = WaitQueue(self._guard)

    def is_set(self) -> bool:
        """Whether the flag is set.  The non-blocking form of :meth:`wait`."""
        return self._flag

    isSet = is_set  # threading's old alias, for patched code

    def set(self) -> None:
        """Set the flag and wake every waiter.  Idempotent; never blocks."""
        guard = self._guard
        guard.acquire()
        try:
            if self._flag:
                return
            self._flag = True
            waiters = self._waiters
            if not waiters:
                return
            woken = []
            for waiter in waiters:  # WaitQueue.take_all(), inline
                if waiter.queue is not None:
                    waiter.queue = None
                    # A select waiter whose select already ended elsewhere is dead: skip it.
                    if waiter.sel is None or waiter.claim():
                        woken.append(waiter)
            waiters.clear()
            waiters.dead = 0
        finally:
            guard.release()
        me = get_ident()
        for waiter in woken:
            waiter.value = True
            task = waiter.task
            hub = task._hub
            if hub.thread_id == me:
                hub.unpark(task, waiter)  # Waiter.wake(), inline
            else:
                waiter.wake()

    def clear(self) -> None:
        """Reset the flag to false."""
        # No guard: a single store is atomic, and set() and wait() read the
        # flag once under their guard, so they see it before or after this.
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the flag is set; return True, or False if ``timeout`` seconds passed first."""
        if timeout is not None:
            timeout = validate_timeout(timeout)
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        flag = self._flag
        if flag or timeout == 0:
            # Completes now: still a cancellation point (check_cancelled, inline).
            if type(task) is Task:
                if task._ki_pending or task._hub._cancelled_scopes:
                    check_cancelled(task)
            else:
                check_cancelled()
            return flag
        if type(task) is not Task:
            task = current_task()
        guard = self._guard
        guard.acquire()
        try:
            if self._flag:  # set by another thread meanwhile
                check_cancelled(task)
                return True
            # park() checks for cancellation before suspending (and then
            # aborts the wait), so none is needed before queueing up.
            waiter = new_waiter(Waiter)
            waiter.task = task
            waiter.queue = waiters = self._waiters
            waiter.what = self._describe
            waiter.sel = None
            waiters.append(waiter)
        finally:
            guard.release()
        if timeout is None:
            task._hub.park(waiter.abort, waiter)
            return True
        return park_timed(waiter, timeout)

    def wait_op(self) -> Any:
        """A ``zio.select`` operation that completes (value True) once the flag is set."""
        from .select import EventWaitOp

        return EventWaitOp(self)

    _select_op = wait_op

    # -- select protocol ----------------------------------------------------
    def _select_try(self) -> tuple[bool, Any]:
        return (True, True) if self._flag else (False, None)

    def _select_register(self, waiter: Waiter) -> bool:
        with self._guard:
            if self._flag:
                if waiter.claim():
                    waiter.value = True
                return True  # done (or our select was already won elsewhere)
            waiter.queue = self._waiters
            self._waiters.append(waiter)
            return False

    def _select_unregister(self, waiter: Waiter) -> None:
        with self._guard:
            self._waiters.discard(waiter)

    def statistics(self) -> EventStatistics:
        """Flag and number of waiters, for debugging."""
        return EventStatistics(self._flag, self._waiters.waiting())

    def _describe(self) -> str:
        return f"zio.Event at {id(self):#x} to be set"

    def __repr__(self) -> str:
        return f"<zio.Event {'set' if self._flag else 'unset'}, {self._waiters.waiting()} waiting>"
