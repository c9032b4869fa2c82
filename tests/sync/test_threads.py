"""Across threads: each OS thread has its own hub; plain threads may wake (and block on) primitives.

Waking a fiber of another hub goes through that hub's thread-safe wakeup;
these tests check that no wakeup is lost, that no item is lost when a
cancel races a wakeup from another thread, and that the deadlock detector
never fires while another thread could still wake the waiter.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

import zio
from zio.sync import Channel, Condition, Event, Lock, Queue, Semaphore, TimeoutOp, WouldBlock, select

from ._util import run_script


def _thread(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def _in_hub_thread(fn, *args, backend):
    """Run ``fn`` under zio.run in a new thread; returns (thread, result-list)."""
    out: list = []

    def body():
        try:
            out.append(zio.run(fn, *args, backend=backend))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            out.append(exc)

    return _thread(body), out


def test_plain_thread_sets_event_while_fiber_waits(run):
    def main():
        ev = Event()

        def setter():
            time.sleep(0.05)  # the scenario: a slow outside thread, not a synchronisation
            ev.set()

        t = _thread(setter)
        assert ev.wait() is True
        t.join()

    run(main)


def test_no_deadlock_report_while_a_plain_thread_can_still_wake(backend):
    proc = run_script(
        """
        import threading, time, zio
        from zio.sync import Event

        def main():
            ev = Event()
            def setter():
                time.sleep(0.2)
                ev.set()
            threading.Thread(target=setter).start()
            return ev.wait()

        print("result", zio.run(main))
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "result True" in proc.stdout


