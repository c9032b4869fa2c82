"""Condition: wait for a notification while temporarily releasing a lock."""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, TypeVar

from .._core.api import current_time
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
from .rlock import RLock

__all__ = ["Condition", "ConditionStatistics"]

T = TypeVar("T")


class ConditionStatistics(NamedTuple):
    """Snapshot returned by :meth:`Condition.statistics`."""

    tasks_waiting: int
    lock_statistics: Any


class Condition:
    """A condition variable (``threading.Condition`` semantics, FIFO).

    ``lock`` defaults to a new :class:`RLock`; a :class:`Lock` works too.
    ``wait()`` releases the lock, parks until notified, and **always
    re-acquires the lock before returning or raising**, even when cancelled
    or timed out, so the caller's ``with cond:`` block stays consistent.  A
    notification that races with a cancel is not lost: the wait returns
    normally and the cancel is raised at the next blocking call.
    """

    __slots__ = ("_lock", "_guard", "_waiters", "acquire", "release", "__weakref__")

    def __init__(self, lock: Any = None) -> None:
        if lock is None:
            lock = RLock()
        for name in ("_is_owned", "_release_save", "_acquire_restore"):
            if not hasattr(lock, name):
                raise TypeError(f"zio.Condition needs a zio Lock or RLock, got {type(lock).__name__}")
        self._lock = lock
        self._guard = allocate_lock()
        self._waiters = WaitQueue(self._guard)
        #: The underlying lock's acquire/release.
        self.acquire = lock.acquire
        self.release = lock.release

    def __enter__(self) -> "Condition":
        self._lock.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, wait for a notification, re-acquire; False if ``timeout`` expired.

        A cancellation point: if the scope is already cancelled, Cancelled is
        raised without releasing the lock.
        """
        if timeout is not None:
            timeout = validate_timeout(timeout)
        lock = self._lock
        if not lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        task = check_cancelled()  # before the lock is released (see the docstring)
        if task is None:
            task = current_task()  # a plain thread's first wait (creates its hub)
        waiter = new_waiter(Waiter)  # the slots a plain waiter needs (see _waiter)
        waiter.task = task
        waiter.queue = waiters = self._waiters
        waiter.what = self._describe
        waiter.sel = None
        guard = self._guard
        guard.acquire()
        waiters.append(waiter)
        guard.release()
        saved = lock._release_save()  # not a checkpoint: nothing runs before we park
        try:
            if timeout is None:
                task._hub.park(waiter.abort, waiter)
                return True
            return park_timed(waiter, timeout)
        finally:
            lock._acquire_restore(saved)  # uncancellable: also after Cancelled

    def wait_for(self, predicate: Callable[[], T], timeout: float | None = None) -> T:
        """Wait until ``predicate()`` is true (checked with the lock held); return its last value."""
        timeout = validate_timeout(timeout)
        end = None if timeout is None else current_time() + timeout
        result = predicate()
        while not result:
            if end is not None:
                remaining = end - current_time()
                if remaining <= 0:
                    break
                self.wait(remaining)
            else:
                self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiters (the longest-waiting first).  The lock must be held."""
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters
        if not waiters:
            return
        woken = []
        guard = self._guard
        guard.acquire()
        try:
            while n > 0 and (waiter := waiters.take()) is not None:
                woken.append(waiter)
                n -= 1
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

    def notify_all(self) -> None:
        """Wake every waiter.  The lock must be held."""
        self.notify(math.inf)  # type: ignore[arg-type]

    notifyAll = notify_all  # threading's old alias

    def statistics(self) -> ConditionStatistics:
        """Waiters and the lock's statistics, for debugging."""
        return ConditionStatistics(self._waiters.waiting(), self._lock.statistics())

    def _describe(self) -> str:
        return f"a notification of zio.Condition at {id(self):#x}"

    def __repr__(self) -> str:
        return f"<zio.Condition {self._lock!r}, {self._waiters.waiting()} waiting>"

