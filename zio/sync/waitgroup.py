"""WaitGroup: wait until a counter of outstanding jobs drops to zero (Go's sync.WaitGroup)."""

from __future__ import annotations

from typing import Any, NamedTuple

from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current_task, park_timed, validate_timeout

__all__ = ["WaitGroup", "WaitGroupStatistics"]


class WaitGroupStatistics(NamedTuple):
    """Snapshot returned by :meth:`WaitGroup.statistics`."""

    count: int
    tasks_waiting: int


class WaitGroup:
    """A counter of outstanding work; ``wait()`` blocks until it is zero.

    ``add(n)`` before starting work, ``done()`` when a piece finishes (from
    any task or thread), ``wait()`` to block until everything is done.  As a
    context manager, ``with wg:`` counts the block as one piece of work.
    Unlike :class:`zio.Group` it does not own the tasks: errors are not
    propagated and nothing is cancelled.
    """

    __slots__ = ("_guard", "_count", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._count = 0
        self._waiters = WaitQueue(self._guard)

    @property
    def count(self) -> int:
        """Outstanding work right now.  ``count == 0`` is the non-blocking form of :meth:`wait`."""
        return self._count

    def add(self, delta: int = 1) -> None:
        """Add ``delta`` (may be negative) to the counter; reaching zero wakes every waiter."""
        with self._guard:
            count = self._count + delta
            if count < 0:
                raise ValueError(f"zio.WaitGroup counter would become negative ({count}): done() called too often")
            self._count = count
            if count or not self._waiters:
                return
            woken = self._waiters.take_all()
        for waiter in woken:
            waiter.wake()

    def done(self) -> None:
        """One piece of work finished (``add(-1)``).  Not a checkpoint."""
        self.add(-1)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the counter is zero; True, or False if ``timeout`` seconds passed first."""
        timeout = validate_timeout(timeout)
        check_cancelled()
        if not self._count:
            return True
        if timeout == 0:
            return False
        waiter = Waiter(current_task(), self._waiters, self._describe)
        with self._guard:
            if not self._count:
                return True
            self._waiters.append(waiter)
        return park_timed(waiter, timeout)

    def __enter__(self) -> "WaitGroup":
        self.add(1)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done()

    def statistics(self) -> WaitGroupStatistics:
        """Counter and waiters, for debugging."""
        return WaitGroupStatistics(self._count, self._waiters.waiting())

    def _describe(self) -> str:
        return f"zio.WaitGroup at {id(self):#x} to reach zero (count={self._count})"

    def __repr__(self) -> str:
        return f"<zio.WaitGroup count={self._count}, {self._waiters.waiting()} waiting>"
