"""Task groups: structured concurrency.

``with zio.Group() as g: g.spawn(fn, ...)`` — the block does not end until
every child has.  The first child error cancels the siblings and the body;
all errors come out together as an exception group, even a single one.
"""

from __future__ import annotations

from typing import Any, Callable

from . import _state
from ._compat import BaseExceptionGroup
from .cancel import CancelScope, cancel_origin, make_cancelled
from .errors import Cancelled
from .task import DONE, Task

__all__ = ["Group", "TaskStatus", "TASK_STATUS_IGNORED"]


class TaskStatus:
    """Passed as ``task_status=`` to functions run by :meth:`Group.start`."""

    __slots__ = ("_value", "_started", "_task", "_waiter", "_hub")

    def __init__(self, hub: Any, waiter: Any) -> None:
        self._value: Any = None
        self._started = False
        self._task: Task | None = None
        self._waiter = waiter
        self._hub = hub

    def started(self, value: Any = None) -> None:
        """Tell :meth:`Group.start` the child is ready; ``start()`` returns ``value``."""
        if self._started:
            raise RuntimeError("task_status.started() was already called")
        self._started = True
        self._value = value
        waiter = self._waiter
        if waiter is not None and waiter._parked:
            self._hub.unpark(waiter)


class _IgnoredStatus:
    """``task_status`` default for functions that may also be spawned normally."""

    def started(self, value: Any = None) -> None:
        """Do nothing: nobody is waiting."""


#: Default for a ``task_status`` parameter, so the function also works with spawn().
TASK_STATUS_IGNORED = _IgnoredStatus()


class Group:
    """A nursery of tasks bound to a ``with`` block (see the module docstring)."""

    def __init__(self) -> None:
        self._scope = CancelScope()
        self._children: set[Task] = set()
        self._errors: list[BaseException] = []
        self._open = False
        self._entered = False
        self._waiter: Any = None
        self._hub: Any = None
        self._starting: dict[Task, TaskStatus] = {}

    def __enter__(self) -> "Group":
        if self._entered:
            raise RuntimeError("a zio.Group can only be entered once")
        self._entered = True
        self._hub = _state.get_hub()
        self._scope.__enter__()
        self._open = True
        return self

    @property
    def cancel_scope(self) -> CancelScope:
        """The scope every child and the body run in."""
        return self._scope

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Start ``fn(*args, **kwargs)`` as a child task; returns its :class:`Task`.

        Raises RuntimeError once the group has closed.  In a cancelled group the
        child starts cancelled: its first blocking call raises Cancelled.
        """
        if not self._open:
            raise RuntimeError("this zio.Group is closed: its 'with' block has finished, so it cannot spawn tasks")
        task = self._hub.spawn(fn, args, kwargs, parent_scope=self._scope, group=self)
        self._children.add(task)
        return task

    def start(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, task_status=..., **kwargs)`` as a child; return once it calls ``task_status.started(v)``.

        Returns ``v``.  An error before ``started()`` is raised here and does
        not cancel the group; returning without calling ``started()`` is a
        RuntimeError.  A checkpoint.
        """
        hub = self._hub
        me = hub.current_task()
        status = TaskStatus(hub, me)
        task = self.spawn(fn, *args, task_status=status, **kwargs)
        status._task = task
        self._starting[task] = status

        def abort() -> bool:
            # Our caller was cancelled: the child runs under the group's scope,
            # so forward the cancel to it and wait for it to stop.
            task.cancel("the task calling Group.start() was cancelled")
            return False

        while not status._started and task._status != DONE:
            hub.park(abort, lambda: f"Group.start() of {task.name!r} to call task_status.started()")
        self._starting.pop(task, None)
        if status._started:
            return status._value
        exc = task._exc
        task._exc_retrieved = True
        if exc is not None:
            if isinstance(exc, Cancelled):
                origin = cancel_origin(me)
                if origin is not None:
                    raise make_cancelled(me, origin) from None
            raise exc
        raise RuntimeError(f"{task.name!r} returned without calling task_status.started()")

    def cancel(self, reason: str = "") -> None:
        """Cancel the body and every child."""
        self._scope.cancel(reason or "Group.cancel() was called")

    def _child_done(self, task: Task) -> None:
        self._children.discard(task)
        status = self._starting.get(task)
        exc = task._exc
        if exc is not None:
            task._exc_retrieved = True
            if status is not None and not status._started:
                # start() raises it instead; wake the starter.
                task._exc_retrieved = False
                if status._waiter._parked:
                    self._hub.unpark(status._waiter)
            elif not isinstance(exc, Cancelled):
                self._errors.append(exc)
                self._scope.cancel(f"child task {task.name!r} raised {type(exc).__name__}")
        elif status is not None and not status._started and status._waiter._parked:
            self._hub.unpark(status._waiter)
        if not self._children and self._waiter is not None and self._waiter._parked:
            self._hub.unpark(self._waiter)

    def _abort_exit_wait(self) -> bool:
        # Cancelled (or KeyboardInterrupt) while waiting for children: they are
        # inside our scope, so cancelling it reaches them; keep waiting.
        self._scope.cancel("the task waiting at the Group's exit was cancelled")
        return False

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        hub = self._hub
        if exc is not None and not isinstance(exc, Cancelled):
            self._errors.append(exc)
            self._scope.cancel(f"the Group's body raised {type(exc).__name__}")
        me = hub.current_task()
        self._waiter = me
        try:
            while self._children:
                hub.park(self._abort_exit_wait, lambda: f"Group exit: {len(self._children)} child task(s) to finish")
        finally:
            self._waiter = None
            self._open = False
        if me._ki_pending:
            # Ctrl-C arrived while we waited for the children: the abort only
            # cancelled them, so the interrupt is still owed.  Like trio, it
            # joins the group's errors rather than waiting for a later
            # checkpoint that may never come.
            me._ki_pending = False
            self._errors.append(KeyboardInterrupt())
        errors = self._errors
        if errors:
            self._scope.__exit__(None, None, None)
            self._errors = []
            raise BaseExceptionGroup(f"{len(errors)} error(s) in zio.Group", errors)
        absorbed = self._scope.__exit__(exc_type, exc, tb)
        if exc is None or absorbed:
            # The exit is a checkpoint: a cancel of an enclosing scope that
            # arrived while we waited (the abort only passed it on to the
            # children) is raised here, or the body would run on past it.
            origin = cancel_origin(me)
            if origin is not None:
                raise make_cancelled(me, origin)
        return absorbed

    def __repr__(self) -> str:
        state = "open" if self._open else "closed"
        return f"<zio.Group {state} children={len(self._children)}>"
