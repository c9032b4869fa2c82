"""Time slicing for threads-as-fibers: a patched thread that never blocks still lets the others run.

Fibers switch only at blocking calls.  Native zio code is written for that,
but code written for OS threads is not: it may busy-wait on a flag that
another thread sets, or compute for seconds while a server thread should
answer.  OS threads are preempted; fibers would wait forever (gevent hangs
on exactly these programs).  So once the main thread has started a patched
thread, a plain OS thread (the *ticker*) watches its hub, and when one of its
fibers has run for a whole time slice without switching while other work
waits (runnable fibers, fds or timers), the ticker asks the main thread to
yield at its next bytecode boundary -- the same points where CPython's GIL
lets another thread in.

How the request gets there: ``_thread.interrupt_main(SIGNAL)`` sets the
interpreter's "signal tripped" flag without sending a real signal, and
CPython then calls the Python-level handler of ``SIGNAL`` in the main
thread, in whatever fiber runs.  That handler (:func:`_on_tick`) re-checks
that the hub still has not switched, and that the running code may be
preempted; then it queues the fiber at the back of the run queue and
switches to the hub, which polls I/O and runs the others first.  Only the
main thread can be sliced: CPython runs signal handlers nowhere else.

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
  holds its own OS-thread-owned lock.

A preemption is not a checkpoint: it never raises Cancelled (cancellation
is only delivered at blocking calls), but a KeyboardInterrupt that was
handed to the fiber while it waited in the queue is raised on its return,
as CPython would raise it at that bytecode.

``SIGURG`` carries the requests because its default action is to ignore it,
which is also what :func:`_on_tick` does with a real one.  If the program
installs its own ``SIGURG`` handler, slicing stops (the ticker checks before
every request) rather than calling that handler spuriously.
"""

from __future__ import annotations

import os
import signal
import threading
import weakref
from _thread import allocate_lock, get_ident, interrupt_main, start_new_thread
from time import monotonic as _monotonic
from types import CodeType, FrameType
from typing import Any

from greenlet import getcurrent

from . import _state

__all__ = ["DEFAULT_TIME_SLICE", "add_entry_point", "get_time_slice", "preemptible", "set_time_slice"]

#: The default slice, in seconds: a fiber of a patched thread that has run
#: this long without switching is asked to yield if anything else waits.
DEFAULT_TIME_SLICE = 0.01

#: The signal whose Python-level handler carries the requests (see the module docstring).
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
    }
)
#: How often the ticker looks at a hub that idles in its poll, at most (seconds).
_IDLE_PERIOD = 0.1

#: Code objects below which user code of a thread starts (zio.green.thread, zio.patch's runner),
#: by identity: code objects compare equal by content, whatever their file.
_entry_points: dict[int, CodeType] = {}

_slice: float | None = None  # None: slicing is off
_previous_handler: Any = None
_ticker_running = False
_ticker_lock = allocate_lock()
#: The main thread's hub, while it runs patched threads.
_main_hub: "weakref.ref[Any] | None" = None
#: The hub's progress mark the ticker saw when it asked for a yield (None: nothing asked).
_requested: tuple | None = None


def add_entry_point(code: CodeType) -> None:
    """Declare ``code`` as the zio frame below which a thread's own code runs (preemptible)."""
    _entry_points[id(code)] = code


def preemptible(frame: FrameType | None) -> bool:
    """Whether the code running in ``frame`` may be preempted (see the module docstring).

    Walks from ``frame`` towards the bottom of the fiber's stack: the first
    zio frame must be an entry point, and no frame on the way may be an
    import or ``socket.py``.  A stack without any zio frame is the main
    program's own (``zio.patch.all()`` at its top): preemptible.
    """
    if frame is None:
        return False
    while frame is not None:
        if id(frame.f_code) in _entry_points:
            return True
        name = frame.f_globals.get("__name__") or ""
        if name in _UNSAFE_MODULES or name == "zio" or name.startswith("zio."):
            return False
        frame = frame.f_back
    return True


def get_time_slice() -> float | None:
    """The time slice of patched threads in seconds, or None when slicing is off."""
    return _slice


def set_time_slice(seconds: float | None) -> None:
    """Set the time slice of patched threads (None or 0 turns slicing off).

    Main thread only (it installs a signal handler).  zio.patch calls it with
    ``$ZIO_TIME_SLICE`` or :data:`DEFAULT_TIME_SLICE` when it patches threads.
    """
    global _slice, _previous_handler
    if seconds is not None:
        seconds = float(seconds)
        if seconds != seconds or seconds < 0:
            raise ValueError(f"the time slice must be a non-negative number of seconds or None, got {seconds!r}")
        if seconds == 0:
            seconds = None
    if seconds is not None and SIGNAL is None:
        raise RuntimeError("time slicing needs SIGURG, which this platform does not have")
    if get_ident() != threading.main_thread().ident:
        raise RuntimeError("the time slice can only be set from the main thread (it installs a signal handler)")
    if seconds is None:
        _slice = None
        if SIGNAL is not None and _real_getsignal(SIGNAL) is _on_tick:
            _real_signal(SIGNAL, _previous_handler if _previous_handler is not None else signal.SIG_DFL)
            _previous_handler = None
        return
    if _real_getsignal(SIGNAL) is not _on_tick:
        _previous_handler = _real_signal(SIGNAL, _on_tick)
    _slice = seconds
    if _main_hub is not None and _main_hub() is not None:
        _ensure_ticker()


