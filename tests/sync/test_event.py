"""Event, Future and WaitGroup."""

from __future__ import annotations

import pytest

import zio
from zio.sync import Event, Future, InvalidStateError, WaitGroup

from ._util import wait_until


def test_event_wakes_every_waiter(run):
    def main():
        ev = Event()
        woke = []
        with zio.Group() as g:
            for i in range(3):
                g.spawn(lambda i=i: woke.append((i, ev.wait())))
            wait_until(lambda: ev.statistics().tasks_waiting == 3)
            assert not ev.is_set()
            ev.set()
            ev.set()  # idempotent
        assert sorted(woke) == [(0, True), (1, True), (2, True)]
        assert ev.statistics() == (True, 0)

    run(main)


def test_event_wait_timeout_and_clear(run):
    def main():
        ev = Event()
        assert ev.wait(0) is False
        assert ev.wait(0.01) is False
        assert ev.statistics().tasks_waiting == 0
        ev.set()
        assert ev.wait(0) is True
        ev.clear()
        assert not ev.is_set()
        with pytest.raises(ValueError):
            ev.wait(-1)

    run(main)


def test_event_wait_is_a_cancellation_point_even_when_set(run):
    def main():
        ev = Event()
        ev.set()
        with zio.CancelScope() as scope:
            scope.cancel()
            ev.wait()
        assert scope.cancelled_caught

    run(main)


def test_event_set_then_cancel_same_moment_wait_returns_true(run):
    def main():
        ev = Event()
        results = []

        def waiter(scope):
            with scope:
                results.append(ev.wait())
                zio.checkpoint()
                results.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(waiter, scope)
            wait_until(lambda: ev.statistics().tasks_waiting == 1)
            ev.set()
            scope.cancel()
        assert results == [True]

    run(main)


def test_event_set_from_loop_callback(run):
    def main():
        ev = Event()
        zio.current_loop().call_later(0.001, ev.set)
        assert ev.wait(5)

    run(main)


def test_future_result_and_exception(run):
    def main():
        fut = Future()
        assert not fut.done()
        with pytest.raises(TimeoutError):
            fut.result(timeout=0.01)
        with zio.Group() as g:
            t = g.spawn(fut.result)
            wait_until(lambda: fut.statistics().tasks_waiting == 1)
            fut.set_result(42)
        assert t.result() == 42
        assert fut.result() == 42 and fut.exception() is None
        with pytest.raises(InvalidStateError):
            fut.set_result(1)
        with pytest.raises(InvalidStateError):
            fut.set_exception(ValueError())

        bad = Future()
        bad.set_exception(KeyError("x"))
        with pytest.raises(KeyError):
            bad.result()
        assert isinstance(bad.exception(), KeyError)
        with pytest.raises(TypeError):
            Future().set_exception(42)  # type: ignore[arg-type]

    run(main)


def test_future_cancelled_waiter_leaves_no_trace(run):
    def main():
        fut = Future()
        with zio.move_on_after(0.01):
            fut.wait()
        assert fut.statistics().tasks_waiting == 0
        fut.set_result(None)

    run(main)


def test_waitgroup(run):
    def main():
        wg = WaitGroup()
        assert wg.wait(0)
        done = []

        def job(i):
            with wg:
                zio.sleep(0.001 * i)
                done.append(i)

        with zio.Group() as g:
            for i in range(4):
                g.spawn(job, i)
            zio.checkpoint()
            wait_until(lambda: wg.count == 4 or len(done) > 0)
            assert wg.wait()
            assert sorted(done) == [0, 1, 2, 3]
        wg.add(2)
        assert wg.wait(0.001) is False
        wg.done()
        wg.done()
        assert wg.wait(0)
        with pytest.raises(ValueError):
            wg.done()

    run(main)


def test_waitgroup_wakes_all_waiters(run):
    def main():
        wg = WaitGroup()
        wg.add(1)
        with zio.Group() as g:
            ts = [g.spawn(wg.wait) for _ in range(3)]
            wait_until(lambda: wg.statistics().tasks_waiting == 3)
            wg.done()
        assert all(t.result() is True for t in ts)

    run(main)
