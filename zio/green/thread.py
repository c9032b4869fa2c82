"""Cooperative ``_thread``: "threads" are fibers on the calling thread's hub.

Drop-in for the low-level ``_thread`` module.  ``start_new_thread`` spawns a
fiber; locks park the fiber instead of the OS thread; ``get_ident`` is the
fiber's identity (the real thread ident on a thread's original greenlet, so a
program's main line keeps the main thread's ident); ``_local`` is
fiber-local.  ``get_native_id``, ``interrupt_main``, ``stack_size``, ``exit``
and the excepthook helpers are the real ones.

Threads whose code lives in :data:`REAL_THREAD_MODULES` (multiprocessing's
and ProcessPoolExecutor's helper threads, which block in C on pipes and
semaphores) are started as real OS threads, as is any ``threading.Thread``
with a true ``zio_real_thread`` attribute.  They still use green locks, which
work across threads.
"""

from __future__ import annotations

import _thread
import sys
import traceback
from typing import Any, Callable

from greenlet import getcurrent

from .._core import _state
from .._core import preempt as _preempt
from . import _originals
from ._local import local as _local  # noqa: F401 - re-exported as _thread._local
from ._locks import TIMEOUT_MAX, LockType, RLock, allocate_lock, get_ident

__all__ = [
    "LockType",
    "RLock",
    "TIMEOUT_MAX",
    "allocate_lock",
    "error",
    "exit",
    "get_ident",
    "get_native_id",
    "interrupt_main",
    "stack_size",
    "start_new_thread",
]

#: The names of ``_thread`` this module replaces (zio.patch and its tests read it).
__implements__ = [
    "LockType",
    "RLock",
    "_count",
    "_local",
    "allocate",
    "allocate_lock",
    "get_ident",
    "start_new",
    "start_new_thread",
]
if hasattr(_thread, "_set_sentinel"):
    __implements__.append("_set_sentinel")
if hasattr(_thread, "start_joinable_thread"):
    __implements__ += ["start_joinable_thread", "_ThreadHandle", "_make_thread_handle", "_shutdown", "lock"]

error = _thread.error
exit = _thread.exit
exit_thread = _thread.exit
interrupt_main = _thread.interrupt_main
stack_size = _thread.stack_size
get_native_id = _thread.get_native_id
_excepthook = _thread._excepthook
_ExceptHookArgs = _thread._ExceptHookArgs
allocate = allocate_lock
lock = LockType
if hasattr(_thread, "daemon_threads_allowed"):
    daemon_threads_allowed = _thread.daemon_threads_allowed
if hasattr(_thread, "_is_main_interpreter"):
    _is_main_interpreter = _thread._is_main_interpreter
if hasattr(_thread, "_get_main_thread_ident"):
    _real_get_main_thread_ident = _thread._get_main_thread_ident
    # Set by the fork hooks below while a fiber forks; the child keeps it.
    _forking_fiber_ident: int | None = None

    def _get_main_thread_ident() -> int:
        """The main thread's ident (``_thread._get_main_thread_ident``).

        In a child forked by a fiber, that fiber: as with threads, the thread
        that forked is the child's main thread.  threading's after-fork hook
        (3.13+) checks that the main thread it rebuilds has the ident that
        ``get_ident()`` gives the forking fiber.
        """
        ident = _forking_fiber_ident
        return _real_get_main_thread_ident() if ident is None else ident

    def _before_fork() -> None:
        global _forking_fiber_ident
        try:
            g = getcurrent()
        except RuntimeError:  # a greenlet being finalized: no fiber forks
            return
        if g.parent is not None:
            _forking_fiber_ident = get_ident()

    def _after_fork_in_parent() -> None:
        global _forking_fiber_ident
        _forking_fiber_ident = None

    import os as _os

    if hasattr(_os, "register_at_fork"):
        _os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent)

#: Module prefixes whose threads stay real OS threads (they block in C code).
REAL_THREAD_MODULES: list[str] = ["multiprocessing", "concurrent.futures.process"]

# Fiber threads alive now (for _count()), and the sentinel locks each holds.
_live_fibers = 0
_sentinels: dict[int, list[LockType]] = {}


def _thread_object(function: Callable[..., Any]) -> Any:
    """The threading.Thread behind ``function`` (its bound ``_bootstrap``), if any."""
    owner = getattr(function, "__self__", None)
    return owner if owner is not None and hasattr(owner, "_bootstrap") else None


def wants_real_thread(function: Callable[..., Any]) -> bool:
    """Whether ``function`` (passed to start_new_thread) must run in a real OS thread."""
    owner = _thread_object(function)
    if owner is None:
        return False
    if getattr(owner, "zio_real_thread", False):
        return True
    target = getattr(owner, "_target", None)
    modules = [type(owner).__module__, getattr(target, "__module__", None) or ""]
    return any(m == p or m.startswith(p + ".") for m in modules for p in REAL_THREAD_MODULES)


def _check_args(function: Any, args: Any, kwargs: Any) -> None:
    if not callable(function):
        raise TypeError("first arg must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")


