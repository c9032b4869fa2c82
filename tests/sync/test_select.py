"""select: exactly one operation takes effect, including under cancellation."""

from __future__ import annotations

import pytest

import zio
from zio.sync import (
    Channel,
    EndOfChannel,
    Event,
    Future,
    TimeoutOp,
    WouldBlock,
    select,
    try_select,
)

from ._util import wait_until


def _no_waiters(*channels):
    return all(c.statistics().tasks_waiting_send == 0 and c.statistics().tasks_waiting_receive == 0 for c in channels)


def test_first_ready_operation_wins_in_order(run):
    def main():
        a, b = Channel(1), Channel(1)
        a.send("a")
        b.send("b")
        sel = select(a.receive_op(), b.receive_op())
        assert (sel.index, sel.value) == (0, "a")
        assert b.receive() == "b"  # the loser took nothing
        assert try_select(a, b.send_op("x")).index == 1
        with pytest.raises(WouldBlock):
            try_select(a.receive_op(), Channel().send_op(1))
        with pytest.raises(ValueError):
            select()
        with pytest.raises(TypeError):
            select(42)

    run(main)


def test_blocked_select_receive_wins_and_send_loser_sends_nothing(run):
    def main():
        a, b = Channel(), Channel()
        with zio.Group() as g:
            t = g.spawn(select, a.receive_op(), b.send_op("from select"))
            wait_until(lambda: a.statistics().tasks_waiting_receive == 1)
            a.send("to select")
        sel = t.result()
        assert (sel.index, sel.value) == (0, "to select")
        assert _no_waiters(a, b)
        with pytest.raises(WouldBlock):
            b.try_receive()

    run(main)


def test_blocked_select_send_wins(run):
    def main():
        a, b = Channel(), Channel()
        with zio.Group() as g:
            t = g.spawn(select, a.receive_op(), b.send_op("payload"))
            wait_until(lambda: b.statistics().tasks_waiting_send == 1)
            assert b.receive() == "payload"
        assert t.result().index == 1
        assert _no_waiters(a, b)
        with pytest.raises(WouldBlock):
            a.try_send("nobody is receiving any more")

    run(main)


def test_timeout_op(run):
    def main():
        ch = Channel()
        sel = select(ch.receive_op(), TimeoutOp(0.01))
        assert sel.index == 1 and sel.value is None
        assert _no_waiters(ch)
        assert select(ch.receive_op(), TimeoutOp(0)).index == 1
        assert select(TimeoutOp(deadline=zio.current_time() - 1)).index == 0
        with pytest.raises(TypeError):
            TimeoutOp()
        with pytest.raises(ValueError):
            TimeoutOp(-1)

    run(main)


def test_event_future_and_join(run):
    def main():
        ev, fut, ch = Event(), Future(), Channel()
        with zio.Group() as g:
            t = g.spawn(select, ch, ev, fut)
            wait_until(lambda: ev.statistics().tasks_waiting == 1)
            ev.set()
        assert t.result()[0::2] == (1, True)
        assert fut.statistics().tasks_waiting == 0 and _no_waiters(ch)

        fut.set_result("done")
        assert select(ch, fut).value == "done"

        def child():
            zio.sleep(0.001)
            return "child result"

        task = zio.spawn(child)
        sel = select(ch.receive_op(), task)
        assert (sel.index, sel.value) == (1, "child result")

        def failing():
            zio.checkpoint()
            raise KeyError("boom")

        task = zio.spawn(failing)
        with pytest.raises(KeyError):
            select(task, ch)

    run(main)


def test_join_watcher_is_cleaned_up_when_another_op_wins(run):
    def main():
        ev = Event()
        never = zio.spawn(zio.sleep_forever)
        zio.current_loop().call_later(0.001, ev.set)
        assert select(never, ev).index == 1
        hub = zio.current_hub()
        wait_until(lambda: not any("select join" in t.name for t in hub.tasks))
        never.cancel()

    run(main)


def test_end_of_channel_is_raised_with_the_operation_index(run):
    def main():
        a, b = Channel(), Channel()
        b.send_end.close()
        with pytest.raises(EndOfChannel) as info:
            select(a.receive_op(), b.receive_op())
        assert info.value.select_index == 1

        c = Channel()
        with zio.Group() as g:
            t = g.spawn(lambda: pytest.raises(EndOfChannel, select, a.receive_op(), c.receive_op()))
            wait_until(lambda: c.statistics().tasks_waiting_receive == 1)
            c.send_end.close()
        assert t.result().value.select_index == 1
        assert _no_waiters(a, c)

    run(main)


def test_cancelled_select_has_no_effect(run):
    def main():
        a, b = Channel(), Channel()
        with zio.Group() as g:
            t = g.spawn(select, a.receive_op(), b.send_op("never"))
            wait_until(lambda: b.statistics().tasks_waiting_send == 1)
            t.cancel()
        assert t.cancelled()
        assert _no_waiters(a, b)
        with pytest.raises(WouldBlock):
            b.try_receive()

    run(main)


def test_item_claimed_by_select_survives_simultaneous_cancel(run):
    """The Zig zio lost this item (its issues 700-709): handoff, then cancel before the select runs."""

    def main():
        a, b = Channel(), Channel()
        results = []

        def selector(scope):
            with scope:
                results.append(select(a.receive_op(), b.receive_op()))
                zio.checkpoint()
                results.append("not reached")

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(selector, scope)
            wait_until(lambda: b.statistics().tasks_waiting_receive == 1)
            b.send("precious")  # handed to the select, no yield
            scope.cancel()
        assert len(results) == 1 and results[0].value == "precious" and results[0].index == 1
        assert _no_waiters(a, b)

    run(main)


def test_select_send_claimed_survives_simultaneous_cancel(run):
    def main():
        ch = Channel()
        results = []

        def selector(scope):
            with scope:
                results.append(select(ch.send_op("item"), TimeoutOp(60)))

        scope = zio.CancelScope()
        with zio.Group() as g:
            g.spawn(selector, scope)
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            assert ch.receive() == "item"
            scope.cancel()
        assert results and results[0].index == 0

    run(main)


def test_two_selects_rendezvous_exactly_once(run):
    def main():
        ch, other, third = Channel(), Channel(), Channel()
        with zio.Group() as g:
            sender = g.spawn(select, ch.send_op("hello"), other.receive_op())
            wait_until(lambda: ch.statistics().tasks_waiting_send == 1)
            sel = select(third.send_op("unused"), ch.receive_op())
            assert (sel.index, sel.value) == (1, "hello")
            # The sender's select is decided: its receive arm is gone too.
            wait_until(lambda: _no_waiters(ch, other, third))
            with pytest.raises(WouldBlock):
                other.try_send("late")
        assert sender.result().index == 0

    run(main)


def test_select_does_not_rendezvous_with_itself(run):
    def main():
        ch = Channel()
        sel = select(ch.send_op("me"), ch.receive_op(), TimeoutOp(0.01))
        assert sel.index == 2
        assert _no_waiters(ch)

    run(main)


def test_select_in_cancelled_scope_raises_even_if_ready(run):
    def main():
        ch = Channel(1)
        ch.send(1)
        with zio.CancelScope() as scope:
            scope.cancel()
            select(ch.receive_op())
        assert scope.cancelled_caught
        assert ch.receive() == 1

    run(main)
