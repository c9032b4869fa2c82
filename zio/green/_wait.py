"""Waiting helpers shared by the cooperative stdlib modules.

Three small pieces every blocking drop-in needs:

* :func:`raise_if_cancelled`: the "checkpoint without a yield" that runs
  before an operation's fast path, so a loop of calls that never block is
  still cancellable (level-triggered cancellation);
* :func:`wait_io`: park until an fd is ready, with an optional absolute
  deadline that ends the wait with ``TimeoutError`` (``socket.timeout``);
* :func:`wait_any`: park until any of several fds is ready (select/poll).

Timeouts here are not cancel scopes: a stdlib timeout is a property of one
call, so a timer that aborts exactly that park is cheaper (one heap push)
and cannot be confused with an enclosing scope's cancellation.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from greenlet import getcurrent

from .._core import _state
from .._core.io import _describe, _disarm, _FdWaiters, _on_readable, _on_writable, _records, wait_fd
from ..loop import READ, WRITE

__all__ = ["READ", "WRITE", "raise_if_cancelled", "wait_io", "wait_any", "monotonic"]

monotonic = time.monotonic


def _current_task() -> Any:
    try:
        task = getcurrent()._zio_task
    except AttributeError:
        task = None
    if task is None:
        return _state.get_hub().current_task()
    return task


def raise_if_cancelled() -> None:
    """Raise a pending Cancelled (or KeyboardInterrupt) without yielding if there is none.

    Cheap: walks the current task's scope chain.  Only when a cancelled scope
    is found does it fall back to a real checkpoint, which raises.
    """
    try:
        task = getcurrent()._zio_task
    except AttributeError:
        task = None
    if task is None:
        hub = _state.peek_hub()
        if hub is None:
            return  # no hub yet: no scope can exist
        task = hub.current_task()
    if task._ki_pending:
        task._hub.checkpoint()
        return
    if not task._hub._cancelled_scopes:
        return  # no scope of this hub is cancelled (see Hub._cancelled_scopes): nothing to walk
    scope = task._scope
    while scope is not None:
        if scope._cancel_called:
            task._hub.checkpoint()
            return
        if scope._shield:
            return
        scope = scope._parent


def _expire(hub: Any, task: Any, message: str) -> None:
    # Runs in the hub.  The task may already be runnable (the fd became ready
    # in the same iteration); try_abort then does nothing and the I/O wins.
    hub.try_abort(task, TimeoutError(message))


def wait_io(fd: int, kind: int, deadline: float | None, message: str = "timed out") -> None:
    """Park until ``fd`` is ready for ``kind`` (READ/WRITE), keeping it armed.

    ``deadline`` is on :func:`time.monotonic`'s clock (the loop's clock);
    None waits forever.  Raises ``TimeoutError(message)`` at the deadline,
    Cancelled on cancellation and ClosedResourceError if the fd is closed
    through ``notify_closing`` meanwhile.  Only for fds whose owner calls
    ``notify_closing`` before closing them (the socket classes do).
    """
    if deadline is None:
        wait_fd(fd, kind, keep_armed=True)
        return
    hub = _state.get_hub()
    if deadline <= monotonic():
        raise TimeoutError(message)
    task = _current_task()
    timer = hub.loop.call_at(deadline, _expire, hub, task, message)
    try:
        wait_fd(fd, kind, keep_armed=True)
    finally:
        timer.cancel()


def wait_any(waits: Iterable[tuple[int, int]], deadline: float | None, *, keep_armed: bool = False) -> bool:
    """Park until one of ``waits`` (``(fd, READ|WRITE)`` pairs) may be ready, or the deadline.

    Returns True if woken by an fd, False at the deadline.  Readiness is a
    hint: callers re-check with a zero-timeout syscall (select/poll do).  A
    checkpoint.  Errors for an fd (EBADF, closed while waiting) are raised.
    """
    hub = _state.get_hub()
    task = _current_task()
    recs = _records(hub)
    registered: list[tuple[_FdWaiters, int]] = []

    def unregister() -> None:
        for rec, kind in registered:
            waiters = rec.readers if kind == READ else rec.writers
            try:
                waiters.remove(task)
            except ValueError:
                continue  # this fd's callback already took us off its list
            if not waiters and not rec.persistent:
                _disarm(hub, rec, kind)
        registered.clear()

    try:
        for fd, kind in waits:
            rec = recs.get(fd)
            if rec is None:
                rec = recs[fd] = _FdWaiters(fd)
            if keep_armed:
                rec.persistent = True
            if kind == READ:
                if not rec.read_armed:
                    hub.loop.add_reader(fd, _on_readable, hub, rec)
                    rec.read_armed = True
                rec.readers.append(task)
            else:
                if not rec.write_armed:
                    hub.loop.add_writer(fd, _on_writable, hub, rec)
                    rec.write_armed = True
                rec.writers.append(task)
            registered.append((rec, kind))
    except BaseException:
        unregister()
        # A record we created but could not arm must not linger.
        for fd, _kind in waits:
            rec = recs.get(fd)
            if rec is not None and not (rec.readers or rec.writers or rec.read_armed or rec.write_armed):
                del recs[fd]
        raise

    timer = None
    if deadline is not None:
        timer = hub.loop.call_at(deadline, _wake_at_deadline, hub, task)

    def abort() -> bool:
        unregister()
        return True

    what = _describe_many(registered)
    try:
        # An fd callback unparks with None, the deadline timer with False.
        return hub.park(abort, what) is not False
    finally:
        if timer is not None:
            timer.cancel()
        unregister()


def _wake_at_deadline(hub: Any, task: Any) -> None:
    abort = task._abort
    if abort is None or not task._parked:
        return
    task._abort = None
    abort()
    hub.unpark(task, False)


def _describe_many(registered: list[tuple[_FdWaiters, int]]) -> str:
    if not registered:
        return "a timeout (select/poll with no fds)"
    parts = [_describe(rec.fd, kind) for rec, kind in registered[:5]]
    more = f" (and {len(registered) - 5} more)" if len(registered) > 5 else ""
    return "any of: " + ", ".join(parts) + more
