"""Cooperative ``os``: waiting for children, reading and writing pipes, forking.

* :func:`waitpid` / :func:`wait4` for one child park the fiber on a pidfd
  (Linux ``pidfd_open``), which becomes readable when that child exits.  No
  SIGCHLD handler is installed and no child is ever reaped except by the
  caller's own request.  ``waitpid(-1, ...)``, :func:`wait`, :func:`wait3`
  and waits with ``WUNTRACED``/``WCONTINUED`` run the real call in a zio
  worker thread.
* :func:`read` / :func:`write` on a *blocking* pipe, socket or terminal
  wait for readiness in the hub first, so the fiber (not the OS thread)
  blocks; the result is what the blocking call would have returned (a
  write still writes everything).  Non-blocking fds keep their semantics
  (``BlockingIOError``): event loops such as asyncio rely on it.  For
  non-blocking fds that should wait instead, use :func:`nb_read` /
  :func:`nb_write`.  Regular files are read directly (they never block on
  readiness).
* Forking: an ``os.register_at_fork`` hook (installed when this module is
  imported, so it covers ``os.fork``, ``pty.fork``, multiprocessing and C
  code alike) gives the child a fresh hub.  The parent's other fibers never
  run in the child (as with threads); if a fiber other than a thread's main
  line forked, the child process exits when that fiber's function returns,
  as a forked non-main thread would.
"""

from __future__ import annotations

import fcntl as _fcntl
import os as _os
import select as _select_mod
import stat as _stat
import sys
import time
from typing import Any

from greenlet import getcurrent

from .._core import _state
from .._core.io import wait_fd
from .._core.threadpool import run_in_thread
from ..loop import READ, WRITE
from . import _user_blocking
from ._fdwait import wait_fd_until
from ._reexport import reexport

# A drop-in module: every name of the stdlib's os (the functions below override some).
reexport(globals(), _os)

__all__ = [n for n in dir(_os) if not n.startswith("_")] + ["nb_read", "nb_write"]

#: The names of ``os`` this module replaces (zio.patch and its tests read it).
__implements__ = ["waitpid", "wait", "wait3", "wait4", "read", "write", "set_blocking"]

_orig_read = _os.read
_orig_set_blocking = _os.set_blocking
_orig_write = _os.write
_orig_waitpid = _os.waitpid
_orig_wait = _os.wait
_orig_wait3 = getattr(_os, "wait3", None)
_orig_wait4 = getattr(_os, "wait4", None)
_pidfd_open = getattr(_os, "pidfd_open", None)
_poll_cls = _select_mod.poll
_PIPE_BUF = getattr(_select_mod, "PIPE_BUF", 512)
_WAITABLE = (_stat.S_IFIFO, _stat.S_IFSOCK, _stat.S_IFCHR)


def _can_park() -> bool:
    """Whether the caller is a fiber that may park (not the hub itself)."""
    hub = _state.peek_hub()
    g = getcurrent()
    if hub is not None and g is hub.greenlet:
        return False
    return True


# -- children -------------------------------------------------------------------
def _wait_child(pid: int, options: int, call: Any) -> Any:
    """``call(pid, options | WNOHANG)`` until it reports; park on a pidfd in between."""
    try:
        pidfd = _pidfd_open(pid)  # type: ignore[misc]
    except ProcessLookupError:
        return call(pid, options)  # gone already: the real call gives the right answer/error
    try:
        while True:
            result = call(pid, options | _os.WNOHANG)
            if result[0] != 0:
                return result
            wait_fd(pidfd, READ)
    finally:
        _os.close(pidfd)


def _simple_wait(pid: int, options: int) -> bool:
    return pid > 0 and _pidfd_open is not None and not options & (_os.WUNTRACED | _os.WCONTINUED)


def waitpid(pid: int, options: int) -> tuple[int, int]:
    """:func:`os.waitpid` that parks the fiber instead of the thread (see the module docs)."""
    if options & _os.WNOHANG or not _can_park():
        return _orig_waitpid(pid, options)
    if _simple_wait(pid, options):
        return _wait_child(pid, options, _orig_waitpid)
    return run_in_thread(_orig_waitpid, pid, options)


