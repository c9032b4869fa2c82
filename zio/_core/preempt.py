"""Time slicing for threads-as-fibers: a patched thread that never blocks still lets the others run.

Fibers switch only at blocking calls.  Native zio code is written for that,
but code written for OS threads is not: it may busy-wait on a flag that
another thread sets, or compute for seconds while a server thread should
answer.  OS threads are preempted; fibers would wait forever (gevent hangs
on exactly these programs).  So once the main thread has started a patched
thread, its hub is time-sliced: when one of its fibers has run for a whole
slice without switching while other work waits (runnable fibers, fds or
timers), it yields at its next bytecode boundary -- the same points where
CPython's GIL lets another thread in.

The clock is the main thread's own CPU time: a POSIX timer on
``CLOCK_THREAD_CPUTIME_ID`` (:mod:`zio._core._cputimer`) sends ``SIGURG``
to the main thread after every tick of CPU it uses, and CPython runs the
Python-level handler (:func:`_on_tick`) there at the next bytecode
boundary, in whatever fiber runs.  Why this clock:

* no helper thread: a Python thread that wakes up periodically in a busy
  server has to win the GIL from the main thread every time, and the convoy
  that follows (the main thread signalling the waiter at every system call
  until the switch interval forces a handover) cost ~10% of an echo
  server's throughput in a prototype;
* a thread that idles, or waits in a system call, uses no CPU, so it gets
  no signal: nothing wakes an idle hub;
* not ``setitimer``: its timers and signals belong to the program
  (``signal.alarm``, profilers, CPython's own tests set all three), their
  signals kill by default, and they survive ``exec``.  ``SIGURG`` is
  ignored by default, a POSIX timer is deleted by ``exec`` and not
  inherited by a forked child, and the handler is installed with
  ``siginterrupt(False)``, so a system call the tick lands in is restarted
  rather than failing with ``EINTR``.

The timer ticks twice per slice.  The handler compares the hub's progress
mark (the number of hand-overs, see :mod:`zio._core.monitor`) with the one
it saw at the previous tick: if the hub has not switched for two ticks (a
whole slice of CPU) and the running code may be
preempted, it queues the fiber at the back of the run queue and switches to
the hub, which polls I/O and runs the others first.  Only the main thread
can be sliced: CPython runs signal handlers nowhere else.

What may be preempted (:func:`preemptible`): only code of a patched thread
(below its entry point in :mod:`zio.green.thread`) or of the main program
(below ``python -m zio.patch``, or with no zio frame at all).  Never:

* native zio tasks (``zio.spawn``, ``zio.run``): their code may rely on
  running undisturbed between two blocking calls, as zio's own does;
* any frame of zio itself (a lock's bookkeeping, the hub), which is written
  on that assumption too;
* an import in progress (``importlib``'s module locks belong to the OS
  thread, so another fiber importing the same module would see it half
  initialised instead of waiting);
* ``socket.py``'s ``SocketIO``, which the C buffered reader calls while it
  holds its own OS-thread-owned lock;
* the stdlib's ``threading`` and ``queue`` code (a ``Condition``'s or a
  ``Queue``'s methods), apart from the frames that start a thread and call
  its target (``Thread._bootstrap``, ``_bootstrap_inner``, ``run``,
  ``Timer.run``): a ``Queue`` or ``Condition`` made before ``zio.patch``
  holds a real OS-thread lock there, and a fiber preempted while holding it
  would block the whole thread when the next fiber asks for it.  Made after
  patching they hold green locks, and their methods are short or park.

A preemption is not a checkpoint: it never raises Cancelled (cancellation
is only delivered at blocking calls), but a KeyboardInterrupt that was
handed to the fiber while it waited in the queue is raised on its return,
as CPython would raise it at that bytecode.

``SIGURG`` stays the program's: ``signal.getsignal`` (patched) shows what
the program set, a real ``SIGURG`` is ignored as by default (at most it
counts as a tick), and when the program installs its own handler through
the patched ``signal`` module, slicing stops and steps out of the way
(:func:`release_signal`).
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import warnings
from _thread import get_ident as _os_thread_ident  # the OS thread, even after zio.patch
from types import CodeType, FrameType
from typing import Any

from . import _state

__all__ = ["DEFAULT_TIME_SLICE", "add_entry_point", "get_time_slice", "preemptible", "set_time_slice"]

#: The default slice, in seconds of CPU: a fiber of a patched thread that has
#: run this long without switching is asked to yield if anything else waits.
DEFAULT_TIME_SLICE = 0.01

#: The signal that carries the ticks (see the module docstring); None where missing.
SIGNAL = getattr(signal, "SIGURG", None)

# Captured at import: zio.patch may later replace signal.signal with the green one.
_real_signal = signal.signal
_real_getsignal = signal.getsignal

#: Modules whose frames make the code below them unsafe to preempt (see the module docstring).
_UNSAFE_MODULES = frozenset(
    {
        "importlib._bootstrap",
        "importlib._bootstrap_external",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "socket",
        # Their code may hold a real lock of an object made before patching; the
        # frames that merely lead to a thread's target are exempt (_TRANSPARENT).
        "threading",
        "queue",
    }
)


def _thread_bootstrap_codes() -> frozenset[int]:
    codes = set()
    for owner, names in ((threading.Thread, ("_bootstrap", "_bootstrap_inner", "run")), (threading.Timer, ("run",))):
        for name in names:
            function = getattr(owner, name, None)
            code = getattr(function, "__code__", None)
            if code is not None:
                codes.add(id(code))
    return frozenset(codes)


#: ``threading`` frames that only lead to a thread's own code (by code identity; the
#: functions are the stdlib's, captured at import, before any patching could wrap them).
_TRANSPARENT = _thread_bootstrap_codes()

#: Code objects below which user code of a thread starts (zio.green.thread, zio.patch's runner),
#: by identity: code objects compare equal by content, whatever their file.
_entry_points: dict[int, CodeType] = {}

_slice: float | None = None  # None: slicing is off
_previous_handler: Any = None
_timer: Any = None  # the main thread's _cputimer.ThreadCPUTimer while slicing runs
#: The hub's progress mark at the previous tick (None: none yet, or it just yielded).
_last_mark: tuple | None = None
#: How many ticks in a row found the hub at ``_last_mark``.
_stale_ticks = 0
#: Whether the main thread's hub ever started a patched thread (the timer starts then).
_threads_started = False


def add_entry_point(code: CodeType) -> None:
    """Declare ``code`` as the zio frame below which a thread's own code runs (preemptible)."""
    _entry_points[id(code)] = code


