"""Hypothesis state machines: random interleavings of send/receive/select/close/cancel.

The invariant, checked throughout and at the end: every item is either
reported sent (its send, try_send or winning select arm returned normally)
or reported not sent (the call raised: Cancelled, BrokenResourceError,
ClosedResourceError, or a losing select arm), never both; every item
reported sent is received exactly once; no item reported not sent is ever
received.

The machine drives fibers from the test thread's root task: rules spawn
tasks and ``step`` lets them run (checkpoints), so a cancel can land at any
point relative to a handoff, including "handed over but not yet resumed".
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import zio
from zio._core import _state
from zio._core.hub import Hub
from zio.sync import (
    BrokenResourceError,
    Channel,
    ClosedResourceError,
    EndOfChannel,
    TimeoutOp,
    WouldBlock,
    select,
)

CAPACITIES = st.sampled_from([0, 1, 2, math.inf])
CHANNEL = st.integers(0, 1)
SEND_ERRORS = (BrokenResourceError, ClosedResourceError)
RECEIVE_ERRORS = (EndOfChannel, ClosedResourceError)


class ChannelMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # A fresh hub per example, so examples replay identically.
        self.previous_hub = _state.peek_hub()
        self.hub = Hub()
        _state.set_hub(self.hub)
        self.items = itertools.count()
        self.sent: set[int] = set()
        self.not_sent: set[int] = set()
        self.received: list[int] = []
        self.tasks: list = []
        self.channels: list[Channel] = []
        self.rx_clones: list = []

    # -- setup ------------------------------------------------------------------
    @initialize(caps=st.lists(CAPACITIES, min_size=2, max_size=2))
    def make_channels(self, caps):
        self.channels = [Channel(cap) for cap in caps]
        # A second receive handle per channel; the original stays open so the
        # final drain can read what is buffered.
        self.rx_clones = [ch.receive_end.clone() for ch in self.channels]

    def _rx(self, c: int, clone: bool):
        return self.rx_clones[c] if clone else self.channels[c].receive_end

    # -- fibers -------------------------------------------------------------------
    @rule(c=CHANNEL)
    def spawn_sender(self, c):
        item = next(self.items)
        tx = self.channels[c].send_end

        def sender():
            try:
                tx.send(item)
            except SEND_ERRORS:
                self.not_sent.add(item)
                return
            except zio.Cancelled:
                self.not_sent.add(item)
                raise
            self.sent.add(item)

        self.tasks.append(zio.spawn(sender))

    @rule(c=CHANNEL, clone=st.booleans())
    def spawn_receiver(self, c, clone):
        rx = self._rx(c, clone)

        def receiver():
            try:
                self.received.append(rx.receive())
            except RECEIVE_ERRORS:
                pass

        self.tasks.append(zio.spawn(receiver))

    @rule(
        arms=st.lists(st.tuples(st.sampled_from(["send", "recv"]), CHANNEL, st.booleans()), min_size=1, max_size=3),
        # Only deterministic timeouts: a real-time one would make examples
        # unreproducible (timeouts are covered by the unit tests).
        timeout=st.sampled_from([None, 0]),
    )
    def spawn_select(self, arms, timeout):
        ops, send_items = [], {}
        for kind, c, clone in arms:
            if kind == "send":
                item = next(self.items)
                send_items[len(ops)] = item
                ops.append(self.channels[c].send_op(item))
            else:
                ops.append(self._rx(c, clone).receive_op())
        if timeout is not None:
            ops.append(TimeoutOp(timeout))

        def selector():
            try:
                sel = select(*ops)
            except (SEND_ERRORS + RECEIVE_ERRORS) as exc:
                assert 0 <= exc.select_index < len(ops)
                self.not_sent.update(send_items.values())
                return
            except zio.Cancelled:
                self.not_sent.update(send_items.values())
                raise
            for index, item in send_items.items():
                (self.sent if index == sel.index else self.not_sent).add(item)
            if sel.index not in send_items and not isinstance(sel.op, TimeoutOp):
                self.received.append(sel.value)

        self.tasks.append(zio.spawn(selector))

    # -- non-blocking operations, in the driving task ----------------------------
    @rule(c=CHANNEL)
    def try_send(self, c):
        item = next(self.items)
        try:
            self.channels[c].send_end.try_send(item)
        except (WouldBlock,) + SEND_ERRORS:
            self.not_sent.add(item)
        else:
            self.sent.add(item)

    @rule(c=CHANNEL, clone=st.booleans())
    def try_receive(self, c, clone):
        try:
            self.received.append(self._rx(c, clone).try_receive())
        except (WouldBlock,) + RECEIVE_ERRORS:
            pass

    # -- interference -------------------------------------------------------------------
    @precondition(lambda self: self.tasks)
    @rule(i=st.integers(0, 1000))
    def cancel_task(self, i):
        self.tasks[i % len(self.tasks)].cancel()

    @rule(n=st.integers(1, 4))
    def step(self, n):
        for _ in range(n):
            zio.checkpoint()

    @rule(c=CHANNEL)
    def close_send_end(self, c):
        self.channels[c].send_end.close()

    @rule(c=CHANNEL)
    def close_receive_clone(self, c):
        self.rx_clones[c].close()

    # -- the invariant ---------------------------------------------------------------------
    @invariant()
    def nothing_duplicated_or_resurrected(self):
        counts = Counter(self.received)
        assert not [item for item, n in counts.items() if n > 1], "an item was received twice"
        assert not (set(self.received) & self.not_sent), "an item reported as not sent was received"
        assert not (self.sent & self.not_sent)

    def teardown(self):
        try:
            self._check_final()
        finally:
            self._restore_hub()

    def _check_final(self):
        for task in self.tasks:
            task.cancel()
        for _ in range(1000):
            if all(task.done() for task in self.tasks):
                break
            zio.checkpoint()
        assert all(task.done() for task in self.tasks)
        for task in self.tasks:
            if not task.cancelled():
                task.result()  # surface unexpected errors
        for ch in self.channels:
            while True:
                try:
                    self.received.append(ch.receive_end.try_receive())
                except (WouldBlock, EndOfChannel):
                    break
        self.nothing_duplicated_or_resurrected()
        assert set(self.received) == self.sent
        created = next(self.items)
        assert self.sent | self.not_sent == set(range(created)), "an item's fate was never reported"
        for ch in self.channels:
            stats = ch.statistics()
            assert stats.tasks_waiting_send == 0 and stats.tasks_waiting_receive == 0

    def _restore_hub(self) -> None:
        self.hub.close()
        _state.set_hub(self.previous_hub)


ChannelMachine.TestCase.settings = settings(
    max_examples=600,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestChannelMachine = ChannelMachine.TestCase