def wait() -> tuple[int, int]:
    """:func:`os.wait` run in a worker thread (it waits for any child)."""
    if not _can_park():
        return _orig_wait()
    return run_in_thread(_orig_wait)


if _orig_wait4 is not None:

    def wait4(pid: int, options: int) -> tuple[int, int, Any]:
        """:func:`os.wait4` that parks the fiber instead of the thread."""
        if options & _os.WNOHANG or not _can_park():
            return _orig_wait4(pid, options)
        if _simple_wait(pid, options):
            return _wait_child(pid, options, _orig_wait4)
        return run_in_thread(_orig_wait4, pid, options)


if _orig_wait3 is not None:

    def wait3(options: int) -> tuple[int, int, Any]:
        """:func:`os.wait3` run in a worker thread unless ``WNOHANG``."""
        if options & _os.WNOHANG or not _can_park():
            return _orig_wait3(options)
        return run_in_thread(_orig_wait3, options)


# -- reading and writing --------------------------------------------------------
def _should_wait(fd: int, events: int) -> bool:
    """Whether ``fd`` is a blocking pipe/socket/tty that is not ready for ``events`` now."""
    if not _can_park():
        return False
    try:
        if _stat.S_IFMT(_os.fstat(fd).st_mode) not in _WAITABLE or not _blocking_and_open_for(fd, events):
            return False
        p = _poll_cls()
        p.register(fd, events)
        return not p.poll(0)
    except (OSError, ValueError):
        return False  # let the real call report the problem


def read(fd: int, n: int, /) -> bytes:
    """:func:`os.read`; on a blocking pipe, socket or tty the fiber waits for data."""
    if _should_wait(fd, _select_mod.POLLIN):
        _wait_quietly(fd, READ)
    try:
        return _orig_read(fd, n)
    except BlockingIOError:
        # A green socket's or child pipe's fd: non-blocking for zio's sake
        # only, so wait as the blocking fd the program believes it is.
        if not (_user_blocking.is_user_blocking(fd) and _can_park()):
            raise
    return nb_read(fd, n)


def write(fd: int, data: Any, /) -> int:
    """:func:`os.write`; on a blocking pipe, socket or tty the fiber waits for room.

    Like the blocking call it replaces, it returns only once all of ``data``
    is written (in pipe-atomic chunks), or with the count written before an
    error ended it.
    """
    if _user_blocking.is_user_blocking(fd) and _can_park():
        return _write_all_parking(fd, data)
    if not _should_wait(fd, _select_mod.POLLOUT):
        view = memoryview(data)
        if len(view) <= _PIPE_BUF or not _is_waitable_blocking(fd):
            return _orig_write(fd, data)
    view = memoryview(data).cast("B")
    total = 0
    while total < len(view):
        if total or _should_wait(fd, _select_mod.POLLOUT):
            _wait_quietly(fd, WRITE)
        try:
            total += _orig_write(fd, view[total : total + _PIPE_BUF])
        except OSError:
            if total:
                return total
            raise
    return total


def set_blocking(fd: int, blocking: bool, /) -> None:
    """:func:`os.set_blocking`.  The mode set now is the program's own.

    The fd of a green socket or child pipe is non-blocking for zio's sake
    and :func:`read`/:func:`write` wait on it as on a blocking fd; once the
    program sets a mode itself (asyncio makes a child's pipe non-blocking
    and expects ``BlockingIOError``), that mode is what they honour.
    """
    _orig_set_blocking(fd, blocking)
    _user_blocking.forget(fd)


def _write_all_parking(fd: int, data: Any) -> int:
    """write() to a non-blocking fd whose owner's mode is blocking: all of ``data``, parking while full."""
    view = memoryview(data).cast("B")
    total = 0
    while True:
        try:
            total += nb_write(fd, view[total:])
        except OSError:
            if total:
                return total  # as a blocking write interrupted by an error reports
            raise
        if total >= len(view):
            return total


