"""Cooperative ``signal``: handlers run in the main task or in a fiber, signals are never lost.

CPython runs a Python signal handler in the main thread between two
bytecodes of whatever is running there.  Under zio that may be the main
task's own code -- then the handler runs right there, exactly as in CPython
(a busy loop gets its ``SIGALRM``, ``raise_signal`` and ``os.kill(getpid())``
run the handler before they return, an exception is raised at that point).
But it may also be the hub in the middle of its poll, another fiber, or
zio's own code in the middle of an operation, where a handler that blocks
cannot park and one that raises would tear the event loop down (the same
rule as zio's own SIGINT handler, :mod:`zio._core.ki`): then the
delivery is handed to the loop (``call_soon_threadsafe``) and runs in a new
fiber as ``handler(signum, None)``, which borrows the main task's thread
identity meanwhile (``threading.current_thread()`` is the main thread
there, as in CPython); if it raises, the exception is thrown
into the main task at its blocking point, as CPython would raise it in the
main thread (``signal.alarm`` timeouts keep working).  The loop's signal
wakeup fd (``Loop.add_signal_handler``) stays armed so a signal that hits
another thread still wakes the hub.  :func:`pause` parks the calling fiber
until a handler has run; :func:`sigwait`, :func:`sigwaitinfo` and
:func:`sigtimedwait` park the calling fiber (:mod:`zio.green._sigwait`).  Like CPython, deliveries of one signal that
arrive before its handler got to run are coalesced into one call.

zio's time slicing of patched threads (:mod:`zio._core.preempt`) borrows
``SIGURG``; :func:`getsignal` does not show it, and a program that installs
its own ``SIGURG`` handler gets it back (slicing stops).

``SIG_DFL``, ``SIG_IGN``, ``signal.default_int_handler`` and zio's own
handlers are installed natively, and calls from zio's own modules always
reach the real functions.  Everything else is the stdlib's ``signal``.
"""

from __future__ import annotations

import signal as _std
import sys
from typing import Any, Callable

from greenlet import getcurrent

from .._core import _state
from .._core import ki as _ki
from .._core import preempt as _preempt
from .._core.ki import _protected
from ..loop import WrongThreadError
from . import _locks, _sigwait
from . import os as _gos
from ._reexport import reexport

reexport(globals(), _std)
for _name in _sigwait.AVAILABLE:
    globals()[_name] = getattr(_sigwait, _name)

__all__ = [n for n in dir(_std) if not n.startswith("_")]

#: The names of ``signal`` this module replaces (zio.patch and its tests read it).
__implements__ = ["signal", "getsignal", "pause", *_sigwait.AVAILABLE]

_orig_signal = _std.signal
_orig_getsignal = _std.getsignal
_orig_pause = _std.pause

#: signum -> (user handler, hub whose loop delivers it)
_handlers: dict[int, tuple[Callable[..., Any], Any]] = {}
_pause_waiters: list[tuple[Any, Any]] = []
#: (signal, id of its handler) whose handler fiber is due but has not started yet
#: (CPython's "tripped" flag; per handler, so a handler replaced meanwhile gets its own run)
_queued: set[tuple[int, int]] = set()


def _from_zio(depth: int = 2) -> bool:
    """Whether the caller of the public function is zio's own code."""
    name = sys._getframe(depth).f_globals.get("__name__", "")
    return name == "zio" or name.startswith("zio.")


def _native(handler: Any) -> bool:
    if not callable(handler) or handler is _std.default_int_handler:
        return True
    module = getattr(handler, "__module__", None) or ""
    return module == "zio" or (module.startswith("zio.") and not module.startswith("zio.green.signal"))


def getsignal(signalnum: int) -> Any:
    """The handler installed for ``signalnum`` (the user's function for fiber-run handlers)."""
    entry = _handlers.get(signalnum)
    if entry is not None:
        return entry[0]
    current = _orig_getsignal(signalnum)
    if _preempt.owns_handler(current):
        return _preempt.previous_handler()  # zio's time slicing borrows SIGURG: not the program's
    if signalnum == _std.SIGINT and callable(current) and (getattr(current, "__module__", "") or "").startswith("zio."):
        return _std.default_int_handler  # zio's KeyboardInterrupt delivery stands in for it
    return current


def signal(signalnum: int, handler: Any) -> Any:
    """Set the handler for ``signalnum``; returns the previous one (see the module docstring)."""
    if _from_zio():
        return _orig_signal(signalnum, handler)
    previous = getsignal(signalnum)
    if signalnum == _preempt.SIGNAL and not _preempt.owns_handler(handler):
        _preempt.release_signal()  # the program wants SIGURG: time slicing steps aside
    if signalnum == _std.SIGINT and handler is _std.default_int_handler:
        # Under zio, the default SIGINT behaviour is zio's KeyboardInterrupt
        # delivery (to the main task, at a safe point): installed natively,
        # default_int_handler would raise in whatever fiber runs, even the hub.
        # getsignal() shows it as default_int_handler, so the two agree.
        _forget(signalnum)
        result = _orig_signal(signalnum, _ki._on_sigint)
        return previous if previous is not None else result
    if _native(handler):
        _forget(signalnum)
        result = _orig_signal(signalnum, handler)
        return previous if previous is not None else result
    # Let the real call validate everything first (main thread, signal number,
    # SIGKILL/SIGSTOP, handler type): errors come out exactly as CPython's.
    _orig_signal(signalnum, _orig_getsignal(signalnum) or _std.SIG_DFL)
    hub = _state.get_hub()
    try:
        _forget(signalnum)
        _install(hub, signalnum)
    except WrongThreadError as exc:
        raise ValueError(f"signal only works in main thread of the main interpreter ({exc})") from None
    _handlers[signalnum] = (handler, hub)
    return previous


