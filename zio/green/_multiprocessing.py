"""Cooperative ``_multiprocessing.SemLock``: multiprocessing's locks stop blocking the hub.

Every ``multiprocessing`` synchronisation object (``Lock``, ``RLock``,
``Semaphore``, ``BoundedSemaphore``, ``Condition``, ``Event``, ``Barrier``,
and the locks inside ``multiprocessing.Queue``, ``SimpleQueue`` and ``Pool``)
is a POSIX named semaphore wrapped by the C type ``_multiprocessing.SemLock``,
whose blocking ``acquire`` waits in ``sem_wait``/``sem_timedwait`` with the
whole OS thread.  In a fiber program that freezes every other fiber of the
thread, and if the semaphore is to be released by one of those fibers (an
``Event`` set by a "thread"), it never is: gevent#2017's hang.

The semaphore is shared with other processes and has no fd to wait on, so a
fiber waits for it by polling: try without blocking, sleep on the hub's timer
with exponential backoff (0.5 ms up to 10 ms), try again.  The wait is
cancellable and timeouts keep their meaning; ownership (``RLock``,
``Condition``'s ``_is_mine`` checks) stays with the calling thread because
every attempt is made from it.  When nothing else could run on this thread's
hub (no hub at all, or the thread's main line with no fibers, fds or timers),
the C call blocks as before, with no polling latency.
"""

from __future__ import annotations

import _multiprocessing
import time
from typing import Any

from greenlet import getcurrent

from .._core import _state

__all__ = ["SemLock"]

#: The names of ``_multiprocessing`` this module replaces (zio.patch reads it).
__implements__ = ["SemLock"]

try:
    _CSemLock = _multiprocessing.SemLock
except AttributeError:  # pragma: no cover - platforms without sem_open
    raise ImportError("_multiprocessing.SemLock is not available on this platform") from None
_POLL_FIRST = 0.0005
_POLL_MAX = 0.01


def _nap(seconds: float) -> None:
    hub = _state.get_hub()
    task = hub.current_task()
    timer = hub.loop.call_later(seconds, hub.unpark, task)
    hub.park(timer.cancel, "a multiprocessing semaphore (polled: it is shared with other processes)")


def _others_could_run() -> bool:
    """Whether blocking this OS thread in C would stall a fiber, timer or fd of its hub."""
    hub = _state.peek_hub()
    if hub is None:
        return False
    if getcurrent().parent is not None:
        return True  # a fiber: the thread's main line and its siblings must go on
    return bool(hub.tasks or hub.has_runnable() or hub.loop.has_external_sources())


class SemLock(_CSemLock):
    """``_multiprocessing.SemLock`` whose blocking ``acquire`` parks the fiber (see the module docstring)."""

    __slots__ = ()

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Acquire the semaphore; like the C method, but a fiber waits without blocking the thread."""
        acquire = _CSemLock.acquire
        if not block:
            return acquire(self, False)
        if not _others_could_run():
            return acquire(self, True, timeout)
        if acquire(self, False):
            return True
        deadline = None if timeout is None else time.monotonic() + max(float(timeout), 0.0)
        delay = _POLL_FIRST
        while True:
            if deadline is None:
                _nap(delay)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return acquire(self, False)
                _nap(min(delay, remaining))
            if acquire(self, False):
                return True
            delay = min(delay * 2, _POLL_MAX)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
