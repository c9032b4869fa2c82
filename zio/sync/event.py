"""Event: a flag that tasks can wait for (``threading.Event`` semantics)."""

from __future__ import annotations

from typing import Any, NamedTuple

from .._core.cancel import move_on_after
from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current, park, validate_timeout

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
        self._waiters: WaitQueue = WaitQueue()

    def is_set(self) -> bool:
        """Whether the flag is set.  The non-blocking form of :meth:`wait`."""
        return self._flag

    isSet = is_set  # threading's old alias, for patched code

    def set(self) -> None:
        """Set the flag and wake every waiter.  Idempotent; never blocks."""
        with self._guard:
            if self._flag:
                return
            self._flag = True
            waiters = self._waiters
            # A select waiter whose select already ended elsewhere is dead: skip it.
            woken = [w for w in waiters if w.sel is None or w.claim()]
            waiters.clear()
        for waiter in woken:
            waiter.value = True
            waiter.wake()

    def clear(self) -> None:
        """Reset the flag to false."""
        with self._guard:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the flag is set; return True, or False if ``timeout`` seconds passed first."""
        timeout = validate_timeout(timeout)
        check_cancelled()
        if self._flag:
            return True
        if timeout == 0:
            return False
        hub, task = current()
        waiter = Waiter(hub, task, self._guard, self._waiters, self._describe)
        with self._guard:
            if self._flag:
                return True
            self._waiters[waiter] = True
        if timeout is None:
            park(waiter)
            return True
        with move_on_after(timeout):
            park(waiter)
            return True
        return False

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
            waiter.lock, waiter.queue = self._guard, self._waiters
            self._waiters[waiter] = True
            return False

    def _select_unregister(self, waiter: Waiter) -> None:
        with self._guard:
            self._waiters.pop(waiter, None)

    def statistics(self) -> EventStatistics:
        """Flag and number of waiters, for debugging."""
        return EventStatistics(self._flag, len(self._waiters))

    def _describe(self) -> str:
        return f"zio.Event at {id(self):#x} to be set"

    def __repr__(self) -> str:
        return f"<zio.Event {'set' if self._flag else 'unset'}, {len(self._waiters)} waiting>"
