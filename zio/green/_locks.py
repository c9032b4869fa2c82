"""Green locks: ``_thread.LockType`` and ``_thread.RLock`` that park fibers.

A green lock may be shared by fibers of several hubs (OS threads) and by
plain threads that never started a hub, exactly like a real lock.  Its state
is therefore a *real* lock (``_held``) plus a waiter list guarded by a second
real lock (``_mutex``); neither is ever held across a switch.

Release hands the lock directly to the first waiter (FIFO, no barging), so a
woken waiter never finds the lock taken again and "Cancelled means it did
not happen" holds: if a cancel or timeout races with the hand-off, whichever
takes ``_mutex`` first wins, and a waiter that was already handed the lock
keeps it (its cancel is delivered at its next blocking call).
"""

from __future__ import annotations

import math
import sys
from collections import deque
from typing import Any

from greenlet import getcurrent

from .._core import _state
from .._core.ki import _task_base_code
from . import _originals

__all__ = ["LockType", "RLock", "allocate_lock", "borrow_identity", "get_ident"]

TIMEOUT_MAX: float = __import__("_thread").TIMEOUT_MAX

_real_lock = _originals.allocate_lock
_real_get_ident = _originals.get_ident


#: Fibers that borrow another fiber's thread identity while they run:
#: ``id(task) -> (ident, identity)``.  zio.green.signal runs a signal handler
#: that way, "in the main thread" as CPython does (see :func:`borrow_identity`).
_borrowed: dict[int, tuple[int, Any]] = {}


def fiber_identity(g: Any = None) -> Any:
    """The object that is "the current thread" for fiber purposes (inside greenlet ``g``: default, the current one).

    The zio Task running on the greenlet (tasks run on pooled greenlets, so
    the greenlet is not the identity), else the greenlet itself (a thread's
    original greenlet, or one zio did not create); a task that borrows
    another's identity (:class:`borrow_identity`) has that one.
    """
    if g is None:
        try:
            g = getcurrent()
        except RuntimeError:
            return _real_get_ident()  # a greenlet is being finalized: see get_ident
    task = getattr(g, "_zio_task", None)
    if task is None or g.parent is None:
        return g
    if _borrowed:
        borrowed = _borrowed.get(id(task))
        if borrowed is not None:
            return borrowed[1]
    return task


def get_ident() -> int:
    """The fiber's identity: the OS thread's ident on its original greenlet, else the fiber's.

    A thread's main line keeps the real ident, so ``threading.main_thread()``
    and every lock or registry keyed before patching stay valid; each fiber
    gets a distinct value that is stable for its lifetime (the id of its Task,
    which cannot collide with a live thread's ident: both are addresses of
    distinct live objects).
    """
    try:
        g = getcurrent()
    except RuntimeError:
        # greenlet refuses while a greenlet is being finalized (a weakref
        # callback run by its deallocation at interpreter exit, e.g.
        # logging's _removeHandlerRef taking its lock): no fiber is running
        # then, so the OS thread is the identity.
        return _real_get_ident()
    if g.parent is None:
        return _real_get_ident()
    task = getattr(g, "_zio_task", None)
    if task is None:
        return id(g)
    if _borrowed:
        borrowed = _borrowed.get(id(task))
        if borrowed is not None:
            return borrowed[0]
    return id(task)


def identity_of(task: Any) -> tuple[int, Any]:
    """``(get_ident(), fiber_identity())`` as they are inside ``task`` (a zio Task or RootTask)."""
    glet = getattr(task, "glet", None)
    if glet is not None and glet.parent is None:
        # A RootTask on its thread's original greenlet: the OS thread's own identity.
        return task._hub.thread_id, glet
    borrowed = _borrowed.get(id(task))
    return borrowed if borrowed is not None else (id(task), task)


class borrow_identity:
    """``with borrow_identity(owner):`` the current fiber is ``owner``'s thread until the block ends.

    Inside, ``get_ident()``, ``threading.current_thread()``, RLock ownership
    and ``threading.local`` data are those of ``owner``.  For code that
    CPython would run *in* that thread, such as a signal handler in the main
    thread, while zio runs it in a fiber of its own.
    """

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._key: int | None = None

    def __enter__(self) -> None:
        me = getcurrent()
        task = getattr(me, "_zio_task", None)
        if task is None or me.parent is None or task is self._owner:
            return  # already the owner's thread (or not a zio fiber): nothing to borrow
        self._key = id(task)
        _borrowed[self._key] = identity_of(self._owner)

    def __exit__(self, *exc: object) -> None:
        if self._key is not None:
            _borrowed.pop(self._key, None)
            self._key = None


