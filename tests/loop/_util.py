"""Helpers shared by the loop tests."""

from __future__ import annotations


def run_until(loop, predicate, timeout: float = 5.0) -> None:
    """Drive ``loop`` until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = loop.time() + timeout
    while not predicate():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError("loop condition not reached in time")
        loop.run_once(remaining)
