"""Waiting for fds: the hub's readiness trap.

Each fd gets one record with the tasks waiting to read and to write.  The
loop watcher stays armed between waits when the caller promises to call
:func:`notify_closing` before closing the fd (sockets do), so a
request/response connection costs no ``epoll_ctl`` per wait; an event that
arrives with nobody waiting disarms it (level-triggered readiness would
otherwise spin).
"""

from __future__ import annotations

import errno
from typing import Any

from ..loop import READ, WRITE, FdClosedError
from ._state import get_hub
from .errors import ClosedResourceError

__all__ = ["notify_closing", "wait_fd", "wait_readable", "wait_writable"]


class _FdWaiters:
    __slots__ = ("fd", "readers", "writers", "read_armed", "write_armed", "persistent")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.readers: list = []
        self.writers: list = []
        self.read_armed = False
        self.write_armed = False
        self.persistent = False


def _records(hub: Any) -> dict[int, _FdWaiters]:
    recs = getattr(hub, "_fd_waiters", None)
    if recs is None:
        recs = hub._fd_waiters = {}
    return recs


def wait_fd(fd: Any, kind: int, *, keep_armed: bool = False) -> None:
    """Park the current task until ``fd`` is readable (READ) or writable (WRITE).

    A checkpoint: raises Cancelled in a cancelled scope, ``OSError(EBADF)``
    for an invalid fd and :class:`ClosedResourceError` if the fd is closed
    through :func:`notify_closing` while waiting.  ``keep_armed=True`` keeps
    the fd registered with the backend after the wait; only pass it for fds
    whose owner calls :func:`notify_closing` before closing them.
    """
    if not isinstance(fd, int):
        fd = fd.fileno()
    hub = get_hub()
    recs = _records(hub)
    rec = recs.get(fd)
    if rec is None:
        rec = recs[fd] = _FdWaiters(fd)
    if keep_armed:
        rec.persistent = True
    task = hub.current_task()
    if kind == READ:
        waiters = rec.readers
        if not rec.read_armed:
            try:
                hub.loop.add_reader(fd, _on_ready, hub, rec, READ)
            except BaseException:
                if not (rec.readers or rec.writers or rec.write_armed):
                    del recs[fd]
                raise
            rec.read_armed = True
    else:
        waiters = rec.writers
        if not rec.write_armed:
            try:
                hub.loop.add_writer(fd, _on_ready, hub, rec, WRITE)
            except BaseException:
                if not (rec.readers or rec.writers or rec.read_armed):
                    del recs[fd]
                raise
            rec.write_armed = True
    waiters.append(task)

    def abort() -> bool:
        try:
            waiters.remove(task)
        except ValueError:
            pass
        if not waiters and not rec.persistent:
            _disarm(hub, rec, kind)
        return True

    hub.park(abort, _describe(fd, kind))


def _describe(fd: int, kind: int) -> str:
    return f"fd {fd} to become {'readable' if kind == READ else 'writable'}"


def _disarm(hub: Any, rec: _FdWaiters, kind: int) -> None:
    if kind == READ:
        if rec.read_armed:
            rec.read_armed = False
            hub.loop.remove_reader(rec.fd)
    elif rec.write_armed:
        rec.write_armed = False
        hub.loop.remove_writer(rec.fd)
    if not (rec.read_armed or rec.write_armed or rec.readers or rec.writers):
        _records(hub).pop(rec.fd, None)


def _on_ready(error: OSError | None, hub: Any, rec: _FdWaiters, kind: int) -> None:
    waiters = rec.readers if kind == READ else rec.writers
    if error is not None:
        # The loop already dropped the watcher.
        if kind == READ:
            rec.read_armed = False
        else:
            rec.write_armed = False
        exc_type = ClosedResourceError if isinstance(error, FdClosedError) else OSError
        exc = exc_type(error.errno, error.strerror or str(error))
        woken = list(waiters)
        waiters.clear()
        for task in woken:
            if task._parked:
                hub.unpark(task, None, exc)
        if not (rec.read_armed or rec.write_armed or rec.readers or rec.writers):
            _records(hub).pop(rec.fd, None)
        return
    if not waiters:
        _disarm(hub, rec, kind)
        return
    woken = waiters[:]
    waiters.clear()
    for task in woken:
        # A task waiting on several fds at once (select/poll) may already have
        # been woken by another fd in this same loop iteration.
        if task._parked:
            hub.unpark(task)
    if not rec.persistent:
        _disarm(hub, rec, kind)


def wait_readable(fd: Any) -> None:
    """Park until ``fd`` (an int or object with ``fileno()``) is readable.  A checkpoint."""
    wait_fd(fd, READ)


def wait_writable(fd: Any) -> None:
    """Park until ``fd`` is writable.  A checkpoint."""
    wait_fd(fd, WRITE)


def notify_closing(fd: Any) -> None:
    """Call before closing ``fd``: waiters get :class:`ClosedResourceError`, the backend forgets it."""
    if not isinstance(fd, int):
        fd = fd.fileno()
    from ._state import peek_hub

    hub = peek_hub()
    if hub is None or hub.closed:
        return
    recs = _records(hub)
    rec = recs.get(fd)
    hub.loop.notify_closing(fd)
    if rec is not None:
        # Waiters not reached through loop callbacks (none armed) still learn.
        for waiters in (rec.readers, rec.writers):
            woken = list(waiters)
            waiters.clear()
            for task in woken:
                if task._parked:
                    error = ClosedResourceError(errno.EBADF, f"file descriptor {fd} was closed while being waited on")
                    hub.unpark(task, None, error)
        recs.pop(fd, None)
