"""WaitQueue: FIFO waiters with O(1) cancellation (dead entries), as the primitives use it.

A cancelled waiter is marked dead and left in its deque (unless it is at
either end); handoffs skip dead entries, statistics count only live ones,
and the deque is rebuilt once dead entries are the majority.  Blocking
operations that park leave the cancellation check to ``hub.park``, so a
blocked call in a cancelled scope must still raise Cancelled and leave no
waiter behind.
"""

from __future__ import annotations

import math

import pytest

import zio
from zio.sync import Channel, Condition, Event, Lock, Queue, RLock, Semaphore
from zio.sync._waiter import Waiter, WaitQueue, allocate_lock

from ._util import run_script, wait_until


def _waiter(queue: WaitQueue, name: str) -> Waiter:
    return Waiter(name, queue, name)


def test_take_skips_dead_waiters_and_counts_only_live_ones():
    q = WaitQueue(allocate_lock())
    a, b, c, d = (_waiter(q, n) for n in "abcd")
    q.extend([a, b, c, d])
    assert q.discard(b) and q.discard(c)  # from the middle: left in place, dead
    assert len(q) == 4 and q.dead == 2 and q.waiting() == 2
    assert not q.discard(b)  # already gone: a second cancel finds nothing to undo
    assert q.live() == [a, d]
    assert q.take() is a and a.queue is None
    assert q.take() is d  # b and c were skipped and dropped
    assert q.take() is None and len(q) == 0 and q.dead == 0
    assert not q.discard(a)  # taken (a handoff): a racing cancel must fail


def test_discard_at_either_end_leaves_no_dead_entry():
    q = WaitQueue(allocate_lock())
    a, b, c = (_waiter(q, n) for n in "abc")
    q.extend([a, b, c])
    assert q.discard(c) and q.discard(a)
    assert list(q) == [b] and q.dead == 0


def test_queue_is_rebuilt_when_dead_waiters_are_the_majority():
    q = WaitQueue(allocate_lock())
    waiters = [_waiter(q, str(i)) for i in range(100)]
    q.extend(waiters)
    for w in waiters[1:-1]:
        q.discard(w)
    # Without rebuilding, 98 dead entries would stay until the front is taken.
    assert q.waiting() == 2
    assert len(q) < 50
    assert q.take() is waiters[0] and q.take() is waiters[-1] and q.take() is None
    assert q.dead == 0


def test_take_all_and_take_matching_return_live_waiters_in_order():
    q = WaitQueue(allocate_lock())
    ws = [_waiter(q, str(i)) for i in range(6)]
    q.extend(ws)
    q.discard(ws[2])
    assert q.take_matching(lambda w: int(w.task) % 2 == 1) == [ws[1], ws[3], ws[5]]
    assert q.live() == [ws[0], ws[4]] and q.dead == 0
    assert q.take_all() == [ws[0], ws[4]]
    assert len(q) == 0 and all(w.queue is None for w in ws)


def test_lock_handoff_skips_cancelled_waiters_fifo(run):
    def main():
        lock = Lock()
        order = []
        scopes = {}

        def worker(i):
            with zio.CancelScope() as scope:
                scopes[i] = scope
                with lock:
                    order.append(i)

        lock.acquire()
        with zio.Group() as g:
            for i in range(6):
                g.spawn(worker, i)
                wait_until(lambda i=i: lock.statistics().tasks_waiting == i + 1)
            scopes[1].cancel()
            scopes[3].cancel()
            wait_until(lambda: lock.statistics().tasks_waiting == 4)
            lock.release()
        assert order == [0, 2, 4, 5]
        assert not lock.locked() and len(lock._waiters) == 0

    run(main)


def test_many_cancelled_receivers_do_not_pile_up_and_survivors_get_items_in_order(run):
    def main():
        ch = Channel(0)
        got = []
        scopes = []

        def receiver(tag, scope):
            with scope:
                got.append((tag, ch.receive()))

        with zio.Group() as g:
            g.spawn(receiver, "first", zio.CancelScope())
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 1)
            for i in range(60):
                scopes.append(zio.CancelScope())
                g.spawn(receiver, i, scopes[-1])
            g.spawn(receiver, "last", zio.CancelScope())
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 62)
            for scope in scopes:
                scope.cancel()
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 2)
            assert len(ch._receivers) < 40  # rebuilt, not 60 dead entries
            ch.send("a")
            ch.send("b")
        assert got == [("first", "a"), ("last", "b")]
        assert len(ch._receivers) == 0

    run(main)


