"""Semaphore and BoundedSemaphore: counters of permits, FIFO-fair."""

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

__all__ = ["BoundedSemaphore", "Semaphore", "SemaphoreStatistics"]


class SemaphoreStatistics(NamedTuple):
    """Snapshot returned by :meth:`Semaphore.statistics`."""

    value: int
    #: The initial value of a BoundedSemaphore (its cap), None for a Semaphore.
    max_value: int | None
    tasks_waiting: int


class Semaphore:
    """A counter of permits (``threading.Semaphore`` semantics, FIFO-fair).

    ``acquire()`` takes a permit, waiting if none is left; ``release(n)``
    returns permits, handing each straight to the longest waiter.  Any task
    or thread may release.  Blocking ``acquire()`` is a cancellation point;
    Cancelled means no permit was taken.  ``release()`` is not a checkpoint.
    """

    __slots__ = ("_guard", "_value", "_waiters", "__weakref__")

    _bound: int | None = None

    def __init__(self, value: int = 1) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"semaphore initial value must be an int, got {type(value).__name__}")
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._guard = allocate_lock()
        self._value = value
        # Invariant: waiters exist only while value == 0 (release hands over).
        self._waiters = WaitQueue(self._guard)

    @property
    def value(self) -> int:
        """Permits available right now."""
        return self._value

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a permit; True once taken, False on timeout or if ``blocking=False`` and none is free."""
        # The hot path is written out inline (see _waiter's "Hot paths").
        if timeout is not None:
            if not blocking:
                raise ValueError("can't specify timeout for non-blocking acquire")
            timeout = validate_timeout(timeout)
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        guard = self._guard
        guard.acquire()
        try:
            if self._value > 0 or not blocking or timeout == 0:
                # Completes now: a cancellation point all the same when blocking.
                if blocking:
                    if type(task) is Task:  # check_cancelled, inline
                        if task._ki_pending or task._hub._cancelled_scopes:
                            check_cancelled(task)
                    else:
                        check_cancelled()
                if self._value > 0:
                    self._value -= 1
                    return True
                return False
            # park() checks for cancellation before suspending (and then
            # aborts the wait), so none is needed before queueing up.
            if type(task) is not Task:
                task = current_task()
            waiter = new_waiter(Waiter)
            waiter.task = task
            waiter.queue = waiters = self._waiters
            waiter.what = self._describe
            waiter.sel = None
            waiters.append(waiter)
        finally:
            guard.release()
        if timeout is None:
            task._hub.park(waiter.abort, waiter)  # release() handed us a permit before waking us
            return True
        return park_timed(waiter, timeout)

    def try_acquire(self) -> bool:
        """Take a permit if one is free; never blocks, not a checkpoint."""
        return self.acquire(False)

    def release(self, n: int = 1) -> None:
        """Return ``n`` permits (waking up to ``n`` waiters).  Not a checkpoint."""
        if n < 1:
            raise ValueError("n must be one or more")
        guard = self._guard
        guard.acquire()
        try:
            if self._bound is not None:
                self._check_bound(n)
            waiters = self._waiters
            if not waiters:
                self._value += n
                return
            woken = []
            while n and waiters:  # WaitQueue.take(), inline
                waiter = waiters.popleft()
                if waiter.queue is None:
                    waiters.dead -= 1
                    continue
                waiter.queue = None
                woken.append(waiter)
                n -= 1
            self._value += n
        finally:
            guard.release()
        me = get_ident()
        for waiter in woken:
            task = waiter.task
            hub = task._hub
            if hub.thread_id == me:
                hub.unpark(task, waiter)  # Waiter.wake(), inline
            else:
                waiter.wake()

    def _check_bound(self, n: int) -> None:
        pass

    def __enter__(self) -> "Semaphore":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> SemaphoreStatistics:
        """Value, cap and waiters, for debugging."""
        return SemaphoreStatistics(self._value, self._bound, self._waiters.waiting())

    def _describe(self) -> str:
        return f"a permit of {type(self).__name__} at {id(self):#x}"

    def __repr__(self) -> str:
        return f"<zio.{type(self).__name__} value={self._value}, {self._waiters.waiting()} waiting>"


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses (ValueError) to be released above its initial value."""

    __slots__ = ("_bound",)

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._bound = value

    def _check_bound(self, n: int) -> None:
        # Permits handed to waiters do not raise the value, so the permits
        # outstanding are exactly bound - value.
        if self._value + n > self._bound:  # type: ignore[operator]
            raise ValueError("Semaphore released too many times")
