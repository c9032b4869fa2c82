"""Ready callbacks: FIFO order, the per-iteration batch rule, error reporting."""

from __future__ import annotations

import time

import pytest

from zio.loop import create_loop


def test_call_soon_runs_in_fifo_order_with_args(loop):
    got = []
    for i in range(10):
        loop.call_soon(got.append, i)
    loop.run_once(0)
    assert got == list(range(10))


def test_ready_callbacks_make_run_once_not_block(loop):
    got = []
    loop.call_soon(got.append, 1)
    start = time.monotonic()
    loop.run_once(None)
    assert got == [1]
    assert time.monotonic() - start < 1.0


def test_only_the_batch_present_at_iteration_start_runs(loop):
    """A callback scheduled by a callback waits for the next pass (polling is never starved)."""
    order = []

    def first():
        order.append("first")
        loop.call_soon(second)

    def second():
        order.append("second")
        loop.call_soon(third)

    def third():
        order.append("third")

    loop.call_soon(first)
    loop.call_soon(order.append, "sibling")
    loop.run_once(0)
    assert order == ["first", "sibling"]
    loop.run_once(0)
    assert order == ["first", "sibling", "second"]
    loop.run_once(0)
    assert order == ["first", "sibling", "second", "third"]


def test_self_rescheduling_callback_cannot_starve_io(loop):
    import os

    r, w = os.pipe()
    try:
        io_seen = []
        loop.add_reader(r, io_seen.append)
        spins = []

        def spin():
            spins.append(1)
            loop.call_soon(spin)

        loop.call_soon(spin)
        os.write(w, b"x")
        for _ in range(3):
            loop.run_once(None)
        assert len(spins) == 3
        assert len(io_seen) >= 2  # polled on every iteration despite the spinner
        loop.remove_reader(r)
    finally:
        os.close(r)
        os.close(w)


def test_exceptions_are_reported_and_the_batch_continues(loop):
    got = []

    def bad():
        raise KeyError("k")

    loop.call_soon(got.append, 1)
    loop.call_soon(bad)
    loop.call_soon(got.append, 2)
    loop.run_once(0)
    assert got == [1, 2]
    assert len(loop.errors) == 1
    exc, cb = loop.errors[0]
    assert isinstance(exc, KeyError) and cb is bad


def test_default_handler_prints_the_callback_and_traceback(backend, capsys):
    loop = create_loop(backend)
    try:

        def exploding_callback():
            raise ValueError("visible on stderr")

        loop.call_soon(exploding_callback)
        loop.run_once(0)
        err = capsys.readouterr().err
        assert "exploding_callback" in err
        assert "ValueError: visible on stderr" in err
    finally:
        loop.close()


def test_failing_exception_handler_falls_back_to_stderr(backend, capsys):
    loop = create_loop(backend)
    try:

        def handler(exc, cb):
            raise RuntimeError("handler broke")

        loop.set_exception_handler(handler)
        loop.call_soon(lambda: 1 / 0)
        loop.call_soon(print, "after")
        loop.run_once(0)
        captured = capsys.readouterr()
        assert "handler broke" in captured.err
        assert "after" in captured.out
    finally:
        loop.close()


def test_base_exceptions_propagate_and_leave_the_rest_queued(loop):
    got = []

    def interrupt():
        raise KeyboardInterrupt

    loop.call_soon(interrupt)
    loop.call_soon(got.append, "later")
    with pytest.raises(KeyboardInterrupt):
        loop.run_once(0)
    assert got == []
    loop.run_once(0)
    assert got == ["later"]


def test_ready_callbacks_count_as_external_sources(loop):
    assert not loop.has_external_sources()
    loop.call_soon(print)
    assert loop.has_external_sources()


def test_close_drops_pending_callbacks(backend):
    loop = create_loop(backend)
    loop.call_soon(print, "never")
    loop.close()
    assert "fds=" in repr(loop)
