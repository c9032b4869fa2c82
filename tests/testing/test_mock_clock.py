"""MockClock: virtual time driven through the hub's clock seam."""

from __future__ import annotations

import math
import socket
import time

import pytest

import zio
from zio.testing import MockClock, wait_all_tasks_blocked


def test_autojump_runs_an_hour_long_timeout_in_milliseconds(backend):
    def main():
        start = zio.current_time()
        with pytest.raises(TimeoutError):
            with zio.fail_after(3600):
                zio.sleep_forever()
        return zio.current_time() - start

    wall = time.monotonic()
    virtual = zio.run(main, backend=backend, clock=MockClock(autojump_threshold=0))
    assert virtual == 3600
    assert time.monotonic() - wall < 1.0


def test_autojump_fires_timers_in_deadline_order(backend):
    order = []

    def sleeper(seconds):
        zio.sleep(seconds)
        order.append((seconds, zio.current_time()))

    def main():
        with zio.Group() as g:
            for seconds in (300, 100, 200, 100.5):
                g.spawn(sleeper, seconds)

    zio.run(main, backend=backend, clock=MockClock(autojump_threshold=0))
    assert order == [(100, 100), (100.5, 100.5), (200, 200), (300, 300)]


def test_frozen_clock_moves_only_by_jump(backend):
    clock = MockClock()
    woke = []

    def sleeper():
        zio.sleep(10)
        woke.append(zio.current_time())

    def main():
        with zio.Group() as g:
            g.spawn(sleeper)
            wait_all_tasks_blocked()
            assert zio.current_time() == 0.0
            clock.jump(9.5)
            wait_all_tasks_blocked()
            assert woke == []
            clock.jump(0.5)
        assert woke == [10.0]

    zio.run(main, backend=backend, clock=clock)


def test_rate_scales_real_time():
    clock = MockClock(rate=1000)
    before = clock.time()
    time.sleep(0.01)
    assert clock.time() - before >= 10
    clock.rate = 0
    frozen = clock.time()
    time.sleep(0.005)
    assert clock.time() == frozen
    assert clock.deadline_to_sleep_time(frozen + 1) == math.inf
    assert clock.deadline_to_sleep_time(frozen - 1) == 0.0
    clock.rate = 2
    assert clock.deadline_to_sleep_time(clock.time() + 10) == pytest.approx(5, rel=0.01)


def test_autojump_threshold_waits_for_real_idleness(backend):
    # With a 50 ms threshold the jump happens only after the hub has been idle
    # that long in real time.
    def main():
        start = time.monotonic()
        zio.sleep(1000)
        return time.monotonic() - start

    elapsed = zio.run(main, backend=backend, clock=MockClock(autojump_threshold=0.05))
    assert 0.045 <= elapsed < 1.0


def test_autojump_without_timers_leaves_time_alone(backend):
    # Only a timer deadline is a jump target: a task waiting for I/O does not
    # move the clock, and the hub keeps polling for that I/O.
    def main():
        a, b = socket.socketpair()
        with a, b:
            a.setblocking(False)

            def reader():
                zio.wait_readable(a)
                return a.recv(10)

            with zio.Group() as g:
                task = g.spawn(reader)
                wait_all_tasks_blocked()
                assert zio.current_time() == 0.0
                b.send(b"hi")
            assert task.result() == b"hi"
            assert zio.current_time() == 0.0

    zio.run(main, backend=backend, clock=MockClock(autojump_threshold=0))


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="rate"):
        MockClock(rate=-1)
    with pytest.raises(ValueError, match="rate"):
        MockClock(rate=math.nan)
    with pytest.raises(ValueError, match="autojump_threshold"):
        MockClock(autojump_threshold=-0.1)
    with pytest.raises(ValueError, match="forward"):
        MockClock().jump(-1)


def test_clock_cannot_be_swapped_under_pending_timers(backend):
    def main():
        hub = zio.current_hub()
        with zio.move_on_after(10):
            with pytest.raises(RuntimeError, match="pending timer"):
                hub.set_clock(MockClock())
        with pytest.raises(TypeError, match="time"):
            hub.loop.set_clock(object())

    zio.run(main, backend=backend)


def test_loop_time_follows_the_installed_clock(backend):
    clock = MockClock()

    def main():
        loop = zio.current_loop()
        assert loop.time() == 0.0 and loop.clock is clock
        clock.jump(5)
        assert zio.current_time() == 5.0

    zio.run(main, backend=backend, clock=clock)
