"""One-shot timers on the monotonic clock, kept in a heap with lazy deletion.

Most timers in a fiber runtime are timeouts that never fire: a ``recv`` with a
deadline usually gets its data first.  Removing an entry from the middle of a
heap costs O(n), so a cancelled timer only marks itself dead; the heap drops
dead entries when they reach the top, and compacts itself when more than half
of it is dead.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

__all__ = ["TimerHandle", "TimerHeap"]


class TimerHandle:
    """A timer registered with :meth:`Loop.call_at`; ``cancel()`` stops it."""

    __slots__ = ("when", "callback", "args", "cancelled", "_heap")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple, heap: "TimerHeap") -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False
        self._heap: TimerHeap | None = heap

    def cancel(self) -> None:
        """Stop the timer.  Idempotent; a timer that already fired ignores it."""
        if not self.cancelled:
            self.cancelled = True
            heap = self._heap
            if heap is not None:
                self._heap = None
                heap._note_cancelled()
            self.callback = None  # type: ignore[assignment]  # drop references early
            self.args = ()

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else "pending"
        return f"<TimerHandle when={self.when:.6f} {state}>"


class TimerHeap:
    """Heap of :class:`TimerHandle` ordered by deadline, insertion order breaking ties."""

    __slots__ = ("_heap", "_seq", "_cancelled")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = 0
        self._cancelled = 0

    def __len__(self) -> int:
        return len(self._heap) - self._cancelled

    def push(self, when: float, callback: Callable[..., Any], args: tuple) -> TimerHandle:
        handle = TimerHandle(when, callback, args, self)
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, handle))
        return handle

    def _note_cancelled(self) -> None:
        self._cancelled += 1
        heap = self._heap
        # Compacting is O(n); doing it only when most entries are dead keeps the
        # amortised cost per cancel O(log n).
        if self._cancelled > 64 and self._cancelled * 2 > len(heap):
            self._heap = [entry for entry in heap if not entry[2].cancelled]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def next_deadline(self) -> float | None:
        """The deadline of the earliest live timer, or None when there is none."""
        heap = self._heap
        while heap:
            handle = heap[0][2]
            if not handle.cancelled:
                return heap[0][0]
            heapq.heappop(heap)
            self._cancelled -= 1
        return None

    def pop_due(self, now: float) -> list[TimerHandle]:
        """Remove and return the live timers whose deadline is ``<= now``, in order."""
        heap = self._heap
        due = []
        while heap and heap[0][0] <= now:
            handle = heapq.heappop(heap)[2]
            if handle.cancelled:
                self._cancelled -= 1
                continue
            handle._heap = None  # firing: a later cancel() must not count it as dead
            due.append(handle)
        return due
