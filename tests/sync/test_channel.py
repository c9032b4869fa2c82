"""Channel: rendezvous/bounded/unbounded, handles and closing, iteration, cancellation."""

from __future__ import annotations

import math

import pytest

import zio
from zio.sync import BrokenResourceError, Channel, ClosedResourceError, EndOfChannel, WouldBlock

from ._util import wait_until


def test_rendezvous_send_waits_for_a_receiver(run):
    def main():
        ch = Channel()
        with pytest.raises(WouldBlock):
            ch.try_send(1)
        with pytest.raises(WouldBlock):
            ch.try_receive()
        with zio.Group() as g:
            t = g.spawn(ch.send, "x")
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            assert not t.done()
            assert ch.receive() == "x"
        assert ch.statistics().current_buffer_used == 0

    run(main)


def test_bounded_and_unbounded(run):
    def main():
        ch = Channel(2)
        ch.send(1)
        ch.try_send(2)
        with pytest.raises(WouldBlock):
            ch.try_send(3)
        assert ch.statistics().current_buffer_used == 2
        assert [ch.receive(), ch.try_receive()] == [1, 2]

        unbounded = Channel(math.inf)
        for i in range(1000):
            unbounded.try_send(i)
        assert unbounded.capacity == math.inf
        assert [unbounded.receive() for _ in range(1000)] == list(range(1000))

        for bad in (-1, 1.5, math.nan):
            with pytest.raises(ValueError):
                Channel(bad)
        with pytest.raises(TypeError):
            Channel("3")  # type: ignore[arg-type]

    run(main)


def test_full_buffer_refilled_from_waiting_sender_fifo(run):
    def main():
        ch = Channel(1)
        ch.send(0)
        with zio.Group() as g:
            for i in (1, 2, 3):
                g.spawn(ch.send, i)
                wait_until(lambda i=i: ch.statistics().tasks_waiting_send == i)
            assert [ch.receive() for _ in range(4)] == [0, 1, 2, 3]

    run(main)


def test_closing_last_sender_ends_stream_after_drain(run):
    def main():
        ch = Channel(10)
        tx2 = ch.send_end.clone()
        for i in range(3):
            ch.send(i)
        ch.send_end.close()
        ch.send_end.close()  # idempotent
        assert ch.statistics().open_send_ends == 1
        tx2.send(3)
        with tx2:
            pass
        assert list(ch.receive_end) == [0, 1, 2, 3]
        with pytest.raises(EndOfChannel):
            ch.receive()
        with pytest.raises(ClosedResourceError):
            ch.send(4)
        with pytest.raises(ClosedResourceError):
            ch.send_end.clone()

    run(main)


def test_blocked_receivers_get_end_of_channel(run):
    def main():
        ch = Channel()
        with zio.Group() as g:
            ts = [g.spawn(lambda: pytest.raises(EndOfChannel, ch.receive)) for _ in range(2)]
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 2)
            ch.send_end.close()
        assert all(t.done() for t in ts)

    run(main)


def test_closing_last_receiver_breaks_senders(run):
    def main():
        ch = Channel(1)
        rx2 = ch.receive_end.clone()
        ch.send("buffered")
        with zio.Group() as g:
            t = g.spawn(lambda: pytest.raises(BrokenResourceError, ch.send, "blocked"))
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            ch.receive_end.close()
            assert not t.done()  # rx2 is still open
            rx2.close()
        assert t.done()
        with pytest.raises(BrokenResourceError):
            ch.try_send("more")
        with pytest.raises(ClosedResourceError):
            ch.receive()
        assert ch.statistics().current_buffer_used == 0  # dropped: nobody can read it

    run(main)


def test_closing_a_handle_wakes_its_own_blocked_tasks(run):
    def main():
        ch = Channel()
        rx = ch.receive_end.clone()
        with zio.Group() as g:
            t = g.spawn(lambda: pytest.raises(ClosedResourceError, rx.receive))
            other = g.spawn(ch.receive)
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 2)
            rx.close()
            wait_until(t.done)
            assert not other.done()
            ch.send("for the other")
        assert other.result() == "for the other"

    run(main)


def test_channel_close_is_whole_channel(run):
    def main():
        ch = Channel(5)
        ch.send(1)
        with ch:
            pass
        assert ch.closed
        with pytest.raises(ClosedResourceError):
            ch.send(2)
        assert ch.receive() == 1
        with pytest.raises(EndOfChannel):
            ch.receive()

        ch = Channel()
        with zio.Group() as g:
            s = g.spawn(lambda: pytest.raises(ClosedResourceError, ch.send, "x"))
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            ch.close()
        assert s.done()

    run(main)


def test_item_handed_to_cancelled_receiver_is_not_lost(run):
    def main():
        ch = Channel()
        got = []

        def receiver(scope):
            with scope:
                got.append(ch.receive())
                zio.checkpoint()
                got.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(receiver, scope)
            wait_until(lambda: ch.statistics().tasks_waiting_receive == 1)
            ch.send("item")  # rendezvous with the waiting receiver: no wait
            scope.cancel()
        assert got == ["item"]

    run(main)


def test_cancelled_sender_did_not_send(run):
    def main():
        ch = Channel()
        with zio.Group() as g:
            t = g.spawn(ch.send, "never")
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            t.cancel()
        assert t.cancelled()
        with pytest.raises(WouldBlock):
            ch.try_receive()
        with zio.move_on_after(0.01) as scope:
            ch.receive()
        assert scope.cancelled_caught

    run(main)


def test_send_and_receive_are_cancellation_points(run):
    def main():
        ch = Channel(math.inf)
        ch.send(1)
        with zio.CancelScope() as scope:
            scope.cancel()
            ch.send(2)
        assert scope.cancelled_caught
        with zio.CancelScope() as scope:
            scope.cancel()
            ch.receive()
        assert scope.cancelled_caught
        assert ch.statistics().current_buffer_used == 1

    run(main)


def test_many_producers_consumers_exactly_once(run):
    def main():
        ch = Channel(3)
        received = []
        senders = [ch.send_end.clone() for _ in range(4)]
        ch.send_end.close()
        receivers = [ch.receive_end.clone() for _ in range(3)]
        ch.receive_end.close()

        def producer(tx, base):
            with tx:
                for i in range(100):
                    tx.send(base + i)

        def consumer(rx):
            with rx:
                for item in rx:
                    received.append(item)

        with zio.Group() as g:
            for n, tx in enumerate(senders):
                g.spawn(producer, tx, n * 1000)
            for rx in receivers:
                g.spawn(consumer, rx)
        assert sorted(received) == sorted(n * 1000 + i for n in range(4) for i in range(100))

    run(main)


def test_repr_and_statistics(run):
    def main():
        ch = Channel(2)
        assert "capacity=2" in repr(ch)
        assert "rendezvous" in repr(Channel())
        stats = ch.send_end.statistics()
        assert stats == (0, 2, 1, 1, 0, 0, False)
        assert ch.receive_end.channel is ch and ch.send_end.channel is ch

    run(main)
