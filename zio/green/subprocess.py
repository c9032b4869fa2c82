"""Cooperative ``subprocess``: waiting for and talking to children parks the fiber.

``Popen`` is the stdlib class with three changes:

* ``wait()`` (and everything built on it) parks on a pidfd of the child
  (Linux ``pidfd_open``; one per child, opened right after the spawn and
  closed once the child is reaped).  No SIGCHLD handler, no reaping of
  children zio did not spawn; ``poll()`` is a non-blocking ``waitpid``.
  Without pidfds it polls with a growing cooperative sleep.
* The pipe file objects (``stdin``, ``stdout``, ``stderr``) sit on a
  non-blocking raw pipe that parks the fiber when it would block, so
  ``proc.stdout.readline()`` or ``proc.stdin.write()`` never block the thread.
  Such a pipe passed on to another child (``stdin=p1.stdout``, a shell
  pipeline) reaches it through a new, blocking open file description of the
  same pipe (Linux ``/proc/self/fd``), so the child never sees O_NONBLOCK.
* ``communicate()`` selects with a cooperative selector.

The stdlib's own code does everything else: the module-level functions
(``run``, ``call``, ``check_call``, ``check_output``, ``getoutput``,
``getstatusoutput``) and the parts of ``Popen`` that change are the
installed interpreter's functions re-bound to globals in which ``Popen``,
``io``, ``os``, ``threading`` and the selector are the cooperative ones, so
their behaviour (timeouts, ``TimeoutExpired`` with partial output,
``KeyboardInterrupt`` handling) is exactly the running Python's.
"""

from __future__ import annotations

import fcntl as _fcntl
import functools
import io as _io
import os as _os
import stat as _stat
import subprocess as _std
import types
from time import monotonic as _time
from typing import Any

from .._core.errors import ClosedResourceError
from .._core.io import notify_closing, wait_fd
from ..loop import READ, WRITE
from . import _user_blocking
from . import os as _gos
from . import threading as _gthreading
from ._fdwait import wait_fd_until
from ._reexport import reexport

reexport(globals(), _std)

__all__ = list(_std.__all__)

#: The names of ``subprocess`` this module replaces (zio.patch and its tests read it).
__implements__ = ["Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"]


class _GreenPipe(_io.RawIOBase):
    """Raw I/O on one end of a pipe to a child; blocking reads and writes park the fiber."""

    def __init__(self, fd: int, mode: str) -> None:
        super().__init__()
        self._fd = fd
        self._reading = "r" in mode
        self.mode = "rb" if self._reading else "wb"
        _gos.set_blocking(fd, False)
        # zio set O_NONBLOCK on the file description: os.read/os.write wait on
        # it, and a child given it gets a blocking twin (_get_handles).
        _user_blocking.remember(fd)

    @property
    def name(self) -> int:
        """The fd, as ``FileIO.name`` is for an fd-opened file."""
        return self._fd

    def fileno(self) -> int:
        """The pipe's fd."""
        self._checkClosed()
        return self._fd

    def readable(self) -> bool:
        """True for the child's stdout/stderr."""
        return self._reading

    def writable(self) -> bool:
        """True for the child's stdin."""
        return not self._reading

    def isatty(self) -> bool:
        """A pipe is never a tty."""
        return False

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes, parking until some arrive (0 at EOF)."""
        self._checkClosed()
        view = memoryview(buffer).cast("B")
        while True:
            try:
                data = _gos._orig_read(self._fd, len(view))
            except BlockingIOError:
                _wait(self._fd, READ)
                continue
            view[: len(data)] = data
            return len(data)

    def write(self, data: Any) -> int:
        """Write some of ``data`` (at least one byte), parking while the pipe is full."""
        self._checkClosed()
        while True:
            try:
                return _gos._orig_write(self._fd, data)
            except BlockingIOError:
                _wait(self._fd, WRITE)

    def close(self) -> None:
        """Close the pipe (fibers waiting on it get ClosedResourceError first)."""
        if not self.closed:
            try:
                super().close()
            finally:
                _user_blocking.forget(self._fd)
                notify_closing(self._fd)
                _gos.close(self._fd)


def _blocking_twin(fd: int) -> int | None:
    """A new, blocking open file description of the green pipe on ``fd`` (None where none can be had).

    O_NONBLOCK belongs to the file description, which a child given ``fd``
    shares: a child reading a non-blocking stdin sees EAGAIN as an error or
    as end of file.  Reopening ``/proc/self/fd/N`` makes a description of
    its own for the same pipe.
    """
    try:
        flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
        if not flags & _os.O_NONBLOCK or not _stat.S_ISFIFO(_os.fstat(fd).st_mode):
            return None
        twin = _os.open(f"/proc/self/fd/{fd}", (flags & _os.O_ACCMODE) | _os.O_NONBLOCK | _os.O_CLOEXEC)
    except OSError:
        return None
    _os.set_blocking(twin, True)
    return twin


def _wait(fd: int, kind: int) -> None:
    wait_fd(fd, kind)


def _open_pipe(fd: int, mode: str, buffering: int = -1) -> Any:
    """Stand-in for ``io.open(fd, mode, bufsize)`` as Popen uses it for its pipes."""
    if buffering == 1 and "b" in mode:
        # What io.open says for the same arguments (Popen(bufsize=1) in binary mode).
        import warnings

        warnings.warn(
            "line buffering (buffering=1) isn't supported in binary mode, the default buffer size will be used",
            RuntimeWarning,
            stacklevel=2,
        )
    raw = _GreenPipe(fd, mode)
    if buffering == 0:
        return raw
    size = _io.DEFAULT_BUFFER_SIZE if buffering in (-1, 1) else buffering
    return _io.BufferedReader(raw, size) if "r" in mode else _io.BufferedWriter(raw, size)


class _GreenIO(types.ModuleType):
    """The ``io`` module as the re-bound Popen code sees it: ``open`` makes green pipes."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_io, name)


