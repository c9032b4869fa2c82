"""Waiting for an fd that zio does not own (a pipe, a pidfd) with an optional deadline."""

from __future__ import annotations

import time
from typing import Any

from .._core import _state
from .._core.io import wait_fd

__all__ = ["wait_fd_until"]


class _Expired(BaseException):
    """Private: ends a park at its deadline (never escapes this module)."""


def _expire(hub: Any, task: Any) -> None:
    # Runs in the hub; if the fd became ready in the same iteration the task
    # is runnable already, try_abort does nothing and readiness wins.
    hub.try_abort(task, _Expired())


def wait_fd_until(fd: int, kind: int, deadline: float | None) -> bool:
    """Park until ``fd`` is ready for ``kind``; False if ``deadline`` (monotonic) passed first.

    The fd is not kept registered after the wait (its owner need not call
    ``notify_closing``).  A checkpoint: raises Cancelled in a cancelled scope.
    """
    if deadline is None:
        wait_fd(fd, kind)
        return True
    hub = _state.get_hub()
    if deadline <= time.monotonic():
        hub.checkpoint()
        return False
    task = hub.current_task()
    timer = hub.loop.call_at(deadline, _expire, hub, task)
    try:
        wait_fd(fd, kind)
    except _Expired:
        return False
    finally:
        timer.cancel()
    return True
