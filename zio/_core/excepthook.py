"""Where errors nobody else will see are reported.

A task that raises and is never joined, and an event-loop callback that
raises, must not vanish silently (gevent prints and drops; eventlet's
``spawn_n`` drops).  They go through one replaceable hook, shaped like
:func:`threading.excepthook`.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, Callable, NamedTuple

__all__ = ["TaskExceptHookArgs", "default_task_excepthook", "set_task_excepthook", "get_task_excepthook"]


class TaskExceptHookArgs(NamedTuple):
    """What the hook receives (mirrors ``threading.ExceptHookArgs``)."""

    exc_type: type[BaseException]
    exc_value: BaseException
    exc_traceback: Any
    task: Any


def default_task_excepthook(args: TaskExceptHookArgs) -> None:
    """Print the error and the task's name to stderr, like ``threading.excepthook``."""
    name = getattr(args.task, "name", repr(args.task))
    stream = sys.stderr
    if stream is None:  # pythonw / interpreter shutdown
        return
    print(f"Exception in zio task {name!r} (never joined):", file=stream)
    traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback, file=stream)
    stream.flush()


_hook: Callable[[TaskExceptHookArgs], Any] = default_task_excepthook


def set_task_excepthook(hook: Callable[[TaskExceptHookArgs], Any] | None) -> Callable[[TaskExceptHookArgs], Any]:
    """Install ``hook`` for unretrieved task errors (None restores the default); returns the old hook."""
    global _hook
    old = _hook
    _hook = hook if hook is not None else default_task_excepthook
    return old


def get_task_excepthook() -> Callable[[TaskExceptHookArgs], Any]:
    """The hook currently installed."""
    return _hook


def _call_hook(task: Any, exc: BaseException) -> None:
    try:
        _hook(TaskExceptHookArgs(type(exc), exc, exc.__traceback__, task))
    except Exception as hook_exc:  # noqa: BLE001 - a broken hook must not hide the original
        if sys.stderr is not None:
            print("zio: the task excepthook itself raised:", file=sys.stderr)
            traceback.print_exception(type(hook_exc), hook_exc, hook_exc.__traceback__, file=sys.stderr)
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def report_unretrieved(task: Any, exc: BaseException) -> None:
    """A finished task's error was never retrieved by join()/result()/exception()."""
    _call_hook(task, exc)


class _CallbackContext:
    """Stands in for a task when an event-loop callback failed."""

    def __init__(self, hub: Any, callback: Any) -> None:
        self.name = f"event-loop callback {callback!r} on {hub!r}"


def report_callback_error(hub: Any, exc: BaseException, callback: Any) -> None:
    """An event-loop callback (fd watcher, timer, call_soon) raised."""
    _call_hook(_CallbackContext(hub, callback), exc)
