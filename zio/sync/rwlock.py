"""RwLock: many readers or one writer, FIFO-fair, writer-preferring."""

from __future__ import annotations

from typing import Any, NamedTuple

from ._waiter import (
    Waiter,
    WaitQueue,
    allocate_lock,
    check_cancelled,
    current_task,
    describe_owner,
    park_timed,
    validate_timeout,
)

__all__ = ["RwLock", "RwLockStatistics"]

_READ, _WRITE = "read", "write"


class RwLockStatistics(NamedTuple):
    """Snapshot returned by :meth:`RwLock.statistics`."""

    #: The task holding it for writing, or None.
    writer: Any
    #: Number of tasks holding it for reading.
    readers: int
    tasks_waiting_read: int
    tasks_waiting_write: int


class RwLock:
    """A readers-writer lock.

    Any number of tasks may hold it for reading, or one for writing.  Waiters
    are served in arrival order: a reader arriving while a writer waits
    queues behind it (writers cannot starve), and a release lets in the
    writer at the head of the queue or every reader up to the next writer.
    A task already holding a read lock may take it again (it would
    otherwise deadlock behind a waiting writer); upgrading a read lock to a
    write lock, or re-taking a write lock, is a RuntimeError.  Acquiring is a
    cancellation point; releasing is not a checkpoint.  Use
    ``with rw.read():`` / ``with rw.write():``.
    """

    __slots__ = ("_guard", "_writer", "_readers", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._writer: Any = None
        self._readers: dict[Any, int] = {}
        self._waiters = WaitQueue(self._guard)

    # -- reading ------------------------------------------------------------------
    def acquire_read(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a read lock; True once held, False on timeout or if ``blocking=False`` and it is not free."""
        return self._acquire(_READ, blocking, timeout)

    def try_acquire_read(self) -> bool:
        """Take a read lock if possible without waiting.  Not a checkpoint."""
        return self._acquire(_READ, False, None)

    def release_read(self) -> None:
        """Release one read lock held by the caller.  Not a checkpoint."""
        me = current_task()
        with self._guard:
            count = self._readers.get(me)
            if not count:
                raise RuntimeError("zio.RwLock.release_read(): the caller does not hold a read lock")
            if count > 1:
                self._readers[me] = count - 1
                return
            del self._readers[me]
            woken = self._grant_locked()
        for waiter in woken:
            waiter.wake()

    # -- writing ------------------------------------------------------------------
    def acquire_write(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take the write lock; True once held, False on timeout or if ``blocking=False`` and it is not free."""
        return self._acquire(_WRITE, blocking, timeout)

    def try_acquire_write(self) -> bool:
        """Take the write lock if possible without waiting.  Not a checkpoint."""
        return self._acquire(_WRITE, False, None)

    def release_write(self) -> None:
        """Release the write lock held by the caller.  Not a checkpoint."""
        me = current_task()
        with self._guard:
            if self._writer is not me:
                raise RuntimeError("zio.RwLock.release_write(): the caller does not hold the write lock")
            self._writer = None
            woken = self._grant_locked()
        for waiter in woken:
            waiter.wake()

    def read(self) -> "_Guarded":
        """Context manager holding a read lock: ``with rw.read(): ...``."""
        return _Guarded(self.acquire_read, self.release_read)

    def write(self) -> "_Guarded":
        """Context manager holding the write lock: ``with rw.write(): ...``."""
        return _Guarded(self.acquire_write, self.release_write)

    # -- internals ----------------------------------------------------------------
    def _acquire(self, kind: str, blocking: bool, timeout: float | None) -> bool:
        if not blocking and timeout is not None:
            raise ValueError("can't specify a timeout for a non-blocking call")
        timeout = validate_timeout(timeout)
        me = current_task()
        if blocking:
            check_cancelled(me)
        with self._guard:
            if self._free_for(kind, me):
                self._take(kind, me)
                return True
        if not blocking or timeout == 0:
            return False
        waiter = Waiter(me, self._waiters, lambda: self._describe(kind))
        waiter.kind = kind
        with self._guard:
            if self._free_for(kind, me):
                self._take(kind, me)
                return True
            self._waiters.append(waiter)

        def abort() -> bool:
            with self._guard:
                if not self._waiters.discard(waiter):
                    return False  # a release made us a holder first: that wins
                # A cancelled writer at the head may have been holding back
                # the readers queued behind it.
                woken = self._grant_locked()
            for other in woken:
                other.wake()
            return True

        return park_timed(waiter, timeout, abort)  # a release makes us a holder before waking us

    def _free_for(self, kind: str, me: Any) -> bool:
        if kind == _READ:
            if me in self._readers:
                return True  # re-entrant read (would deadlock behind a waiting writer)
            if self._writer is me:
                raise RuntimeError("zio.RwLock: the caller holds the write lock; it cannot also take a read lock")
            return self._writer is None and not self._waiters.waiting()
        if self._writer is me:
            raise RuntimeError("zio.RwLock: the caller already holds the write lock (it is not reentrant)")
        if me in self._readers:
            raise RuntimeError("zio.RwLock: cannot upgrade a read lock to a write lock (release the read lock first)")
        return self._writer is None and not self._readers and not self._waiters.waiting()

    def _take(self, kind: str, glet: Any) -> None:
        if kind == _READ:
            self._readers[glet] = self._readers.get(glet, 0) + 1
        else:
            self._writer = glet

    def _grant_locked(self) -> list:
        """Hand the lock to the head of the queue (a writer, or a run of readers)."""
        woken = []
        waiters = self._waiters
        while self._writer is None and (head := waiters.first()) is not None:
            if head.kind == _WRITE:
                if self._readers:
                    break
                waiters.take()
                self._writer = head.task
                woken.append(head)
                break
            waiters.take()
            self._take(_READ, head.task)
            woken.append(head)
        return woken

    def statistics(self) -> RwLockStatistics:
        """Holders and waiters, for debugging."""
        with self._guard:
            kinds = [w.kind for w in self._waiters.live()]
            return RwLockStatistics(
                describe_owner(self._writer), len(self._readers), kinds.count(_READ), kinds.count(_WRITE)
            )

    def _describe(self, kind: str) -> str:
        holder = (
            f"writer {describe_owner(self._writer)!r}"
            if self._writer is not None
            else f"{len(self._readers)} reader(s)"
        )
        return f"{kind} lock of zio.RwLock at {id(self):#x} (held by {holder})"

    def __repr__(self) -> str:
        writer = describe_owner(self._writer)
        return f"<zio.RwLock writer={writer!r} readers={len(self._readers)} waiting={self._waiters.waiting()}>"


class _Guarded:
    __slots__ = ("_acquire", "_release")

    def __init__(self, acquire: Any, release: Any) -> None:
        self._acquire = acquire
        self._release = release

    def __enter__(self) -> None:
        self._acquire()

    def __exit__(self, *exc: Any) -> None:
        self._release()
