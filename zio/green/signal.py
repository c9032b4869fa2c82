"""Cooperative ``signal``: Python handlers run in a fiber, signals are never lost.

CPython runs a Python signal handler in the main thread between two
bytecodes of whatever is running there -- under zio that may be the hub in
the middle of its poll, where a handler that blocks (takes a lock, logs,
sleeps) cannot park, and one that raises would tear the event loop down.
Here :func:`signal` installs the handler through the event loop instead
(``Loop.add_signal_handler``: a C-level handler writes the signal number to
a wakeup pipe, so a signal that arrives while the loop sleeps or is busy
is delivered on its next iteration, never dropped).  Each delivery runs the
handler in a new fiber as ``handler(signum, None)``.  If the handler raises,
the exception is thrown into the main task at its blocking point, as
CPython would raise it in the main thread (``signal.alarm`` timeouts keep
working).  :func:`pause` parks the calling fiber until a handler has run.
Like CPython, signals of one number that arrive before their handler got to
run are coalesced into one call.  :func:`raise_signal` from the main task
runs the handler before it returns, as CPython does.

``SIG_DFL``, ``SIG_IGN``, ``signal.default_int_handler`` and zio's own
handlers are installed natively, and calls from zio's own modules always
reach the real functions.  Everything else is the stdlib's ``signal``.
"""

from __future__ import annotations

import signal as _std
import sys
from typing import Any, Callable

from .._core import _state
from ..loop import WrongThreadError
from . import os as _gos

_SKIP = {"__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__", "__cached__", "__builtins__"}
for _name in dir(_std):
    if _name not in _SKIP:
        globals()[_name] = getattr(_std, _name)
del _name

__all__ = [n for n in dir(_std) if not n.startswith("_")]

#: The names of ``signal`` this module replaces (zio.patch and its tests read it).
__implements__ = ["signal", "getsignal", "pause", "raise_signal"]

_orig_signal = _std.signal
_orig_getsignal = _std.getsignal
_orig_pause = _std.pause
_orig_raise_signal = _std.raise_signal

#: signum -> (user handler, hub whose loop delivers it)
_handlers: dict[int, tuple[Callable[..., Any], Any]] = {}
_pause_waiters: list[tuple[Any, Any]] = []
#: signals whose handler fiber is spawned but has not started yet (CPython's "tripped" flag)
_queued: set[int] = set()
#: deliveries already handled synchronously by raise_signal, to skip when their wakeup byte is read
_consumed: dict[int, int] = {}


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
    if signalnum == _std.SIGINT and callable(current) and (getattr(current, "__module__", "") or "").startswith("zio."):
        return _std.default_int_handler  # zio's KeyboardInterrupt delivery stands in for it
    return current


def signal(signalnum: int, handler: Any) -> Any:
    """Set the handler for ``signalnum``; returns the previous one (see the module docstring)."""
    if _from_zio():
        return _orig_signal(signalnum, handler)
    previous = getsignal(signalnum)
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
        hub.loop.add_signal_handler(signalnum, _dispatch, hub, signalnum)
    except WrongThreadError as exc:
        raise ValueError(f"signal only works in main thread of the main interpreter ({exc})") from None
    _handlers[signalnum] = (handler, hub)
    return previous


def _forget(signalnum: int) -> None:
    _consumed.pop(signalnum, None)
    entry = _handlers.pop(signalnum, None)
    if entry is not None and not entry[1].closed:
        entry[1].loop.remove_signal_handler(signalnum)


def _dispatch(hub: Any, signalnum: int) -> None:
    """Loop callback: run the user's handler in a fresh fiber (one pending run per signal)."""
    if _consumed.get(signalnum):
        _consumed[signalnum] -= 1
        return
    if signalnum in _handlers and signalnum not in _queued:
        _queued.add(signalnum)
        hub.spawn(_run_handler, (hub, signalnum), name=f"signal-handler:{signalnum}")


def _run_handler(hub: Any, signalnum: int) -> None:
    _queued.discard(signalnum)  # a signal arriving from now on gets its own run
    entry = _handlers.get(signalnum)
    try:
        if entry is not None:
            entry[0](signalnum, None)
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


def raise_signal(signalnum: int) -> None:
    """Send ``signalnum`` to this process; from the main task, its fiber-run handler runs before returning."""
    entry = _handlers.get(signalnum)
    _orig_raise_signal(signalnum)
    if entry is None or _from_zio():
        return
    hub = _state.peek_hub()
    if hub is None or entry[1] is not hub or hub.current_task() is not hub.main_task:
        return  # another thread's or fiber's raise: delivered through the loop, as CPython defers it
    # The wakeup byte of this delivery is still to be read: skip it then.
    _consumed[signalnum] = _consumed.get(signalnum, 0) + 1
    try:
        entry[0](signalnum, None)
    finally:
        _wake_pausers(hub)


def _reinstall_after_fork() -> None:
    """In a forked child: move fiber-run handlers to the child's fresh hub."""
    old = dict(_handlers)
    _handlers.clear()
    _queued.clear()
    _consumed.clear()
    if not old:
        return
    hub = _state.get_hub()
    for signalnum, (handler, _old_hub) in old.items():
        hub.loop.add_signal_handler(signalnum, _dispatch, hub, signalnum)
        _handlers[signalnum] = (handler, hub)


_gos.register_after_fork(_reinstall_after_fork)

for _fn in (signal, getsignal, pause, raise_signal):
    _fn.__module__ = "signal"  # as the functions they replace (the stdlib's own tests check it)
del _fn
