"""The hub: one per OS thread, it runs the event loop and schedules fibers.

The kernel is small.  Everything that blocks goes through :meth:`Hub.park`
(suspend the current task, with an *abort* callback for cancellation) and
:meth:`Hub.unpark` (make a parked task runnable with a value or an
exception).  Waiting for an fd, a deadline or a thread is a park whose abort
undoes the registration.
"""

from __future__ import annotations

import math
import threading
import time
from _thread import get_ident as _os_thread_ident  # the OS thread, even after zio.patch
from collections import deque
from typing import Any, Callable

from greenlet import getcurrent, greenlet

from ..loop import Loop, create_loop
from .cancel import CancelScope, cancel_origin, make_cancelled
from .deadlock import certainly_stuck, deadlock_message
from .errors import Cancelled, DeadlockError, WrongThreadError
from .idle_hook import IdleHook, _hook_key
from .monitor import register_hub
from .task import DONE, RootTask, Task

__all__ = ["Hub"]

_monotonic = time.monotonic

# Between two passes over the runnable tasks the hub polls for I/O without
# blocking, but at most this often (see _run_forever).
_MIN_POLL_INTERVAL = 0.0005

# How many task-to-task switches may happen before control returns to the hub.
_SWITCH_BUDGET = 64


class Hub:
    """The scheduler of one OS thread (see the module docstring)."""

    def __init__(self, backend: str | None = None) -> None:
        self.loop: Loop = create_loop(backend)
        self.thread_id = _os_thread_ident()
        self.thread_name = threading.current_thread().name
        self.runnable: deque = deque()
        root_glet = getcurrent()
        while root_glet.parent is not None:
            root_glet = root_glet.parent
        self.greenlet = greenlet(self._run_forever, root_glet)
        # Bound once: park() calls it, and a method lookup on a greenlet is
        # not cached by the interpreter.
        self._switch_to_hub = self.greenlet.switch
        self._idle_workers: list = []
        self.root_task = RootTask(self, root_glet)
        #: The task that receives KeyboardInterrupt and deadlock reports.
        self.main_task: Any = self.root_task
        self.tasks: set = set()
        self._foreign: dict = {}
        self.external_waits = 0
        self._budget = 0
        # How many times the hub handed control to a task: with _budget, what
        # the blocking monitor (monitor.py) watches to see the hub switch.
        self._dispatches = 0
        # True while the hub waits in its poll with nothing runnable (see
        # _poll_idle): how the blocking monitor (another OS thread) and time
        # slicing tell an idle hub from a busy one without reading frames.
        self._in_idle_poll = False
        # Set by run_first() until its caller resumes: the hub runs the queue's head without polling.
        self._hold_poll = False
        # Spawned tasks that have not run yet.  park() and checkpoint() never
        # switch straight to one of them (they hand control to the hub
        # instead), because only the hub starts tasks:
        # * greenlet gives a new greenlet the recursion depth of whoever first
        #   switches into it, so workers started from deep task stacks would
        #   inherit ever-growing depths (a chain of them ends in
        #   RecursionError, seen with ~200 socketserver handlers);
        # * the call that starts a task stays on the starter's stack until the
        #   starter resumes, so a task that parks forever would keep the
        #   next task (and its unretrieved error) alive.
        # The counter spares the common case (nothing unstarted) a look at
        # the next task.
        self._unstarted = 0
        # How many entered, not yet exited cancel scopes of this hub's tasks
        # have been cancelled (kept by CancelScope).  While it is zero no task
        # can have a cancellation pending, so park, checkpoint and the sync
        # primitives' fast paths skip walking the task's scope chain.  Only
        # ever read and changed in the hub's thread (cancel() from another
        # thread goes through call_soon_threadsafe).
        self._cancelled_scopes = 0
        self._idle_thread_ids: Callable[[], set[int]] = _no_idle_threads
        # Testing seams (zio.testing): callbacks run once every task has been
        # parked for a while, and an optional virtual clock that may jump.
        # Both stay empty on the default path, which then tests two attributes
        # before blocking in the poll.
        self._idle_hooks: list = []
        self._clock: Any = None
        self.closed = False
        self.loop.set_exception_handler(self._loop_callback_failed)
        register_hub(self)

    # -- identity ------------------------------------------------------------
    def in_owner_thread(self) -> bool:
        """Whether the caller runs on the thread that owns this hub."""
        return _os_thread_ident() == self.thread_id

    def current_task(self) -> Any:
        """The task running now (a RootTask for the thread's main greenlet)."""
        g = getcurrent()
        if g is self.root_task.glet:
            g._zio_task = self.root_task  # may point at an older, closed hub's root
            return self.root_task
        task = getattr(g, "_zio_task", None)
        if task is not None and task._hub is self:
            return task
        if g is self.greenlet:
            raise RuntimeError("zio: blocking operations cannot run inside the hub (an event-loop callback)")
        if _os_thread_ident() != self.thread_id or task is not None:
            raise WrongThreadError(
                f"this zio hub belongs to thread {self.thread_name!r}; "
                f"it cannot be used from thread {threading.current_thread().name!r}"
            )
        # A greenlet zio did not create (user code calling greenlet directly):
        # give it a task identity so it can block and be cancelled.
        task = self._foreign.get(g)
        if task is None:
            task = self._foreign[g] = RootTask(self, g, name=f"greenlet-{id(g):#x}")
        return task

    def _running_task(self) -> Any:
        """The running task if it is one of this hub's (the root task included), else None.

        :meth:`current_task` without its errors and side effects, for code
        that must not raise (a signal handler, run_first): None in the hub
        itself and in a greenlet zio does not know.
        """
        g = getcurrent()
        if g is self.root_task.glet:
            return self.root_task
        task = getattr(g, "_zio_task", None)
        return task if task is not None and task._hub is self else None

    def has_runnable(self) -> bool:
        """Whether any task is waiting for its turn to run."""
        return bool(self.runnable)

    # -- progress, as other threads and signal handlers see it ---------------
    def progress_mark(self) -> tuple[int, int]:
        """A value that changes whenever the hub hands control to a task (or tasks switch directly).

        The blocking monitor and time slicing compare two readings: the same
        mark means the running code has not switched in between.
        """
        return (self._dispatches, self._budget)

    def keeps_others_waiting(self) -> bool:
        """Whether the running code delays anyone.

        True when the hub is not idle in its poll and something is runnable
        or watched (fds, timers, signals, thread-safe callbacks).
        """
        return not self._in_idle_poll and (bool(self.runnable) or self.loop.has_external_sources())

    def _poll_idle(self, timeout: float | None) -> None:
        # Nothing is runnable: the poll may block, and the flag tells the
        # monitor and time slicing (keeps_others_waiting) that it is idle.
        self._in_idle_poll = True
        try:
            self.loop.run_once(timeout)
        finally:
            self._in_idle_poll = False

    # -- spawning ------------------------------------------------------------
    def spawn(
        self,
        fn: Callable[..., Any],
        args: tuple = (),
        kwargs: dict | None = None,
        *,
        name: str | None = None,
        parent_scope: CancelScope | None = None,
        group: Any = None,
    ) -> Task:
        """Create a task running ``fn(*args, **kwargs)`` and make it runnable."""
        if self.closed:
            raise RuntimeError("zio: cannot spawn on a closed hub")
        if _os_thread_ident() != self.thread_id:
            raise WrongThreadError(
                f"zio.spawn() called from thread {threading.current_thread().name!r} on the hub of "
                f"thread {self.thread_name!r}; each thread spawns on its own hub"
            )
        task = Task(self, fn, args, kwargs or None, name, parent_scope, group)  # None: no empty dict per task
        self.tasks.add(task)
        self._unstarted += 1
        self.runnable.append(task)
        return task

    def queue_first(self, task: Task) -> bool:
        """Move ``task`` (the last one :meth:`spawn` queued) to the front of the run queue.

        Unlike :meth:`run_first` the caller goes on running; ``task`` is the
        next to run once it parks or is preempted.  Returns False (and leaves
        the queue alone) if ``task`` is not the last queued.
        """
        runnable = self.runnable
        if not runnable or runnable[-1] is not task:
            return False
        runnable.pop()
        runnable.appendleft(task)
        return True

    def run_first(self, task: Task) -> bool:
        """Run the task just spawned before the caller goes on; False if it cannot.

        ``task`` (the last one :meth:`spawn` queued) and then the calling task
        move to the front of the run queue, and the caller hands control to the
        hub (which starts ``task``: only the hub starts tasks).  The caller
        resumes once ``task`` first blocks or finishes, ahead of the tasks that
        were waiting.  This is for thread starts: ``Thread.start()`` waits for
        the new thread to signal that it runs, and behind a thousand busy
        fibers that wait would otherwise last a whole pass of the run queue (a
        busy ``ThreadingTCPServer`` then accepted ~150 connections a second).

        Not a checkpoint: it never raises Cancelled (a pending
        KeyboardInterrupt is raised on resumption, as after a preemption).  It
        does nothing and returns False when the caller cannot yield (the hub
        itself, a greenlet zio does not know) or ``task`` is not the last queued.
        """
        me = self._running_task()
        # (A signal handler may run inside park() after it marked the task parked.)
        if me is None or me._parked or not self.queue_first(task):
            return False
        self.runnable.insert(1, me)
        self._hold_poll = True
        try:
            self._switch_to_hub()
        finally:
            self._hold_poll = False
        if me._ki_pending:
            me._ki_pending = False
            raise KeyboardInterrupt
        return True

    def task_finished(self, task: Task) -> None:
        """Called by a task as its last act: wake joiners, tell its group."""
        task._status = DONE
        self.tasks.discard(task)
        joiners = task._joiners
        if joiners:
            task._joiners = None
            for joiner in joiners:
                if joiner._parked:
                    self.unpark(joiner, None)
        group = task._group
        if group is not None:
            group._child_done(task)

    # -- the two traps ---------------------------------------------------------
    def park(self, abort: Callable[[], Any] | None, waiting_for: Any = None, task: Any = None) -> Any:
        """Suspend the current task until :meth:`unpark`; return the value it gets.

        ``abort()`` is called at most once if cancellation (or a deadlock or
        KeyboardInterrupt report) arrives first; it must undo the wait's
        registration and return anything but ``False``.  Returning ``False``
        means the operation already completed: the task stays parked until its
        unpark, and the cancel is delivered at its next blocking call.  With
        ``abort=None`` the wait cannot be cancelled.  ``task`` is for callers
        that have already looked up the calling task of this hub (it must be
        that task); the others leave it out.
        """
        if task is None:
            try:
                task = getcurrent()._zio_task
            except AttributeError:
                task = None
            if task is None or task._hub is not self:
                task = self.current_task()  # slow path: root/foreign greenlet, or misuse
        if abort is not None:
            if task._ki_pending:
                self._raise_pending(task, abort)
                abort = None  # tried once and it failed: the wait completes first
            elif self._cancelled_scopes:
                scope = task._scope
                # Some scope is cancelled: walk the chain inline to see whether it is one of ours.
                while scope is not None:
                    if scope._cancel_called:
                        if self._raise_pending(task, abort):
                            abort = None
                        break
                    if scope._shield:
                        break
                    scope = scope._parent
        task._abort = abort
        task._waiting_for = waiting_for
        task._parked = True
        # Switch straight to the next runnable task when there is one: half the
        # greenlet switches of going through the hub.  The budget hands control
        # back to the hub regularly so I/O and timers are polled.  Only the hub
        # starts new tasks (see _unstarted).
        runnable = self.runnable
        if runnable and self._budget and (not self._unstarted or _has_run(runnable[0])):
            self._budget -= 1
            # Fetched as an attribute, then called: as task.switch() the
            # lookup of the slot holding the bound method is not specialized.
            switch = runnable.popleft().switch
        else:
            switch = self._switch_to_hub
        switch()
        exc = task._resume_exc
        if exc is not None:
            task._resume_exc = None
            raise exc
        # _resume_value is not cleared: the next unpark overwrites it, and
        # skipping the store is measurable on the ping-pong benchmark.
        return task._resume_value

    def _raise_pending(self, task: Any, abort: Callable[[], Any]) -> bool:
        """Raise a pending KeyboardInterrupt or Cancelled instead of parking.

        Returns (without raising) True if ``abort`` was called and failed, so the
        caller parks without an abort: it may be attempted only once.
        """
        if task._ki_pending:
            if abort() is not False:
                task._ki_pending = False
                raise KeyboardInterrupt
            return True
        origin = cancel_origin(task)
        if origin is None:
            return False  # the cancelled scope is shadowed by a shield
        if abort() is not False:
            raise make_cancelled(task, origin)
        return True

    def unpark(self, task: Any, value: Any = None, exc: BaseException | None = None) -> None:
        """Make a parked task runnable; its park() returns ``value`` or raises ``exc``."""
        # Written out in io._on_readable (once per message): keep the two in step.
        if not task._parked:
            raise RuntimeError(f"zio: unpark() of task {task.name!r}, which is not parked")
        task._parked = False
        task._abort = None
        task._resume_value = value
        task._resume_exc = exc
        self.runnable.append(task)

    def unpark_threadsafe(self, task: Any, value: Any = None) -> None:
        """Unpark from any thread (through the loop's thread-safe wakeup)."""
        if _os_thread_ident() == self.thread_id:
            self.unpark(task, value)
        else:
            self.loop.call_soon_threadsafe(self.unpark, task, value)

    def try_abort(self, task: Any, exc: BaseException | None = None) -> bool:
        """Abort ``task``'s park for cancellation (or with ``exc``); True if it was woken."""
        abort = task._abort
        if abort is None or not task._parked:
            return False
        if exc is None:
            origin = cancel_origin(task)
            if origin is None:
                return False
        task._abort = None
        if abort() is False:
            return False
        if exc is None:
            exc = make_cancelled(task, origin)
        self.unpark(task, None, exc)
        return True

    def checkpoint(self) -> None:
        """Yield to other tasks, then deliver pending cancellation.

        The task is queued as runnable rather than parked, so a cancel that
        arrives meanwhile has nothing to abort; it is raised on resumption.
        """
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        if task is None or task._hub is not self:
            task = self.current_task()
        runnable = self.runnable
        if not runnable and self._budget:
            # Nothing else is runnable: carry on without a switch.  The budget
            # is still spent (the hub counts it as this task's turn), so a
            # task spinning on checkpoints still hands control to the hub,
            # which polls, every _SWITCH_BUDGET of them.
            self._budget -= 1
        else:
            runnable.append(task)
            if self._budget and (not self._unstarted or _has_run(runnable[0])):
                self._budget -= 1
                switch = runnable.popleft().switch
            else:
                switch = self._switch_to_hub
            switch()
        if task._ki_pending:
            task._ki_pending = False
            raise KeyboardInterrupt
        if not self._cancelled_scopes:
            return
        scope = task._scope
        while scope is not None:
            if scope._cancel_called:
                origin = cancel_origin(task)
                if origin is not None:
                    raise make_cancelled(task, origin)
                return
            if scope._shield:
                return
            scope = scope._parent

    def raise_if_cancelled(self, task: Any) -> None:
        """Raise pending KeyboardInterrupt/Cancelled for ``task`` without yielding."""
        if task._ki_pending:
            task._ki_pending = False
            raise KeyboardInterrupt
        origin = cancel_origin(task)
        if origin is not None:
            raise make_cancelled(task, origin)

    def describe_wait(self, task: Any) -> str:
        """Human-readable description of what a parked task waits for."""
        what = task._waiting_for
        if what is None:
            return "an unnamed wait"
        if callable(what):
            try:
                return str(what())
            except Exception as exc:  # noqa: BLE001 - diagnostic only
                return f"<wait description failed: {exc!r}>"
        return str(what)

    # -- joining --------------------------------------------------------------
    def join_task(self, task: Task, timeout: float | None) -> None:
        """Park until ``task`` is done (a checkpoint even if it already is)."""
        me = self.current_task()
        if task is me:
            raise RuntimeError(f"task {task.name!r} cannot join itself")
        if task._hub is not self:
            raise WrongThreadError(f"task {task.name!r} belongs to another thread's hub; join it there")
        if task._status == DONE:
            # Completes at once: deliver a pending cancel, but do not yield.
            self.raise_if_cancelled(me)
            return
        if timeout is not None:
            from .cancel import fail_after

            with fail_after(timeout):
                self._join_wait(me, task)
        else:
            self._join_wait(me, task)

    def _join_wait(self, me: Any, task: Task) -> None:
        while task._status != DONE:
            if task._joiners is None:
                task._joiners = []
            task._joiners.append(me)

            def abort(me: Any = me, task: Task = task) -> bool:
                if task._joiners is not None and me in task._joiners:
                    task._joiners.remove(me)
                return True

            self.park(abort, lambda task=task: f"join() of task {task.name!r} ({task.waiting_for or 'runnable'})")

    # -- the loop ---------------------------------------------------------------
    def _run_forever(self) -> None:
        loop = self.loop
        runnable = self.runnable
        run_once = loop.run_once
        last_poll = 0.0
        # Tasks still to run before the hub may poll again: those that were
        # runnable when it last polled (FIFO order puts them first).  Polling
        # only between such passes matters for sockets: a task woken by
        # readiness has not read its data yet, so a poll before it runs
        # reports the fd again with nobody waiting, which disarms it (an
        # epoll_ctl now and another on its next wait).  Passes are counted,
        # not marked in the queue, so short ones (two fibers handing an item
        # back and forth) cost nothing extra per switch.
        pass_left = 0
        allotted = 0
        while True:
            # Tasks hand control to each other directly (see park), spending
            # the budget: what they spent is how many tasks they ran.
            pass_left -= allotted - self._budget
            allotted = 0
            if not runnable:
                if self._idle_hooks or self._clock is not None:
                    self._run_idle_hooks()
                else:
                    if not loop.has_external_sources() and not self.external_waits:
                        self._check_deadlock()
                    if not runnable:
                        # _poll_idle written out: the call costs ~400 instructions per idle poll.
                        self._in_idle_poll = True
                        try:
                            run_once(None)
                        finally:
                            self._in_idle_poll = False
                last_poll = _monotonic()
                pass_left = len(runnable)
            elif self._hold_poll:
                # run_first() queued a new task and its starter at the front,
                # and the starter has not resumed yet: a poll now would put
                # what it wakes ahead of them.
                pass
            else:
                now = _monotonic()
                if pass_left <= 0:
                    # A busy set of tasks polls at most every
                    # _MIN_POLL_INTERVAL: a syscall per switch would
                    # dominate the cost of short passes.
                    if now - last_poll >= _MIN_POLL_INTERVAL:
                        waiting = len(runnable)
                        run_once(0.0)
                        last_poll = now
                        woken = len(runnable) - waiting
                        if woken:
                            # What I/O and timers woke goes ahead of the
                            # backlog (e.g. thousands of freshly spawned
                            # tasks), or its latency would grow with the
                            # backlog's length.
                            runnable.rotate(woken)
                        pass_left = len(runnable)
                else:
                    # Mid-pass: a long pass must not make timers late by its
                    # whole length, so timers that fell due run now and what
                    # they woke goes first.  Timers only: a poll would report
                    # the fds of tasks further down this pass again.
                    deadline = loop.next_timer_deadline()
                    if deadline is not None and deadline <= loop.time():
                        waiting = len(runnable)
                        loop.run_expired_timers()
                        woken = len(runnable) - waiting
                        if woken:
                            runnable.rotate(woken)
                            pass_left += woken
            if runnable:
                # The hub gets control back when the budget runs out, a task
                # finishes or nothing is runnable.
                allotted = self._budget = _SWITCH_BUDGET
                pass_left -= 1
                self._dispatches += 1
                runnable.popleft().switch()

    # -- testing seams (zio.testing) ------------------------------------------
    def set_clock(self, clock: Any) -> None:
        """Run this hub's timers and deadlines on ``clock`` (None: the real monotonic clock).

        Besides the methods :meth:`zio.loop.Loop.set_clock` needs, a clock may
        have an ``autojump_threshold`` attribute (seconds, ``math.inf`` for
        never) and a ``jump(seconds)`` method: once every task has been parked
        for ``autojump_threshold`` real seconds, the hub jumps the clock to the
        next timer deadline.
        """
        self.loop.set_clock(clock)
        self._clock = clock

    @property
    def clock(self) -> Any:
        """The clock installed with :meth:`set_clock`, or None."""
        return self._clock

    def call_when_idle(self, cushion: float, callback: Callable[[], Any]) -> IdleHook:
        """Call ``callback()`` (in the hub) once every task has been parked for ``cushion`` real seconds.

        "Parked" means nothing is runnable and a poll for I/O found nothing; the
        hooks with the smallest cushion fire together, then the tasks they wake
        run before the next hooks are considered.  Returns a handle whose
        ``cancel()`` removes the hook.  Used by
        :func:`zio.testing.wait_all_tasks_blocked`.
        """
        if not cushion >= 0:
            raise ValueError(f"cushion must be a non-negative number of seconds, got {cushion!r}")
        hook = IdleHook(self, float(cushion), callback)
        self._idle_hooks.append(hook)
        self._idle_hooks.sort(key=_hook_key)  # stable: equal cushions fire in arrival order
        return hook

    def _run_idle_hooks(self) -> None:
        """The idle step of the loop when idle hooks or a custom clock are present.

        Polls until a task becomes runnable; if none does within the smallest
        cushion (of the idle hooks and the clock's autojump threshold), fires
        the hooks with that cushion or jumps the clock to the next deadline.
        Like trio, a hook wins a tie with the autojump.
        """
        loop = self.loop
        runnable = self.runnable
        idle_since = _monotonic()
        while not runnable:
            hooks = self._idle_hooks
            cushion = hooks[0].cushion if hooks else math.inf
            jump = False
            clock = self._clock
            if clock is not None:
                threshold = getattr(clock, "autojump_threshold", math.inf)
                if threshold < cushion and loop.next_timer_deadline() is not None:
                    cushion, jump = threshold, True
            if cushion == math.inf:
                # Nothing to fire: the ordinary idle step (deadlock check included).
                if not loop.has_external_sources() and not self.external_waits:
                    self._check_deadlock()
                if not runnable:
                    self._poll_idle(None)
                return
            remaining = idle_since + cushion - _monotonic()
            self._poll_idle(remaining if remaining > 0.0 else 0.0)
            if runnable or remaining > 0.0:
                continue  # woken, or the cushion has not elapsed yet: re-evaluate
            if jump:
                deadline = loop.next_timer_deadline()
                if deadline is not None:
                    ahead = deadline - clock.time()
                    if ahead > 0:
                        clock.jump(ahead)
                # The next run_once() fires the timer that is now due.
                idle_since = _monotonic()
            else:
                due = [h for h in hooks if h.cushion == cushion]
                del hooks[: len(due)]
                for hook in due:
                    hook._hub = None
                    loop._run_callback(hook.callback, ())

    def _check_deadlock(self) -> None:
        """Nothing in this hub can make progress; if nothing outside can either, say so."""
        if not certainly_stuck(self):
            return
        target = self.main_task
        if not getattr(target, "_parked", False):
            target = self.root_task if self.root_task._parked else next((t for t in self.tasks if t._parked), None)
        if target is None:
            return
        self._deliver_forced(target, DeadlockError(deadlock_message(self, target)))

    def _deliver_forced(self, task: Any, exc: BaseException) -> None:
        abort = task._abort
        task._abort = None
        if abort is not None:
            abort()
        self.unpark(task, None, exc)

    def _loop_callback_failed(self, exc: BaseException, callback: Any) -> None:
        from .excepthook import report_callback_error

        report_callback_error(self, exc, callback)

    def set_idle_thread_provider(self, provider: Callable[[], set[int]]) -> None:
        """Tell the deadlock check which other threads are idle zio workers (cannot wake anyone)."""
        self._idle_thread_ids = provider

    # -- KeyboardInterrupt ------------------------------------------------------
    def main_or_root_task(self) -> Any:
        """The main task, or the thread's root task when there is none (any more): "the main thread"."""
        task = self.main_task
        if task is None or (isinstance(task, Task) and task._status == DONE):
            return self.root_task
        return task

    def deliver_keyboard_interrupt(self) -> None:
        """Hand a KeyboardInterrupt to the main task at its blocking point."""
        task = self.main_or_root_task()
        if task._parked and task._abort is not None:
            abort = task._abort
            task._abort = None
            if abort() is not False:
                self.unpark(task, None, KeyboardInterrupt())
                return
        task._ki_pending = True

    # -- shutdown ---------------------------------------------------------------
    def close(self) -> None:
        """Close the loop.  Tasks still alive are abandoned (zio.run cancels them first)."""
        if not self.closed:
            self.closed = True
            self.loop.close()

    def report_misnesting(self, task: Any, leaked: Any) -> None:
        """A task finished with a scope or group still open: report it loudly."""
        from .excepthook import report_callback_error

        report_callback_error(
            self,
            RuntimeError(
                f"task {task.name!r} finished with {leaked!r} still open (a scope was entered without 'with')"
            ),
            task,
        )

    def __repr__(self) -> str:
        return f"<zio.Hub thread={self.thread_name!r} backend={self.loop.name} tasks={len(self.tasks)}>"


def _has_run(task: Any) -> bool:
    """Whether ``task`` already runs on a worker greenlet (a RootTask always has its own)."""
    return getattr(task, "_glet", True) is not None


def _no_idle_threads() -> set[int]:
    return set()


__all__ += ["Cancelled"]
