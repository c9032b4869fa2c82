"""Barrier: a rendezvous point for a fixed number of parties (``threading.Barrier`` semantics)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current_task, park_timed, validate_timeout
from .errors import BrokenBarrierError

__all__ = ["Barrier", "BarrierStatistics"]


class BarrierStatistics(NamedTuple):
    """Snapshot returned by :meth:`Barrier.statistics`."""

    parties: int
    n_waiting: int
    broken: bool


class Barrier:
    """Block ``parties`` tasks until all have called :meth:`wait`, then release them together.

    Reusable: after releasing, it starts a new round.  The last party to
    arrive runs ``action`` (if given) before the others are released.  The
    barrier **breaks** (every waiter, current and future, gets
    :class:`threading.BrokenBarrierError` until :meth:`reset`) when a waiter
    is cancelled or times out, when ``action`` raises, or on :meth:`abort`:
    a round with a party missing must not pass.
    """

    __slots__ = ("_guard", "_parties", "_action", "_timeout", "_count", "_waiters", "_broken", "__weakref__")

    def __init__(self, parties: int, action: Callable[[], Any] | None = None, timeout: float | None = None) -> None:
        if not isinstance(parties, int) or parties < 1:
            raise ValueError(f"parties must be a positive integer, got {parties!r}")
        self._guard = allocate_lock()
        self._parties = parties
        self._action = action
        self._timeout = validate_timeout(timeout)
        self._count = 0
        self._waiters = WaitQueue(self._guard)
        self._broken = False

    @property
    def parties(self) -> int:
        """Number of parties needed to pass the barrier."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Parties currently waiting in this round."""
        return self._waiters.waiting()

    @property
    def broken(self) -> bool:
        """Whether the barrier is broken."""
        return self._broken

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the other parties; return this party's arrival index (0 .. parties-1).

        ``timeout`` (default: the constructor's) breaks the barrier when it
        expires, like a cancel does.  Raises BrokenBarrierError if the
        barrier is or becomes broken.
        """
        timeout = validate_timeout(timeout if timeout is not None else self._timeout)
        check_cancelled()
        task = current_task()
        waiter = Waiter(task, self._waiters, self._describe)
        with self._guard:
            if self._broken:
                raise BrokenBarrierError("the barrier is broken")
            index = self._count
            self._count += 1
            if self._count == self._parties:
                # The round is complete: take its waiters now so a cancel
                # racing with this release fails (the release wins).
                self._count = 0
                woken = self._waiters.take_all()
            else:
                woken = None
                self._waiters.append(waiter)
        if woken is not None:
            return self._release(index, woken)

        def abort() -> bool:
            with self._guard:
                if not self._waiters.discard(waiter):
                    return False  # the round was released first
                others = self._break_locked()
            _fail(others)
            return True

        if not park_timed(waiter, timeout, abort):
            raise BrokenBarrierError(f"the barrier wait timed out after {timeout}s (the barrier is now broken)")
        if waiter.exc is not None:
            raise waiter.exc
        return index

    def _release(self, index: int, woken: list) -> int:
        if self._action is not None:
            try:
                self._action()
            except BaseException:
                with self._guard:
                    self._broken = True
                for waiter in woken:
                    waiter.exc = BrokenBarrierError("the barrier's action raised; the barrier is broken")
                    waiter.wake()
                raise
        for waiter in woken:
            waiter.wake()
        return index

    def _break_locked(self) -> list:
        self._broken = True
        self._count = 0
        others = self._waiters.take_all()
        return others

    def abort(self) -> None:
        """Break the barrier: current and future waiters get BrokenBarrierError until :meth:`reset`."""
        with self._guard:
            others = self._break_locked()
        _fail(others)

    def reset(self) -> None:
        """Return to the initial, unbroken state; tasks waiting now get BrokenBarrierError."""
        with self._guard:
            others = self._break_locked()
            self._broken = False
        _fail(others)

    def statistics(self) -> BarrierStatistics:
        """Parties, waiters and state, for debugging."""
        return BarrierStatistics(self._parties, self._waiters.waiting(), self._broken)

    def _describe(self) -> str:
        return f"zio.Barrier at {id(self):#x} ({self._waiters.waiting()}/{self._parties} parties arrived)"

    def __repr__(self) -> str:
        state = "broken" if self._broken else f"waiters={self._waiters.waiting()}/{self._parties}"
        return f"<zio.Barrier {state}>"


def _fail(waiters: list) -> None:
    for waiter in waiters:
        waiter.exc = BrokenBarrierError("the barrier was broken (a party was cancelled, timed out, or abort/reset)")
        waiter.wake()