def previous_handler() -> Any:
    """The ``SIGURG`` handler that slicing replaced (what ``signal.getsignal`` should show)."""
    return _previous_handler if _previous_handler is not None else signal.SIG_DFL


def is_slice_handler(handler: Any) -> bool:
    """Whether ``handler`` is the handler that carries the slicing requests."""
    return handler is _on_tick


def thread_fiber_started(hub: Any) -> None:
    """A patched thread's fiber starts on ``hub`` (zio.green.thread calls it): slice from now on.

    The ticker then runs for as long as the hub does, since the main program
    itself is thread code that may be preempted; it samples an idle hub
    only every :data:`_IDLE_PERIOD`.
    """
    global _main_hub
    if hub.thread_id != threading.main_thread().ident:
        return
    if _main_hub is None or _main_hub() is not hub:
        _main_hub = weakref.ref(hub)
    if _slice is not None and not _ticker_running:
        _ensure_ticker()


def _ensure_ticker() -> None:
    global _ticker_running
    with _ticker_lock:
        if _ticker_running:
            return
        _ticker_running = True
    try:
        # A real OS thread even after zio.patch (this start_new_thread was
        # imported before any patching).
        start_new_thread(_tick_loop, ())
    except BaseException:
        _ticker_running = False
        raise


def _tick_loop() -> None:
    global _ticker_running, _requested
    # No sys._current_frames() here: it walks the threads of every
    # interpreter, and building frame objects for a subinterpreter's frames
    # from this one corrupts memory (seen with CPython 3.12's test_threading).
    clock = _monotonic
    sleeper = allocate_lock()
    sleeper.acquire()  # never released: acquire(timeout=) is the ticker's sleep
    last_mark: tuple | None = None
    since = 0.0  # when the ticker first saw last_mark
    period = 0.0
    try:
        while True:
            length = _slice
            if length is None:
                return
            # Sampling at half the slice, a fiber is asked to yield after
            # running between one and one and a half slices (plus the wait
            # for the GIL).  A hub idle in its poll is sampled less often.
            sleeper.acquire(timeout=period or length / 2)
            hub = _main_hub() if _main_hub is not None else None
            if hub is None or hub.closed:
                return
            now = clock()
            mark = (hub._dispatches, hub._budget)
            if mark != last_mark:
                last_mark, since, period = mark, now, 0.0  # it switched since the last tick
                continue
            if hub._in_idle_poll:
                period = min(max(period, length / 2) * 2, _IDLE_PERIOD)
                continue  # idle in its poll: nothing to preempt
            period = 0.0
            if now - since < length:
                continue
            if not (hub.runnable or hub.loop.has_external_sources()):
                continue  # nobody else waits
            if _real_getsignal(SIGNAL) is not _on_tick:
                continue  # the program took SIGURG over: do not call its handler
            _requested = mark
            interrupt_main(SIGNAL)
    except Exception:  # noqa: BLE001 - interpreter shutdown or a closing loop: stop ticking
        return
    finally:
        with _ticker_lock:
            _ticker_running = False


def helper_threads() -> int:
    """How many OS threads zio's time slicing runs now (``_thread._count()`` leaves them out)."""
    return 1 if _ticker_running else 0


def _on_tick(signum: int, frame: FrameType | None) -> None:
    """The ``SIGURG`` handler: yield the running fiber if the ticker asked and it is safe."""
    global _requested
    mark = _requested
    _requested = None
    if mark is None:
        return  # a real SIGURG: ignored, as by default
    hub = _state.peek_hub()
    if hub is None or hub.closed or hub.greenlet.dead or (hub._dispatches, hub._budget) != mark:
        return  # the hub switched since the request (the slice ended by itself), or is gone
    g = getcurrent()
    task = getattr(g, "_zio_task", None)
    if task is None or task._hub is not hub:
        if g is not hub.root_task.glet:
            return  # the hub itself, or a greenlet zio does not know
        task = hub.root_task
    if task._parked or not preemptible(frame):
        return
    # Queued behind everything that waits, then the hub polls and runs them.
    hub.runnable.append(task)
    hub._switch_to_hub()
    if task._ki_pending:
        task._ki_pending = False
        raise KeyboardInterrupt


def _after_fork_in_child() -> None:
    # The ticker thread does not exist in the child; the child's hub is new.
    global _ticker_running, _main_hub, _requested, _ticker_lock
    _ticker_lock = allocate_lock()  # the parent's ticker may have held it at the fork
    _ticker_running = False
    _main_hub = None
    _requested = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
