"""Blocking monitor: report the fiber that keeps its hub's thread from switching.

Fibers only switch at blocking calls, so one that computes for a long time,
or calls something that blocks the OS thread (an unpatched ``time.sleep``, a
C library doing its own network I/O), stalls every other fiber of its thread:
timers fire late, sockets go unanswered.  Nothing in the program says why.
:func:`monitor_blocking` starts a plain OS thread that watches every hub of
the process and, when a hub has made no switch for ``threshold`` seconds
while other work waits on it, reports which task is running and its stack,
then reports again when the hub moves on, with the total time it was stuck.

Also enabled for the whole process by ``ZIO_MONITOR_BLOCKING=<seconds>`` in
the environment (read when the first hub is created).

How the watcher decides, without adding work to the hub's hot paths:

* **progress**: a hub counts the times it hands control to a task
  (``Hub._dispatches``), and tasks that switch straight to each other spend
  its switch budget (``Hub._budget``); the pair (``Hub.progress_mark()``)
  changes at every switch.
* **idle is not stuck**: a hub blocked in its poll, waiting for I/O or a
  timer, makes no switch either; the hub flags that wait
  (``Hub.keeps_others_waiting``) and the watcher leaves it be.
* **someone must be waiting**: a thread whose hub has nothing runnable, no
  fd watched and no timer pending delays nobody (e.g. a plain thread that
  once used a zio lock and now computes), so it is not reported.

The watcher reads other threads' state under the GIL without locks: the
reads are of single attributes and lengths, each atomic, and a torn view
can at worst delay a report by one sampling period.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
import weakref
from _thread import allocate_lock, get_ident, start_new_thread
from typing import Any, Callable, NamedTuple

from ._frames import current_frames

__all__ = ["BlockingMonitor", "BlockingReport", "monitor_blocking"]

logger = logging.getLogger("zio.monitor")

#: Every live hub of the process (Hub.__init__ registers itself).
_hubs: "weakref.WeakSet[Any]" = weakref.WeakSet()

_STACK_LIMIT = 40


class BlockingReport(NamedTuple):
    """One report of :func:`monitor_blocking` (passed to its ``callback``)."""

    #: Name and ident of the OS thread whose hub is stuck.
    thread_name: str
    thread_id: int
    #: The running task (a :class:`zio.Task` or the thread's root task), or
    #: None when the hub itself is running (a loop callback).
    task: Any
    #: Its name, or a description of what runs.
    task_name: str
    #: Seconds since the hub's last switch: at least the threshold in the
    #: first report, the whole stall in the report with ``ended`` set.
    blocked_for: float
    #: The running code's stack, innermost call last (empty when ``ended``).
    stack: str
    #: False when the stall is detected, True when the hub has switched again.
    ended: bool

    def message(self) -> str:
        """The report as one human-readable text (what the default logging prints)."""
        where = f"the hub of thread {self.thread_name!r}"
        if self.ended:
            return f"zio: {where} is free again after about {self.blocked_for:.3f} s held by {self.task_name}"
        return (
            f"zio: {where} has not switched for {self.blocked_for:.3f} s: {self.task_name} keeps the thread "
            f"busy (computing, or in a call that blocks the OS thread) while other work waits.  "
            f"Its stack, innermost last:\n{self.stack}"
        )


def _log_report(report: BlockingReport) -> None:
    logger.warning("%s", report.message())


def register_hub(hub: Any) -> None:
    """Called by every new hub: make it visible to monitors (and start the env-var monitor once)."""
    _hubs.add(hub)
    if _env_monitor_pending:
        _start_env_monitor()


class _Watch:
    """What the monitor remembers about one hub between samples."""

    __slots__ = ("mark", "since", "reported", "task")

    def __init__(self, mark: tuple, since: float) -> None:
        self.mark = mark
        self.since = since
        self.reported = False
        self.task: Any = None


class BlockingMonitor:
    """A running blocking monitor (see :func:`monitor_blocking`); ``stop()`` or use ``with``."""

    def __init__(self, threshold: float, callback: Callable[[BlockingReport], Any] | None) -> None:
        if not threshold > 0:
            raise ValueError(f"threshold must be a positive number of seconds, got {threshold!r}")
        self.threshold = float(threshold)
        self.callback = callback if callback is not None else _log_report
        # Sample a few times per threshold, so a stall is seen at most ~1/4
        # threshold late, but not more often than every millisecond.
        self._period = max(self.threshold / 4, 0.001)
        self._stopped = allocate_lock()
        self._stopped.acquire()  # released by stop(); the thread waits on it as its clock
        self._watches: "weakref.WeakKeyDictionary[Any, _Watch]" = weakref.WeakKeyDictionary()
        self._done = allocate_lock()
        self._done.acquire()  # released when the thread exits
        # A real OS thread even after zio.patch (_thread is the original module
        # here: zio.patch replaces the names in sys.modules, not this import).
        start_new_thread(self._run, ())

    def stop(self) -> None:
        """Stop watching (idempotent); returns once the monitor thread has exited."""
        try:
            self._stopped.release()
        except RuntimeError:
            pass  # already stopped
        if get_ident() != getattr(self, "_thread_id", None):  # not from the callback
            self._done.acquire()
            self._done.release()

    def __enter__(self) -> "BlockingMonitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the monitor thread ---------------------------------------------------
    def _run(self) -> None:
        self._thread_id = get_ident()
        try:
            while not self._stopped.acquire(timeout=self._period):
                self._sample()
        finally:
            self._done.release()

    def _sample(self) -> None:
        now = time.monotonic()
        for hub in list(_hubs):
            if hub.closed:
                continue
            mark = hub.progress_mark()
            watch = self._watches.get(hub)
            if watch is None or watch.mark != mark:
                if watch is not None and watch.reported:
                    self._deliver(hub, watch.task, now - watch.since, "", ended=True)
                self._watches[hub] = _Watch(mark, now)
                continue
            # Idle in the poll, or nobody is delayed: not a stall (or the end of one).
            idle = not _keeps_others_waiting(hub)
            if watch.reported:
                if idle:
                    self._deliver(hub, watch.task, now - watch.since, "", ended=True)
                    self._watches[hub] = _Watch(mark, now)
                continue
            if idle:
                watch.since = now
                continue
            if now - watch.since < self.threshold:
                continue
            # Frames only now, for the report: sys._current_frames() walks the
            # threads of every interpreter, which is not free.
            frame = current_frames().get(hub.thread_id)
            if frame is None:
                continue  # the thread is gone or runs no Python code: nothing to show
            task = _running_task(hub)
            watch.reported = True
            watch.task = task
            stack = "".join(traceback.format_stack(frame, limit=_STACK_LIMIT))
            self._deliver(hub, task, now - watch.since, stack, ended=False)

    def _deliver(self, hub: Any, task: Any, seconds: float, stack: str, ended: bool) -> None:
        report = BlockingReport(hub.thread_name, hub.thread_id, task, _describe_task(task), seconds, stack, ended)
        try:
            self.callback(report)
        except Exception:  # noqa: BLE001 - a broken callback must not end the monitor
            logger.exception("zio: the blocking monitor's callback failed")


def _keeps_others_waiting(hub: Any) -> bool:
    """``hub.keeps_others_waiting()``, read from the monitor's thread."""
    try:
        return hub.keeps_others_waiting()
    except Exception:  # noqa: BLE001 - a loop being closed under us: nothing to report
        return False


