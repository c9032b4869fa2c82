"""The inlined hot paths of Channel, Queue and Lock take the same decisions as the general ones.

Each hot method (see ``zio/sync/_waiter.py``, "Hot paths") looks the calling
task up itself, walks the cancel scopes inline and handles the common cases
without helper calls; these tests drive every branch of that shortcut from
the callers it distinguishes: a spawned task deep in groups, a thread's root
task, a plain thread without a hub, shielded and cancelled scopes, and Queue
subclasses whose hooks must still be called.
"""

from __future__ import annotations

import math
import threading
from collections import deque

import pytest

import zio
from zio.sync import Channel, ClosedResourceError, Empty, EndOfChannel, Full, Lock, Queue, RLock

from ._util import wait_until


def test_cancel_check_walks_nested_scopes_and_stops_at_a_shield(run):
    def child(results):
        ch = Channel(math.inf)
        q = Queue()
        lock = Lock()
        with zio.CancelScope() as outer:
            outer.cancel()
            with zio.CancelScope():  # an uncancelled scope between us and the cancelled one
                for op in (lambda: ch.send(1), ch.receive, lambda: q.put(1), q.get, lock.acquire):
                    with pytest.raises(zio.Cancelled):
                        op()
                assert ch.statistics().current_buffer_used == 0 and q.qsize() == 0 and not lock.locked()
                with zio.CancelScope(shield=True):
                    # Behind a shield the outer cancel does not apply: everything completes.
                    ch.send(2)
                    assert ch.receive() == 2
                    q.put(3)
                    assert q.get() == 3
                    with lock:
                        pass
        assert outer.cancel_called and not outer.cancelled_caught  # every Cancelled was caught above
        results.append("done")

    def main():
        results = []
        with zio.Group():
            with zio.Group() as inner:
                inner.spawn(child, results)
        assert results == ["done"]

    run(main)


def test_tasks_ping_pong_through_rendezvous_and_buffered_channels(run):
    def main():
        there, back = Channel(0), Channel(1)

        def pong():
            for item in there:
                back.send(item * 2)

        with zio.Group() as g:
            g.spawn(pong)
            for i in range(50):
                there.send(i)
                assert back.receive() == 2 * i
            there.close()

    run(main)


def test_plain_thread_without_hub_sends_to_and_receives_from_a_fiber(run):
    def main():
        to_thread, from_thread = Channel(0), Channel(0)

        def plain():
            # The first call finds no hub in this thread; once one waited, the
            # thread has a hub and later calls run as its root task.
            for _ in range(20):
                item = to_thread.receive()
                from_thread.send(item + 1)

        t = threading.Thread(target=plain)
        t.start()
        for i in range(20):
            to_thread.send(i)
            assert from_thread.receive() == i + 1
        zio.to_thread(t.join)
        assert to_thread.statistics().tasks_waiting_send == 0

    run(main)


def test_channel_send_and_receive_act_on_the_original_ends(run):
    def main():
        ch = Channel(1)
        tx2 = ch.send_end.clone()
        rx2 = ch.receive_end.clone()
        ch.send_end.close()
        with pytest.raises(ClosedResourceError):
            ch.send(1)  # the original send end is closed...
        tx2.send(1)  # ...but the channel's send side is still open through the clone
        ch.receive_end.close()
        with pytest.raises(ClosedResourceError):
            ch.receive()
        assert rx2.receive() == 1
        tx2.close()
        with pytest.raises(EndOfChannel):
            rx2.receive()

    run(main)


def test_blocked_channel_send_is_failed_by_closing_the_original_end(run):
    def main():
        ch = Channel(0)
        errors = []

        def sender():
            try:
                ch.send("x")
            except ClosedResourceError as exc:
                errors.append(exc)

        with zio.Group() as g:
            g.spawn(sender)
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            ch.send_end.close()  # the waiter registered by Channel.send belongs to this handle
        assert len(errors) == 1

    run(main)


class _HookedQueue(Queue):
    """Overrides only _put/_get: put() and get() must keep calling them."""

    def _put(self, item):
        self.queue.append(("wrapped", item))

    def _get(self):
        return self.queue.popleft()[1]


class _ListQueue(Queue):
    """Overrides only _init (a list instead of a deque)."""

    def _init(self, maxsize):
        self.queue = []

    def _get(self):
        return self.queue.pop(0)


def test_queue_subclass_hooks_are_still_called(run):
    def main():
        q = _HookedQueue(2)
        q.put(1)
        q.put(2)
        assert list(q.queue) == [("wrapped", 1), ("wrapped", 2)]
        got = []

        def putter():
            q.put(3)  # waits for room; get() moves it in through _put

        with zio.Group() as g:
            g.spawn(putter)
            wait_until(lambda: q.statistics().tasks_waiting_put == 1)
            got.append(q.get())
        got += [q.get(), q.get()]
        assert got == [1, 2, 3]
        lq = _ListQueue()
        lq.put("a")
        lq.put("b")
        assert isinstance(lq.queue, list) and lq.get() == "a" and lq.get() == "b"
        assert q._plain is False and lq._plain is False and Queue()._plain is True

    run(main)


def test_queue_put_get_block_and_nowait_on_the_fast_path(run):
    def main():
        q = Queue(1)
        q.put_nowait(1)
        with pytest.raises(Full):
            q.put_nowait(2)
        assert q.get_nowait() == 1
        q.task_done()
        with pytest.raises(Empty):
            q.get_nowait()
        with pytest.raises(Empty):
            q.get(timeout=0)
        got = []
        with zio.Group() as g:
            g.spawn(lambda: got.append(q.get()))
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            q.put("handed")  # straight to the waiting getter, not through the deque
            assert q.qsize() == 0
        assert got == ["handed"] and q.unfinished_tasks == 1
        q.task_done()
        q.join()

    run(main)


def test_lock_and_rlock_from_root_task_tasks_and_threads(run):
    def main():
        for lock in (Lock(), RLock()):
            order = []

            def worker(n, lock=lock, order=order):
                with lock:
                    order.append(n)
                    zio.checkpoint()

            with zio.Group() as g:
                with lock:
                    for n in range(5):
                        g.spawn(worker, n)
                    wait_until(lambda lock=lock: lock.statistics().tasks_waiting == 5)
            assert order == list(range(5))  # FIFO handoff
            # A plain thread acquires and releases between fibers' turns.
            done = threading.Event()

            def plain(lock=lock, order=order, done=done):
                with lock:
                    order.append("thread")
                done.set()

            with lock:
                t = threading.Thread(target=plain)
                t.start()
                wait_until(lambda lock=lock: lock.statistics().tasks_waiting == 1, rounds=10**7)
            zio.to_thread(done.wait)
            zio.to_thread(t.join)
            assert order[-1] == "thread" and not lock.locked()
            with pytest.raises(RuntimeError):
                lock.release()

    run(main)


def test_deque_is_the_default_container():
    assert isinstance(Queue().queue, deque)
