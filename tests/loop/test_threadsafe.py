"""call_soon_threadsafe: a real wakeup of a loop blocked in its poll, from any thread."""

from __future__ import annotations

import sys
import threading
import time

from ._util import run_until


def wait_until_polling(thread_id: int, timeout: float = 5.0) -> None:
    """Block the calling (helper) thread until ``thread_id`` sits inside the backend's poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread_id)
        # epoll polls inside _poll_and_dispatch (poll and dispatch fused), the others in _poll.
        if frame is not None and frame.f_code.co_name in ("_poll", "_poll_and_dispatch"):
            return
        time.sleep(0.001)
    raise AssertionError("the loop never blocked in its poll")


def test_blocked_loop_is_woken_by_another_thread(loop):
    got = []
    main = threading.get_ident()

    def helper():
        wait_until_polling(main)
        loop.call_soon_threadsafe(got.append, "from thread")

    t = threading.Thread(target=helper)
    t.start()
    start = time.monotonic()
    loop.run_once(None)  # nothing else could ever end this poll
    if not got:  # the wakeup fd fires first; the callback runs now or next pass
        loop.run_once(None)
    t.join()
    assert got == ["from thread"]
    assert time.monotonic() - start < 5


def test_wakeup_while_waiting_for_a_far_timer(loop):
    loop.call_later(3600, print)
    got = []
    main = threading.get_ident()

    def helper():
        wait_until_polling(main)
        loop.call_soon_threadsafe(got.append, 1)

    t = threading.Thread(target=helper)
    t.start()
    run_until(loop, lambda: got, timeout=5)
    t.join()


def test_call_before_the_loop_polls_is_not_lost(loop):
    got = []
    t = threading.Thread(target=loop.call_soon_threadsafe, args=(got.append, "early"))
    t.start()
    t.join()
    loop.run_once(None)  # must not block: the item is queued
    assert got == ["early"]


def test_many_threads_every_call_runs_once_in_per_thread_order(loop):
    per_thread = 300
    nthreads = 4
    got: list[tuple[int, int]] = []
    barrier = threading.Barrier(nthreads)

    def producer(tid: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            loop.call_soon_threadsafe(got.append, (tid, i))

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(nthreads)]
    for t in threads:
        t.start()
    run_until(loop, lambda: len(got) == per_thread * nthreads, timeout=10)
    for t in threads:
        t.join()
    loop.run_once(0)
    assert len(got) == per_thread * nthreads
    for tid in range(nthreads):
        assert [i for t, i in got if t == tid] == list(range(per_thread))


def test_wakeups_are_coalesced_and_the_waker_drained(loop):
    got = []
    for i in range(100):
        loop.call_soon_threadsafe(got.append, i)
    loop.run_once(0)
    loop.run_once(0)
    assert got == list(range(100))
    # Once drained, the loop blocks again until a real timeout.
    start = time.monotonic()
    loop.run_once(0.05)
    assert time.monotonic() - start >= 0.04


def test_repeated_cross_thread_round_trips(loop):
    """Each round: the loop blocks, a thread wakes it.  Catches lost wakeups between rounds."""
    rounds = 50
    got = []
    go = threading.Semaphore(0)

    def helper():
        for i in range(rounds):
            go.acquire()
            loop.call_soon_threadsafe(got.append, i)

    t = threading.Thread(target=helper)
    t.start()
    for i in range(rounds):
        go.release()
        run_until(loop, lambda i=i: len(got) == i + 1, timeout=5)
    t.join()
    assert got == list(range(rounds))


def test_threadsafe_callback_exceptions_are_reported(loop):
    def bad():
        raise ValueError("x")

    t = threading.Thread(target=loop.call_soon_threadsafe, args=(bad,))
    t.start()
    t.join()
    loop.run_once(0)
    assert [type(e) for e, _ in loop.errors] == [ValueError]
