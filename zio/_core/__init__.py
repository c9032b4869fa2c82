"""The fiber runtime: hub, tasks, cancel scopes, groups and ``run``.

Imports only from :mod:`zio.loop` (checked by ``tests/test_layering.py``).
"""

from ._compat import BaseExceptionGroup, ExceptionGroup
from .api import (
    checkpoint,
    current_hub,
    current_loop,
    current_task,
    current_time,
    sleep,
    sleep_forever,
    sleep_until,
    spawn,
    to_thread,
)
from .cancel import CancelScope, current_effective_deadline, fail_after, fail_at, move_on_after, move_on_at
from .errors import BusyResourceError, Cancelled, ClosedResourceError, DeadlockError, WrongThreadError
from .excepthook import TaskExceptHookArgs, get_task_excepthook, set_task_excepthook
from .group import TASK_STATUS_IGNORED, Group, TaskStatus
from .hub import Hub
from .io import notify_closing, wait_readable, wait_writable
from .monitor import BlockingMonitor, BlockingReport, monitor_blocking
from .run import run
from .task import RootTask, Task

__all__ = [
    "BaseExceptionGroup",
    "BlockingMonitor",
    "BlockingReport",
    "BusyResourceError",
    "CancelScope",
    "Cancelled",
    "ClosedResourceError",
    "DeadlockError",
    "ExceptionGroup",
    "Group",
    "Hub",
    "RootTask",
    "TASK_STATUS_IGNORED",
    "Task",
    "TaskExceptHookArgs",
    "TaskStatus",
    "WrongThreadError",
    "checkpoint",
    "current_effective_deadline",
    "current_hub",
    "current_loop",
    "current_task",
    "current_time",
    "fail_after",
    "fail_at",
    "get_task_excepthook",
    "monitor_blocking",
    "move_on_after",
    "move_on_at",
    "notify_closing",
    "run",
    "set_task_excepthook",
    "sleep",
    "sleep_forever",
    "sleep_until",
    "spawn",
    "to_thread",
    "wait_readable",
    "wait_writable",
]
