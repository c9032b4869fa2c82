"""Fixtures for the event-loop layer: a fresh loop per backend, closed afterwards."""

from __future__ import annotations

import socket

import pytest

from zio.loop import create_loop


@pytest.fixture
def loop(backend: str):
    """A new :class:`zio.loop.Loop` on the parametrized backend; errors from callbacks are collected."""
    lp = create_loop(backend)
    lp.errors = []  # type: ignore[attr-defined]
    lp.set_exception_handler(lambda exc, cb: lp.errors.append((exc, cb)))  # type: ignore[attr-defined]
    yield lp
    lp.close()


@pytest.fixture
def sockpair():
    """A connected pair of non-blocking sockets, closed afterwards."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()