class _Waiter:
    """A fiber parked on a green lock (or a green SimpleQueue), until a release (put) grants it."""

    __slots__ = ("hub", "task", "granted", "timer")

    def __init__(self, hub: Any, task: Any) -> None:
        self.hub = hub
        self.task = task
        self.granted = False
        self.timer: Any = None


def _check_acquire_args(blocking: bool, timeout: float) -> float | None:
    """Validate like CPython's lock.acquire; return the timeout (None: forever)."""
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout == -1:
        return None
    if timeout < 0:
        raise ValueError("timeout value must be a non-negative number")
    if timeout > TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")
    if math.isnan(timeout):
        raise ValueError("timeout value must be a non-negative number")
    return timeout


def _wake(waiter: _Waiter, value: bool) -> None:
    """Unpark ``waiter`` from any thread (the lock's _mutex is held by the caller)."""
    hub = waiter.hub
    if hub.in_owner_thread():
        if waiter.task._parked:
            hub.unpark(waiter.task, value)
    else:
        hub.loop.call_soon_threadsafe(_unpark_if_parked, hub, waiter.task, value)


def _unpark_if_parked(hub: Any, task: Any, value: Any) -> None:
    if task._parked:
        hub.unpark(task, value)


def _grant_first(waiters: deque) -> bool:
    """Grant the first waiter whose hub is still open and wake it; False if none is left (mutex held)."""
    while waiters:
        waiter = waiters.popleft()
        if waiter.hub.closed:
            continue  # its hub is gone (e.g. the parent's, after fork)
        waiter.granted = True
        _wake(waiter, True)
        return True
    return False


def _park_until_granted(hub: Any, waiter: _Waiter, mutex: Any, waiters: deque, what: Any) -> bool:
    """Park ``waiter``, queued in ``waiters`` (guarded by ``mutex``), until it is granted: True.

    False if its timer (``waiter.timer``, armed with :func:`_time_out`) fired
    first.  A cancel withdraws the waiter, unless it was granted already: then
    it stays parked for the wakeup in flight and the cancel is delivered at
    its next blocking call.
    """

    def abort() -> bool:
        with mutex:
            if waiter.granted:
                return False
            waiters.remove(waiter)
        if waiter.timer is not None:
            waiter.timer.cancel()
        return True

    try:
        return bool(hub.park(abort, what))
    finally:
        if waiter.timer is not None:
            waiter.timer.cancel()


def _time_out(mutex: Any, waiters: deque, waiter: _Waiter) -> None:
    """Timer callback: withdraw ``waiter`` and wake it with False, unless it was granted first."""
    with mutex:
        if waiter.granted:
            return
        waiters.remove(waiter)
    if waiter.task._parked:
        waiter.hub.unpark(waiter.task, False)


# Every _FAIR_EVERY-th blocking acquire (of any green lock, in any thread) first
# lets other runnable fibers run, even when the lock is free.  A fiber that
# polls a queue in a loop (``while True: q.get(False)`` until ShutDown or
# until an item arrives) never blocks, so without this the fibers it waits
# for would never run and the loop would spin forever; real threads get the
# same fairness from the GIL's switch interval.  Cheap: a counter bump.
_FAIR_EVERY = 2000
_blocking_acquires = 0
_INTERNAL_PREFIXES = ("zio._core", "zio.loop", "zio.sync")


def _let_others_run() -> None:
    """Yield to other fibers if the caller is a fiber in user code (else do nothing)."""
    hub = _state.peek_hub()
    if hub is None or hub.closed or getcurrent() is hub.greenlet:
        return  # no fibers here, or an event-loop callback (it cannot switch)
    # Never switch away from inside zio's scheduler, e.g. a __del__ that takes a
    # lock while the hub is half-way through an update.
    base = _task_base_code()  # where a fiber's stack begins (zio._core's own frame)
    frame = sys._getframe(2)
    while frame is not None and frame.f_code is not base:
        if frame.f_globals.get("__name__", "").startswith(_INTERNAL_PREFIXES):
            return
        frame = frame.f_back
    # Through the hub rather than straight to the next fiber: the hub also
    # polls for I/O and timers, which is what a spinning fiber often waits for.
    hub._budget = 0
    hub.checkpoint()


