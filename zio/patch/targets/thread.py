"""Patch ``_thread``, ``threading`` and ``_threading_local``: threads become fibers.

Also ``_multiprocessing.SemLock`` (see :mod:`zio.green._multiprocessing`), so
multiprocessing's locks and events park fibers instead of the OS thread.

The stdlib ``threading`` module is kept and patched in place, through the
``_thread`` functions it was built on, so there is one registry of threads
and ``threading.Thread`` subclasses keep working.  Identity design (the root
of gevent's ``KeyError`` at shutdown, avoided here): a thread's original
greenlet keeps the OS thread's ident, so the main thread's entry in
``threading._active``, ``main_thread()``, the interpreter's shutdown and
import locks taken before patching all stay valid; only new fibers get new
idents.  ``threading._shutdown`` is not replaced: on Python < 3.13 it waits
on the threads' sentinel locks, which are green for fiber threads; on 3.13+
it calls ``_thread._shutdown``, which is replaced.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

from ..._core import preempt
from ...green import _locks
from ...green import thread as green_thread
from ...green._local import local as green_local
from .._fixup import patch_earlier_advice, rebind_references
from .._registry import note_fixed, patch_item, saved, warn_once

_HAS_HANDLES = hasattr(green_thread, "start_joinable_thread") and sys.version_info >= (3, 13)

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {
    "_thread": list(green_thread.__implements__),
    "threading": [
        "Lock",
        "_CRLock",
        "_allocate_lock",
        "get_ident",
        "local",
        "_DummyThread",
        *(
            ["_start_joinable_thread", "_ThreadHandle", "_make_thread_handle", "_thread_shutdown", "_LockType"]
            if _HAS_HANDLES
            else ["_start_new_thread", "_set_sentinel"]
        ),
        *(["_thread_local_info"] if sys.version_info >= (3, 12) else []),
    ],
    "_threading_local": ["local"],
}
try:
    from ...green import _multiprocessing as green_mp
except ImportError:  # no sem_open on this platform: multiprocessing has no locks to patch
    green_mp = None  # type: ignore[assignment]
else:
    # multiprocessing's locks, events and queues block the OS thread in C otherwise.
    REPLACES["_multiprocessing"] = list(green_mp.__implements__)


def _make_dummy_class(threading: Any) -> type:
    base = threading._DummyThread

    class _DummyThread(base):  # type: ignore[misc, valid-type]
        """``threading._DummyThread`` that leaves ``threading._active`` when its fiber dies.

        ``current_thread()`` in a fiber that ``threading`` did not start (one
        spawned with zio.spawn) creates one of these; the stdlib version is
        never removed, which would grow ``_active`` by one entry per fiber.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            g = _locks.fiber_identity()
            if getattr(g, "parent", True) is not None:
                ident = self._ident
                me = weakref.ref(self)
                active, lock = threading._active, threading._active_limbo_lock

                def forget(_ref: Any) -> None:
                    with lock:
                        if active.get(ident) is me() and me() is not None:
                            del active[ident]

                self._zio_fiber_ref = weakref.ref(g, forget)

    _DummyThread.__module__ = base.__module__
    _DummyThread.__qualname__ = base.__qualname__
    return _DummyThread


def _fix_logging() -> list[str]:
    """logging's module lock and existing handlers' locks were made before patching."""
    logging = sys.modules.get("logging")
    if logging is None:
        return []
    fixed = []
    if hasattr(logging, "_lock") and _unheld(logging._lock):
        logging._lock = _locks.RLock()
        fixed.append("logging._lock")
    for ref in list(getattr(logging, "_handlerList", ())):
        handler = ref() if callable(ref) else ref
        if handler is not None and getattr(handler, "lock", None) is not None and _unheld(handler.lock):
            handler.lock = _locks.RLock()
            fixed.append(f"lock of handler {handler!r}")
    return fixed