def _blocking_and_open_for(fd: int, events: int) -> bool:
    """Whether ``fd`` is in blocking mode and open for the direction of ``events``.

    A write to a read-only fd (or a read of a write-only one) fails at once
    with EBADF; waiting for readiness first would wait forever.
    """
    flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
    if flags & _os.O_NONBLOCK:
        return False
    mode = flags & _os.O_ACCMODE
    if events & _select_mod.POLLOUT:
        return mode != _os.O_RDONLY
    return mode != _os.O_WRONLY


def _is_waitable_blocking(fd: int) -> bool:
    try:
        return _stat.S_IFMT(_os.fstat(fd).st_mode) in _WAITABLE and _os.get_blocking(fd) and _can_park()
    except OSError:
        return False


def _wait_quietly(fd: int, kind: int) -> None:
    try:
        wait_fd(fd, kind)
    except PermissionError:
        pass  # a device the poller cannot watch (e.g. /dev/null): it never blocks anyway


def nb_read(fd: int, n: int, timeout: float | None = None) -> bytes:
    """Read from a non-blocking fd, parking the fiber while it has no data.

    Raises TimeoutError if ``timeout`` seconds pass first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            return _orig_read(fd, n)
        except BlockingIOError:
            if not wait_fd_until(fd, READ, deadline):
                raise TimeoutError(f"nb_read() of fd {fd} timed out") from None


def nb_write(fd: int, data: Any, timeout: float | None = None) -> int:
    """Write to a non-blocking fd, parking the fiber while it has no room; returns the count written."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            return _orig_write(fd, data)
        except BlockingIOError:
            if not wait_fd_until(fd, WRITE, deadline):
                raise TimeoutError(f"nb_write() to fd {fd} timed out") from None


# -- fork -----------------------------------------------------------------------
#: Hubs (and so their fibers' greenlets) inherited from the parent.  Kept
#: referenced forever: a collected greenlet would be unwound by GreenletExit,
#: running the parent's ``finally`` blocks in the child.
_abandoned: list[Any] = []
_after_fork_callbacks: list[Any] = []


def register_after_fork(callback: Any) -> None:
    """Run ``callback()`` in a forked child once it has its fresh hub (zio modules use this)."""
    _after_fork_callbacks.append(callback)


class _ExitWhenDone:
    """Stands in as the forked fiber's group: the hub tells it when the task is done."""

    def _child_done(self, task: Any) -> None:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            _os._exit(0)


def _after_fork_in_child() -> None:
    old = _state.peek_hub()
    if old is None:
        _reset_thread_pool()
        return
    _abandoned.append(old)
    old.closed = True  # green primitives skip its waiters; nothing may spawn on it
    try:
        # Close the child's copies of the loop's fds.  This never unregisters
        # anything: an epoll set is shared with the parent until closed.
        old.loop.close()
    except Exception:  # noqa: BLE001 - best effort in a fresh child
        pass
    _state.set_hub(None)
    _reset_thread_pool()
    g = getcurrent()
    if g.parent is not None:
        # A fiber forked: it carries on in the child as a task of the child's
        # fresh hub, and the process ends when it returns, as a forked
        # non-main thread's process does.
        hub = _state.get_hub()
        g.parent = hub.greenlet
        task = getattr(g, "_zio_task", None)
        if task is not None and task is not hub.root_task:
            task._hub = hub
            # Whichever hub records the end of the task tells its group.
            task._group = _ExitWhenDone()
    for callback in list(_after_fork_callbacks):
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - report, keep the child alive
            print(f"zio: after-fork callback {callback!r} failed: {exc!r}", file=sys.stderr)


def _reset_thread_pool() -> None:
    # The pool's worker threads do not exist in the child, and its lock may
    # have been held by one of them at fork time.
    from .._core import threadpool

    threadpool._default_pool = None


_installed = False


def install_fork_hook() -> None:
    """Register the after-fork hook (done once, when this module is imported)."""
    global _installed
    if not _installed and hasattr(_os, "register_at_fork"):
        _os.register_at_fork(after_in_child=_after_fork_in_child)
        _installed = True


install_fork_hook()