class LockType:
    """A non-reentrant lock whose blocking ``acquire`` parks the current fiber.

    Same API as ``_thread.LockType``: ``acquire(blocking=True, timeout=-1)``,
    ``release()``, ``locked()``, the context-manager protocol.  Any fiber or
    thread may release it.  Uncontended acquire does not switch fibers,
    except that one blocking acquire in a couple of thousand first lets
    other runnable fibers run (see ``_FAIR_EVERY``).
    """

    __slots__ = ("_held", "_mutex", "_waiters", "__weakref__")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Like the C lock type (threading.Lock is this class on 3.13+).
        raise TypeError(f"type '{__name__}.LockType' is not an acceptable base type")

    def __init__(self) -> None:
        self._held = _real_lock()
        self._mutex = _real_lock()
        self._waiters: deque[_Waiter] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire the lock; return whether it was acquired (see ``_thread.LockType.acquire``)."""
        # Arguments are checked even when the lock is free, as the C lock does.
        wait = None if (blocking is True and timeout == -1) else _check_acquire_args(blocking, timeout)
        if wait != 0.0:
            global _blocking_acquires
            _blocking_acquires += 1
            if _blocking_acquires >= _FAIR_EVERY:
                _blocking_acquires = 0
                _let_others_run()
        if self._held.acquire(False):
            return True
        if wait == 0.0:
            return False
        hub = _state.get_hub()
        # Raises a clear RuntimeError inside an event-loop callback, which cannot park.
        task = hub.current_task()
        waiter = _Waiter(hub, task)
        with self._mutex:
            if self._held.acquire(False):
                return True
            self._waiters.append(waiter)
        if wait is not None:
            waiter.timer = hub.loop.call_later(wait, _time_out, self._mutex, self._waiters, waiter)
        # A cancel after the hand-off keeps the lock (the cancel comes later).
        return _park_until_granted(hub, waiter, self._mutex, self._waiters, self._describe)

    def release(self) -> None:
        """Release the lock (from any fiber or thread); RuntimeError if it is not locked."""
        with self._mutex:
            if not self._held.locked():
                raise RuntimeError("release unlocked lock")
            waiters = self._waiters
            # Hand over to the first waiter: the real lock stays held on its behalf.
            if not (waiters and _grant_first(waiters)):
                self._held.release()

    def locked(self) -> bool:
        """Whether the lock is held."""
        return self._held.locked()

    def _at_fork_reinit(self) -> None:
        # Called by threading in a forked child: the parent's waiters do not exist here.
        self._held = _real_lock()
        self._mutex = _real_lock()
        self._waiters = deque()

    def _describe(self) -> str:
        return f"lock {id(self):#x} ({len(self._waiters)} waiting)"

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")

    def __repr__(self) -> str:
        state = "locked" if self._held.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


def allocate_lock() -> LockType:
    """Return a new green lock (``_thread.allocate_lock``)."""
    return LockType()


class RLock:
    """A reentrant green lock (``_thread.RLock``): owned by the fiber that acquired it."""

    __slots__ = ("_block", "_owner", "_count", "__weakref__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The C RLock ignores arguments too (threading.RLock warns about them on 3.13+).
        self._block = LockType()
        self._owner: int | None = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire, or increase the recursion level if the caller already owns it."""
        me = get_ident()
        if self._owner == me:
            if not (blocking is True and timeout == -1):
                _check_acquire_args(blocking, timeout)
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        """Decrease the recursion level; unlock at zero.  RuntimeError if not owned."""
        if self._owner != get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    def locked(self) -> bool:
        """Whether some fiber holds the lock."""
        return self._block.locked()

    def _is_owned(self) -> bool:
        return self._owner == get_ident()

    def _recursion_count(self) -> int:
        return self._count if self._owner == get_ident() else 0

    # Condition variables use these to drop and restore the full recursion level.
    def _release_save(self) -> tuple[int, int | None]:
        if self._count == 0:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state: tuple[int, int | None]) -> None:
        self._block.acquire()
        self._count, self._owner = state

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    __enter__ = acquire

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")

    def __repr__(self) -> str:
        state = "locked" if self._block.locked() else "unlocked"
        return (
            f"<{state} {type(self).__module__}.{type(self).__qualname__} object "
            f"owner={self._owner or 0} count={self._count} at {id(self):#x}>"
        )
