"""Lock: a FIFO-fair mutual-exclusion lock owned by the task that acquired it."""

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

__all__ = ["Lock", "LockStatistics"]


class LockStatistics(NamedTuple):
    """Snapshot returned by :meth:`Lock.statistics`."""

    locked: bool
    #: The task (or greenlet description) holding the lock, or None.
    owner: Any
    #: Number of tasks waiting to acquire it.
    tasks_waiting: int


def check_acquire_args(blocking: bool, timeout: float | None) -> float:
    """Validate ``threading.Lock.acquire``-style arguments; return the timeout (-1 for none)."""
    if timeout is None:
        timeout = -1
    if not blocking and timeout != -1:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number (or -1 for no timeout)")
    return timeout


class Lock:
    """A mutual-exclusion lock for fibers and threads.

    * **Owned**: only the task that acquired it may release it (anything
      else is a RuntimeError), and acquiring it again from the owner is a
      RuntimeError rather than a silent deadlock (use :class:`RLock`).
    * **FIFO-fair**: ``release()`` hands the lock straight to the task that
      has waited longest, so no task can barge in and starve it.
    * ``acquire()`` is a cancellation point (raises Cancelled in a cancelled
      scope even when the lock is free); it parks only if the lock is held.
      Cancelled means the lock was *not* acquired.
    * ``release()`` never blocks and is not a checkpoint.

    Works across threads: a fiber in one thread may wait for a lock held by
    a fiber of another thread, or by a plain thread.
    """

    __slots__ = ("_guard", "_owner", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._owner: Any = None
        # Invariant: live waiters exist only while the lock is owned (release
        # hands it over directly), so "owner is None" alone means "free".
        self._waiters = WaitQueue(self._guard)

    def __enter__(self) -> "Lock":
        # The blocking acquire, written out (see _waiter's "Hot paths"); it is
        # also what acquire() runs for its default arguments.
        try:
            me = getcurrent()._zio_task
        except AttributeError:
            me = None
        if type(me) is not Task:
            me = current_task()  # the root task, a foreign greenlet or a plain thread
        guard = self._guard
        guard.acquire()
        try:
            owner = self._owner
            if owner is None:
                # Free: still a cancellation point (check_cancelled, inline).
                if me._ki_pending or me._hub._cancelled_scopes:
                    check_cancelled(me)
                self._owner = me
                return self
            if owner is me:
                raise RuntimeError(
                    "zio.Lock.acquire(): this task already holds the lock (it is not reentrant; use RLock)"
                )
            # Held: queue up.  park() checks for cancellation (and then aborts
            # the wait) before suspending, so no check is needed here.
            waiter = new_waiter(Waiter)
            waiter.task = me
            waiter.queue = waiters = self._waiters
            waiter.what = self._describe
            waiter.sel = None
            waiters.append(waiter)
        finally:
            guard.release()
        me._hub.park(waiter.abort, waiter)  # release() made us the owner before waking us
        return self

    def acquire(self, blocking: bool = True, timeout: float | None = -1) -> bool:
        """Acquire the lock; return True once held (False on timeout or ``blocking=False``).

        ``timeout`` (seconds, -1/None for none) is a cancel scope around the
        wait; the enclosing scopes' cancellation applies as well.
        """
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
                return True
            if not blocking or timeout == 0:
                return False
            if owner is me:
                raise RuntimeError(
                    "zio.Lock.acquire(): this task already holds the lock (it is not reentrant; use RLock)"
                )
            waiter = Waiter(me, self._waiters, self._describe)
            self._waiters.append(waiter)
        finally:
            guard.release()
        return park_timed(waiter, timeout)

    def try_acquire(self) -> bool:
        """Acquire the lock if it is free right now; never blocks, not a checkpoint."""
        return self.acquire(False)

    def release(self) -> None:
        """Release the lock, handing it to the longest waiter if any.  Not a checkpoint."""
        try:
            me = getcurrent()._zio_task
        except AttributeError:
            me = None
        if type(me) is not Task:
            me = current_task()
        guard = self._guard
        guard.acquire()
        try:
            if self._owner is not me:
                self._not_owner()
            # WaitQueue.take(), inline.
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                if waiter.queue is not None:
                    break
                waiters.dead -= 1
            else:
                self._owner = None
                return
            waiter.queue = None
            task = self._owner = waiter.task
        finally:
            guard.release()
        hub = task._hub
        if hub is me._hub:
            hub.unpark(task, waiter)  # same thread: Waiter.wake() minus its thread check
        else:
            waiter.wake()

    def _not_owner(self) -> None:
        """Raise the error for release() by a task that does not hold the lock (guard held)."""
        owner = self._owner
        if owner is None:
            raise RuntimeError("zio.Lock.release(): the lock is not held")
        raise RuntimeError(
            f"zio.Lock.release(): the lock is held by {describe_owner(owner)!r}, "
            "not by the caller; only the owner may release it"
        )

    def locked(self) -> bool:
        """Whether some task holds the lock."""
        return self._owner is not None

    def owned(self) -> bool:
        """Whether the calling task holds the lock."""
        return self._owner is current_task()

    # Condition's protocol (same names as threading's private helpers).
    def _is_owned(self) -> bool:
        return self._owner is current_task()

    def _release_save(self) -> Any:
        self.release()
        return None

    def _acquire_restore(self, state: Any) -> None:
        # Condition.wait must return holding the lock, even when cancelled.
        me = current_task()
        guard = self._guard
        guard.acquire()
        try:
            if self._owner is None:
                self._owner = me
                return
            waiter = Waiter(me, self._waiters, self._describe)
            self._waiters.append(waiter)
        finally:
            guard.release()
        park_uncancellable(waiter)

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> LockStatistics:
        """Owner and number of waiters, for debugging."""
        with self._guard:
            return LockStatistics(self._owner is not None, describe_owner(self._owner), self._waiters.waiting())

    def _describe(self) -> str:
        return f"zio.Lock at {id(self):#x} held by {describe_owner(self._owner)!r}"

    def __repr__(self) -> str:
        state = f"locked by {describe_owner(self._owner)!r}" if self._owner is not None else "unlocked"
        return f"<zio.Lock {state}, {self._waiters.waiting()} waiting>"
