"""Tasks: fibers with a result, a name and a root cancel scope.

A :class:`Task` runs on a pooled worker greenlet: creating a greenlet and
its first switch cost more than everything else in a spawn (the interpreter
allocates a fresh frame stack for it), so finished workers wait in the hub
for the next task instead of dying.  Fiber identity is therefore the Task,
never the greenlet.  The thread's original greenlet (the code that ran
before any hub existed, e.g. a patched program's main line) gets a
:class:`RootTask` stand-in so it can block, be cancelled and be named like
any other task.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from typing import Any, Callable

from greenlet import getcurrent, greenlet

from .cancel import CancelScope
from .errors import Cancelled

__all__ = ["RootTask", "Task"]

_ids = itertools.count(1)

NEW, RUNNING, DONE = 0, 1, 2


class _TaskState:
    """Fields shared by :class:`Task` and :class:`RootTask` (documented on Task)."""

    __slots__ = (
        "id",
        "_name",
        "_hub",
        "_scope",
        "_root_scope",
        "_abort",
        "_parked",
        "_waiting_for",
        "_resume_value",
        "_resume_exc",
        "_ki_pending",
        "_joiners",
        "locals",
    )

    @property
    def name(self) -> str:
        """The task's name (settable); defaults to the function's qualified name and the task id."""
        name = self._name
        if name is None:
            name = self._name = self._default_name()
        return name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    def _default_name(self) -> str:
        return f"Task-{self.id}"

    def _init_state(self, hub: Any, name: str | None) -> None:
        self.id = next(_ids)
        self._name = name
        self._hub = hub
        self._scope: CancelScope | None = None
        self._root_scope = CancelScope()
        self._abort: Any = None
        self._parked = False
        self._waiting_for: Any = None
        self._resume_value: Any = None
        self._resume_exc: BaseException | None = None
        self._ki_pending = False
        self._joiners: list | None = None
        self.locals: dict | None = None


class _Worker(greenlet):
    """A pooled greenlet that runs one task after another."""

    __slots__ = ("_zio_task",)


#: Idle workers kept per hub; beyond this, finished workers exit.
MAX_IDLE_WORKERS = 1024


def _worker_main() -> None:
    # The task arrives through ``_zio_task``, never as an argument: greenlet
    # keeps the arguments of a greenlet's first switch alive until it exits,
    # which would pin the worker's first task (and hide its unretrieved error
    # from the excepthook) for as long as the worker idles in the pool.
    #
    # The task's body runs inline here rather than in a method: on Python
    # 3.12+ greenlet keeps a frame object for every frame of a parked
    # fiber's stack, so each level costs memory per idle fiber.  Locals that
    # refer to the task or its function are cleared before the worker idles.
    me = getcurrent()
    while True:
        task = me._zio_task
        me.gr_context = task._context
        task._status = RUNNING
        fn, args, kwargs = task._fn, task._args, task._kwargs
        # Keep _fn (for the default name); drop the arguments early.
        task._args = task._kwargs = None
        hub = task._hub
        try:
            try:
                # A plain call of a Python function runs in the same C-level
                # interpreter loop; fn(*args, **kwargs) recurses into C, and
                # every parked fiber keeps a copy of that C stack.
                if kwargs:
                    result = fn(*args, **kwargs)
                elif not args:
                    result = fn()
                elif len(args) == 1:
                    result = fn(args[0])
                elif len(args) == 2:
                    result = fn(args[0], args[1])
                else:
                    result = fn(*args)
            finally:
                if task._scope is not task._root_scope:
                    leaked = task._scope
                    task._scope = task._root_scope
                    hub.report_misnesting(task, leaked)
                    leaked = None
                task._root_scope._detach()
        except Cancelled as exc:
            task._was_cancelled = True
            task._exc = exc
            task._exc_retrieved = True  # being cancelled is not an error to report
            hub.task_finished(task)
        except BaseException as exc:  # noqa: BLE001 - stored and re-raised by join()
            # Drop this frame from the traceback: it is the worker's, which
            # lives on and refers to the task while it runs.
            if exc.__traceback__ is not None:
                exc.__traceback__ = exc.__traceback__.tb_next
            task._exc = exc
            hub.task_finished(task)
        else:
            task._result = result
            hub.task_finished(task)
        task._root_scope._owner = None  # break the task <-> root scope cycle
        task._glet = None
        task.switch = _finished_switch
        # Drop every reference to the task and what it ran while idle: an
        # unretrieved error is reported as soon as the task is unreferenced.
        task = fn = args = kwargs = result = None  # type: ignore[assignment]
        me._zio_task = None
        me.gr_context = None
        idle = hub._idle_workers
        if len(idle) >= MAX_IDLE_WORKERS or hub.closed:
            return
        idle.append(me)
        # Wait for Task._start to hand us the next task.
        hub.greenlet.switch()


class Task(_TaskState):
    """A fiber started by :func:`zio.spawn` or :meth:`zio.Group.spawn`.

    ``join()`` waits for it and returns its result or re-raises its
    exception; ``cancel()`` cancels its root scope.  An exception nobody
    retrieves is reported through :func:`zio.set_task_excepthook`'s hook.
    """

    __slots__ = (
        "_fn",
        "_args",
        "_kwargs",
        "_status",
        "_result",
        "_exc",
        "_exc_retrieved",
        "_group",
        "_was_cancelled",
        "_glet",
        "_context",
        "switch",
        "__weakref__",
    )

    def __init__(
        self,
        hub: Any,
        fn: Callable[..., Any],
        args: tuple,
        kwargs: dict | None,
        name: str | None,
        parent_scope: CancelScope | None,
        group: Any = None,
    ) -> None:
        self._init_state(hub, name)
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._status = NEW
        self._result: Any = None
        self._exc: BaseException | None = None
        self._exc_retrieved = False
        self._group = group
        self._was_cancelled = False
        self._root_scope._attach(hub, self, parent_scope)
        self._scope = self._root_scope
        self._glet: greenlet | None = None
        # Like asyncio and trio: a task sees the context of the code that spawned it.
        self._context = contextvars.copy_context()
        # The scheduler calls task.switch(); until the task has a worker that
        # starts it, afterwards it is the worker's own switch.
        self.switch: Any = self._start

    def _start(self) -> None:
        # Only the hub calls this, from its own stack: see Hub._unstarted.
        hub = self._hub
        hub._unstarted -= 1
        idle = hub._idle_workers
        worker = idle.pop() if idle else _Worker(_worker_main, hub.greenlet)
        worker._zio_task = self
        self._glet = worker
        self.switch = worker.switch
        worker.switch()

    def _default_name(self) -> str:
        fn = self._fn
        if fn is None:
            return f"Task-{self.id}"
        return f"{getattr(fn, '__qualname__', type(fn).__name__)}-{self.id}"

    # -- public API --------------------------------------------------------
    def done(self) -> bool:
        """Whether the task has finished (returned, raised or was cancelled)."""
        return self._status == DONE

    def cancelled(self) -> bool:
        """Whether the task ended because it was cancelled."""
        return self._status == DONE and self._was_cancelled

    def cancel(self, reason: str = "") -> None:
        """Cancel the task's root scope: its next (or current) blocking call raises Cancelled."""
        self._root_scope.cancel(reason or f"Task.cancel() of {self.name!r}")

    def exception(self) -> BaseException | None:
        """The exception the task ended with (None if it returned). Raises if not done."""
        if self._status != DONE:
            raise RuntimeError(f"task {self.name!r} has not finished")
        self._exc_retrieved = True
        return self._exc

    def result(self) -> Any:
        """The task's return value, re-raising its exception. Raises if not done."""
        if self._status != DONE:
            raise RuntimeError(f"task {self.name!r} has not finished")
        return self._outcome()

    def _outcome(self) -> Any:
        exc = self._exc
        if exc is None:
            return self._result
        self._exc_retrieved = True
        if self._was_cancelled:
            raise Cancelled(f"task {self.name!r} was cancelled") from exc
        raise exc

    def join(self, timeout: float | None = None) -> Any:
        """Wait for the task; return its result or re-raise its exception.

        With ``timeout``, raise ``TimeoutError`` if it has not finished in time
        (the task keeps running).  Joining a cancelled task raises Cancelled.
        A checkpoint.
        """
        self._hub.join_task(self, timeout)
        return self._outcome()

    @property
    def waiting_for(self) -> str | None:
        """What the task is parked on, or None if it is runnable or done."""
        return self._hub.describe_wait(self) if self._parked else None

    def __repr__(self) -> str:
        state = ("new", "running", "done")[self._status]
        if self._parked:
            state = f"parked on {self._hub.describe_wait(self)}"
        return f"<zio.Task {self.name!r} {state}>"

    def __del__(self) -> None:
        if self._status == DONE and self._exc is not None and not self._exc_retrieved:
            self._exc_retrieved = True
            from .excepthook import report_unretrieved

            report_unretrieved(self, self._exc)