def test_repeated_timeouts_behind_a_long_waiter_leave_nothing_behind(run):
    def main():
        q = Queue()
        with zio.Group() as g:
            first = g.spawn(q.get)
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            for _ in range(50):
                with pytest.raises(Exception) as info:
                    q.get(timeout=0)
                assert type(info.value).__name__ == "Empty"
                with zio.move_on_after(0.0005):
                    q.get()
            assert q.statistics().tasks_waiting_get == 1 and len(q._getters) == 1
            q.put("x")
        assert first.result() == "x"

    run(main)


@pytest.mark.parametrize(
    "make_blocked",
    [
        pytest.param(lambda: (Channel(0), lambda ch: ch.receive(), lambda ch: ch._receivers), id="channel-receive"),
        pytest.param(lambda: (Channel(0), lambda ch: ch.send(1), lambda ch: ch._senders), id="channel-send"),
        pytest.param(lambda: (Queue(), lambda q: q.get(), lambda q: q._getters), id="queue-get"),
        pytest.param(lambda: (_full_queue(), lambda q: q.put(2), lambda q: q._putters), id="queue-put"),
        pytest.param(lambda: (Event(), lambda e: e.wait(), lambda e: e._waiters), id="event-wait"),
        pytest.param(lambda: (Semaphore(0), lambda s: s.acquire(), lambda s: s._waiters), id="semaphore"),
    ],
)
def test_blocking_call_in_a_cancelled_scope_raises_and_leaves_no_waiter(run, make_blocked):
    def main():
        obj, op, queue_of = make_blocked()
        with zio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(zio.Cancelled):
                op(obj)
        assert len(queue_of(obj)) == 0

    run(main)


def _full_queue() -> Queue:
    q = Queue(1)
    q.put(1)
    return q


def test_held_lock_and_rlock_in_a_cancelled_scope_raise_and_leave_no_waiter(run):
    def main():
        for lock in (Lock(), RLock()):
            held = zio.Event()
            done = zio.Event()

            def holder(lock=lock, held=held, done=done):
                with lock:
                    held.set()
                    done.wait()

            with zio.Group() as g:
                g.spawn(holder)
                held.wait()
                with zio.CancelScope() as scope:
                    scope.cancel()
                    with pytest.raises(zio.Cancelled):
                        lock.acquire()
                    with pytest.raises(zio.Cancelled):
                        with lock:
                            raise AssertionError("acquired a held lock in a cancelled scope")
                assert len(lock._waiters) == 0 and lock.statistics().tasks_waiting == 0
                done.set()
            assert not lock.locked()

    run(main)


def test_rlock_handoff_gives_the_new_owner_a_count_of_one(run):
    def main():
        rl = RLock()
        seen = []

        def other():
            with rl:
                seen.append(rl.statistics().count)
                with rl:
                    seen.append(rl.statistics().count)
                seen.append(rl.statistics().count)

        with rl, rl:
            with zio.Group() as g:
                g.spawn(other)
                wait_until(lambda: rl.statistics().tasks_waiting == 1)
                assert rl.statistics().count == 2
                rl.release()
                rl.release()
                assert rl.statistics().owner is not None and rl.statistics().count == 1  # handed over
            rl.acquire()
            rl.acquire()
        assert seen == [1, 2, 1] and not rl.locked()

    run(main)


def test_condition_with_cancelled_waiters_notifies_the_live_ones(run):
    def main():
        cond = Condition(Lock())
        woke = []
        scopes = {}

        def waiter(i):
            with zio.CancelScope() as scope:
                scopes[i] = scope
                with cond:
                    cond.wait()
                    woke.append(i)

        with zio.Group() as g:
            for i in range(4):
                g.spawn(waiter, i)
            wait_until(lambda: cond.statistics().tasks_waiting == 4)
            scopes[1].cancel()
            wait_until(lambda: cond.statistics().tasks_waiting == 3)
            with cond:
                cond.notify(2)
            wait_until(lambda: len(woke) == 2)
            with cond:
                cond.notify_all()
        assert woke == [0, 2, 3]

    run(main)