def test_deadlock_reported_when_nothing_can_wake(backend):
    proc = run_script(
        """
        import zio
        from zio.sync import Event

        def main():
            try:
                Event().wait()
            except zio.DeadlockError as exc:
                print("DEADLOCK:", exc)

        zio.run(main)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "DEADLOCK:" in proc.stdout and "zio.Event" in proc.stdout


def test_fiber_waits_for_lock_held_by_plain_thread(run):
    def main():
        lock = Lock()
        held = threading.Event()
        release = threading.Event()

        def holder():
            with lock:
                held.set()
                release.wait()

        t = _thread(holder)
        held.wait()
        assert not lock.acquire(blocking=False)
        release.set()
        assert lock.acquire(timeout=10)
        lock.release()
        t.join()

    run(main)


def test_plain_thread_blocks_on_channel_fed_by_fiber(run):
    def main():
        ch = Channel()
        results = []

        def consumer():
            # No zio.run here: the thread's hub is created on first use.
            results.extend(ch.receive_end)

        t = _thread(consumer)
        for i in range(100):
            ch.send(i)
        ch.send_end.close()
        t.join(10)
        assert results == list(range(100))

    run(main)


def test_ping_pong_between_two_hubs(backend):
    ping, pong = Channel(), Channel()
    rounds = 500

    def player():
        for item in ping.receive_end:
            pong.send(item + 1)

    thread, out = _in_hub_thread(player, backend=backend)

    def main():
        value = 0
        for _ in range(rounds):
            ping.send(value)
            value = pong.receive()
        ping.send_end.close()
        return value

    assert zio.run(main, backend=backend) == rounds
    thread.join(10)
    assert out == [None]


def test_many_threads_many_fibers_exactly_once(backend):
    ch = Channel(4)
    producers, per_producer = 3, 300
    senders = [ch.send_end.clone() for _ in range(producers)]
    ch.send_end.close()
    receivers = [ch.receive_end.clone() for _ in range(3)]
    ch.receive_end.close()
    received: list = []
    received_lock = threading.Lock()

    def produce(tx, base):
        def fiber(k):
            for i in range(k, per_producer, 2):
                tx.send(base + i)

        with tx, zio.Group() as g:
            g.spawn(fiber, 0)
            g.spawn(fiber, 1)

    def consume(rx):
        def fiber():
            for item in rx:
                with received_lock:
                    received.append(item)

        with rx, zio.Group() as g:
            g.spawn(fiber)
            g.spawn(fiber)

    threads = [_in_hub_thread(produce, tx, n * 10_000, backend=backend) for n, tx in enumerate(senders)]
    threads += [_in_hub_thread(consume, rx, backend=backend) for rx in receivers]
    for thread, out in threads:
        thread.join(30)
        assert out == [None]
    expected = sorted(n * 10_000 + i for n in range(producers) for i in range(per_producer))
    assert sorted(received) == expected


def test_cancel_racing_cross_thread_handoff_loses_nothing(backend):
    """A receiver with tiny timeouts vs a sender in another thread: each item arrives exactly once."""
    ch = Channel()
    count = 400

    def sender():
        for i in range(count):
            ch.send(i)
        ch.send_end.close()

    thread, out = _in_hub_thread(sender, backend=backend)
    rng = random.Random(1)

    def main():
        got = []
        while True:
            with zio.move_on_after(rng.choice((0, 0.00001, 0.0001, 0.001))):
                try:
                    got.append(ch.receive())
                except zio.sync.EndOfChannel:
                    return got
        return got

    assert zio.run(main, backend=backend) == list(range(count))
    thread.join(10)
    assert out == [None]


def test_select_across_threads_exactly_once(backend):
    a, b = Channel(), Channel()
    count = 300

    def sender():
        # Offers each item on both channels; exactly one receive may take it.
        for i in range(count):
            select(a.send_op(i), b.send_op(i))
        a.send_end.close()
        b.send_end.close()

    thread, out = _in_hub_thread(sender, backend=backend)

    def main():
        got = []
        open_ends = {0, 1}
        while open_ends:
            ops = [a.receive_op(), b.receive_op(), TimeoutOp(0.0005)]
            try:
                sel = select(*ops)
            except zio.sync.EndOfChannel as exc:
                open_ends.discard(exc.select_index)
                if exc.select_index == 0:
                    a.receive_end.close()
                else:
                    b.receive_end.close()
                if not open_ends:
                    break
                # keep receiving from the other one only
                rest = b if exc.select_index == 0 else a
                got.extend(rest.receive_end)
                break
            if sel.index < 2:
                got.append(sel.value)
        return got

    got = zio.run(main, backend=backend)
    thread.join(10)
    assert out == [None]
    assert sorted(got) == list(range(count))


def test_semaphore_and_queue_with_plain_threads(run):
    def main():
        sem = Semaphore(0)
        q = Queue(2)
        done = threading.Event()

        def worker():
            for i in range(50):
                q.put(i)  # plain thread blocking on a full queue
            sem.release()
            done.set()

        t = _thread(worker)
        assert [q.get() for _ in range(50)] == list(range(50))
        assert sem.acquire(timeout=10)
        t.join(10)
        assert done.is_set()

    run(main)


def test_condition_notified_from_another_hub(backend):
    cond = Condition()
    state = {"ready": False}

    def notifier():
        zio.sleep(0.01)
        with cond:
            state["ready"] = True
            cond.notify_all()

    thread, out = _in_hub_thread(notifier, backend=backend)

    def main():
        with cond:
            return cond.wait_for(lambda: state["ready"], timeout=10)

    assert zio.run(main, backend=backend) is True
    thread.join(10)
    assert out == [None]


def test_waker_in_plain_thread_never_busy_waits(run):
    """The waiting hub sleeps in its poll (no spinning) until the other thread's wakeup."""

    def main():
        ch = Channel()
        start = time.process_time()

        def late_sender():
            time.sleep(0.2)
            ch.send("late")

        t = _thread(late_sender)
        assert ch.receive() == "late"
        t.join()
        assert time.process_time() - start < 0.1  # CPU time, while 0.2 s of wall time passed

    run(main)


def test_try_receive_from_plain_thread_without_hub(run):
    def main():
        ch = Channel(1)
        result = []

        def probe():
            try:
                ch.try_receive()
            except WouldBlock:
                result.append("would block")
            ch.try_send("from thread")

        t = _thread(probe)
        t.join()
        assert result == ["would block"]
        assert ch.receive() == "from thread"

    run(main)


@pytest.mark.parametrize("n_threads", [4])
def test_contended_lock_across_threads(backend, n_threads):
    lock = Lock()
    counter = [0]

    def body():
        def fiber():
            for _ in range(200):
                with lock:
                    value = counter[0]
                    zio.checkpoint()
                    counter[0] = value + 1

        with zio.Group() as g:
            for _ in range(3):
                g.spawn(fiber)

    threads = [_in_hub_thread(body, backend=backend) for _ in range(n_threads)]
    for thread, out in threads:
        thread.join(30)
        assert out == [None]
    assert counter[0] == n_threads * 3 * 200