def preemptible(frame: FrameType | None) -> bool:
    """Whether the code running in ``frame`` may be preempted (see the module docstring).

    Walks from ``frame`` towards the bottom of the fiber's stack: the first
    zio frame must be an entry point, and no frame on the way may be an
    import, ``socket.py`` or the stdlib's ``threading``/``queue`` code (but
    for a thread's bootstrap frames).  A stack without any zio frame is the main
    program's own (``zio.patch.all()`` at its top): preemptible.
    """
    if frame is None:
        return False
    while frame is not None:
        if id(frame.f_code) in _entry_points:
            return True
        name = frame.f_globals.get("__name__") or ""
        if name in _UNSAFE_MODULES or name == "zio" or name.startswith("zio."):
            if id(frame.f_code) not in _TRANSPARENT:
                return False
        frame = frame.f_back
    return True


def available() -> bool:
    """Whether this platform has what slicing needs (``SIGURG`` and per-thread CPU timers)."""
    if SIGNAL is None:
        return False
    from . import _cputimer  # ctypes: imported only by programs that slice

    return _cputimer.available()


def get_time_slice() -> float | None:
    """The time slice of patched threads in seconds of CPU, or None when slicing is off."""
    return _slice


def set_time_slice(seconds: float | None) -> None:
    """Set the time slice of patched threads (None or 0 turns slicing off).

    Main thread only (it installs a signal handler).  zio.patch calls it with
    ``$ZIO_TIME_SLICE`` or :data:`DEFAULT_TIME_SLICE` when it patches threads.
    The timer starts with the first patched thread the main thread starts.
    """
    global _slice, _previous_handler
    if seconds is not None:
        seconds = float(seconds)
        if seconds != seconds or seconds < 0:
            raise ValueError(f"the time slice must be a non-negative number of seconds or None, got {seconds!r}")
        if seconds == 0:
            seconds = None
    if seconds is not None and not available():
        raise RuntimeError("time slicing needs SIGURG and per-thread CPU timers (Linux), which this platform lacks")
    if _os_thread_ident() != threading.main_thread().ident:
        raise RuntimeError("the time slice can only be set from the main thread (it installs a signal handler)")
    if seconds is None:
        release_signal()
        return
    current = _real_getsignal(SIGNAL)
    if callable(current) and not owns_handler(current):
        # The ticks could not be told from the program's own SIGURGs.
        raise RuntimeError(
            f"time slicing needs SIGURG, and the program has a handler for it ({current!r}); "
            "remove that handler first"
        )
    if not owns_handler(current):
        _previous_handler = _real_signal(SIGNAL, _on_tick)
        # A system call the tick lands in is restarted, not failed with EINTR.
        signal.siginterrupt(SIGNAL, False)
    _slice = seconds
    if _timer is not None or _threads_started:
        _arm()  # (again, with the new slice)