def _install(hub: Any, signalnum: int) -> None:
    # The loop arms its wakeup fd for the signal (and restores the previous
    # handler on removal); the Python-level handler is ours.
    hub.loop.add_signal_handler(signalnum, _loop_woken)
    _orig_signal(signalnum, _on_signal)


def _loop_woken() -> None:
    """The loop read a wakeup byte: delivery itself happens in :func:`_on_signal`."""


def _forget(signalnum: int) -> None:
    entry = _handlers.pop(signalnum, None)
    if entry is not None and not entry[1].closed:
        entry[1].loop.remove_signal_handler(signalnum)


def _on_signal(signalnum: int, frame: Any) -> None:
    """The Python-level handler: CPython calls it between two bytecodes of the main thread."""
    entry = _handlers.get(signalnum)
    if entry is None:
        return
    hub = entry[1]
    if hub.closed:
        return
    g = getcurrent()
    task = getattr(g, "_zio_task", None)
    if task is None and g is hub.root_task.glet:
        task = hub.root_task
    if task is not None and task is hub.main_task and task._hub is hub and not _protected(frame):
        # The main task is running its own code: run the handler here, as CPython does.
        try:
            entry[0](signalnum, frame)
        finally:
            _wake_pausers(hub)
        return
    # The handler is the one installed now, when the signal arrived: CPython
    # runs it at the next bytecode, before the program could replace it, and
    # the fiber below may only start after the program did.
    key = (signalnum, id(entry[0]))
    if key in _queued:
        return
    _queued.add(key)
    if g is not hub.greenlet and _preempt.preemptible(frame):
        # A patched thread running its own code (``signal.raise_signal``, or a
        # signal that landed meanwhile): queue the handler's fiber now, at the
        # front.  CPython runs the handler before the main thread's next
        # bytecode, so whatever this thread does next (release a lock the main
        # thread waits on) is seen after the handler ran; queued through the
        # loop, the main thread could resume first.  This thread goes on
        # running, as CPython's does (switching to the handler here would let
        # a thread that signals in a loop starve every other).
        hub.queue_first(hub.spawn(_run_handler, (hub, signalnum, entry[0]), name=f"signal-handler:{signalnum}"))
        return
    hub.loop.call_soon_threadsafe(_dispatch, hub, signalnum, entry[0])


def _dispatch(hub: Any, signalnum: int, handler: Callable[..., Any]) -> None:
    """Loop callback: run the user's handler in a fresh fiber."""
    hub.spawn(_run_handler, (hub, signalnum, handler), name=f"signal-handler:{signalnum}")


def _run_handler(hub: Any, signalnum: int, handler: Callable[..., Any]) -> None:
    _queued.discard((signalnum, id(handler)))  # a signal arriving from now on gets its own run
    owner = hub.main_or_root_task()
    try:
        # CPython runs handlers in the main thread: this fiber is that thread
        # while the handler runs (get_ident, current_thread, RLock ownership,
        # threading.local data).
        with _locks.borrow_identity(owner):
            handler(signalnum, None)
    except BaseException as exc:  # noqa: BLE001 - raised in the main task, as CPython does
        target = hub.main_task
        if getattr(target, "_parked", False) and hub.try_abort(target, exc):
            return
        sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        _wake_pausers(hub)


def _wake_pausers(hub: Any) -> None:
    waiters = [w for w in _pause_waiters if w[0] is hub]
    for w in waiters:
        _pause_waiters.remove(w)
        if w[1]._parked:
            hub.unpark(w[1])


def pause() -> None:
    """Park the calling fiber until a signal handler has run (``signal.pause``)."""
    hub = _state.get_hub()
    task = hub.current_task()
    entry = (hub, task)
    _pause_waiters.append(entry)

    def abort() -> bool:
        if entry in _pause_waiters:
            _pause_waiters.remove(entry)
        return True

    hub.park(abort, "signal.pause()")


def _reinstall_after_fork() -> None:
    """In a forked child: move fiber-run handlers to the child's fresh hub."""
    old = dict(_handlers)
    _handlers.clear()
    _queued.clear()
    if not old:
        return
    hub = _state.get_hub()
    for signalnum, (handler, _old_hub) in old.items():
        _install(hub, signalnum)
        _handlers[signalnum] = (handler, hub)


_gos.register_after_fork(_reinstall_after_fork)

for _fn in (signal, getsignal, pause, *(getattr(_sigwait, _name) for _name in _sigwait.AVAILABLE)):
    _fn.__module__ = "signal"  # as the functions they replace (the stdlib's own tests check it)
del _fn