def test_event_clear_between_set_and_wait_is_seen(run):
    def main():
        ev = Event()
        ev.set()
        assert ev.wait() is True
        ev.clear()
        assert ev.wait(timeout=0) is False
        with zio.move_on_after(0.001) as scope:
            ev.wait()
        assert scope.cancelled_caught and len(ev._waiters) == 0

    run(main)


def test_unbounded_channel_mpmc_delivers_each_item_once_in_order_per_producer(run):
    def main():
        ch = Channel(4)
        per, producers, consumers = 300, 3, 3
        got = [[] for _ in range(consumers)]

        def produce(k):
            for i in range(per):
                ch.send((k, i))

        def consume(c):
            for item in ch:
                got[c].append(item)

        with zio.Group() as g:
            for c in range(consumers):
                g.spawn(consume, c)
            with zio.Group() as ps:
                for k in range(producers):
                    ps.spawn(produce, k)
            ch.close()
        items = [item for part in got for item in part]
        assert sorted(items) == [(k, i) for k in range(producers) for i in range(per)]
        for part in got:  # each consumer sees each producer's items in order
            for k in range(producers):
                seq = [i for (kk, i) in part if kk == k]
                assert seq == sorted(seq)
        assert math.isfinite(ch.capacity)

    run(main)


@pytest.mark.parametrize("lock_type", [Lock, RLock])
def test_cancel_during_condition_reacquire_is_deferred_until_the_lock_is_back(run, lock_type):
    # The re-acquire parks with an abort that refuses (no shielded scope): the
    # cancel must neither interrupt it nor get lost.
    def main():
        lock = lock_type()
        cond = Condition(lock)
        results = []

        def waiter(scope):
            with scope:
                with cond:
                    if lock_type is RLock:
                        lock.acquire()  # held twice: the wait must restore the count
                    results.append(cond.wait())
                    results.append(lock._is_owned())
                    if lock_type is RLock:
                        results.append(lock.statistics().count)
                        lock.release()
                zio.checkpoint()
                results.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            t = g.spawn(waiter, scope)
            wait_until(lambda: cond.statistics().tasks_waiting == 1)
            lock.acquire()
            cond.notify()
            wait_until(lambda: lock.statistics().tasks_waiting == 1)  # parked in the re-acquire
            scope.cancel()
            assert lock.statistics().tasks_waiting == 1 and not t.done()  # still waiting for the lock
            lock.release()
        expected = [True, True, 2] if lock_type is RLock else [True, True]
        assert results == expected and not lock.locked()

    run(main)


def test_deadlock_report_during_condition_reacquire_withdraws_the_waiter(backend):
    proc = run_script(
        """
        import zio
        from zio.sync import Condition, Event, Lock

        def main():
            lock = Lock()
            cond = Condition(lock)
            go = Event()

            def holder():
                with cond:
                    cond.notify()
                    go.wait()  # keeps the lock: main's re-acquire can never finish

            with zio.Group() as g:
                cond.acquire()
                g.spawn(holder)
                try:
                    cond.wait()
                except zio.DeadlockError:
                    # Not re-acquired, and no longer queued for the lock.
                    print("DEADLOCK", lock.statistics().tasks_waiting, lock.owned())
                go.set()  # the holder releases the lock: nobody must be handed it
            print("free", not lock.locked())

        zio.run(main)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["DEADLOCK", "0", "False", "free", "True"], proc.stdout


@pytest.mark.parametrize("lock_type", [Lock, RLock])
def test_keyboard_interrupt_during_condition_reacquire_waits_for_the_lock(run, lock_type):
    # A KeyboardInterrupt for the main task while it re-acquires the lock in
    # Condition.wait is raised only once the lock is back (at the next
    # checkpoint), so ``with cond:`` can still release it on the way out.
    from zio._core import _state

    def main():
        lock = lock_type()
        cond = Condition(lock)
        hub = _state.get_hub()
        events = []

        def notifier():
            with cond:
                cond.notify()
                wait_until(lambda: lock.statistics().tasks_waiting == 1)  # main waits for the lock
                hub.deliver_keyboard_interrupt()
                events.append("interrupt delivered")

        with zio.Group() as g:
            with pytest.raises(KeyboardInterrupt):
                with cond:
                    g.spawn(notifier)
                    events.append(cond.wait())
                    events.append(lock._is_owned())
                    zio.checkpoint()
                    events.append("not reached")
        assert events == ["interrupt delivered", True, True]
        assert not lock.locked()

    run(main)