def release_signal() -> None:
    """Stop slicing and give ``SIGURG`` back (the program wants it)."""
    global _slice, _previous_handler
    _slice = None
    _stop_timer()
    if SIGNAL is not None and owns_handler(_real_getsignal(SIGNAL)):
        try:
            _real_signal(SIGNAL, _previous_handler if _previous_handler is not None else signal.SIG_DFL)
        except ValueError:
            return  # not the main thread: the handler stays, and ignores ticks with slicing off
        _previous_handler = None


def _stop_timer() -> None:
    global _timer
    timer, _timer = _timer, None
    if timer is not None:
        timer.delete()


def owns_handler(handler: Any) -> bool:
    """Whether ``handler`` is slicing's own ``SIGURG`` handler."""
    return handler is _on_tick


def previous_handler() -> Any:
    """The ``SIGURG`` handler that slicing replaced (what ``signal.getsignal`` should show)."""
    return _previous_handler if _previous_handler is not None else signal.SIG_DFL


def thread_fiber_started(hub: Any) -> None:
    """A patched thread's fiber starts on ``hub`` (zio.green.thread calls it): slice from now on."""
    global _threads_started
    if _timer is not None or hub.thread_id != threading.main_thread().ident:
        return
    _threads_started = True
    if _slice is not None and owns_handler(_real_getsignal(SIGNAL)):
        try:
            _arm()
        except OSError as exc:
            # (timer_create can fail, e.g. on RLIMIT_SIGPENDING.)  The thread
            # must start anyway: it then runs until it blocks, as a fiber.
            release_signal()
            warnings.warn(f"zio: time slicing of patched threads is off: {exc}", RuntimeWarning, stacklevel=2)


def _arm() -> None:
    """Start (or restart with the current slice) the main thread's CPU timer; main thread only."""
    global _timer, _last_mark, _stale_ticks
    _last_mark = None
    _stale_ticks = 0
    if _timer is None:
        from ._cputimer import ThreadCPUTimer

        _timer = ThreadCPUTimer(SIGNAL)  # type: ignore[arg-type]
    # Two ticks per slice: a fiber is preempted at the second tick that finds
    # the hub where the first left it, after one to one and a half slices.
    # (The kernel checks CPU timers at its scheduler tick, so intervals are
    # rounded up to whole ticks: 4 ms at HZ=250.)
    _timer.start(_slice / 2)  # type: ignore[operator]


def _on_tick(signum: int, frame: FrameType | None) -> None:
    """The ``SIGURG`` handler: yield the running fiber if it has held the hub for a whole slice."""
    global _last_mark, _stale_ticks
    hub = _state.peek_hub()
    if hub is None or hub.closed or _slice is None:
        return
    mark = hub.progress_mark()
    if mark != _last_mark:
        _last_mark = mark  # it switched since the last tick
        _stale_ticks = 0
        return
    _stale_ticks += 1
    if _stale_ticks < 2:
        return
    if hub.greenlet.dead or not hub.keeps_others_waiting():
        return  # idle, or nobody else waits: nothing to hand the thread to
    task = hub._running_task()
    if task is None:
        return  # the hub itself, or a greenlet zio does not know
    if task._parked or not preemptible(frame):
        return
    _last_mark = None
    _stale_ticks = 0
    # Queued behind everything that waits, then the hub polls and runs them.
    hub.runnable.append(task)
    hub._switch_to_hub()
    if task._ki_pending:
        task._ki_pending = False
        raise KeyboardInterrupt


def _stop_at_exit() -> None:
    # Harmless if left running (SIGURG is ignored once the interpreter resets
    # its handlers), but the interpreter's last work need not be interrupted.
    _stop_timer()


atexit.register(_stop_at_exit)


def _after_fork_in_child() -> None:
    # POSIX timers are not inherited by a forked child, and its hub is new:
    # slicing starts again with the child's first patched thread.
    global _timer, _threads_started, _last_mark
    _timer = None
    _threads_started = False
    _last_mark = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
