"""The backend-independent half of the event loop.

A :class:`Loop` owns four things: fd watchers, one-shot timers, a queue of
ready callbacks and a thread-safe inbox with a real wakeup.  It knows nothing
about fibers; the hub (``zio._core``) is one user of it, C-library
integrations (psycopg2's wait callback, pycurl's multi-socket API) are others.

A backend subclass supplies five methods: ``_register``, ``_modify``,
``_unregister``, ``_poll`` and ``_close_backend``.  It may also override
``_poll_and_dispatch`` to run the callbacks straight from the kernel's event
list (epoll does: every wakeup passes through it, so no intermediate list).
"""

from __future__ import annotations

import errno
import math
import os
import signal
import sys
import threading
import time
import traceback
from _thread import get_ident as _os_thread_ident  # the OS thread, even after zio.patch
from collections import deque
from typing import Any, Callable

from .errors import FdClosedError, LoopClosedError, WrongThreadError
from .timers import TimerHandle, TimerHeap
from .waker import Waker

# Captured at import: zio.patch later makes os.read/os.write cooperative, and
# the loop must never park (it is what parking waits on).
_os_read = os.read

__all__ = ["Loop", "READ", "WRITE", "BAD"]

#: Watch for readability.
READ = 1
#: Watch for writability.
WRITE = 2
#: Reported by a backend's ``_poll`` for an fd the kernel says is not open.
BAD = 4

# Poll timeouts are clamped: some kernels reject very large values and a
# periodic wakeup once a day costs nothing.
MAX_POLL_TIMEOUT = 86400.0

_monotonic = time.monotonic


class _FdRecord:
    """The watchers of one fd: at most one reader and one writer callback."""

    __slots__ = ("fd", "mask", "reader", "reader_call", "writer", "writer_call")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.mask = 0  # what the backend currently watches
        self.reader: Callable[..., Any] | None = None
        # The whole argument tuple of a readiness call, ``(None, *args)``,
        # built once at registration rather than per event.
        self.reader_call: tuple = ()
        self.writer: Callable[..., Any] | None = None
        self.writer_call: tuple = ()


def _check_fd(fd: Any) -> int:
    if not isinstance(fd, int):
        if hasattr(fd, "fileno"):
            fd = fd.fileno()
        else:
            raise TypeError(f"expected an int fd or an object with fileno(), got {type(fd).__name__}")
    if fd < 0:
        raise OSError(errno.EBADF, f"invalid file descriptor {fd}")
    return fd


