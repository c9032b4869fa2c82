"""BroadcastChannel: every subscriber sees every item, Lagged for slow ones."""

from __future__ import annotations

import pytest

import zio
from zio.sync import BroadcastChannel, ClosedResourceError, EndOfChannel, Lagged, WouldBlock, select

from ._util import wait_until


def test_every_subscriber_sees_every_item(run):
    def main():
        bc = BroadcastChannel(8)
        subs = [bc.subscribe() for _ in range(3)]
        results = []

        def reader(sub):
            results.append(list(sub))

        with zio.Group() as g:
            for sub in subs:
                g.spawn(reader, sub)
            wait_until(lambda: bc.statistics().tasks_waiting == 3)
            for i in range(5):
                bc.send(i)
            bc.close()
        assert results == [[0, 1, 2, 3, 4]] * 3

    run(main)


def test_new_subscribers_see_only_future_items(run):
    def main():
        bc = BroadcastChannel(4)
        bc.send("old")
        sub = bc.subscribe()
        with pytest.raises(WouldBlock):
            sub.try_receive()
        bc.send("new")
        assert sub.pending == 1
        assert sub.try_receive() == "new"

    run(main)


def test_slow_subscriber_gets_lagged_then_continues(run):
    def main():
        bc = BroadcastChannel(3)
        sub = bc.subscribe()
        for i in range(10):
            bc.send(i)  # never blocks
        with pytest.raises(Lagged) as info:
            sub.receive()
        assert info.value.missed == 7
        assert [sub.receive() for _ in range(3)] == [7, 8, 9]
        assert bc.statistics().sent == 10

    run(main)


def test_close_drains_then_ends_and_closed_handles_error(run):
    def main():
        bc = BroadcastChannel(4)
        sub = bc.subscribe()
        bc.send(1)
        bc.close()
        with pytest.raises(ClosedResourceError):
            bc.send(2)
        with pytest.raises(ClosedResourceError):
            bc.subscribe()
        assert sub.receive() == 1
        with pytest.raises(EndOfChannel):
            sub.receive()

        bc = BroadcastChannel(1)
        sub = bc.subscribe()
        with zio.Group() as g:
            t = g.spawn(lambda: pytest.raises(ClosedResourceError, sub.receive))
            wait_until(lambda: bc.statistics().tasks_waiting == 1)
            sub.close()
        assert t.done() and bc.statistics().subscribers == 0
        with pytest.raises(ValueError):
            BroadcastChannel(0)

    run(main)


def test_item_handed_to_cancelled_subscriber_is_not_lost(run):
    def main():
        bc = BroadcastChannel(1)
        sub = bc.subscribe()
        got = []

        def reader(scope):
            with scope:
                got.append(sub.receive())
                zio.checkpoint()

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(reader, scope)
            wait_until(lambda: bc.statistics().tasks_waiting == 1)
            bc.send("x")
            scope.cancel()
        assert got == ["x"] and sub.pending == 0

    run(main)


def test_broadcast_in_select(run):
    def main():
        bc = BroadcastChannel(2)
        sub = bc.subscribe()
        other = bc.subscribe()
        with zio.Group() as g:
            t = g.spawn(select, sub)
            wait_until(lambda: bc.statistics().tasks_waiting == 1)
            bc.send("hi")
        assert t.result().value == "hi"
        assert other.receive() == "hi"
        bc.send("ready")
        assert select(sub.receive_op()).value == "ready"

    run(main)
