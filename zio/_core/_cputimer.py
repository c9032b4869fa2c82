"""A POSIX timer on the calling thread's CPU clock that sends a signal to that thread (Linux).

``timer_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_THREAD_ID)`` through ctypes:
the stdlib exposes only ``setitimer``, whose three timers belong to the
program (``signal.alarm``, profilers, CPython's own tests use them), whose
signals kill by default, and which survive ``exec``.  A POSIX timer counts
only the one thread's CPU time, signals only that thread, with a signal of
our choosing, and is deleted by ``exec`` and not inherited across ``fork``.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from _thread import get_native_id as _gettid  # gettid() on Linux; imported before any patching
from typing import Any

__all__ = ["ThreadCPUTimer", "available"]

_SIGEV_THREAD_ID = 4  # Linux: deliver to the thread in sigev_notify_thread_id


class _Sigevent(ctypes.Structure):
    # struct sigevent on Linux: a sigval union, signo, notify, then a 48-byte
    # union whose first member is the target thread's id.  64 bytes in all.
    _fields_ = [
        ("sigev_value", ctypes.c_void_p),
        ("sigev_signo", ctypes.c_int),
        ("sigev_notify", ctypes.c_int),
        ("sigev_notify_thread_id", ctypes.c_int),
        ("_pad", ctypes.c_int * 11),
    ]


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _load_libc() -> Any:
    if not sys.platform.startswith("linux") or not hasattr(time, "CLOCK_THREAD_CPUTIME_ID"):
        return None
    # glibc >= 2.34 has the timer functions in libc; older ones in librt.
    # (Not ctypes.util.find_library: it imports subprocess and tempfile, and
    # this runs before zio.patch has patched them.)
    for name in (None, "librt.so.1"):
        try:
            lib = ctypes.CDLL(name, use_errno=True)
            create, settime, delete = lib.timer_create, lib.timer_settime, lib.timer_delete
        except (OSError, AttributeError):
            continue
        create.argtypes = [ctypes.c_int, ctypes.POINTER(_Sigevent), ctypes.POINTER(ctypes.c_void_p)]
        settime.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_Itimerspec), ctypes.c_void_p]
        delete.argtypes = [ctypes.c_void_p]
        for fn in (create, settime, delete):
            fn.restype = ctypes.c_int
        return lib
    return None


_libc: Any = None
_loaded = False


def _lib() -> Any:
    global _libc, _loaded
    if not _loaded:
        _libc, _loaded = _load_libc(), True
    return _libc


def available() -> bool:
    """Whether per-thread CPU timers can be made here (Linux with ctypes and the timer functions)."""
    return _lib() is not None


def _seconds(value: float) -> _Timespec:
    whole = int(value)
    return _Timespec(whole, int(round((value - whole) * 1e9)))


class ThreadCPUTimer:
    """A periodic timer on the CPU time of the thread that creates it, signalling that thread."""

    def __init__(self, signum: int) -> None:
        lib = _lib()
        if lib is None:
            raise OSError("per-thread CPU timers are not available on this platform")
        event = _Sigevent()
        event.sigev_signo = signum
        event.sigev_notify = _SIGEV_THREAD_ID
        event.sigev_notify_thread_id = _gettid()
        handle = ctypes.c_void_p()
        if lib.timer_create(time.CLOCK_THREAD_CPUTIME_ID, ctypes.byref(event), ctypes.byref(handle)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timer_create: {os.strerror(err)}")
        self._handle: Any = handle

    def start(self, interval: float) -> None:
        """Fire every ``interval`` seconds of the thread's CPU time (0 stops it)."""
        spec = _Itimerspec(_seconds(interval), _seconds(interval))
        if self._handle is None:
            raise ValueError("the timer was deleted")
        if _lib().timer_settime(self._handle, 0, ctypes.byref(spec), None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timer_settime: {os.strerror(err)}")

    def delete(self) -> None:
        """Delete the timer (idempotent).  Not in a forked child: the timer is the parent's."""
        handle, self._handle = self._handle, None
        if handle is not None:
            _lib().timer_delete(handle)
