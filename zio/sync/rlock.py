"""RLock: a reentrant lock (the owner may acquire it again; release as often)."""

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
    describe_owner,
    new_waiter,
    park_timed,
    park_uncancellable,
)
from .lock import check_acquire_args

__all__ = ["RLock", "RLockStatistics"]


class RLockStatistics(NamedTuple):
    """Snapshot returned by :meth:`RLock.statistics`."""

    locked: bool
    owner: Any
    #: How many times the owner has acquired it without releasing.
    count: int
    tasks_waiting: int


class RLock:
    """A reentrant, FIFO-fair lock (``threading.RLock`` semantics for fibers and threads).

    The owner may acquire it again without blocking; it is released when
    ``release()`` has been called as many times.  Release by a task that
    does not own it is a RuntimeError.  Blocking ``acquire()`` is a
    cancellation point; ``release()`` is not a checkpoint.
    """

    # Lock's fields plus the recursion count, with Lock's hot paths written
    # out again (a wrapped Lock costs a call per acquire and per release).
    __slots__ = ("_guard", "_owner", "_waiters", "_count", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._owner: Any = None
        self._waiters = WaitQueue(self._guard)
        # Changed by the owner, or under the guard by the release that hands
        # the lock over (to 1, before the new owner runs).
        self._count = 0

    def __enter__(self) -> "RLock":
        # Lock.__enter__ plus the owner's re-entry.
        try:
            me = getcurrent()._zio_task
        except AttributeError:
            me = None
        if type(me) is not Task:
            me = current_task()
        guard = self._guard
        guard.acquire()
        try:
            owner = self._owner
            if owner is None or owner is me:
                # Completes now: still a cancellation point (check_cancelled, inline).
                if me._ki_pending or me._hub._cancelled_scopes:
                    check_cancelled(me)
                if owner is None:
                    self._owner = me
                    self._count = 1
                else:
                    self._count += 1
                return self
            waiter = new_waiter(Waiter)
            waiter.task = me
            waiter.queue = waiters = self._waiters
            waiter.what = self._describe
            waiter.sel = None
            waiters.append(waiter)
        finally:
            guard.release()
        me._hub.park(waiter.abort, waiter)  # release() made us the owner (count 1) before waking us
        return self

    def acquire(self, blocking: bool = True, timeout: float | None = -1) -> bool:
        """Acquire (or re-acquire) the lock; True once held, False on timeout/``blocking=False``."""
        if blocking and (timeout == -1 or timeout is None):
            self.__enter__()
            return True
        timeout = check_acquire_args(blocking, timeout)
        me = current_task()
        if blocking:
            check_cancelled(me)
        guard = self._guard
        guard.acquire()
        try:
            owner = self._owner
            if owner is None:
                self._owner = me
                self._count = 1
                return True
            if owner is me:
                self._count += 1
                return True
            if not blocking or timeout == 0:
                return False
            waiter = Waiter(me, self._waiters, self._describe)
            self._waiters.append(waiter)
        finally:
            guard.release()
        return park_timed(waiter, timeout)

    def try_acquire(self) -> bool:
        """Acquire without blocking; not a checkpoint."""
        return self.acquire(False)

    def release(self) -> None:
        """Undo one acquire; the lock is free when the count reaches zero.  Not a checkpoint."""
        try:
            me = getcurrent()._zio_task
        except AttributeError:
            me = None
        if type(me) is not Task:
            me = current_task()
        if self._owner is not me:
            raise RuntimeError("zio.RLock.release(): cannot release an un-acquired lock (or one held by another task)")
        count = self._count - 1
        if count:
            self._count = count  # only the owner gets here: no guard needed
            return
        # The last release: hand the lock to the longest waiter, or free it.
        guard = self._guard
        guard.acquire()
        try:
            waiters = self._waiters
            while waiters:  # WaitQueue.take(), inline
                waiter = waiters.popleft()
                if waiter.queue is not None:
                    break
                waiters.dead -= 1
            else:
                self._owner = None
                self._count = 0
                return
            waiter.queue = None
            task = self._owner = waiter.task
            self._count = 1
        finally:
            guard.release()
        hub = task._hub
        if hub is me._hub:
            hub.unpark(task, waiter)  # same thread: Waiter.wake() minus its thread check
        else:
            waiter.wake()

    def locked(self) -> bool:
        """Whether some task holds the lock."""
        return self._owner is not None

    # Condition's protocol.
    def _is_owned(self) -> bool:
        return self._owner is current_task()

    def _release_save(self) -> Any:
        me = current_task()
        if self._owner is not me:
            raise RuntimeError("cannot release un-acquired lock")
        count = self._count
        self._count = 1
        self.release()  # the last release: hands the lock over
        return count

    def _acquire_restore(self, count: Any) -> None:
        # Condition.wait must return holding the lock, even when cancelled.
        me = current_task()
        guard = self._guard
        guard.acquire()
        try:
            if self._owner is None:
                self._owner = me
                self._count = count
                return
            waiter = Waiter(me, self._waiters, self._describe)
            self._waiters.append(waiter)
        finally:
            guard.release()
        park_uncancellable(waiter)
        self._count = count

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> RLockStatistics:
        """Owner, recursion count and waiters, for debugging."""
        with self._guard:
            owner = self._owner
            count = self._count if owner is not None else 0
            return RLockStatistics(owner is not None, describe_owner(owner), count, self._waiters.waiting())

    def _describe(self) -> str:
        return f"zio.RLock at {id(self):#x} held by {describe_owner(self._owner)!r}"

    def __repr__(self) -> str:
        owner = self._owner
        state = f"locked by {describe_owner(owner)!r} count={self._count}" if owner is not None else "unlocked"
        return f"<zio.RLock {state}, {self._waiters.waiting()} waiting>"
