"""Shared fixtures: every core test runs on every backend available here."""

from __future__ import annotations

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