def _report_unraisable(function: Any, exc: BaseException) -> None:
    """What CPython does with an exception escaping a ``start_new_thread`` function."""
    hook = sys.unraisablehook
    if hook is not sys.__unraisablehook__:

        class _Args:
            exc_type = type(exc)
            exc_value = exc
            exc_traceback = exc.__traceback__
            # 3.13 names the function in the message and passes no object.
            if sys.version_info >= (3, 13):
                err_msg = f"Exception ignored in thread started by {function!r}"
                object = None
            else:
                err_msg = "Exception ignored in thread started by"
                object = function

        try:
            hook(_Args)
            return
        except BaseException:  # noqa: BLE001 - fall back to printing
            pass
    try:
        print(f"Exception ignored in thread started by: {function!r}", file=sys.stderr)
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    except Exception:  # noqa: BLE001 - stderr may be gone at shutdown
        pass


def _fiber_main(function: Callable[..., Any], args: tuple, kwargs: dict, handle: Any) -> None:
    global _live_fibers
    _live_fibers += 1
    key = get_ident()
    # Code written for threads expects to be preempted: the main thread's
    # hub time-slices it (zio._core.preempt; this frame is where it starts).
    hub = _state.peek_hub()
    if hub is not None:
        _preempt.thread_fiber_started(hub)
    try:
        function(*args, **kwargs)
    except SystemExit:
        pass
    except BaseException as exc:  # noqa: BLE001 - a thread's error never escapes it
        from .._core.errors import Cancelled

        if not isinstance(exc, Cancelled):
            _report_unraisable(function, exc)
    finally:
        _live_fibers -= 1
        # Like the C thread state going away: release the thread's sentinel
        # locks, which is what Thread.join() waits for (Python < 3.13).
        for sentinel in _sentinels.pop(key, ()):
            if sentinel.locked():
                sentinel.release()
        if handle is not None:
            handle._set_done()


_preempt.add_entry_point(_fiber_main.__code__)


def _spawn(function: Callable[..., Any], args: tuple, kwargs: dict, handle: Any) -> int:
    """Start a fiber thread; return its ident (also set on ``handle``, if any, before it runs).

    A ``threading.Thread``'s fiber runs at once, up to its first blocking
    call (Hub.run_first): ``Thread.start()`` returns only once the new thread
    has signalled that it runs, and queued behind every busy fiber that
    signal would take a whole pass of the run queue (and the resumed starter
    another).  A bare ``start_new_thread`` keeps its documented order: the
    fiber starts when the caller next blocks.
    """
    hub = _state.get_hub()
    owner = _thread_object(function)
    name = getattr(owner, "name", None) or getattr(function, "__qualname__", "thread")
    task = hub.spawn(_fiber_main, (function, args, kwargs, handle), name=f"thread:{name}")
    ident = id(task)
    if handle is not None:
        handle.ident = ident  # _fiber_main's _set_done() needs it, and the fiber may end at once
    if owner is not None:
        hub.run_first(task)
    return ident


# Per real thread started here: the sentinel locks threading asked it for.
# They are green and released when the thread's function returns, so a fiber
# joining a real thread parks instead of blocking its OS thread (and the
# fibers that may be what the real thread is waiting for).
_real_thread_state = _originals.local()


def _announced(
    function: Callable[..., Any], on_exit: Callable[[], Any] | None = None
) -> tuple[Callable[..., Any], object]:
    """``function`` wrapped for a real thread: announced to the deadlock check, green sentinels.

    Between the real start_new_thread and its first Python frame a thread is
    invisible to the deadlock check; a fiber that waits for it (``Thread.start``
    waits for the thread's ``_started`` Event) would be reported as deadlocked.
    ``on_exit`` runs in the thread after ``function``, however it ends.
    """
    token = _state.thread_starting()

    def run(*args: Any, **kwargs: Any) -> Any:
        _state.thread_running(token)
        _real_thread_state.sentinels = []
        try:
            return function(*args, **kwargs)
        finally:
            for sentinel in _real_thread_state.sentinels:
                if sentinel.locked():
                    sentinel.release()
            _real_thread_state.sentinels = None
            if on_exit is not None:
                on_exit()

    return run, token


def _start_real_thread(function: Callable[..., Any], args: tuple, kwargs: dict) -> int:
    run, token = _announced(function)
    try:
        return _originals.start_new_thread(run, args, kwargs)
    except BaseException:
        _state.thread_running(token)
        raise


def start_new_thread(function: Callable[..., Any], args: tuple, kwargs: dict | None = None) -> int:
    """Start ``function(*args, **kwargs)`` in a new fiber; return its ident.

    The fiber starts when the caller next blocks.  An exception escaping it
    is reported through ``sys.unraisablehook``; ``SystemExit`` ends it quietly.
    """
    _check_args(function, args, kwargs)
    if wants_real_thread(function):
        return _start_real_thread(function, args, kwargs or {})
    return _spawn(function, args, kwargs or {}, None)


start_new = start_new_thread


