"""Cooperative drop-in for the stdlib :mod:`select` module.

:func:`select`, :class:`poll` and :class:`epoll` keep the stdlib's exact
results and errors because the answer always comes from the real syscall
with a zero timeout; only the *waiting* is cooperative:

1. ask the kernel with timeout 0; if anything is ready (or the timeout is
   0), return that;
2. otherwise park the fiber until the hub sees one of the fds become ready
   or the deadline passes, then go back to 1.

``epoll`` waits on the epoll fd itself (it becomes readable when events are
pending), so it costs one hub registration however many fds it watches.
Conditions the hub cannot watch (``select``'s exceptional list, ``POLLPRI``
alone) are re-checked every 50 ms while waiting.

``kqueue``/``devpoll`` (not Linux) are re-exported unchanged.
"""

from __future__ import annotations

import math
import select as _std
from typing import Any, Iterable

from ._reexport import reexport
from ._wait import READ, WRITE, monotonic, raise_if_cancelled, wait_any

reexport(globals(), _std)

__all__ = [n for n in dir(_std) if not n.startswith("_")]

_select = _std.select
_poll = getattr(_std, "poll", None)
_epoll = getattr(_std, "epoll", None)

# How often conditions the hub cannot watch are re-checked while waiting.
_RECHECK = 0.05

_POLL_READ = getattr(_std, "POLLIN", 1) | getattr(_std, "POLLRDNORM", 0) | getattr(_std, "POLLRDBAND", 0)
_POLL_WRITE = getattr(_std, "POLLOUT", 4) | getattr(_std, "POLLWRNORM", 0) | getattr(_std, "POLLWRBAND", 0)
_POLL_PRI = getattr(_std, "POLLPRI", 2)
# register()'s default, exactly CPython's: with the *NORM/*BAND bits too, the
# kernel reports them as well, and ``revents == POLLOUT`` checks fail.
_POLL_DEFAULT = getattr(_std, "POLLIN", 1) | _POLL_PRI | getattr(_std, "POLLOUT", 4)


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        fd = obj
    else:
        try:
            fd = obj.fileno()
        except AttributeError:
            raise TypeError("argument must be an int, or have a fileno() method.") from None
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def _deadline(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    return monotonic() + timeout


def _park(waits: list[tuple[int, int]], deadline: float | None, needs_recheck: bool) -> None:
    if needs_recheck:
        cap = monotonic() + _RECHECK
        deadline = cap if deadline is None else min(deadline, cap)
    wait_any(waits, deadline)


def _seq_fds(seq: Any) -> list[tuple[int, Any]]:
    """``[(fd, obj), ...]`` for one of select()'s lists, exactly as the C code builds it.

    Like CPython's ``seq2set``: ``fileno()`` is called once per object, in
    order, and a list mutated by those calls is read live (the length is
    re-checked at every step).
    """
    if not isinstance(seq, (list, tuple)):
        try:
            seq = list(seq)
        except TypeError:
            raise TypeError("arguments 1-3 must be sequences") from None
    pairs = []
    i = 0
    while i < len(seq):
        obj = seq[i]
        pairs.append((_fileno(obj), obj))
        i += 1
    return pairs


def _pick(pairs: list[tuple[int, Any]], ready: list[int]) -> list[Any]:
    if not ready:
        return []
    fds = set(ready)
    return [obj for fd, obj in pairs if fd in fds]


def select(rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any], timeout: float | None = None) -> tuple:
    """Wait until some of the objects are ready; same arguments, results and errors as :func:`select.select`."""
    if timeout is not None:
        if not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a float or None")
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
        if math.isnan(timeout):
            raise ValueError("Invalid value NaN (not a number)")
    rpairs, wpairs, xpairs = _seq_fds(rlist), _seq_fds(wlist), _seq_fds(xlist)
    rfds, wfds, xfds = [fd for fd, _ in rpairs], [fd for fd, _ in wpairs], [fd for fd, _ in xpairs]
    raise_if_cancelled()

    def check() -> tuple:
        # The real syscall on the fds (range and EBADF errors exactly like the stdlib).
        r, w, x = _select(rfds, wfds, xfds, 0)
        return _pick(rpairs, r), _pick(wpairs, w), _pick(xpairs, x)

    result = check()
    if result[0] or result[1] or result[2] or timeout == 0:
        return result
    waits = [(fd, READ) for fd in rfds] + [(fd, WRITE) for fd in wfds]
    readable = set(rfds)
    needs_recheck = any(fd not in readable for fd in xfds)
    deadline = _deadline(timeout)
    while True:
        _park(waits, deadline, needs_recheck)
        result = check()
        if result[0] or result[1] or result[2]:
            return result
        if deadline is not None and monotonic() >= deadline:
            return result


