"""Lock and RLock: ownership, FIFO fairness, cancellation races, timeouts."""

from __future__ import annotations

import pytest

import zio
from zio.sync import Lock, RLock

from ._util import wait_until


def test_uncontended_acquire_release(run):
    def main():
        lock = Lock()
        assert not lock.locked()
        assert lock.acquire()
        assert lock.locked() and lock.owned()
        lock.release()
        assert not lock.locked()
        with lock:
            assert lock.statistics().locked
        assert lock.statistics() == (False, None, 0)

    run(main)


def test_fifo_handoff(run):
    def main():
        lock = Lock()
        order = []

        def worker(i):
            with lock:
                order.append(i)

        lock.acquire()
        with zio.Group() as g:
            for i in range(5):
                g.spawn(worker, i)
                wait_until(lambda i=i: lock.statistics().tasks_waiting == i + 1)
            lock.release()
        assert order == [0, 1, 2, 3, 4]

    run(main)


def test_release_is_not_a_checkpoint_and_hands_off(run):
    def main():
        lock = Lock()
        got = []
        lock.acquire()

        def waiter():
            lock.acquire()
            got.append("acquired")
            lock.release()

        with zio.Group() as g:
            t = g.spawn(waiter)
            wait_until(lambda: lock.statistics().tasks_waiting == 1)
            lock.release()
            # Released without yielding: the waiter now owns it but has not run.
            assert got == []
            assert lock.statistics().owner is t
            # A barging attempt fails: the lock was handed over, not freed.
            assert not lock.acquire(blocking=False)

    run(main)


def test_release_by_non_owner_is_an_error(run):
    def main():
        lock = Lock()
        with pytest.raises(RuntimeError, match="not held"):
            lock.release()
        lock.acquire()

        def other():
            with pytest.raises(RuntimeError, match="only the owner"):
                lock.release()

        zio.spawn(other).join()
        lock.release()

    run(main)


def test_reacquire_by_owner_is_an_error_not_a_hang(run):
    def main():
        lock = Lock()
        with lock:
            assert not lock.acquire(blocking=False)
            with pytest.raises(RuntimeError, match="reentrant"):
                lock.acquire()

    run(main)


def test_argument_validation(run):
    def main():
        lock = Lock()
        with pytest.raises(ValueError):
            lock.acquire(False, 1)
        with pytest.raises(ValueError):
            lock.acquire(True, -5)

    run(main)


def test_timeout_returns_false_and_leaves_no_waiter(run):
    def main():
        lock = Lock()
        lock.acquire()

        def other():
            return lock.acquire(timeout=0.01)

        assert zio.spawn(other).join() is False
        assert lock.statistics().tasks_waiting == 0
        assert lock.acquire(timeout=0) is False
        lock.release()

    run(main)


def test_cancelled_waiter_does_not_get_the_lock(run):
    def main():
        lock = Lock()
        lock.acquire()
        with zio.Group() as g:
            t = g.spawn(lock.acquire)
            wait_until(lambda: lock.statistics().tasks_waiting == 1)
            t.cancel()
            wait_until(t.done)
        assert t.cancelled()
        assert lock.statistics().tasks_waiting == 0
        lock.release()
        assert not lock.locked()

    run(main)


def test_handoff_wins_over_simultaneous_cancel(run):
    """Release hands the lock over, then the waiter is cancelled before it runs: it keeps the lock."""

    def main():
        lock = Lock()
        lock.acquire()
        outcome = []

        def waiter():
            with zio.CancelScope() as scope:
                outcome.append(scope)
                acquired = lock.acquire()
                outcome.append(("acquired", acquired, lock.owned()))
                lock.release()
                zio.checkpoint()  # the cancel arrives here
                outcome.append("not reached")

        with zio.Group() as g:
            g.spawn(waiter)
            wait_until(lambda: lock.statistics().tasks_waiting == 1)
            lock.release()  # hands over, no yield
            outcome[0].cancel()  # same moment
        assert outcome[1:] == [("acquired", True, True)]
        assert outcome[0].cancelled_caught
        assert not lock.locked()

    run(main)


def test_acquire_in_cancelled_scope_raises_even_if_free(run):
    def main():
        lock = Lock()
        with zio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(zio.Cancelled):
                lock.acquire()
            # The non-blocking form is not a cancellation point.
            assert lock.acquire(blocking=False)
            lock.release()
            raise zio.Cancelled("re-raise to exit", scope)
        assert not lock.locked()

    run(main)


def test_rlock_reentrancy_and_ownership(run):
    def main():
        lock = RLock()
        with lock:
            with lock:
                assert lock.statistics().count == 2
            assert lock.locked()
        assert not lock.locked()
        with pytest.raises(RuntimeError):
            lock.release()
        lock.acquire()

        def other():
            assert not lock.acquire(blocking=False)
            with pytest.raises(RuntimeError):
                lock.release()
            return lock.acquire(timeout=0.01)

        assert zio.spawn(other).join() is False
        lock.release()

    run(main)


def test_rlock_fifo_between_tasks(run):
    def main():
        lock = RLock()
        order = []

        def worker(i):
            with lock, lock:
                order.append(i)

        with lock:
            with zio.Group() as g:
                for i in range(3):
                    g.spawn(worker, i)
                    wait_until(lambda i=i: lock.statistics().tasks_waiting == i + 1)
                lock.release()
                lock.acquire()  # back of the queue now
                order.append("main")
        assert order == [0, 1, 2, "main"]

    run(main)


def test_contended_counter_is_consistent(run):
    def main():
        lock = Lock()
        counter = [0]

        def worker():
            for _ in range(50):
                with lock:
                    value = counter[0]
                    zio.checkpoint()
                    counter[0] = value + 1

        with zio.Group() as g:
            for _ in range(8):
                g.spawn(worker)
        assert counter[0] == 400

    run(main)
