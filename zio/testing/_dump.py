"""Human-readable dumps of fibers and threads, for test failures and hang reports."""

from __future__ import annotations

import os
import threading
import traceback
from typing import Any

from .._core import _state
from .._core._frames import current_frames

__all__ = ["format_tasks", "format_threads", "task_stack", "parked_location"]

_ZIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# Scheduler and test-runner plumbing: the same few frames at the bottom or top
# of every fiber's stack, hidden so the frames that differ stand out.
_PLUMBING = tuple(
    os.path.join(_ZIO_DIR, sub) for sub in ("_core" + os.sep, "loop" + os.sep, "_pytest" + os.sep, "pytest_plugin.py")
) + tuple(
    os.sep + name + os.sep for name in ("_pytest", "pluggy", "pytest")
)


def _is_plumbing(filename: str) -> bool:
    return (
        filename.startswith(_PLUMBING[:4])
        or filename.startswith("<frozen ")
        or any(marker in filename for marker in _PLUMBING[4:])
    )


def _visible(stack: list[traceback.FrameSummary]) -> list[traceback.FrameSummary]:
    kept = [s for s in stack if not _is_plumbing(s.filename)]
    # All plumbing (a task running a zio function directly, pytest's main
    # line): its innermost frames still say where it waits.
    return kept or stack[-3:]


def task_stack(task: Any) -> list[traceback.FrameSummary]:
    """The stack of a suspended task, outermost call first ([] if it never started or is running)."""
    glet = getattr(task, "_glet", None) or getattr(task, "glet", None)
    frame = getattr(glet, "gr_frame", None) if glet is not None else None
    if frame is None:
        return []
    return list(traceback.extract_stack(frame))


def parked_location(task: Any) -> str:
    """``file:line in function`` of the innermost frame of ``task`` outside zio itself."""
    stack = task_stack(task)
    for summary in reversed(stack):
        if not summary.filename.startswith(_ZIO_DIR):
            return f"{summary.filename}:{summary.lineno} in {summary.name}"
    if stack:
        last = stack[-1]
        return f"{last.filename}:{last.lineno} in {last.name}"
    return "not started yet" if getattr(task, "_status", None) == 0 else "no saved stack (running or finished)"


def _state_of(task: Any) -> str:
    if getattr(task, "_parked", False):
        return f"parked on {task._hub.describe_wait(task)}"
    status = getattr(task, "_status", None)
    if status == 0:
        return "not started"
    if status == 2:
        return "done"
    if getattr(getattr(task, "_glet", None), "gr_frame", True) is None:
        return "running (its frames are in its OS thread's stack)"
    return "runnable"


def format_tasks(hub: Any = None, *, limit: int = 12, include_root: bool = True, full: bool = False) -> str:
    """Every task of ``hub`` (default: this thread's) with its state and its stack's last ``limit`` frames.

    Frames of the scheduler, the event loop and pytest are left out unless
    ``full`` is true (or nothing else would remain).  A task that is running
    right now has no saved stack: its frames are those of its OS thread
    (see :func:`format_threads`).
    """
    if hub is None:
        hub = _state.peek_hub()
    if hub is None:
        return "(no zio hub on this thread)"
    tasks = sorted(list(hub.tasks), key=lambda t: t.id)
    if include_root:
        tasks.insert(0, hub.root_task)
    lines = [f"{len(tasks)} task(s) on {hub!r}:"]
    for task in tasks:
        lines.append(f"- {task.name!r}: {_state_of(task)}")
        stack = task_stack(task)
        if not full:
            stack = _visible(stack)
        if stack:
            for entry in traceback.format_list(stack[-limit:]):
                lines.append("    " + entry.rstrip("\n").replace("\n", "\n    "))
    return "\n".join(lines)


def format_threads(*, limit: int = 12, exclude: set[int] | None = None, full: bool = False) -> str:
    """Every OS thread running Python code, with its name and its stack's last ``limit`` frames."""
    frames = current_frames()
    active = getattr(threading, "_active", {})
    lines = [f"{len(frames)} thread(s):"]
    for ident, frame in frames.items():
        if exclude and ident in exclude:
            continue
        thread = active.get(ident)
        name = thread.name if thread is not None else "(not started by threading)"
        lines.append(f"- thread {ident} {name!r}:")
        stack = list(traceback.extract_stack(frame))
        if not full:
            stack = _visible(stack)
        stack = stack[-limit:]
        for entry in traceback.format_list(stack):
            lines.append("    " + entry.rstrip("\n").replace("\n", "\n    "))
    return "\n".join(lines)
