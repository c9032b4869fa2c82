"""CapacityLimiter: at most N borrowers at a time, each holding one token."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current_task, park_timed, validate_timeout

__all__ = ["CapacityLimiter", "CapacityLimiterStatistics"]


class CapacityLimiterStatistics(NamedTuple):
    """Snapshot returned by :meth:`CapacityLimiter.statistics`."""

    borrowed_tokens: int
    total_tokens: float
    borrowers: list
    tasks_waiting: int


class CapacityLimiter:
    """Limit how many tasks (or other *borrowers*) use a resource at once.

    Like a semaphore, but each token is tied to a borrower (the calling
    task by default, or any hashable via ``*_on_behalf_of``): a borrower
    cannot take two tokens, only the borrower can give its token back, and
    ``total_tokens`` can be changed at runtime (raising it wakes waiters).
    FIFO-fair; acquiring is a cancellation point, releasing is not.
    """

    __slots__ = ("_guard", "_total", "_borrowers", "_waiters", "__weakref__")

    def __init__(self, total_tokens: float) -> None:
        self._guard = allocate_lock()
        self._total = self._check_total(total_tokens)
        self._borrowers: set = set()
        self._waiters = WaitQueue(self._guard)

    @staticmethod
    def _check_total(value: float) -> float:
        if value != math.inf and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"total_tokens must be an int or math.inf, got {value!r}")
        if value < 1:
            raise ValueError(f"total_tokens must be >= 1, got {value!r}")
        return value

    @property
    def total_tokens(self) -> float:
        """The number of tokens; settable (raising it lets waiters in at once)."""
        return self._total

    @total_tokens.setter
    def total_tokens(self, value: float) -> None:
        value = self._check_total(value)
        with self._guard:
            self._total = value
            woken = self._grant_locked()
        for waiter in woken:
            waiter.wake()

    @property
    def borrowed_tokens(self) -> int:
        """Tokens currently held."""
        return len(self._borrowers)

    @property
    def available_tokens(self) -> float:
        """Tokens free right now."""
        return self._total - len(self._borrowers)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Borrow a token for the calling task (see :meth:`acquire_on_behalf_of`)."""
        return self.acquire_on_behalf_of(current_task(), blocking, timeout)

    def try_acquire(self) -> bool:
        """Borrow a token for the calling task if one is free now.  Not a checkpoint."""
        return self.acquire_on_behalf_of(current_task(), False)

    def acquire_on_behalf_of(self, borrower: Any, blocking: bool = True, timeout: float | None = None) -> bool:
        """Borrow a token for ``borrower``; True once held, False on timeout/``blocking=False``.

        RuntimeError if ``borrower`` already holds one.
        """
        if not blocking and timeout is not None:
            raise ValueError("can't specify a timeout for a non-blocking call")
        timeout = validate_timeout(timeout)
        if blocking:
            check_cancelled()
        with self._guard:
            if borrower in self._borrowers:
                raise RuntimeError(f"{borrower!r} already holds a token of this CapacityLimiter")
            if len(self._borrowers) < self._total and not self._waiters.waiting():
                self._borrowers.add(borrower)
                return True
        if not blocking or timeout == 0:
            return False
        task = current_task()
        waiter = Waiter(task, self._waiters, self._describe, payload=borrower)
        with self._guard:
            if len(self._borrowers) < self._total and not self._waiters.waiting():
                self._borrowers.add(borrower)
                return True
            if any(w.payload == borrower for w in self._waiters.live()):
                raise RuntimeError(f"{borrower!r} is already waiting for a token of this CapacityLimiter")
            self._waiters.append(waiter)
        return park_timed(waiter, timeout)  # a release gives the borrower a token before waking us

    def try_acquire_on_behalf_of(self, borrower: Any) -> bool:
        """Borrow a token for ``borrower`` if one is free now.  Not a checkpoint."""
        return self.acquire_on_behalf_of(borrower, False)

    def release(self) -> None:
        """Give back the calling task's token."""
        self.release_on_behalf_of(current_task())

    def release_on_behalf_of(self, borrower: Any) -> None:
        """Give back ``borrower``'s token (RuntimeError if it holds none).  Not a checkpoint."""
        with self._guard:
            if borrower not in self._borrowers:
                raise RuntimeError(f"{borrower!r} does not hold a token of this CapacityLimiter")
            self._borrowers.remove(borrower)
            woken = self._grant_locked()
        for waiter in woken:
            waiter.wake()

    def _grant_locked(self) -> list:
        woken = []
        waiters = self._waiters
        while len(self._borrowers) < self._total and (waiter := waiters.take()) is not None:
            self._borrowers.add(waiter.payload)
            woken.append(waiter)
        return woken

    def __enter__(self) -> "CapacityLimiter":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> CapacityLimiterStatistics:
        """Tokens, borrowers and waiters, for debugging."""
        with self._guard:
            return CapacityLimiterStatistics(
                len(self._borrowers), self._total, list(self._borrowers), self._waiters.waiting()
            )

    def _describe(self) -> str:
        return f"a token of zio.CapacityLimiter at {id(self):#x} ({len(self._borrowers)}/{self._total} borrowed)"

    def __repr__(self) -> str:
        return f"<zio.CapacityLimiter {len(self._borrowers)}/{self._total} borrowed, {self._waiters.waiting()} waiting>"
