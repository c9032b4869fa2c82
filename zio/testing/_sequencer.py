"""Sequencer: force a chosen interleaving of tasks in a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._core import _state
from .._core.errors import Cancelled

__all__ = ["Sequencer"]


class Sequencer:
    """Make blocks of code in different tasks run in a fixed order.

    ::

        seq = Sequencer()

        def task_a():
            with seq(0):
                ...          # runs first
            with seq(2):
                ...          # runs third

        def task_b():
            with seq(1):
                ...          # runs second, after seq(0)'s block has exited

    ``with seq(n):`` waits until the block of every position below ``n`` has
    exited (positions start at 0 and must all be used, without gaps), then
    runs its body.  Each position can be used once.  If a task is cancelled
    while waiting for its turn the sequence cannot complete: every other
    waiter, and every later ``seq(...)``, raises ``RuntimeError``.

    A Sequencer belongs to the hub (OS thread) whose tasks use it.
    """

    def __init__(self) -> None:
        self._next = 0  # the position allowed to run now
        self._claimed: set[int] = set()
        self._waiters: dict[int, Any] = {}  # position -> parked task
        self._broken = False
        self._hub: Any = None

    @contextmanager
    def __call__(self, position: int) -> Iterator[None]:
        if not isinstance(position, int) or position < 0:
            raise ValueError(f"sequence positions are integers >= 0, got {position!r}")
        hub = _state.get_hub()
        if self._hub is None:
            self._hub = hub
        elif self._hub is not hub:
            raise RuntimeError("this Sequencer belongs to another thread's hub")
        if position in self._claimed:
            raise RuntimeError(f"Sequencer position {position} was already used")
        self._claimed.add(position)
        if self._broken:
            raise RuntimeError("Sequencer is broken: an earlier waiter was cancelled")
        if position != self._next:
            self._wait_turn(hub, position)
        try:
            yield
        finally:
            self._next = position + 1
            waiter = self._waiters.pop(self._next, None)
            if waiter is not None:
                hub.unpark(waiter)

    def _wait_turn(self, hub: Any, position: int) -> None:
        task = hub.current_task()
        self._waiters[position] = task

        def abort() -> bool:
            self._waiters.pop(position, None)
            return True

        def describe() -> str:
            return f"Sequencer position {position} (position {self._next} runs now)"

        try:
            hub.park(abort, describe)
        except Cancelled:
            self._break(hub)
            raise
        if self._broken:
            raise RuntimeError("Sequencer is broken: another waiter was cancelled before its turn")

    def _break(self, hub: Any) -> None:
        # The cancelled position never runs, so nobody after it could: wake
        # them all with the news rather than leaving them parked forever.
        self._broken = True
        waiters = list(self._waiters.values())
        self._waiters.clear()
        for task in waiters:
            hub.unpark(task)

    def __repr__(self) -> str:
        state = "broken" if self._broken else f"next={self._next}"
        return f"<zio.testing.Sequencer {state} waiting={sorted(self._waiters)}>"
