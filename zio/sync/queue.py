"""Queues with the stdlib :mod:`queue` API, for fibers and threads.

``Queue``, ``LifoQueue``, ``PriorityQueue`` and ``SimpleQueue`` behave like
their :mod:`queue` namesakes (``put``/``get`` with ``block`` and
``timeout``, ``*_nowait``, ``task_done``/``join``, ``shutdown`` as in 3.13,
the ``_init``/``_qsize``/``_put``/``_get`` hooks for subclasses) and raise
the stdlib's ``queue.Empty``/``queue.Full``.  On top of that:

* blocking calls are cancellation points; Cancelled (or a timeout) means
  the item was not put / not taken;
* waiters are served FIFO and items are handed straight to a waiting
  getter, so an item handed to a getter that is being cancelled is not lost;
* ``timeout=`` is a cancel scope around the wait.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any, NamedTuple

from greenlet import getcurrent

from .._core.task import Task
from ._waiter import (
    Waiter,
    WaitQueue,
    allocate_lock,
    check_cancelled,
    current_task,
    new_waiter,
    park,
    park_timed,
    validate_timeout,
)
from .errors import Empty, Full, ShutDown

__all__ = ["LifoQueue", "PriorityQueue", "Queue", "QueueStatistics", "SimpleQueue"]

_DONE: Any = object()
_BLOCK: Any = object()


class QueueStatistics(NamedTuple):
    """Snapshot returned by :meth:`Queue.statistics`."""

    qsize: int
    maxsize: int
    unfinished_tasks: int
    tasks_waiting_put: int
    tasks_waiting_get: int
    tasks_waiting_join: int
    is_shutdown: bool


class Queue:
    """A FIFO queue (``queue.Queue`` API); ``maxsize <= 0`` means unbounded."""

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._init(maxsize)
        self._guard = allocate_lock()
        # Invariants: getters wait only while the queue is empty, putters
        # only while it is full; each handoff goes straight to a waiter.
        self._getters = WaitQueue(self._guard)
        self._putters = WaitQueue(self._guard)
        self._joiners = WaitQueue(self._guard)
        self.unfinished_tasks = 0
        self.is_shutdown = False
        # put()/get() skip the hook calls when the hooks are Queue's own deque ones.
        cls = type(self)
        self._plain = (
            cls._init is Queue._init
            and cls._qsize is Queue._qsize
            and cls._put is Queue._put
            and cls._get is Queue._get
        )

    # -- stdlib subclass hooks -----------------------------------------------------
    def _init(self, maxsize: int) -> None:
        self.queue: Any = deque()

    def _qsize(self) -> int:
        return len(self.queue)

    def _put(self, item: Any) -> None:
        self.queue.append(item)

    def _get(self) -> Any:
        return self.queue.popleft()

    # -- size ------------------------------------------------------------------------
    def qsize(self) -> int:
        """Approximate number of items (exact under the GIL, but may change at once)."""
        return self._qsize()

    def empty(self) -> bool:
        """Whether the queue is empty right now."""
        return not self._qsize()

    def full(self) -> bool:
        """Whether the queue is full right now (never, if unbounded)."""
        return 0 < self.maxsize <= self._qsize()

    # -- put -------------------------------------------------------------------------
    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``item``, waiting for room if the queue is full.

        ``block=False``: raise ``queue.Full`` instead of waiting.  With
        ``timeout`` seconds: raise ``queue.Full`` if no room came in time.
        Raises ``ShutDown`` after :meth:`shutdown`.
        """
        # The hot path is written out inline (see _waiter's "Hot paths").
        if timeout is not None and block:
            timeout = validate_timeout(timeout)
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        guard = self._guard
        guard.acquire()
        try:
            getters = self._getters
            if (
                getters
                or self.is_shutdown
                or not self._plain
                or self.maxsize <= 0
                or len(self.queue) < self.maxsize
                or not block
                or timeout == 0
            ):
                # Completes (or fails) now: a cancellation point all the same
                # when blocking.
                if block:
                    if type(task) is Task:  # check_cancelled, inline
                        if task._ki_pending or task._hub._cancelled_scopes:
                            check_cancelled(task)
                    else:
                        task = check_cancelled()
                if self.is_shutdown:
                    self._put_locked(item)  # raises ShutDown
                if getters:
                    # _put_locked's handoff to the longest-waiting getter
                    # (WaitQueue.take, inline).
                    while getters:
                        peer = getters.popleft()
                        if peer.queue is not None:
                            peer.queue = None
                            peer.value = item
                            self.unfinished_tasks += 1
                            break
                        getters.dead -= 1
                    else:
                        peer = self._put_locked(item)
                elif self._plain and (self.maxsize <= 0 or len(self.queue) < self.maxsize):
                    self.queue.append(item)
                    self.unfinished_tasks += 1
                    return
                else:
                    peer = self._put_locked(item)  # a hook's put, ShutDown, or full
                if peer is _BLOCK and (not block or timeout == 0):
                    raise Full
            else:
                peer = _BLOCK
            if peer is _BLOCK:
                # park() checks for cancellation before suspending (and then
                # aborts the wait), so none is needed before queueing up.
                if type(task) is not Task:
                    task = current_task()
                waiter = new_waiter(Waiter)
                waiter.task = task
                waiter.queue = putters = self._putters
                waiter.what = self._describe_put
                waiter.sel = waiter.exc = None
                waiter.payload = item
                putters.append(waiter)
        finally:
            guard.release()
        if peer is not _BLOCK:
            if peer is not _DONE:
                hub = peer.task._hub
                if task is not None and hub is task._hub:
                    hub.unpark(peer.task, peer)  # same thread: Waiter.wake() minus its thread check
                else:
                    peer.wake()
            return
        if timeout is None:
            task._hub.park(waiter.abort, waiter)
        elif not park_timed(waiter, timeout):
            raise Full
        if waiter.exc is not None:
            raise waiter.exc

    def put_nowait(self, item: Any) -> None:
        """Put without blocking; ``queue.Full`` if there is no room.  Not a checkpoint."""
        self.put(item, block=False)

    def _put_locked(self, item: Any) -> Any:
        if self.is_shutdown:
            raise ShutDown("the queue was shut down")
        getter = self._getters.take()
        if getter is not None:
            getter.value = item
            self.unfinished_tasks += 1
            return getter
        if self.maxsize <= 0 or self._qsize() < self.maxsize:
            self._put(item)
            self.unfinished_tasks += 1
            return _DONE
        return _BLOCK

    # -- get -------------------------------------------------------------------------
    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return an item, waiting for one if the queue is empty.

        ``block=False``: raise ``queue.Empty`` instead of waiting.  With
        ``timeout`` seconds: raise ``queue.Empty`` if none came in time.
        Raises ``ShutDown`` once the queue is shut down and empty.
        """
        # The hot path is written out inline (see _waiter's "Hot paths").
        if timeout is not None and block:
            timeout = validate_timeout(timeout)
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        guard = self._guard
        guard.acquire()
        try:
            plain = self._plain
            if (plain and self.queue) or self._putters or not plain or self.is_shutdown or not block or timeout == 0:
                # Completes (or fails) now: a cancellation point all the same
                # when blocking.
                if block:
                    if type(task) is Task:  # check_cancelled, inline
                        if task._ki_pending or task._hub._cancelled_scopes:
                            check_cancelled(task)
                    else:
                        task = check_cancelled()
                if plain and self.queue and not self._putters:
                    return self.queue.popleft()
                got = self._get_locked()  # a hook's get, a putter's item moved in, ShutDown or empty
                if got is _BLOCK and (not block or timeout == 0):
                    raise Empty
            else:
                got = _BLOCK
            if got is _BLOCK:
                # park() checks for cancellation before suspending (and then
                # aborts the wait), so none is needed before queueing up.
                if type(task) is not Task:
                    task = current_task()
                waiter = new_waiter(Waiter)
                waiter.task = task
                waiter.queue = getters = self._getters
                waiter.what = self._describe_get
                waiter.sel = waiter.exc = None
                getters.append(waiter)
        finally:
            guard.release()
        if got is not _BLOCK:
            item, peer = got
            if peer is not None:
                hub = peer.task._hub
                if task is not None and hub is task._hub:
                    hub.unpark(peer.task, peer)  # same thread: Waiter.wake() minus its thread check
                else:
                    peer.wake()
            return item
        if timeout is None:
            task._hub.park(waiter.abort, waiter)
        elif not park_timed(waiter, timeout):
            raise Empty
        if waiter.exc is not None:
            raise waiter.exc
        return waiter.value

    def get_nowait(self) -> Any:
        """Get without blocking; ``queue.Empty`` if there is none.  Not a checkpoint."""
        return self.get(block=False)

    def _get_locked(self) -> Any:
        if self._qsize():
            item = self._get()
            # A slot opened: move the longest-waiting putter's item in.
            putter = self._putters.take()
            if putter is not None:
                self._put(putter.payload)
                self.unfinished_tasks += 1
                return item, putter
            return item, None
        if self.is_shutdown:
            raise ShutDown("the queue was shut down and is empty")
        return _BLOCK

    # -- task tracking -------------------------------------------------------------------
    def task_done(self) -> None:
        """Mark one item taken with get() as processed; wakes join() when all are."""
        with self._guard:
            if self.unfinished_tasks <= 0:
                raise ValueError("task_done() called too many times")
            self.unfinished_tasks -= 1
            woken = self._release_joiners_locked()
        for waiter in woken:
            waiter.wake()

    def _release_joiners_locked(self) -> list:
        if self.unfinished_tasks or not self._joiners:
            return []
        return self._joiners.take_all()

    def join(self) -> None:
        """Block until every item put has been processed (task_done() called for it)."""
        check_cancelled()
        if not self.unfinished_tasks:
            return
        waiter = Waiter(current_task(), self._joiners, self._describe_join)
        with self._guard:
            if not self.unfinished_tasks:
                return
            self._joiners.append(waiter)
        park(waiter)

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down (as in Python 3.13): put() raises ShutDown, get() once empty.

        Blocked putters and getters are woken with ShutDown.  With
        ``immediate=True`` the remaining items are discarded (counted as done).
        """
        with self._guard:
            self.is_shutdown = True
            if immediate:
                while self._qsize():
                    self._get()
                    if self.unfinished_tasks > 0:
                        self.unfinished_tasks -= 1
            woken = self._putters.take_all() + self._getters.take_all()
            for waiter in woken:
                waiter.exc = ShutDown("the queue was shut down")
            woken += self._release_joiners_locked()
        for waiter in woken:
            waiter.wake()

    def statistics(self) -> QueueStatistics:
        """Sizes and waiters, for debugging."""
        with self._guard:
            return QueueStatistics(
                self._qsize(),
                self.maxsize,
                self.unfinished_tasks,
                self._putters.waiting(),
                self._getters.waiting(),
                self._joiners.waiting(),
                self.is_shutdown,
            )

    def _describe_put(self) -> str:
        return f"room in {self!r}"

    def _describe_get(self) -> str:
        return f"an item from {self!r}"

    def _describe_join(self) -> str:
        return f"{self!r} to be joined ({self.unfinished_tasks} unfinished)"

    def __repr__(self) -> str:
        return f"<zio.{type(self).__name__} qsize={self._qsize()} maxsize={self.maxsize}>"