_green_io = _GreenIO("io")
_green_io.open = _open_pipe  # type: ignore[attr-defined]


def _selector_class() -> Any:
    try:
        from . import selectors as _gselectors
    except ImportError:  # pragma: no cover - selectors lands with the socket layer
        return _std._PopenSelector
    return getattr(_gselectors, "PollSelector", None) or _gselectors.DefaultSelector


class _LiveOS(types.ModuleType):
    """``os`` as the re-bound code sees it: the live module, with the blocking waits and pipe I/O green.

    A function of ``os`` still holding its original object is swapped for the
    green one; anything else (a patched function, a test's mock of
    ``subprocess.os.waitpid``) is used as found.
    """

    def __getattr__(self, name: str) -> Any:
        value = getattr(_gos._os, name)
        if name in _gos.__implements__ and value is getattr(_gos, f"_orig_{name}", None):
            return getattr(_gos, name)
        return value


class _Globals(dict):
    """Globals of the re-bound stdlib code: the *live* ``subprocess`` module's names.

    Looked up at every access, so code that replaces module attributes
    (``mock.patch("subprocess._fork_exec")``, ``subprocess._USE_VFORK = False``)
    is seen as by the stdlib's own functions.  A name in :data:`_swaps` whose
    module attribute still holds the stdlib's original is swapped for zio's
    version (``Popen``, ``run``..., ``io``, ``os``, ``threading``, the selector).
    """

    def __missing__(self, name: str) -> Any:
        try:
            value = getattr(_std, name)
        except AttributeError:
            raise KeyError(name) from None
        swap = _swaps.get(name)
        if swap is not None and value is swap[0]:
            return swap[1]
        return value


#: name -> (the stdlib module's original object, what the re-bound code uses instead)
_swaps: dict[str, tuple[Any, Any]] = {
    "io": (_io, _green_io),
    "os": (_gos._os, _LiveOS("os")),
    "threading": (_std.threading, _gthreading),
    "_PopenSelector": (_std._PopenSelector, _selector_class()),
}
_green_globals: dict[str, Any] = _Globals(__builtins__=vars(_std)["__builtins__"], __name__=_std.__name__)


