"""Semaphore, BoundedSemaphore and CapacityLimiter."""

from __future__ import annotations

import math

import pytest

import zio
from zio.sync import BoundedSemaphore, CapacityLimiter, Semaphore

from ._util import wait_until


def test_semaphore_counts_and_fifo(run):
    def main():
        sem = Semaphore(2)
        assert sem.acquire() and sem.acquire()
        assert not sem.acquire(blocking=False)
        assert sem.value == 0
        order = []

        def worker(i):
            with sem:
                order.append(i)

        with zio.Group() as g:
            for i in range(3):
                g.spawn(worker, i)
                wait_until(lambda i=i: sem.statistics().tasks_waiting == i + 1)
            sem.release(2)
            # Permits were handed to the first two waiters, not made available.
            assert sem.value == 0
            assert not sem.try_acquire()
        assert order == [0, 1, 2]
        assert sem.value == 2

    run(main)


def test_semaphore_validation(run):
    def main():
        with pytest.raises(ValueError):
            Semaphore(-1)
        with pytest.raises(TypeError):
            Semaphore(1.5)  # type: ignore[arg-type]
        sem = Semaphore(0)
        with pytest.raises(ValueError):
            sem.acquire(False, 1)
        with pytest.raises(ValueError):
            sem.release(0)
        assert sem.acquire(timeout=0.01) is False
        assert sem.statistics() == (0, None, 0)

    run(main)


def test_bounded_semaphore_refuses_over_release(run):
    def main():
        sem = BoundedSemaphore(1)
        with pytest.raises(ValueError):
            sem.release()
        sem.acquire()
        sem.release()
        assert sem.statistics().max_value == 1

    run(main)


def test_semaphore_permit_handed_to_cancelled_waiter_is_kept(run):
    def main():
        sem = Semaphore(0)
        results = []

        def waiter(scope):
            with scope:
                results.append(sem.acquire())
                results.append(sem.value)
                zio.checkpoint()

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(waiter, scope)
            wait_until(lambda: sem.statistics().tasks_waiting == 1)
            sem.release()
            scope.cancel()
        assert results == [True, 0]  # it holds the permit (never released)

    run(main)


def test_semaphore_cancelled_waiter_takes_nothing(run):
    def main():
        sem = Semaphore(0)
        with zio.Group() as g:
            t = g.spawn(sem.acquire)
            wait_until(lambda: sem.statistics().tasks_waiting == 1)
            t.cancel()
        sem.release()
        assert sem.value == 1

    run(main)


def test_capacity_limiter(run):
    def main():
        limiter = CapacityLimiter(2)
        peak = [0, 0]

        def worker():
            with limiter:
                peak[0] += 1
                peak[1] = max(peak)
                zio.sleep(0.001)
                peak[0] -= 1

        with zio.Group() as g:
            for _ in range(6):
                g.spawn(worker)
        assert peak[1] == 2
        assert limiter.borrowed_tokens == 0 and limiter.available_tokens == 2

        limiter.acquire()
        with pytest.raises(RuntimeError):
            limiter.acquire()
        assert limiter.try_acquire_on_behalf_of("job")
        assert not limiter.try_acquire_on_behalf_of("other")
        with pytest.raises(RuntimeError):
            limiter.release_on_behalf_of("nobody")

        with zio.Group() as g:
            t = g.spawn(limiter.acquire_on_behalf_of, "other")
            wait_until(lambda: limiter.statistics().tasks_waiting == 1)
            limiter.total_tokens = 3  # raising the limit lets the waiter in
        assert t.result() is True
        assert {"job", "other"} <= set(limiter.statistics().borrowers)
        limiter.release()
        limiter.release_on_behalf_of("job")
        limiter.release_on_behalf_of("other")
        with pytest.raises(ValueError):
            limiter.total_tokens = 0
        limiter.total_tokens = math.inf
        assert limiter.available_tokens == math.inf

    run(main)