def _count() -> int:
    """Threads alive besides main ones: real threads plus fiber threads."""
    return _originals.count() + _live_fibers


def _set_sentinel() -> Any:
    """A lock released when the calling fiber (or real thread) ends (``_thread._set_sentinel``)."""
    if getcurrent().parent is None:
        real_sentinels = getattr(_real_thread_state, "sentinels", None)
        if real_sentinels is None:  # a thread zio did not start: the interpreter releases it
            assert _originals.set_sentinel is not None
            return _originals.set_sentinel()
        sentinel = LockType()
        real_sentinels.append(sentinel)
        return sentinel
    sentinel = LockType()
    _sentinels.setdefault(get_ident(), []).append(sentinel)
    return sentinel


class _ThreadHandle:
    """The joinable handle of a fiber thread (``_thread._ThreadHandle``, Python 3.13+)."""

    __slots__ = ("ident", "_done", "_real", "_daemon", "__weakref__")

    def __init__(self, ident: int | None = None) -> None:
        self.ident = ident
        self._done = LockType()
        self._done.acquire()
        self._real: Any = None
        self._daemon = True

    def is_done(self) -> bool:
        """Whether the thread has finished."""
        if self._real is not None:
            return self._real.is_done()
        return not self._done.locked()

    def _set_done(self) -> None:
        if self.ident is None:
            raise RuntimeError("thread not started")
        if self._real is not None:
            self._real._set_done()
        self._release_done()
        _nondaemon_handles.discard(self)

    def _release_done(self) -> None:
        if self._done.locked():
            self._done.release()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to finish, at most ``timeout`` seconds."""
        if self.ident is None:
            raise RuntimeError("thread not started")
        if self._real is not None and (self._real.ident == _originals.get_ident() or self._real.is_done()):
            self._real.join(timeout)  # raises for the current thread; returns at once if done
            return
        if self._real is None and self.ident is not None and self.ident == get_ident() and not self.is_done():
            raise RuntimeError("Cannot join current thread")
        if timeout is None or timeout < 0:
            got = self._done.acquire()
        else:
            got = self._done.acquire(True, timeout)
        if got:
            self._done.release()
            if self._real is not None:
                # Released by the thread when its function returned: it is
                # unwinding now, and the real join returns almost at once.
                self._real.join()

    def __repr__(self) -> str:
        return f"<zio.green.thread._ThreadHandle ident={self.ident} done={self.is_done()}>"


_nondaemon_handles: set[_ThreadHandle] = set()


def start_joinable_thread(function: Callable[..., Any], handle: Any = None, daemon: bool = True) -> Any:
    """Start a fiber thread and return its joinable handle (``_thread.start_joinable_thread``)."""
    _check_args(function, (), None)
    if handle is None:
        handle = _ThreadHandle()
    elif not isinstance(handle, _ThreadHandle):
        raise TypeError("'handle' must be a _ThreadHandle")
    if handle.ident is not None:
        raise RuntimeError("thread already started")
    handle._daemon = daemon
    if wants_real_thread(function):
        assert _originals.start_joinable_thread is not None
        run, token = _announced(function, handle._release_done)
        try:
            handle._real = _originals.start_joinable_thread(run, daemon=daemon)
        except BaseException:
            _state.thread_running(token)
            raise
        handle.ident = handle._real.ident
        return handle
    if not daemon:
        _nondaemon_handles.add(handle)
    _spawn(function, (), {}, handle)
    return handle


def _make_thread_handle(ident: int) -> Any:
    """A handle for an already-running thread or fiber (``_thread._make_thread_handle``)."""
    if getcurrent().parent is None and _originals.make_thread_handle is not None:
        return _originals.make_thread_handle(ident)
    return _ThreadHandle(ident)


def _shutdown() -> None:
    """Wait for every non-daemon fiber thread, then for real threads (``_thread._shutdown``)."""
    while _nondaemon_handles:
        handle = next(iter(_nondaemon_handles))
        if handle.ident == get_ident():
            _nondaemon_handles.discard(handle)
            continue
        handle.join()
        _nondaemon_handles.discard(handle)
    if _originals.thread_shutdown is not None:
        _originals.thread_shutdown()


def _unbound(fn: Callable[..., Any]) -> Any:
    """``fn`` as a callable that, like a C function, does not bind when stored on a class.

    Code such as ``class T: locktype = _thread.allocate_lock`` then ``self.locktype()``
    works with the C module; a plain Python function would receive ``self``.
    A staticmethod object is callable (Python 3.10+) and never binds.
    """
    wrapped = staticmethod(fn)
    wrapped.__module__ = "_thread"  # type: ignore[misc]
    return wrapped


for _name in (
    "allocate_lock",
    "get_ident",
    "start_new_thread",
    "_count",
    "_set_sentinel",
    "start_joinable_thread",
    "_make_thread_handle",
    "_shutdown",
):
    if _name in globals():
        globals()[_name] = _unbound(globals()[_name])
allocate = allocate_lock
start_new = start_new_thread
del _name