class Loop:
    """Readiness watching, timers, ready callbacks and thread-safe wakeups.

    Every method except :meth:`call_soon_threadsafe` belongs to the thread that
    created the loop.  Callbacks registered with :meth:`add_reader` /
    :meth:`add_writer` are persistent (level-triggered) until removed, and are
    called as ``callback(error, *args)``: ``error`` is None on readiness, or an
    :class:`OSError` (``EBADF``) when the fd turned out to be invalid or was
    closed through :meth:`notify_closing`; in that case the watcher is already
    gone.
    """

    #: The backend's name, as accepted by ``zio.run(backend=...)``.
    name = "abstract"
    #: Whether the backend offers completion-based operations (io_uring style).
    #: No backend does yet; see :mod:`zio.loop.completion` for the seam.
    supports_completions = False

    def __init__(self) -> None:
        self._thread_id = _os_thread_ident()
        self._timers = TimerHeap()
        self._ready: deque[tuple[Callable[..., Any], tuple]] = deque()
        self._threadsafe: deque[tuple[Callable[..., Any], tuple]] = deque()
        self._fds: dict[int, _FdRecord] = {}
        # Counts records dropped from _fds, so a dispatch pass can tell an fd
        # that was unknown when polled from one a callback just removed.
        self._fd_removals = 0
        self._always_ready: set[int] = set()
        self._closed = False
        self._wake_pending = False
        self._exception_handler: Callable[[BaseException, Any], None] | None = None
        self._signal_handlers: dict[int, tuple[Callable[..., Any], tuple, Any]] = {}
        self._signal_pipe: tuple[int, int] | None = None
        self._internal_fds = 0
        # The clock seam (see set_clock): None means time.monotonic, read
        # through the module global so the default path costs nothing extra.
        self._clock: Any = None
        self._init_backend()
        self._waker = Waker()
        self._add_internal_reader(self._waker.fileno, self._on_wakeup)

    # -- backend contract ------------------------------------------------
    def _init_backend(self) -> None:
        raise NotImplementedError

    def _register(self, fd: int, mask: int) -> None:
        raise NotImplementedError

    def _modify(self, fd: int, mask: int) -> None:
        raise NotImplementedError

    def _unregister(self, fd: int) -> None:
        raise NotImplementedError

    def _poll(self, timeout: float | None) -> list[tuple[int, int]]:
        raise NotImplementedError

    def _poll_and_dispatch(self, timeout: float | None) -> None:
        """Poll once and run the fd callbacks; a backend may fuse the two (epoll does)."""
        events = self._poll(timeout)
        if events:
            self._dispatch(events)

    def _close_backend(self) -> None:
        raise NotImplementedError

    # -- clock and callbacks ----------------------------------------------
    @staticmethod
    def time() -> float:
        """The loop's clock: :func:`time.monotonic` unless :meth:`set_clock` installed another."""
        return _monotonic()

    @property
    def clock(self) -> Any:
        """The clock installed with :meth:`set_clock`, or None for the real monotonic clock."""
        return self._clock

    def set_clock(self, clock: Any) -> None:
        """Run this loop's timers on ``clock`` instead of :func:`time.monotonic` (None restores it).

        ``clock`` needs two methods: ``time()`` (the current time, in seconds)
        and ``deadline_to_sleep_time(deadline)`` (how many *real* seconds the
        poll may sleep before ``deadline`` is reached; ``math.inf`` if only a
        jump of the clock can reach it).  :class:`zio.testing.MockClock` is one.
        Timers already scheduled keep their deadlines, which were taken on the
        old clock, so a clock must be installed before any timer is armed.
        """
        if clock is not None:
            for name in ("time", "deadline_to_sleep_time"):
                if not callable(getattr(clock, name, None)):
                    raise TypeError(f"a loop clock needs a {name}() method; {clock!r} has none")
        if len(self._timers):
            raise RuntimeError(
                f"cannot change the clock of a loop with {len(self._timers)} pending timer(s): "
                "their deadlines belong to the old clock; install the clock before arming timers"
            )
        self._clock = clock
        if clock is None:
            self.__dict__.pop("time", None)
        else:
            # An instance attribute shadows the staticmethod, so loop.time()
            # (read by cancel scopes and zio.current_time) needs no indirection
            # on the default path.
            self.time = clock.time  # type: ignore[method-assign]

    def next_timer_deadline(self) -> float | None:
        """The deadline of the earliest pending timer on the loop's clock, or None."""
        return self._timers.next_deadline()

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` on the next loop iteration (owner thread only)."""
        self._ready.append((callback, args))

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` in the loop's thread; callable from any thread.

        Wakes the loop if it is blocked in its poll.  Wakeups are coalesced: many
        calls between two iterations cost one write.
        """
        if self._closed:
            raise LoopClosedError("the event loop is closed")
        self._threadsafe.append((callback, args))
        # Set the flag before writing so a concurrent reader that clears it
        # afterwards still drains our item (see _on_wakeup).
        if not self._wake_pending:
            self._wake_pending = True
            self._waker.wake()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once at monotonic time ``when``; returns a cancellable handle."""
        if when != when:  # NaN would poison the heap order
            raise ValueError("timer deadline is NaN")
        return self._timers.push(when, callback, args)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once after ``delay`` seconds."""
        if delay != delay:  # NaN would poison the heap order
            raise ValueError("timer delay is NaN")
        clock = self._clock
        return self._timers.push((_monotonic() if clock is None else clock.time()) + delay, callback, args)

    # -- fd watching ------------------------------------------------------
    def add_reader(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(None, *args)`` whenever ``fd`` is readable, until removed.

        Replaces an existing reader callback of the same fd.  An invalid fd
        raises ``OSError(EBADF)`` here or reaches the callback as the error.
        """
        self._set_watcher(_check_fd(fd), READ, callback, args)

    def add_writer(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(None, *args)`` whenever ``fd`` is writable, until removed."""
        self._set_watcher(_check_fd(fd), WRITE, callback, args)

    def remove_reader(self, fd: Any) -> bool:
        """Stop watching ``fd`` for reading; returns whether a reader was registered."""
        return self._clear_watcher(_check_fd(fd), READ)

    def remove_writer(self, fd: Any) -> bool:
        """Stop watching ``fd`` for writing; returns whether a writer was registered."""
        return self._clear_watcher(_check_fd(fd), WRITE)

    def watched_fds(self) -> dict[int, int]:
        """Map of user-watched fds to their READ/WRITE mask (for debugging)."""
        internal = self._internal_fd_set()
        return {fd: rec.mask for fd, rec in self._fds.items() if fd not in internal}

    def notify_closing(self, fd: Any) -> None:
        """Tell the loop ``fd`` is about to be closed.

        The fd is removed from the backend *before* the caller closes it (epoll
        would otherwise keep reporting a dup of it), and its watchers are called
        with :class:`FdClosedError` so whoever waited learns why.
        """
        fd = _check_fd(fd)
        rec = self._fds.pop(fd, None)
        self._always_ready.discard(fd)
        if rec is None:
            return
        self._fd_removals += 1
        if rec.mask:
            self._unregister(fd)
        self._fail_record(rec, FdClosedError(errno.EBADF, f"file descriptor {fd} was closed while being waited on"))

    def _set_watcher(self, fd: int, kind: int, callback: Callable[..., Any], args: tuple) -> None:
        if self._closed:
            raise LoopClosedError("the event loop is closed")
        if _os_thread_ident() != self._thread_id:
            raise WrongThreadError(
                f"fd watchers of the {self.name} loop owned by thread {self._thread_id} cannot be changed "
                f"from thread {_os_thread_ident()}; use call_soon_threadsafe"
            )
        rec = self._fds.get(fd)
        if rec is None:
            rec = self._fds[fd] = _FdRecord(fd)
        if kind == READ:
            replacing = rec.reader is not None
            rec.reader, rec.reader_call = callback, (None, *args)
        else:
            replacing = rec.writer is not None
            rec.writer, rec.writer_call = callback, (None, *args)
        new_mask = rec.mask | kind
        if fd in self._always_ready:
            rec.mask = new_mask
            return
        # Replacing a watcher re-syncs the backend as well: the fd may have
        # been closed and its number reused without notify_closing, and epoll
        # silently dropped the old file's registration when it was closed.
        if new_mask != rec.mask or replacing:
            try:
                if rec.mask:
                    self._modify(fd, new_mask)
                else:
                    self._register(fd, new_mask)
            except PermissionError:
                # epoll refuses regular files and some devices: they are always
                # ready for I/O, so report them ready on every iteration.
                self._always_ready.add(fd)
            except BaseException:
                if kind == READ:
                    rec.reader, rec.reader_call = None, ()
                else:
                    rec.writer, rec.writer_call = None, ()
                if replacing:
                    rec.mask &= ~kind
                if rec.reader is None and rec.writer is None:
                    del self._fds[fd]
                    self._fd_removals += 1
                    if rec.mask:
                        self._unregister(fd)
                raise
            rec.mask = new_mask

    def _clear_watcher(self, fd: int, kind: int) -> bool:
        rec = self._fds.get(fd)
        if rec is None:
            return False
        if kind == READ:
            had = rec.reader is not None
            rec.reader, rec.reader_call = None, ()
        else:
            had = rec.writer is not None
            rec.writer, rec.writer_call = None, ()
        new_mask = rec.mask & ~kind
        if new_mask != rec.mask:
            rec.mask = new_mask
            if fd in self._always_ready:
                if not new_mask:
                    self._always_ready.discard(fd)
            elif new_mask:
                self._modify_quietly(fd, new_mask)
            else:
                self._unregister(fd)
        if not rec.mask:
            del self._fds[fd]
            self._fd_removals += 1
        return had

    def _modify_quietly(self, fd: int, mask: int) -> None:
        try:
            self._modify(fd, mask)
        except OSError:
            # The fd was closed behind our back; the backend already forgot it
            # or will report it as BAD on the next poll.
            pass

    def _fail_record(self, rec: _FdRecord, error: OSError) -> None:
        for cb, call in ((rec.reader, rec.reader_call), (rec.writer, rec.writer_call)):
            if cb is not None:
                self._run_callback(cb, (error, *call[1:]))

    # -- signals ----------------------------------------------------------
    def add_signal_handler(self, sig: int, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` in the loop whenever signal ``sig`` arrives.

        Main thread only (a CPython rule).  The Python-level handler (run by
        CPython in the main thread) queues the callback as
        :meth:`call_soon_threadsafe` does, which also wakes a blocked poll.
        Deliveries that arrive before that handler runs are coalesced into
        one, as CPython coalesces them.

        So that a signal delivered to another thread still wakes the poll,
        the loop also sets the process's signal wakeup fd
        (``signal.set_wakeup_fd``) to a pipe of its own -- but only while no
        one else has one: another event loop in the program (asyncio's)
        dispatches *its* signals by reading that fd, and would go deaf.  Then
        callbacks still run, and a signal that lands on another thread while
        the loop sleeps waits for its next wakeup.
        """
        if _os_thread_ident() != threading.main_thread().ident or self._thread_id != _os_thread_ident():
            raise WrongThreadError("signal handlers can only be installed by a loop running in the main thread")
        if self._signal_pipe is None and not self._signal_handlers:
            self._take_wakeup_fd()
        previous = self._signal_handlers.get(sig)
        old = previous[2] if previous else signal.signal(sig, self._signal_arrived)
        self._signal_handlers[sig] = (callback, args, old)

    def remove_signal_handler(self, sig: int) -> bool:
        """Restore the handler that was in place before :meth:`add_signal_handler`."""
        entry = self._signal_handlers.pop(sig, None)
        if entry is None:
            return False
        signal.signal(sig, entry[2] if entry[2] is not None else signal.SIG_DFL)
        if not self._signal_handlers:
            self._close_signal_pipe()
        return True

    def _signal_arrived(self, signum: int, frame: Any) -> None:
        """The Python-level handler of the loop's signals (CPython runs it in the main thread)."""
        entry = self._signal_handlers.get(signum)
        if entry is not None and not self._closed:
            self.call_soon_threadsafe(entry[0], *entry[1])

    def _take_wakeup_fd(self) -> None:
        """Point the process's signal wakeup fd at a pipe of this loop's, if nobody else holds it."""
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        if previous != -1:
            # Someone else's (asyncio's, say): give it back at once.  (The
            # two calls run in the main thread, between bytecodes; a signal
            # handled by another thread in that instant writes to our pipe.)
            signal.set_wakeup_fd(previous)
            os.close(read_fd)
            os.close(write_fd)
            return
        self._signal_pipe = (read_fd, write_fd)
        self._add_internal_reader(read_fd, self._on_signal_bytes)

    def _on_signal_bytes(self, error: OSError | None) -> None:
        """The wakeup pipe is readable: it only woke the poll (the handler queues the callbacks)."""
        pipe = self._signal_pipe
        if pipe is None:
            return
        try:
            while _os_read(pipe[0], 4096):
                pass
        except OSError:
            pass  # drained (EAGAIN), or interrupted: what is left wakes the next poll

    def _close_signal_pipe(self) -> None:
        if self._signal_pipe is None:
            return
        read_fd, write_fd = self._signal_pipe
        self._signal_pipe = None
        try:
            current = signal.set_wakeup_fd(-1)
            if current != write_fd:
                # Another event loop took the wakeup fd after us: it stays
                # theirs -- unless they closed it already (asyncio closes its
                # self-pipe before it removes its handlers), then none.
                try:
                    signal.set_wakeup_fd(current)
                except OSError:
                    pass
        except ValueError:
            pass  # not the main thread any more (interpreter shutdown)
        self._remove_internal_reader(read_fd)
        os.close(read_fd)
        os.close(write_fd)

    # -- internals --------------------------------------------------------
    def _add_internal_reader(self, fd: int, callback: Callable[..., Any]) -> None:
        self._set_watcher(fd, READ, callback, ())
        self._internal_fds += 1

    def _remove_internal_reader(self, fd: int) -> None:
        self._clear_watcher(fd, READ)
        self._internal_fds -= 1

    def _internal_fd_set(self) -> set[int]:
        fds = {self._waker.fileno}
        if self._signal_pipe is not None:
            fds.add(self._signal_pipe[0])
        return fds

    def _on_wakeup(self, error: OSError | None) -> None:
        # Drain *before* clearing the flag.  The other order loses wakeups: a
        # writer that sees the flag clear and writes between the clear and the
        # drain has its write drained, leaving the flag set with nothing to
        # read, so every later writer skips its write and a blocking poll never
        # returns.  In this order a writer that still sees the flag set
        # appended its item before the clear, hence before run_once moves the
        # thread-safe items below; one that sees it clear writes a fresh wakeup.
        self._waker.drain()
        self._wake_pending = False

    def set_exception_handler(self, handler: Callable[[BaseException, Any], None] | None) -> None:
        """Route exceptions raised by callbacks to ``handler(exc, callback)``.

        The default prints them to stderr with the callback's name.  Exceptions
        never escape :meth:`run_once` (except BaseExceptions such as
        KeyboardInterrupt), so one bad callback cannot stop the loop.
        """
        self._exception_handler = handler

    def _run_callback(self, callback: Callable[..., Any], args: tuple) -> None:
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - reported, never dropped
            self._report(exc, callback)

    def _report(self, exc: BaseException, callback: Any) -> None:
        handler = self._exception_handler
        if handler is not None:
            try:
                handler(exc, callback)
                return
            except Exception as handler_exc:  # noqa: BLE001
                exc = handler_exc
        print(f"zio.loop: exception in callback {callback!r}:", file=sys.stderr)
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)

    def has_external_sources(self) -> bool:
        """Whether anything outside the ready queue could still produce work.

        True when user fds are watched, timers are pending, signal handlers are
        installed or thread-safe callbacks are queued.  The hub uses this to
        decide that a wait can never be woken.
        """
        return bool(
            len(self._fds) > self._internal_fds
            or len(self._timers)
            or self._signal_handlers
            or self._threadsafe
            or self._ready
        )

    def run_once(self, timeout: float | None = None) -> None:
        """Poll once and run what became due.

        Waits at most ``timeout`` seconds (None: until something happens),
        less if a timer is due sooner and not at all if callbacks are ready.
        Then runs fd callbacks, expired timers and the callbacks that were
        ready when the iteration began (later ones wait for the next pass, so
        polling is never starved).
        """
        if self._closed:
            raise LoopClosedError("the event loop is closed")
        if self._ready or self._always_ready or self._threadsafe:
            timeout = 0.0
        else:
            deadline = self._timers.next_deadline()
            if deadline is not None:
                clock = self._clock
                if clock is None:
                    wait = deadline - _monotonic()
                else:
                    wait = clock.deadline_to_sleep_time(deadline)
                if wait < 0.0:
                    wait = 0.0
                if timeout is None or wait < timeout:
                    timeout = wait
            if timeout is not None:
                if timeout > MAX_POLL_TIMEOUT:
                    timeout = MAX_POLL_TIMEOUT
                elif timeout < 0.0 or math.isnan(timeout):
                    timeout = 0.0
        self._poll_and_dispatch(timeout)
        if self._always_ready:
            self._dispatch([(fd, READ | WRITE) for fd in self._always_ready])
        threadsafe = self._threadsafe
        ready = self._ready
        while threadsafe:
            ready.append(threadsafe.popleft())
        if self._timers._heap:
            self.run_expired_timers()
        count = len(ready)
        run = self._run_callback
        popleft = ready.popleft
        for _ in range(count):
            cb, args = popleft()
            run(cb, args)

    def run_expired_timers(self) -> None:
        """Run the callbacks of the timers that are due now, without polling.

        :meth:`run_once` does this too; a scheduler calls it on its own when
        it must not poll (see ``zio._core.hub``: polling mid-pass would
        report fds whose fibers are already runnable).
        """
        if self._closed:
            raise LoopClosedError("the event loop is closed")
        clock = self._clock
        for handle in self._timers.pop_due(_monotonic() if clock is None else clock.time()):
            cb, args = handle.callback, handle.args
            handle.callback, handle.args = None, ()  # type: ignore[assignment]
            self._run_callback(cb, args)

    def _dispatch(self, events: list[tuple[int, int]]) -> None:
        """Run the callbacks of ``(fd, READ|WRITE|BAD mask)`` events.

        The callback calls are written out here (not through _run_callback):
        this is the per-event path of every wakeup.  EpollLoop has its own copy.
        """
        fds = self._fds
        for fd, mask in events:
            if mask & BAD:
                rec = fds.pop(fd, None)
                if rec is not None:
                    self._fd_removals += 1
                    self._unregister(fd)
                    self._fail_record(rec, OSError(errno.EBADF, f"file descriptor {fd} is not open"))
                continue
            rec = fds.get(fd)
            if rec is None:
                continue
            if mask & READ:
                cb = rec.reader
                if cb is not None:
                    try:
                        cb(*rec.reader_call)
                    except Exception as exc:  # noqa: BLE001 - reported, never dropped
                        self._report(exc, cb)
                    if mask & WRITE:
                        # The reader callback may have removed this record.
                        rec = fds.get(fd)
                        if rec is None:
                            continue
            if mask & WRITE:
                cb = rec.writer
                if cb is not None:
                    try:
                        cb(*rec.writer_call)
                    except Exception as exc:  # noqa: BLE001
                        self._report(exc, cb)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Release the backend and wakeup fds.  Pending callbacks are dropped."""
        if self._closed:
            return
        for sig in list(self._signal_handlers):
            self.remove_signal_handler(sig)
        self._closed = True
        self._waker.close()
        self._close_backend()
        self._fd_removals += len(self._fds)
        self._fds.clear()
        self._ready.clear()
        self._threadsafe.clear()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} fds={len(self._fds) - self._internal_fds} timers={len(self._timers)}>"
