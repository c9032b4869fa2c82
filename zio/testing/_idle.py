"""wait_all_tasks_blocked: park until every other task of the hub is parked too."""

from __future__ import annotations

from .._core import _state

__all__ = ["wait_all_tasks_blocked"]


def wait_all_tasks_blocked(cushion: float = 0.0) -> None:
    """Park until every task on this thread's hub has been blocked for ``cushion`` real seconds.

    "Blocked" means parked with nothing runnable and no I/O ready, so after
    this returns every other task has run as far as it can without outside
    input: the usual way to say "let the server get to its accept()" in a test
    without a sleep.  Waiting in :func:`zio.to_thread` counts as blocked.

    Callers with equal cushions wake together; a caller with a larger cushion
    wakes only after those with smaller ones have run and blocked again.  A
    checkpoint: cancellation is delivered here.
    """
    hub = _state.get_hub()
    task = hub.current_task()
    hook = hub.call_when_idle(cushion, lambda: hub.unpark(task))
    # cancel() returns False once the hook fired (the task is already being
    # woken): the park layer then keeps the wakeup and delivers the cancel at
    # the next blocking call, so nothing is lost.
    hub.park(hook.cancel, f"zio.testing.wait_all_tasks_blocked(cushion={cushion})")
