"""Helpers for the zio.sync tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import zio

ROOT = Path(__file__).resolve().parents[2]


def run_script(code: str, *, backend: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (only its main thread exists) with ``$ZIO_BACKEND=backend``."""
    env = dict(os.environ, ZIO_BACKEND=backend, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=timeout
    )


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
