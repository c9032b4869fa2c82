"""Condition: notify/wait, re-acquiring the lock even when cancelled."""

from __future__ import annotations

import pytest

import zio
from zio.sync import Condition, Lock, RLock

from ._util import wait_until


@pytest.mark.parametrize("lock_type", [Lock, RLock])
def test_notify_wakes_in_fifo_order(run, lock_type):
    def main():
        cond = Condition(lock_type())
        order = []

        def waiter(i):
            with cond:
                assert cond.wait() is True
                order.append(i)

        with zio.Group() as g:
            for i in range(3):
                g.spawn(waiter, i)
                wait_until(lambda i=i: cond.statistics().tasks_waiting == i + 1)
            with cond:
                cond.notify()
            wait_until(lambda: order == [0])
            with cond:
                cond.notify_all()
        assert order == [0, 1, 2]

    run(main)


def test_wait_requires_the_lock(run):
    def main():
        cond = Condition()
        with pytest.raises(RuntimeError):
            cond.wait()
        with pytest.raises(RuntimeError):
            cond.notify()
        with pytest.raises(TypeError):
            Condition(object())

    run(main)


def test_timeout_returns_false_holding_the_lock(run):
    def main():
        cond = Condition(Lock())
        with cond:
            assert cond.wait(0.01) is False
            assert cond._lock.owned()
        assert cond.statistics().tasks_waiting == 0

    run(main)


def test_cancelled_wait_reacquires_the_lock_first(run):
    def main():
        lock = Lock()
        cond = Condition(lock)
        seen = []

        def waiter():
            with cond:
                try:
                    cond.wait()
                except zio.Cancelled:
                    seen.append(lock.owned())
                    raise

        with zio.Group() as g:
            t = g.spawn(waiter)
            wait_until(lambda: cond.statistics().tasks_waiting == 1)
            lock.acquire()  # hold the lock: the cancelled waiter must wait for it
            t.cancel()
            wait_until(lambda: lock.statistics().tasks_waiting == 1)
            assert seen == []
            lock.release()
        assert seen == [True]
        assert not lock.locked()

    run(main)


def test_notification_racing_a_cancel_is_not_lost(run):
    def main():
        cond = Condition(Lock())
        results = []

        def waiter(scope):
            with scope:
                with cond:
                    results.append(cond.wait())
                zio.checkpoint()
                results.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(waiter, scope)
            wait_until(lambda: cond.statistics().tasks_waiting == 1)
            with cond:
                cond.notify()
                scope.cancel()
        assert results == [True]

    run(main)


def test_rlock_recursion_restored_after_wait(run):
    def main():
        lock = RLock()
        cond = Condition(lock)

        def notifier():
            with cond:
                cond.notify()

        with lock, lock:
            zio.spawn(notifier)
            assert cond.wait(5)
            assert lock.statistics().count == 2

    run(main)


def test_wait_for(run):
    def main():
        cond = Condition()
        state = {"n": 0}

        def bump():
            for _ in range(3):
                with cond:
                    state["n"] += 1
                    cond.notify_all()
                zio.checkpoint()

        with zio.Group() as g:
            g.spawn(bump)
            with cond:
                assert cond.wait_for(lambda: state["n"] >= 3, timeout=5)
        with cond:
            assert cond.wait_for(lambda: False, timeout=0.01) is False

    run(main)
