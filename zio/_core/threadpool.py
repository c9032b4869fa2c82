"""Running blocking functions in real OS threads.

The pool's threads are started with the *original* ``_thread`` functions,
captured when zio is imported, so they stay real threads after
``zio.patch.all()``.  Results come back through the owning hub's
thread-safe wakeup.
"""

from __future__ import annotations

import _thread
import contextvars
from collections import deque
from typing import Any, Callable

from . import _state

__all__ = ["run_in_thread", "ThreadPool", "default_pool"]

# Captured at import: after patching, these names may point at fiber versions.
_start_new_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident

#: Default cap on concurrent worker threads (anyio uses 40, eventlet 20).
DEFAULT_MAX_WORKERS = 40


class _Job:
    __slots__ = ("fn", "args", "kwargs", "context", "hub", "task", "result", "exc", "abandoned", "done")

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, hub: Any, task: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.context = contextvars.copy_context()
        self.hub = hub
        self.task = task
        self.result: Any = None
        self.exc: BaseException | None = None
        self.abandoned = False
        self.done = False


class ThreadPool:
    """A lazily grown pool of real worker threads shared by all hubs."""

    def __init__(self, max_workers: int = DEFAULT_MAX_WORKERS, idle_timeout: float = 10.0) -> None:
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self._lock = _allocate_lock()
        self._jobs: deque[_Job] = deque()
        self._idle: list[Any] = []  # one lock per idle worker, released to wake it
        self._idle_ids: set[int] = set()
        self._workers = 0

    def idle_thread_ids(self) -> set[int]:
        """Idents of workers waiting for work (they cannot wake anyone)."""
        with self._lock:
            return set(self._idle_ids)

    def submit(self, job: _Job) -> None:
        with self._lock:
            self._jobs.append(job)
            if self._idle:
                self._idle.pop().release()
                return
            if self._workers >= self.max_workers:
                return  # a busy worker will pick it up
            self._workers += 1
        _start_new_thread(self._worker, ())

    def _worker(self) -> None:
        ident = _get_ident()
        wake = _allocate_lock()
        while True:
            with self._lock:
                if self._jobs:
                    job = self._jobs.popleft()
                    self._idle_ids.discard(ident)  # running user code: it may wake someone
                else:
                    wake.acquire()  # make the next acquire block
                    self._idle.append(wake)
                    self._idle_ids.add(ident)
                    job = None
            if job is None:
                got = wake.acquire(timeout=self.idle_timeout)
                with self._lock:
                    self._idle_ids.discard(ident)
                    if not got:
                        if wake in self._idle:
                            self._idle.remove(wake)
                            self._workers -= 1
                            return
                        # Someone popped us just as we timed out: they released it.
                        wake.acquire()
                    wake.release()
                continue
            self._run(job, ident)

    def _run(self, job: _Job, ident: int) -> None:
        try:
            job.result = job.context.run(job.fn, *job.args, **job.kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting fiber
            job.exc = exc
        job.done = True
        # Count as idle *before* handing the result over: once the fiber that
        # waited resumes, its hub may check for a deadlock at once, and this
        # thread, which will only fetch its next job, must not make that
        # check "uncertain" (nothing re-checks once the thread parks).
        with self._lock:
            self._idle_ids.add(ident)
        hub = job.hub
        try:
            hub.loop.call_soon_threadsafe(_job_finished, job)
        except Exception:  # noqa: BLE001 - hub closed: nobody waits any more
            pass


def _job_finished(job: _Job) -> None:
    hub = job.hub
    hub.external_waits -= 1
    if job.abandoned:
        return
    task = job.task
    if task._parked:
        hub.unpark(task)


_default_pool: ThreadPool | None = None
_default_pool_lock = _allocate_lock()


def default_pool() -> ThreadPool:
    """The process-wide pool used by :func:`run_in_thread`."""
    global _default_pool
    if _default_pool is None:
        with _default_pool_lock:
            if _default_pool is None:
                _default_pool = ThreadPool()
    return _default_pool


def run_in_thread(fn: Callable[..., Any], *args: Any, abandon_on_cancel: bool = False, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` in a real OS thread; park until it returns.

    Returns its result or re-raises its exception.  Cancellation waits for the
    thread to finish (the call cannot be interrupted) unless
    ``abandon_on_cancel=True``, in which case Cancelled is raised at once and
    the result is discarded.  contextvars are copied into the thread.
    """
    hub = _state.get_hub()
    task = hub.current_task()
    # A checkpoint like every blocking call: in a cancelled scope the call
    # must not happen at all, and once submitted it could not be taken back.
    hub.raise_if_cancelled(task)
    pool = default_pool()
    hub.set_idle_thread_provider(pool.idle_thread_ids)
    job = _Job(fn, args, kwargs, hub, task)
    hub.external_waits += 1
    pool.submit(job)

    def abort() -> bool:
        if abandon_on_cancel:
            job.abandoned = True
            return True
        return False

    # Woken exactly once: by _job_finished, or by a successful abort (raises).
    hub.park(abort, lambda: f"thread-pool call {getattr(fn, '__qualname__', fn)!r}")
    if job.exc is not None:
        raise job.exc
    return job.result
