"""Shared fixtures: every core test runs on every backend available here."""

from __future__ import annotations

import os

import pytest

import zio
from zio.loop import available_backends

BACKENDS = [b for b in ("epoll", "poll", "select") if b in available_backends()]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of an event-loop backend; tests using it run once per backend."""
    return request.param


@pytest.fixture
def run(backend: str):
    """``run(fn, *args)``: run ``fn`` under ``zio.run`` on the parametrized backend."""

    def runner(fn, *args, **kwargs):
        return zio.run(fn, *args, backend=backend, **kwargs)

    return runner


@pytest.fixture
def pipe():
    """A non-blocking pipe ``(read_fd, write_fd)``; whatever end the test left open is closed after it."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture
def unused_fd() -> int:
    """An fd number below FD_SETSIZE that is not open (for the bad-fd tests)."""
    for fd in range(900, 1000):
        try:
            os.fstat(fd)
        except OSError:
            return fd
    raise RuntimeError("no free fd number found")