def _finished_switch() -> None:
    raise RuntimeError("zio: a finished task was scheduled to run")


class RootTask(_TaskState):
    """The task identity of a thread's original greenlet (see module docs)."""

    __slots__ = (
        "glet",
        "switch",
        "throw",
        "__weakref__",
    )

    def __init__(self, hub: Any, glet: greenlet, name: str | None = None) -> None:
        self._init_state(hub, name or f"root:{threading.current_thread().name}")
        self.glet = glet
        self.switch = glet.switch
        self.throw = glet.throw
        glet._zio_task = self
        self._root_scope._attach(hub, self, None)
        self._scope = self._root_scope

    def done(self) -> bool:
        """A root task never finishes while its thread runs."""
        return False

    def cancelled(self) -> bool:
        """Root tasks are never finished, hence never cancelled-and-done."""
        return False

    def cancel(self, reason: str = "") -> None:
        """Cancel the root scope: every blocking call on this thread raises Cancelled."""
        self._root_scope.cancel(reason or f"cancel() of {self.name!r}")

    @property
    def waiting_for(self) -> str | None:
        """What the task is parked on, or None."""
        return self._hub.describe_wait(self) if self._parked else None

    def __repr__(self) -> str:
        return f"<zio.RootTask {self.name!r}{' parked' if self._parked else ''}>"
