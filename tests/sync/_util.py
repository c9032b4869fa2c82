"""Helpers for the zio.sync tests."""

from __future__ import annotations

from typing import Callable

import zio


def wait_until(predicate: Callable[[], bool], *, rounds: int = 10_000) -> None:
    """Yield to other tasks until ``predicate()`` holds (state-based sync, no sleeps).

    Fails loudly instead of hanging if it never does.
    """
    for _ in range(rounds):
        if predicate():
            return
        zio.checkpoint()
    raise AssertionError(f"condition never became true: {predicate}")


def assert_cancelled_at_next_checkpoint() -> None:
    """The caller's scope is cancelled: the next blocking call must raise Cancelled."""
    try:
        zio.checkpoint()
    except zio.Cancelled:
        raise
    raise AssertionError("the pending cancel was not delivered at the next checkpoint")