#: Module-level locks of the stdlib made when their module was imported (before
#: patching, if it was): (module, attribute, "lock" or "rlock").  Each is only
#: ever used through its module global, so a fresh green one replaces it safely.
_STDLIB_MODULE_LOCKS = (
    ("threading", "_active_limbo_lock", "rlock"),
    ("threading", "_shutdown_locks_lock", "lock"),
    ("tempfile", "_once_lock", "lock"),
    ("concurrent.futures.thread", "_global_shutdown_lock", "lock"),
    ("webbrowser", "_lock", "rlock"),
)


def _fix_stdlib_module_locks() -> list[str]:
    """The stdlib's module-level locks that were made before patching become green.

    Real locks belong to the OS thread, which every fiber shares.  Nothing
    blocks while holding these, so without preemption no other fiber ever
    saw one held; but a fiber time-sliced (zio._core.preempt) inside
    ``with _shutdown_locks_lock:`` would leave the next fiber that starts a
    thread blocking the whole OS thread on it.  A lock held right now is left
    alone.  (A forked child re-creates them through the patched factories.)
    """
    fixed = []
    for module_name, name, kind in _STDLIB_MODULE_LOCKS:
        module = sys.modules.get(module_name)
        lock = getattr(module, name, None)
        if lock is None or isinstance(lock, (_locks.RLock, green_thread.LockType)):
            continue
        if _unheld(lock):
            setattr(module, name, _locks.RLock() if kind == "rlock" else green_thread.allocate_lock())
            fixed.append(f"{module_name}.{name}")
    return fixed


def _unheld(lock: Any) -> bool:
    if isinstance(lock, _locks.RLock):
        return False  # already green
    if lock.acquire(False):
        lock.release()
        return True
    return False


def apply() -> None:
    """Patch the thread modules (see the module docstring); zio.patch calls it once."""
    import _thread
    import _threading_local
    import threading

    if threading.current_thread() is not threading.main_thread():
        warn_once(
            "thread:not-main",
            "zio.patch: threads are being patched from thread "
            f"{threading.current_thread().name!r}, not the main thread; patch in the main thread, "
            "before other threads start. " + patch_earlier_advice(),
        )
    for name in REPLACES["_thread"]:
        patch_item(_thread, name, getattr(green_thread, name))

    values = {
        "Lock": green_thread.allocate_lock if not _HAS_HANDLES else green_thread.LockType,
        "_CRLock": green_thread.RLock,
        "_allocate_lock": green_thread.allocate_lock,
        "get_ident": green_thread.get_ident,
        "local": green_local,
        "_DummyThread": _make_dummy_class(threading),
        "_start_new_thread": green_thread.start_new_thread,
        "_set_sentinel": getattr(green_thread, "_set_sentinel", None),
        "_start_joinable_thread": getattr(green_thread, "start_joinable_thread", None),
        "_ThreadHandle": getattr(green_thread, "_ThreadHandle", None),
        "_make_thread_handle": getattr(green_thread, "_make_thread_handle", None),
        "_thread_shutdown": getattr(green_thread, "_shutdown", None),
        "_LockType": green_thread.LockType,
        "_thread_local_info": None,
    }
    for name in REPLACES["threading"]:
        if name == "_thread_local_info":
            if not isinstance(getattr(threading, name, None), green_local):
                patch_item(threading, name, green_local())
            continue
        patch_item(threading, name, values[name])
    patch_item(_threading_local, "local", green_local)
    if green_mp is not None:
        import _multiprocessing

        for name in REPLACES["_multiprocessing"]:
            patch_item(_multiprocessing, name, getattr(green_mp, name))

    originals = [(saved["_thread"][n], getattr(green_thread, n)) for n in REPLACES["_thread"]]
    originals.append((saved["threading"]["local"], green_local))
    originals.append((saved["_threading_local"]["local"], green_local))
    fixed = rebind_references(originals, {"_thread", "threading", "_threading_local"})
    fixed += _fix_logging()
    fixed += _fix_stdlib_module_locks()
    held = _held_real_locks_hint()
    if held:
        warn_once("thread:held", held)
    early_locks = _early_real_locks_hint(saved["_thread"]["allocate_lock"], saved["_thread"]["RLock"])
    if early_locks:
        warn_once("thread:early-locks", early_locks)
    note_fixed("thread", fixed)
    # asyncio keeps "the running loop" per OS thread: make it per fiber (thread).
    # Imported only now: the import machinery it needs imports tempfile, whose
    # module lock must be made after the thread modules are patched.
    from .. import _asyncio_loops
    from .._libraries import adjust_after_import

    adjust_after_import("asyncio.events", _asyncio_loops.install)
    if threading.current_thread() is threading.main_thread():
        _start_time_slicing()