def _running_task(hub: Any) -> Any:
    """The task whose greenlet is running in ``hub``'s thread, or None (the hub itself runs)."""
    # A suspended greenlet keeps its frame in gr_frame; the running one has
    # None there (its frames are live on the thread's stack), as does one not
    # started yet, which bool() tells apart.
    root = hub.root_task
    candidates = [root, *list(hub.tasks)]
    for task in candidates:
        glet = task.glet if task is root else task._glet
        if glet is not None and glet and glet.gr_frame is None:
            return task
    return None


def _describe_task(task: Any) -> str:
    if task is None:
        return "the hub itself (an event-loop callback)"
    return f"task {getattr(task, 'name', None) or '?'!r}"


def monitor_blocking(
    threshold: float = 0.1, *, callback: Callable[[BlockingReport], Any] | None = None
) -> BlockingMonitor:
    """Watch every hub of the process for fibers that keep their thread busy.

    When a hub has not switched for ``threshold`` seconds while other work
    waits on it, ``callback(report)`` is called with a :class:`BlockingReport`
    naming the thread, the running task and its stack; when that hub switches
    again, once more with ``ended=True`` and the whole stall's duration.
    Without a callback the reports are logged as warnings on the
    ``"zio.monitor"`` logger.  The callback runs in the monitor's own OS
    thread: keep it short.

    Returns the :class:`BlockingMonitor`; call ``stop()`` on it (or use it as
    a context manager) to stop watching.  Monitors are independent: each
    watches every hub, existing and future.
    """
    return BlockingMonitor(threshold, callback)


# -- ZIO_MONITOR_BLOCKING ---------------------------------------------------------
_env_monitor_pending = bool(os.environ.get("ZIO_MONITOR_BLOCKING"))
_env_monitor: BlockingMonitor | None = None


def _env_monitor_after_fork() -> None:
    # The monitor thread does not exist in a forked child: start a new one
    # with the child's first hub.
    global _env_monitor_pending, _env_monitor
    if _env_monitor is not None:
        _env_monitor = None
        _env_monitor_pending = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_env_monitor_after_fork)


def _start_env_monitor() -> None:
    global _env_monitor_pending, _env_monitor
    _env_monitor_pending = False
    value = os.environ.get("ZIO_MONITOR_BLOCKING", "")
    try:
        threshold = float(value)
        if not threshold > 0:
            raise ValueError
    except ValueError:
        print(
            f"zio: ignoring ZIO_MONITOR_BLOCKING={value!r}: expected a positive number of seconds",
            file=sys.stderr,
        )
        return
    _env_monitor = monitor_blocking(threshold)