if _poll is not None:
    _MAKE = object()

    class _PollObject:
        """Cooperative ``select.poll`` object: :meth:`register`, :meth:`modify`, :meth:`unregister`, :meth:`poll`.

        As in CPython, the type is not instantiable: make one with :func:`poll`.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if args != (_MAKE,) or kwargs:
                raise TypeError("cannot create 'select.poll' instances")
            self._poller = _poll()
            self._masks: dict[int, int] = {}
            self._polling = False

        def register(self, fd: Any, eventmask: int = _POLL_DEFAULT) -> None:
            """Watch ``fd`` for ``eventmask`` (default POLLIN|POLLPRI|POLLOUT)."""
            self._poller.register(fd, eventmask)
            self._masks[_fileno(fd)] = eventmask

        def modify(self, fd: Any, eventmask: int) -> None:
            """Change the events watched for a registered ``fd``."""
            self._poller.modify(fd, eventmask)
            self._masks[_fileno(fd)] = eventmask

        def unregister(self, fd: Any) -> None:
            """Stop watching ``fd`` (``KeyError`` if it was not registered)."""
            self._poller.unregister(fd)
            self._masks.pop(_fileno(fd), None)

        def poll(self, timeout: float | None = None) -> list[tuple[int, int]]:
            """Events ready now or within ``timeout`` *milliseconds* (None or negative: forever)."""
            if timeout is not None:
                if not isinstance(timeout, (int, float)):
                    raise TypeError("timeout must be an integer or None")
                if timeout < 0:
                    timeout = None
            if self._polling:
                raise RuntimeError("concurrent poll() invocation")
            raise_if_cancelled()
            events = self._poller.poll(0)
            if events or timeout == 0:
                return events
            deadline = _deadline(None if timeout is None else timeout / 1000.0)
            self._polling = True
            try:
                while True:
                    waits: list[tuple[int, int]] = []
                    needs_recheck = False
                    for fd, mask in self._masks.items():
                        if mask & _POLL_READ:
                            waits.append((fd, READ))
                        if mask & _POLL_WRITE:
                            waits.append((fd, WRITE))
                        if mask & _POLL_PRI and not mask & _POLL_READ:
                            needs_recheck = True
                    _park(waits, deadline, needs_recheck)
                    events = self._poller.poll(0)
                    if events or (deadline is not None and monotonic() >= deadline):
                        return events
            finally:
                self._polling = False

    _PollObject.__name__ = _PollObject.__qualname__ = "poll"
    _PollObject.__module__ = "select"

    def poll() -> _PollObject:
        """A cooperative polling object (``select.poll()``): its :meth:`poll` parks the fiber."""
        return _PollObject(_MAKE)

    def adopt_poll(real: Any, masks: dict[int, int]) -> _PollObject:
        """A cooperative polling object on a real ``select.poll`` object and its registrations.

        For zio.patch's fix-up of selectors made before patching; ``masks``
        is what is registered (the real object does not tell).
        """
        self = _PollObject.__new__(_PollObject)
        self._poller = real
        self._masks = dict(masks)
        self._polling = False
        return self


if _epoll is not None:

    class epoll:
        """Cooperative ``select.epoll``: a real epoll object whose :meth:`poll` parks the fiber.

        ``select.epoll`` cannot be subclassed, so this wraps one and offers
        its whole API (register, modify, unregister, poll, close, closed,
        fileno, fromfd, context manager).
        """

        def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
            self._epoll = _epoll(sizehint, flags)

        @classmethod
        def fromfd(cls, fd: int) -> "epoll":
            """Wrap an existing epoll fd (the object takes ownership of it)."""
            self = cls.__new__(cls)
            self._epoll = _epoll.fromfd(fd)
            return self

        @classmethod
        def adopt(cls, real: Any) -> "epoll":
            """Wrap a real ``select.epoll`` object, registrations and all (zio.patch's fix-up)."""
            self = cls.__new__(cls)
            self._epoll = real
            return self

        @property
        def closed(self) -> bool:
            """Whether the epoll object is closed."""
            return self._epoll.closed

        def fileno(self) -> int:
            """The epoll fd."""
            return self._epoll.fileno()

        def register(self, fd: Any, eventmask: int = _std.EPOLLIN | _std.EPOLLPRI | _std.EPOLLOUT) -> None:
            """Watch ``fd`` for ``eventmask``."""
            self._epoll.register(fd, eventmask)

        def modify(self, fd: Any, eventmask: int) -> None:
            """Change the events watched for ``fd``."""
            self._epoll.modify(fd, eventmask)

        def unregister(self, fd: Any) -> None:
            """Stop watching ``fd``."""
            self._epoll.unregister(fd)

        def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
            """Events ready now or within ``timeout`` *seconds* (None or negative: forever)."""
            real = self._epoll
            if timeout is not None:
                if not isinstance(timeout, (int, float)):
                    raise TypeError("timeout must be an integer or None")
                if timeout < 0:
                    timeout = None
            raise_if_cancelled()
            events = real.poll(0, maxevents)
            if events or timeout == 0:
                return events
            deadline = _deadline(timeout)
            fd = real.fileno()
            while True:
                # The epoll fd is readable while it has events to report.
                wait_any([(fd, READ)], deadline)
                events = real.poll(0, maxevents)
                if events or (deadline is not None and monotonic() >= deadline):
                    return events

        def close(self) -> None:
            """Close the epoll fd, waking fibers blocked in :meth:`poll` (ClosedResourceError)."""
            if not self._epoll.closed:
                from .._core.io import notify_closing

                notify_closing(self._epoll.fileno())
            self._epoll.close()

        def __enter__(self) -> "epoll":
            if self._epoll.closed:
                raise ValueError("I/O operation on closed epoll object")
            return self

        def __exit__(self, *exc: Any) -> None:
            self.close()

        def __repr__(self) -> str:
            return f"<zio.green.select.epoll fd={-1 if self.closed else self.fileno()}>"


__implements__ = ["select"] + (["poll"] if _poll is not None else []) + (["epoll"] if _epoll is not None else [])