def _rebind(func: Any) -> Any:
    """A copy of stdlib ``func`` whose global names resolve in :data:`_green_globals`."""
    new = types.FunctionType(func.__code__, _green_globals, func.__name__, func.__defaults__, func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__qualname__ = func.__qualname__
    new.__doc__ = func.__doc__
    new.__module__ = __name__
    new.__dict__.update(func.__dict__)
    return new


class Popen(_std.Popen):
    """``subprocess.Popen`` whose waits and pipes park the fiber (see the module docstring)."""

    _zio_pidfd: int | None = None

    _zio_std_init = _rebind(_std.Popen.__init__)

    @functools.wraps(_std.Popen.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            self._zio_std_init(*args, **kwargs)
        finally:
            for fd in self.__dict__.pop("_zio_child_fds", ()):
                _os.close(fd)

    def _get_handles(self, stdin: Any, stdout: Any, stderr: Any) -> tuple[int, ...]:
        """The stdlib's handles, with green pipes given to the child as blocking twins (see the docstring)."""
        handles = list(super()._get_handles(stdin, stdout, stderr))
        twins: dict[int, int | None] = {}
        # (p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite): the child's ends are 0, 3 and 5.
        for index in (0, 3, 5):
            fd = handles[index]
            # A green pipe (a green socket is recorded too, but has no twin).
            if _user_blocking.is_user_blocking(fd):
                if fd not in twins:
                    twins[fd] = _blocking_twin(fd)
                twin = twins[fd]
                if twin is not None:
                    handles[index] = twin
        if twins:
            self._zio_child_fds = [twin for twin in twins.values() if twin is not None]
        return tuple(handles)

    communicate = _rebind(_std.Popen.communicate)
    _communicate = _rebind(_std.Popen._communicate)
    _execute_child = _rebind(_std.Popen._execute_child)

    def _zio_open_pidfd(self) -> int | None:
        pidfd = self._zio_pidfd
        if pidfd is None and self.returncode is None and _gos._pidfd_open is not None:
            try:
                pidfd = self._zio_pidfd = _gos._pidfd_open(self.pid)
            except OSError:
                return None
        return pidfd

    def _zio_close_pidfd(self) -> None:
        pidfd = self._zio_pidfd
        if pidfd is not None:
            self._zio_pidfd = None
            notify_closing(pidfd)
            _gos.close(pidfd)

    def _handle_exitstatus(self, *args: Any, **kwargs: Any) -> None:
        super()._handle_exitstatus(*args, **kwargs)
        self._zio_close_pidfd()

    def _wait(self, timeout: float | None) -> int:
        """Wait for the child: park on its pidfd (``TimeoutExpired`` after ``timeout``)."""
        if self.returncode is not None:
            return self.returncode
        endtime = None if timeout is None else _time() + timeout
        delay = 0.0005
        while self.returncode is None:
            if self._waitpid_lock.acquire(False):
                try:
                    if self.returncode is not None:
                        break
                    pid, sts = self._try_wait(_gos.WNOHANG)
                    if pid == self.pid:
                        self._handle_exitstatus(sts)
                        break
                    pidfd = self._zio_open_pidfd()
                finally:
                    self._waitpid_lock.release()
            else:
                pidfd = None  # another fiber or thread is reaping it: poll until it has
            if pidfd is not None:
                try:
                    ready = wait_fd_until(pidfd, READ, endtime)
                except ClosedResourceError:
                    continue  # reaped by someone else meanwhile
                if not ready:
                    raise _std.TimeoutExpired(self.args, timeout)
                continue
            remaining = None if endtime is None else endtime - _time()
            if remaining is not None and remaining <= 0:
                raise _std.TimeoutExpired(self.args, timeout)
            delay = min(delay * 2, 0.05 if remaining is None else min(remaining, 0.05))
            _sleep(delay)
        return self.returncode

    def __del__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__del__(*args, **kwargs)
        finally:
            # getattr: __init__ may have failed before setting returncode.
            if getattr(self, "returncode", None) is not None:
                pidfd = self._zio_pidfd
                if pidfd is not None:
                    self._zio_pidfd = None
                    _gos.close(pidfd)


def _sleep(seconds: float) -> None:
    from . import time as _gtime

    _gtime.sleep(seconds)


_swaps["Popen"] = (_std.Popen, Popen)
for _fname in ("run", "call", "check_call", "check_output", "getstatusoutput", "getoutput"):
    globals()[_fname] = _rebind(getattr(_std, _fname))
    _swaps[_fname] = (getattr(_std, _fname), globals()[_fname])
del _fname
