"""Cooperative ``signal.sigwait``, ``sigwaitinfo`` and ``sigtimedwait``: the fiber waits, not the thread.

A "signal thread" that blocks some signals and waits for them with
``sigwait`` is a common pattern; as a fiber, the real call would block the
OS thread, and with it every other fiber, until a signal came.

Here the wait takes the signals that are already pending with
``sigtimedwait(sigset, 0)`` (which never blocks) and otherwise sleeps
cooperatively and looks again, 1 ms after the first look and then at
doubling intervals up to :data:`MAX_POLL_INTERVAL`.  A pending signal that
is blocked wakes nothing (no handler runs, so not even the loop's wakeup fd
hears of it), hence the looking.

The real calls require the awaited signals to be blocked (otherwise a
handler or the default action may take them first); as in Linux's
``sigwait``, which unblocks them for its own duration, the wait works either
way: it blocks those that were not blocked in the OS thread while it lasts
and unblocks them after.  Other fibers run meanwhile with them blocked.

A cancelled wait took no signal: each look either returns one or takes none.
"""

from __future__ import annotations

import signal as _std
import time
from typing import Any, Iterable

from .._core.api import sleep as _zio_sleep
from . import os as _gos

__all__ = ["AVAILABLE", "MAX_POLL_INTERVAL", "sigtimedwait", "sigwait", "sigwaitinfo"]

#: The longest pause between two looks for a pending signal, in seconds.
MAX_POLL_INTERVAL = 0.02

_real_sigwait = getattr(_std, "sigwait", None)
_real_sigwaitinfo = getattr(_std, "sigwaitinfo", None)
_real_sigtimedwait = getattr(_std, "sigtimedwait", None)
_real_pthread_sigmask = getattr(_std, "pthread_sigmask", None)

#: The names this module provides on this platform (they need ``sigtimedwait``: Linux, not macOS).
AVAILABLE = (
    [name for name in ("sigwait", "sigwaitinfo", "sigtimedwait") if hasattr(_std, name)]
    if _real_sigtimedwait is not None and _real_pthread_sigmask is not None
    else []
)


def _wait(sigset: Iterable[Any], timeout: float | None) -> Any:
    """The pending signal's ``struct_siginfo`` once one of ``sigset`` is pending; None after ``timeout``."""
    signals = set(sigset)
    # The first look validates the arguments exactly as the real call does.
    info = _real_sigtimedwait(signals, 0)
    if info is not None or timeout == 0:
        return info
    deadline = None if timeout is None else time.monotonic() + timeout
    newly_blocked = signals - _real_pthread_sigmask(_std.SIG_BLOCK, signals)
    try:
        delay = 0.001
        while True:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                delay = min(delay, remaining)
            _zio_sleep(delay)  # the checkpoint: a cancelled wait takes no signal
            info = _real_sigtimedwait(signals, 0)
            if info is not None:
                return info
            delay = min(delay * 2, MAX_POLL_INTERVAL)
    finally:
        if newly_blocked:
            # One that arrived after the last look is delivered now, as it
            # would be once a real sigwait had returned.
            _real_pthread_sigmask(_std.SIG_UNBLOCK, newly_blocked)


def sigwait(sigset: Iterable[Any], /) -> int:
    """:func:`signal.sigwait`: the number of the first of ``sigset`` to be pending, taken from the pending set."""
    if not _gos._can_park():
        return _real_sigwait(sigset)
    signum = _wait(sigset, None).si_signo
    try:
        return _std.Signals(signum)  # as the stdlib's wrapper returns it
    except ValueError:
        return signum


def sigwaitinfo(sigset: Iterable[Any], /) -> Any:
    """:func:`signal.sigwaitinfo`: like :func:`sigwait`, returning a ``struct_siginfo``."""
    if not _gos._can_park():
        return _real_sigwaitinfo(sigset)
    return _wait(sigset, None)


def sigtimedwait(sigset: Iterable[Any], timeout: float, /) -> Any:
    """:func:`signal.sigtimedwait`: like :func:`sigwaitinfo`, or None after ``timeout`` seconds."""
    if not _gos._can_park():
        return _real_sigtimedwait(sigset, timeout)
    if not isinstance(timeout, (int, float)):
        return _real_sigtimedwait(sigset, timeout)  # its TypeError
    if timeout < 0:
        raise ValueError("timeout must be non-negative")
    return _wait(sigset, timeout)
