"""Barrier: rounds, action, breaking on cancel/timeout/abort, reset."""

from __future__ import annotations

import pytest

import zio
from zio.sync import Barrier, BrokenBarrierError

from ._util import wait_until


def test_rounds_and_indices(run):
    def main():
        calls = []
        barrier = Barrier(3, action=lambda: calls.append("action"))
        indices = []

        def party():
            for _ in range(2):
                indices.append(barrier.wait())

        with zio.Group() as g:
            for _ in range(3):
                g.spawn(party)
        assert sorted(indices) == [0, 0, 1, 1, 2, 2]
        assert calls == ["action", "action"]
        assert barrier.n_waiting == 0 and not barrier.broken
        assert barrier.parties == 3

    run(main)


def test_cancelled_waiter_breaks_the_barrier(run):
    def main():
        barrier = Barrier(3)

        def expect_broken():
            with pytest.raises(BrokenBarrierError):
                barrier.wait()

        with zio.Group() as g:
            a = g.spawn(barrier.wait)
            b = g.spawn(expect_broken)
            wait_until(lambda: barrier.n_waiting == 2)
            a.cancel()
            wait_until(b.done)
        assert a.cancelled()
        assert barrier.broken
        with pytest.raises(BrokenBarrierError):
            barrier.wait()
        barrier.reset()
        assert not barrier.broken

    run(main)


def test_timeout_breaks_the_barrier(run):
    def main():
        barrier = Barrier(2, timeout=0.01)
        with pytest.raises(BrokenBarrierError):
            barrier.wait()
        assert barrier.broken

    run(main)


def test_release_racing_a_cancel_wins(run):
    def main():
        barrier = Barrier(2)
        results = []

        def party(scope):
            with scope:
                results.append(barrier.wait())
                zio.checkpoint()

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(party, scope)
            wait_until(lambda: barrier.n_waiting == 1)
            assert barrier.wait() == 1  # releases the round, no yield
            scope.cancel()
        assert results == [0]
        assert not barrier.broken

    run(main)


def test_abort_and_failing_action(run):
    def main():
        barrier = Barrier(2)
        t = zio.spawn(barrier.wait)
        wait_until(lambda: barrier.n_waiting == 1)
        barrier.abort()
        with pytest.raises(BrokenBarrierError):
            t.join()

        def boom():
            raise KeyError("action")

        barrier = Barrier(2, action=boom)
        t = zio.spawn(barrier.wait)
        wait_until(lambda: barrier.n_waiting == 1)
        with pytest.raises(KeyError):
            barrier.wait()
        with pytest.raises(BrokenBarrierError):
            t.join()
        with pytest.raises(ValueError):
            Barrier(0)

    run(main)
