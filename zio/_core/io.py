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

from greenlet import getcurrent

from ..loop import READ, WRITE, FdClosedError
from ._state import _local, get_hub
from .errors import ClosedResourceError

__all__ = ["notify_closing", "wait_fd", "wait_readable", "wait_writable"]


class _FdWaiters:
    __slots__ = ("fd", "readers", "writers", "read_armed", "write_armed", "persistent", "read_what", "write_what")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.readers: list = []
        self.writers: list = []
        self.read_armed = False
        self.write_armed = False
        self.persistent = False
        # The wait descriptions (for deadlock reports), built on first use:
        # a persistent fd is waited on for every message, and an f-string per
        # wait was a measurable part of a request's cost.
        self.read_what: str | None = None
        self.write_what: str | None = None


def _records(hub: Any) -> dict[int, _FdWaiters]:
    try:
        return hub._fd_waiters
    except AttributeError:
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
    # This runs once per message on every socket, so the common path is
    # written out: the thread's hub and the current task are read directly
    # (get_hub()/current_task() are the fallbacks), the records dict lives on
    # the hub, and nothing is allocated but the abort function.
    if not isinstance(fd, int):
        fd = fd.fileno()
    try:
        hub = _local.hub
    except AttributeError:
        hub = None
    if hub is None:
        hub = get_hub()
    try:
        task = getcurrent()._zio_task
    except AttributeError:
        task = None
    if task is None or task._hub is not hub:
        task = hub.current_task()  # root/foreign greenlet, or misuse (raises)
    try:
        recs = hub._fd_waiters
    except AttributeError:
        recs = _records(hub)
    rec = recs.get(fd)
    if rec is None:
        rec = recs[fd] = _FdWaiters(fd)
    if keep_armed:
        rec.persistent = True
    if kind == READ:
        waiters = rec.readers
        if not rec.read_armed:
            try:
                hub.loop.add_reader(fd, _on_readable, hub, rec)
            except BaseException:
                if not (rec.readers or rec.writers or rec.write_armed):
                    del recs[fd]
                raise
            rec.read_armed = True
        what = rec.read_what
        if what is None:
            what = rec.read_what = _describe(fd, READ)
    else:
        waiters = rec.writers
        if not rec.write_armed:
            try:
                hub.loop.add_writer(fd, _on_writable, hub, rec)
            except BaseException:
                if not (rec.readers or rec.writers or rec.read_armed):
                    del recs[fd]
                raise
            rec.write_armed = True
        what = rec.write_what
        if what is None:
            what = rec.write_what = _describe(fd, WRITE)
    waiters.append(task)

    # Bound through defaults rather than closed over: a closure makes a cell
    # per captured name on every call (about 3x the cost of this).  No
    # annotations either: they are attached to the function at every def.
    def abort(waiters=waiters, task=task, rec=rec, hub=hub, kind=kind):
        try:
            waiters.remove(task)
        except ValueError:
            pass
        if not waiters and not rec.persistent:
            _disarm(hub, rec, kind)
        return True

    hub.park(abort, what, task)


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


def _on_readable(error: OSError | None, hub: Any, rec: _FdWaiters) -> None:
    """The loop's reader callback of every fd waited on (see :func:`_on_writable`)."""
    waiters = rec.readers
    if error is None:
        if waiters:
            runnable = hub.runnable
            for task in waiters:
                # A task waiting on several fds at once (select/poll) may
                # already have been woken by another fd in this iteration.
                if task._parked:
                    # hub.unpark(task) written out: this runs once per message.
                    task._parked = False
                    task._abort = None
                    task._resume_value = None
                    task._resume_exc = None
                    runnable.append(task)
            waiters.clear()
            if rec.persistent:
                return
        # Nobody waits (or nobody will, for a one-shot wait): disarm, since
        # level-triggered readiness would report the fd again and again.
        _disarm(hub, rec, READ)
        return
    rec.read_armed = False  # the loop already dropped the watcher
    _fail_waiters(hub, rec, waiters, error)


def _on_writable(error: OSError | None, hub: Any, rec: _FdWaiters) -> None:
    """The loop's writer callback: :func:`_on_readable` for the writers."""
    waiters = rec.writers
    if error is None:
        if waiters:
            for task in waiters:
                if task._parked:
                    hub.unpark(task)
            waiters.clear()
            if rec.persistent:
                return
        _disarm(hub, rec, WRITE)
        return
    rec.write_armed = False
    _fail_waiters(hub, rec, waiters, error)


def _fail_waiters(hub: Any, rec: _FdWaiters, waiters: list, error: OSError) -> None:
    exc_type = ClosedResourceError if isinstance(error, FdClosedError) else OSError
    exc = exc_type(error.errno, error.strerror or str(error))
    woken = list(waiters)
    waiters.clear()
    for task in woken:
        if task._parked:
            hub.unpark(task, None, exc)
    if not (rec.read_armed or rec.write_armed or rec.readers or rec.writers):
        _records(hub).pop(rec.fd, None)


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