class LifoQueue(Queue):
    """A last-in, first-out queue (``queue.LifoQueue`` API)."""

    def _init(self, maxsize: int) -> None:
        self.queue = []

    def _qsize(self) -> int:
        return len(self.queue)

    def _put(self, item: Any) -> None:
        self.queue.append(item)

    def _get(self) -> Any:
        return self.queue.pop()


class PriorityQueue(Queue):
    """Smallest item first (``queue.PriorityQueue`` API; items are often ``(priority, data)``)."""

    def _init(self, maxsize: int) -> None:
        self.queue = []

    def _qsize(self) -> int:
        return len(self.queue)

    def _put(self, item: Any) -> None:
        heapq.heappush(self.queue, item)

    def _get(self) -> Any:
        return heapq.heappop(self.queue)


class SimpleQueue:
    """An unbounded FIFO queue (``queue.SimpleQueue`` API: no task tracking, put never blocks)."""

    __slots__ = ("_queue", "__weakref__")

    def __init__(self) -> None:
        self._queue = Queue()

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``item``; never blocks (``block`` and ``timeout`` exist for compatibility)."""
        self._queue.put(item, block=False)

    def put_nowait(self, item: Any) -> None:
        """Same as ``put(item)``."""
        self.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return an item (see :meth:`Queue.get`)."""
        return self._queue.get(block, timeout)

    def get_nowait(self) -> Any:
        """Get without blocking; ``queue.Empty`` if there is none."""
        return self._queue.get(block=False)

    def empty(self) -> bool:
        """Whether the queue is empty right now."""
        return self._queue.empty()

    def qsize(self) -> int:
        """Number of items right now."""
        return self._queue.qsize()

    def statistics(self) -> QueueStatistics:
        """Sizes and waiters, for debugging."""
        return self._queue.statistics()

    def __repr__(self) -> str:
        return f"<zio.SimpleQueue qsize={self.qsize()}>"
