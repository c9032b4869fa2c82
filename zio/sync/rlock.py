"""RLock: a reentrant lock (the owner may acquire it again; release as often)."""

from __future__ import annotations

from typing import Any, NamedTuple

from greenlet import getcurrent

from .._core.cancel import CancelScope
from .._core.task import Task
from ._waiter import check_cancelled, current_task, describe_owner
from .lock import Lock, check_acquire_args

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

    __slots__ = ("_lock", "_count", "__weakref__")

    def __init__(self) -> None:
        self._lock = Lock()
        self._count = 0  # only touched by the owner

    def acquire(self, blocking: bool = True, timeout: float | None = -1) -> bool:
        """Acquire (or re-acquire) the lock; True once held, False on timeout/``blocking=False``."""
        try:
            me = getcurrent()._zio_task
        except AttributeError:
            me = None
        if type(me) is not Task:
            me = current_task()
        if self._lock._owner is me:
            check_acquire_args(blocking, timeout)
            if blocking:
                check_cancelled(me)
            self._count += 1
            return True
        if self._lock.acquire(blocking, timeout):
            self._count = 1
            return True
        return False

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
        if self._lock._owner is not me:
            raise RuntimeError("zio.RLock.release(): cannot release an un-acquired lock (or one held by another task)")
        self._count -= 1
        if self._count == 0:
            self._lock.release()

    def locked(self) -> bool:
        """Whether some task holds the lock."""
        return self._lock._owner is not None

    # Condition's protocol.
    def _is_owned(self) -> bool:
        return self._lock._owner is current_task()

    def _release_save(self) -> Any:
        if self._lock._owner is not current_task():
            raise RuntimeError("cannot release un-acquired lock")
        count = self._count
        self._count = 0
        self._lock.release()
        return count

    def _acquire_restore(self, count: Any) -> None:
        # Condition.wait must return holding the lock even when cancelled.
        with CancelScope(shield=True):
            self._lock.acquire()
        self._count = count

    def __enter__(self) -> "RLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> RLockStatistics:
        """Owner, recursion count and waiters, for debugging."""
        stats = self._lock.statistics()
        return RLockStatistics(stats.locked, stats.owner, self._count if stats.locked else 0, stats.tasks_waiting)

    def __repr__(self) -> str:
        owner = self._lock._owner
        state = f"locked by {describe_owner(owner)!r} count={self._count}" if owner is not None else "unlocked"
        return f"<zio.RLock {state}, {len(self._lock._waiters)} waiting>"