def _start_time_slicing() -> None:
    """Time-slice patched threads (zio._core.preempt) as ``$ZIO_TIME_SLICE`` says (default 10 ms)."""
    value = os.environ.get("ZIO_TIME_SLICE", "").strip()
    seconds: float | None = preempt.DEFAULT_TIME_SLICE
    if value:
        try:
            seconds = float(value)
            if not seconds >= 0:
                raise ValueError
        except ValueError:
            warn_once(
                "thread:time-slice",
                f"zio.patch: ignoring ZIO_TIME_SLICE={value!r}: expected a number of seconds (0 turns slicing off)",
            )
            seconds = preempt.DEFAULT_TIME_SLICE
    if not preempt.available():
        return  # no SIGURG or CPU timers here: threads run until they block, as fibers do
    try:
        preempt.set_time_slice(seconds)
    except RuntimeError as exc:  # SIGURG is the program's
        warn_once("thread:time-slice-signal", f"zio.patch: patched threads are not time-sliced: {exc}")


def _real_lock_inside(value: Any, real_types: tuple[type, ...]) -> bool:
    """Whether ``value`` is a real lock, or a Condition/Event/Semaphore/Barrier/Queue built on one."""
    import threading

    if isinstance(value, real_types):
        return True
    if isinstance(value, threading.Condition):
        inner = value._lock
    elif isinstance(value, (threading.Event, threading.Semaphore, threading.Barrier)):
        inner = value._cond._lock
    else:
        queue = sys.modules.get("queue")
        if queue is None or not isinstance(value, queue.Queue):
            return False
        inner = value.mutex
    return isinstance(inner, real_types)


def _early_real_locks_hint(allocate_lock: Any, rlock: Any) -> str:
    """Module-level locks (and Conditions, Events, Semaphores, Queues) made before patching: name them.

    They stay real locks, which belong to the OS thread that every fiber
    shares: a fiber that blocks (or is preempted) while holding one leaves
    the next fiber that asks for it blocking the whole thread.  They are
    not replaced: code may hold references to them elsewhere, and two locks
    where there was one would break the exclusion.
    """
    from .._fixup import _excluded

    real_types = (type(allocate_lock()), type(rlock()))
    found = []
    for module_name, module in list(sys.modules.items()):
        if module is None or _excluded(module_name, {"threading", "_thread", "_threading_local", "logging"}):
            continue
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            try:
                if _real_lock_inside(value, real_types):
                    found.append(f"{module_name}.{attr}")
            except Exception:  # noqa: BLE001 - an odd object's attribute access: not a lock
                continue
    if not found:
        return ""
    shown = ", ".join(sorted(found)[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    return (
        f"zio.patch: {len(found)} module-level lock(s) were made before patching and stay real locks "
        f"({shown}); a thread that blocks while holding one blocks every thread. " + patch_earlier_advice()
    )


def _held_real_locks_hint() -> str:
    """Real threads started before patching keep running as real threads: say so."""
    import threading

    early = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    early = [t for t in early if not getattr(t, "zio_real_thread", False) and "zio" not in type(t).__module__]
    if not early:
        return ""
    names = ", ".join(repr(t.name) for t in early[:10])
    return (
        f"zio.patch: {len(early)} thread(s) were started before patching ({names}); they stay real OS "
        "threads, and locks they created are real locks that block the thread. " + patch_earlier_advice()
    )
