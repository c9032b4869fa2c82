"""One-shot timers: ordering, cancellation, lazy deletion, clamped poll timeouts."""

from __future__ import annotations

import math
import threading

import pytest

from zio.loop.timers import TimerHeap

from ._util import run_until


def test_timers_fire_in_deadline_order(loop):
    fired = []
    now = loop.time()
    loop.call_at(now + 0.03, fired.append, "c")
    loop.call_at(now + 0.01, fired.append, "a")
    loop.call_at(now + 0.02, fired.append, "b")
    run_until(loop, lambda: len(fired) == 3)
    assert fired == ["a", "b", "c"]


def test_equal_deadlines_fire_in_insertion_order(loop):
    fired = []
    when = loop.time() + 0.01
    for i in range(20):
        loop.call_at(when, fired.append, i)
    run_until(loop, lambda: len(fired) == 20)
    assert fired == list(range(20))


def test_run_once_without_timeout_sleeps_until_the_timer(loop):
    fired = []
    start = loop.time()
    loop.call_later(0.05, lambda: fired.append(loop.time()))
    while not fired:
        loop.run_once(None)
    assert fired[0] - start >= 0.05
    assert fired[0] - start < 2.0


def test_timer_never_fires_early(loop):
    fired = []
    for delay in (0.001, 0.004, 0.011, 0.02):
        when = loop.time() + delay
        loop.call_at(when, lambda when=when: fired.append(loop.time() >= when))
    run_until(loop, lambda: len(fired) == 4)
    assert all(fired)


def test_past_deadline_fires_on_next_iteration(loop):
    fired = []
    loop.call_at(loop.time() - 10, fired.append, 1)
    loop.call_later(-1, fired.append, 2)
    loop.run_once(None)  # must not block
    assert fired == [1, 2]


def test_cancel_prevents_firing_and_is_idempotent(loop):
    fired = []
    h = loop.call_later(0.001, fired.append, "x")
    keep = loop.call_later(0.002, fired.append, "y")
    assert len(loop._timers) == 2
    h.cancel()
    h.cancel()
    assert h.cancelled
    assert len(loop._timers) == 1
    run_until(loop, lambda: fired)
    loop.run_once(0.01)
    assert fired == ["y"]
    keep.cancel()  # after firing: harmless, does not corrupt the live count
    assert len(loop._timers) == 0
    assert "cancelled" in repr(h)


def test_timer_firing_drops_its_references(loop):
    h = loop.call_later(0, print, "payload")
    loop.run_once(0)
    assert h.callback is None and h.args == ()


def test_nan_deadline_is_rejected(loop):
    with pytest.raises(ValueError):
        loop.call_at(math.nan, print)
    with pytest.raises(ValueError):
        loop.call_later(math.nan, print)
    assert len(loop._timers) == 0


def test_timer_rearming_itself_runs_once_per_iteration(loop):
    count = []

    def tick():
        count.append(1)
        loop.call_later(0, tick)

    loop.call_later(0, tick)
    for n in range(1, 4):
        loop.run_once(1)
        assert len(count) == n  # a zero-delay re-arm cannot starve polling


def test_timer_exceptions_are_reported(loop):
    fired = []

    def bad():
        raise RuntimeError("timer failed")

    loop.call_later(0, bad)
    loop.call_later(0, fired.append, "next")
    loop.run_once(0)
    assert fired == ["next"]
    assert [type(e) for e, _ in loop.errors] == [RuntimeError]


def test_huge_and_infinite_deadlines_are_clamped(loop):
    """A timer a century away must not overflow the backend's timeout argument."""
    loop.call_later(1e12, print)
    loop.call_at(math.inf, print)
    woke = []

    def waker():
        loop.call_soon_threadsafe(woke.append, True)

    t = threading.Thread(target=waker)
    t.start()
    run_until(loop, lambda: woke)
    t.join()


def test_explicit_timeouts_are_sanitised(loop):
    loop.run_once(-5)
    loop.run_once(math.nan)
    loop.run_once(0)


def test_pending_timers_count_as_external_sources(loop):
    assert not loop.has_external_sources()
    h = loop.call_later(10, print)
    assert loop.has_external_sources()
    h.cancel()
    assert not loop.has_external_sources()


# -- the heap itself -----------------------------------------------------------


def test_lazy_deletion_skips_cancelled_heads():
    heap = TimerHeap()
    handles = [heap.push(float(i), print, ()) for i in range(10)]
    for h in handles[:5]:
        h.cancel()
    assert len(heap) == 5
    assert heap.next_deadline() == 5.0
    assert len(heap._heap) == 5  # the dead heads were popped
    assert [h.when for h in heap.pop_due(7.0)] == [5.0, 6.0, 7.0]
    assert len(heap) == 2


def test_heap_compacts_when_most_entries_are_dead():
    heap = TimerHeap()
    handles = [heap.push(1000.0 + i, print, ()) for i in range(300)]
    # Cancel from the far end: lazy deletion alone would never reach them.
    for h in reversed(handles[50:]):
        h.cancel()
    assert len(heap) == 50
    assert len(heap._heap) < 300  # compacted at least once
    assert all(not entry[2].cancelled for entry in heap._heap) or heap._cancelled > 0
    # Counting stays exact whatever compaction did.
    assert len(heap._heap) - heap._cancelled == 50
    assert [h.when for h in heap.pop_due(2000.0)] == [1000.0 + i for i in range(50)]
    assert len(heap) == 0


def test_cancel_after_pop_does_not_touch_the_dead_count():
    heap = TimerHeap()
    h = heap.push(1.0, print, ())
    other = heap.push(5.0, print, ())
    (due,) = heap.pop_due(2.0)
    assert due is h
    h.cancel()
    assert heap._cancelled == 0
    assert len(heap) == 1
    other.cancel()
    assert len(heap) == 0
    assert heap.next_deadline() is None


def test_many_timeouts_that_never_fire_do_not_accumulate(loop):
    """The common case: a timeout per operation, cancelled when the operation wins."""
    for _ in range(5000):
        loop.call_later(30, print).cancel()
    assert len(loop._timers) == 0
    assert len(loop._timers._heap) <= 200


def test_run_expired_timers_runs_due_timers_only_and_does_not_poll(loop):
    import socket

    fired = []
    now = loop.time()
    loop.call_at(now - 1.0, fired.append, "due")
    loop.call_at(now + 60.0, fired.append, "later")
    loop.call_soon(fired.append, "soon")
    a, b = socket.socketpair()
    try:
        b.send(b"!")  # a is readable: a poll would run its reader
        loop.add_reader(a.fileno(), lambda error: fired.append("readable"))
        loop.run_expired_timers()
        assert fired == ["due"]
        loop.remove_reader(a.fileno())
    finally:
        a.close()
        b.close()


def test_run_expired_timers_on_a_closed_loop_raises():
    from zio.loop import LoopClosedError, create_loop

    loop = create_loop()
    loop.close()
    with pytest.raises(LoopClosedError):
        loop.run_expired_timers()
