"""Cooperative ``queue``: blocking ``put``/``get`` park the fiber, not the OS thread.

``Queue``, ``LifoQueue`` and ``PriorityQueue`` are the stdlib classes (so
``isinstance`` checks and subclass hooks keep working) with their mutex and
conditions made green.  ``SimpleQueue`` replaces the C ``_queue.SimpleQueue``,
whose ``get`` blocks the whole thread in C and deadlocks a fiber program.
Like the C type, its ``put`` never blocks and never switches fibers, so it is
safe from ``__del__`` methods, weakref callbacks and signal handlers.
"""

from __future__ import annotations

import math
import queue as _queue
import types
from collections import deque
from queue import Empty, Full  # noqa: F401 - part of the drop-in API
from typing import Any

from .._core import _state
from . import _originals
from ._locks import _grant_first, _park_until_granted, _time_out, _Waiter
from .threading import Condition, Lock

__all__ = ["Empty", "Full", "LifoQueue", "PriorityQueue", "Queue", "SimpleQueue"]
if hasattr(_queue, "ShutDown"):
    from queue import ShutDown  # noqa: F401

    __all__.append("ShutDown")

#: The names of ``queue`` this module replaces (zio.patch and its tests read it).
__implements__ = ["SimpleQueue", "Queue", "LifoQueue", "PriorityQueue"]


def _make_green(q: Any) -> None:
    q.mutex = Lock()
    q.not_empty = Condition(q.mutex)
    q.not_full = Condition(q.mutex)
    q.all_tasks_done = Condition(q.mutex)


class Queue(_queue.Queue):
    """``queue.Queue`` whose blocking calls park the current fiber."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        _make_green(self)


class LifoQueue(_queue.LifoQueue):
    """``queue.LifoQueue`` whose blocking calls park the current fiber."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        _make_green(self)


class PriorityQueue(_queue.PriorityQueue):
    """``queue.PriorityQueue`` whose blocking calls park the current fiber."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        _make_green(self)


class SimpleQueue:
    """Unbounded FIFO queue (``queue.SimpleQueue``); ``get`` parks the fiber.

    ``put`` appends and wakes one waiting getter; the getter takes the item
    itself after waking, so a getter cancelled while waking leaves the item
    in the queue for the next one (nothing is lost).
    """

    __slots__ = ("_items", "_getters", "_mutex", "_deferred", "__weakref__")

    def __init__(self) -> None:
        self._items: deque = deque()
        self._getters: deque[_Waiter] = deque()
        # Reentrant, so that a put() reentering from a __del__ or a signal
        # handler run inside one of the critical sections (the GC may run at
        # any bytecode boundary) sees the mutex is its own instead of deadlocking.
        self._mutex = _originals.RLock()
        #: wakeups owed for items put reentrantly (see _wake_one)
        self._deferred = 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Add ``item``; never blocks (``block`` and ``timeout`` exist for Queue compatibility)."""
        self._items.append(item)
        self._wake_one()

    def put_nowait(self, item: Any) -> None:
        """Same as ``put(item)``."""
        self.put(item, block=False)

    def _wake_one(self) -> None:
        if self._mutex._is_owned():
            # Reentered: this thread is inside one of this queue's critical
            # sections, interrupted by a __del__, a weakref callback or a
            # signal handler that puts (bpo-14976).  Touching the getters now
            # could corrupt the section in progress: owe the wakeup instead.
            # The item is already queued; the section pays the debt when it is
            # the outer put's, else a loop callback does as soon as it is over.
            self._deferred += 1
            hub = _state.peek_hub()
            if hub is not None and not hub.closed:
                hub.loop.call_soon(self._pay_deferred)
            return
        with self._mutex:
            _grant_first(self._getters)
            if self._deferred:
                self._grant_deferred()

    def _pay_deferred(self) -> None:
        with self._mutex:
            if self._deferred:
                self._grant_deferred()

    def _grant_deferred(self) -> None:
        """Grant one getter per wakeup owed (mutex held); with no getter left, nothing is owed."""
        while self._deferred:
            self._deferred -= 1
            if not _grant_first(self._getters):
                self._deferred = 0

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return an item, waiting up to ``timeout`` seconds if ``block``.

        Raises :class:`queue.Empty` when no item came in time (at once if not ``block``).
        """
        if timeout is not None:
            if timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            if math.isnan(timeout):
                raise ValueError("'timeout' must be a non-negative number")
        deadline = None
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                pass
            if not block:
                raise Empty
            hub = _state.get_hub()
            if timeout is not None:
                now = hub.loop.time()
                if deadline is None:
                    deadline = now + timeout
                if now >= deadline:
                    raise Empty
            if not self._wait(hub, deadline):
                # Timed out; an item may still have arrived at the last moment.
                try:
                    return self._items.popleft()
                except IndexError:
                    raise Empty from None

    def _wait(self, hub: Any, deadline: float | None) -> bool:
        task = hub.current_task()
        getter = _Waiter(hub, task)
        with self._mutex:
            if self._items:
                return True
            self._getters.append(getter)
        if deadline is not None:
            getter.timer = hub.loop.call_at(deadline, _time_out, self._mutex, self._getters, getter)
        # A put() may have woken us already (maybe from another thread, its
        # wakeup still in flight): a cancel then waits for the next blocking call.
        return _park_until_granted(
            hub, getter, self._mutex, self._getters, lambda: f"SimpleQueue.get() on queue {id(self):#x}"
        )

    def get_nowait(self) -> Any:
        """Same as ``get(block=False)``."""
        return self.get(block=False)

    def empty(self) -> bool:
        """Whether the queue is empty (a snapshot)."""
        return not self._items

    def qsize(self) -> int:
        """The number of items (a snapshot)."""
        return len(self._items)

    __class_getitem__ = classmethod(types.GenericAlias)

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")
