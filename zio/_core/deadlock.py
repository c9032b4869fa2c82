"""The deadlock check: can anything still wake a hub whose tasks are all parked?

The hub calls :func:`certainly_stuck` when nothing is runnable and its loop
watches nothing (see ``Hub._check_deadlock``); only then is a wait that
nothing can ever end reported, with :func:`deadlock_message`, as a
:class:`zio.DeadlockError` raised in the waiting task.
"""

from __future__ import annotations

import threading
from _thread import get_ident as _os_thread_ident  # the OS thread, even after zio.patch
from typing import Any

from . import _state
from ._frames import current_frames
from .ki import _on_sigint

__all__ = ["certainly_stuck", "deadlock_message"]


def certainly_stuck(hub: Any) -> bool:
    """Whether nothing outside ``hub``'s queue and loop can ever wake one of its parked tasks."""
    if _state.starting_threads:
        return False  # a thread about to run (no frame yet) may still wake someone
    others = set(current_frames()) - {hub.thread_id} - hub._idle_thread_ids()
    if others:
        return False  # another thread may still set an Event or send on a channel
    # The caller saw no queued thread-safe callback *before* the threads were
    # listed: a thread may have queued one (a wakeup) and exited in between.
    # Its effects precede its disappearance, so looking again now is exact.
    if hub.has_runnable() or hub.loop.has_external_sources() or hub.external_waits:
        return False
    if _os_thread_ident() == threading.main_thread().ident:
        import signal

        for signum in signal.valid_signals():
            try:
                handler = signal.getsignal(signum)
            except (ValueError, OSError):
                continue
            # zio's own SIGINT handler only interrupts; it cannot end a wait.
            if callable(handler) and handler is not signal.default_int_handler and handler is not _on_sigint:
                return False  # a Python signal handler could wake someone
    return True


def deadlock_message(hub: Any, target: Any) -> str:
    """What DeadlockError says: what ``target`` waits for, and what the other parked tasks wait for."""
    lines = [
        f"zio: deadlock: task {target.name!r} waits for {hub.describe_wait(target)}, "
        "and nothing can ever wake it: no other task is runnable, no fd or timer is "
        "watched, no thread-pool job is pending and no other thread is running."
    ]
    others = [t for t in list(hub.tasks) + [hub.root_task] if t is not target and t._parked]
    if others:
        lines.append("Other parked tasks:")
        for t in others[:20]:
            lines.append(f"  {t.name!r} waits for {hub.describe_wait(t)}")
        if len(others) > 20:
            lines.append(f"  ... and {len(others) - 20} more")
    return "\n".join(lines)
