"""Queue, LifoQueue, PriorityQueue, SimpleQueue: the stdlib API plus cancellation safety."""

from __future__ import annotations

import queue as std_queue

import pytest

import zio
from zio.sync import Empty, Full, LifoQueue, PriorityQueue, Queue, ShutDown, SimpleQueue

from ._util import wait_until


def test_stdlib_exceptions_are_the_stdlib_classes():
    assert Empty is std_queue.Empty and Full is std_queue.Full


def test_fifo_lifo_priority(run):
    def main():
        for cls, expected in ((Queue, [3, 1, 2]), (LifoQueue, [2, 1, 3]), (PriorityQueue, [1, 2, 3])):
            q = cls()
            for item in (3, 1, 2):
                q.put(item)
            assert q.qsize() == 3 and not q.empty() and not q.full()
            assert [q.get() for _ in range(3)] == expected
            assert q.empty()

    run(main)


def test_nowait_and_timeouts(run):
    def main():
        q = Queue(1)
        q.put_nowait("a")
        assert q.full()
        with pytest.raises(Full):
            q.put_nowait("b")
        with pytest.raises(Full):
            q.put("b", timeout=0.01)
        with pytest.raises(Full):
            q.put("b", block=False)
        assert q.get_nowait() == "a"
        with pytest.raises(Empty):
            q.get_nowait()
        with pytest.raises(Empty):
            q.get(timeout=0.01)
        with pytest.raises(ValueError):
            q.get(timeout=-1)
        stats = q.statistics()
        assert stats.tasks_waiting_get == 0 and stats.tasks_waiting_put == 0

    run(main)


def test_bounded_queue_blocks_putters_fifo(run):
    def main():
        q = Queue(1)
        q.put(0)
        with zio.Group() as g:
            for i in (1, 2, 3):
                g.spawn(q.put, i)
                wait_until(lambda i=i: q.statistics().tasks_waiting_put == i)
            assert [q.get() for _ in range(4)] == [0, 1, 2, 3]

    run(main)


def test_item_handed_to_cancelled_getter_is_not_lost(run):
    def main():
        q = Queue()
        got = []

        def getter(scope):
            with scope:
                got.append(q.get())
                zio.checkpoint()
                got.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(getter, scope)
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            q.put("item")  # handed over, no yield
            scope.cancel()
        assert got == ["item"]
        assert q.empty()

    run(main)


def test_cancelled_getter_takes_nothing_and_cancelled_putter_puts_nothing(run):
    def main():
        q = Queue(1)
        with zio.Group() as g:
            t = g.spawn(q.get)
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            t.cancel()
        q.put("x")
        assert q.get() == "x"
        q.put("full")
        with zio.Group() as g:
            t = g.spawn(q.put, "lost?")
            wait_until(lambda: q.statistics().tasks_waiting_put == 1)
            t.cancel()
        assert q.get() == "full" and q.empty()
        assert q.unfinished_tasks == 2

    run(main)


def test_task_done_and_join(run):
    def main():
        q = Queue()
        processed = []

        def worker():
            while True:
                item = q.get()
                zio.sleep(0)
                processed.append(item)
                q.task_done()

        with zio.Group() as g:
            g.spawn(worker)
            for i in range(5):
                q.put(i)
            q.join()
            assert processed == [0, 1, 2, 3, 4]
            g.cancel()
        with pytest.raises(ValueError):
            q.task_done()

    run(main)


def test_shutdown(run):
    def main():
        q = Queue()
        with zio.Group() as g:
            t = g.spawn(lambda: pytest.raises(ShutDown, q.get))
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            q.shutdown()
        assert t.done()
        with pytest.raises(ShutDown):
            q.put(1)

        q = Queue()
        q.put(1)
        q.put(2)
        q.shutdown()
        assert q.get() == 1  # drains after a graceful shutdown
        q2 = Queue()
        q2.put(1)
        q2.shutdown(immediate=True)
        with pytest.raises(ShutDown):
            q2.get()
        q2.join()  # discarded items count as done

    run(main)


def test_simple_queue(run):
    def main():
        q = SimpleQueue()
        assert q.empty()
        q.put(1)
        q.put_nowait(2)
        assert q.qsize() == 2
        assert q.get() == 1 and q.get_nowait() == 2
        with pytest.raises(Empty):
            q.get(timeout=0.01)
        with zio.Group() as g:
            t = g.spawn(q.get)
            wait_until(lambda: q.statistics().tasks_waiting_get == 1)
            q.put("x")
        assert t.result() == "x"

    run(main)
