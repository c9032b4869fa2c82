"""Hypothesis state machine: random interleavings of park/unpark, sleep, checkpoints and cancels.

Fibers run small random programs of blocking operations (a low-level
``hub.park`` on a slot, ``sleep(0)``, a short real ``sleep``,
``checkpoint``) inside their own cancel scope.  Between steps, the machine
wakes parked fibers with a value, cancels a fiber's scope or the whole task,
and lets the hub run.  The rules of the cancellation contract checked
throughout:

* a value handed to a parked fiber is received exactly once, even when a
  cancel lands in the same hub iteration (the wakeup wins; the cancel comes
  at the next blocking call);
* ``abort`` runs at most once per park, and never after a wakeup;
* cancellation is level-triggered: inside a cancelled scope, the blocking
  call after a ``Cancelled`` raises again;
* ``join()`` returns the result of a finished fiber and raises ``Cancelled``
  for a cancelled one; nothing is left parked or unfinished.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import zio
from zio._core import _state
from zio._core.hub import Hub

OPS = st.sampled_from(["park", "park", "park", "sleep0", "sleep_short", "checkpoint"])


@dataclass
class Record:
    """What one fiber saw."""

    received: list[int] = field(default_factory=list)
    cancels_seen: int = 0
    level_violations: int = 0
    finished: bool = False


@dataclass
class Slot:
    """A parked fiber's registration, as a primitive would keep it."""

    task: Any
    aborts: int = 0
    woken: bool = False


class CoreRaceMachine(RuleBasedStateMachine):
    backend = "epoll"

    def __init__(self) -> None:
        super().__init__()
        self.previous_hub = _state.peek_hub()
        self.hub = Hub(self.backend)
        _state.set_hub(self.hub)
        self.values = itertools.count()
        self.tasks: list[Any] = []
        self.records: list[Record] = []
        self.scopes: list[zio.CancelScope | None] = []
        self.delivered: list[list[int]] = []
        self.slots: dict[int, Slot] = {}  # tid -> registration while parked
        self.violations: list[str] = []

    # -- fibers ---------------------------------------------------------------------
    @rule(program=st.lists(OPS, min_size=1, max_size=6))
    def spawn(self, program: list[str]) -> None:
        tid = len(self.tasks)
        record = Record()
        self.records.append(record)
        self.scopes.append(None)
        self.delivered.append([])
        self.tasks.append(zio.spawn(self._body, tid, program, record))

    def _body(self, tid: int, program: list[str], record: Record) -> Record:
        hub = _state.get_hub()
        with zio.CancelScope() as scope:
            self.scopes[tid] = scope
            for op in program:
                try:
                    self._blocking(hub, tid, op, record)
                except zio.Cancelled:
                    record.cancels_seen += 1
                    # Level-triggered: still inside the cancelled scope, the
                    # next blocking call must raise as well.
                    try:
                        zio.checkpoint()
                    except zio.Cancelled:
                        pass
                    else:
                        record.level_violations += 1
                    raise
        record.finished = True
        return record

    def _blocking(self, hub: Hub, tid: int, op: str, record: Record) -> None:
        if op == "park":
            slot = Slot(hub.current_task())

            def abort() -> bool:
                slot.aborts += 1
                if slot.aborts > 1:
                    self.violations.append(f"fiber {tid}: abort ran twice")
                if slot.woken:
                    self.violations.append(f"fiber {tid}: abort ran after the wakeup")
                self.slots.pop(tid, None)
                return True

            self.slots[tid] = slot
            value = hub.park(abort, f"slot of fiber {tid}")
            record.received.append(value)
        elif op == "sleep0":
            zio.sleep(0)
        elif op == "sleep_short":
            zio.sleep(0.0002)
        else:
            zio.checkpoint()

    # -- the outside world --------------------------------------------------------------
    @rule(pick=st.integers(0, 50))
    def wake(self, pick: int) -> None:
        if not self.slots:
            return
        tid = sorted(self.slots)[pick % len(self.slots)]
        slot = self.slots.pop(tid)
        value = next(self.values)
        slot.woken = True
        self.delivered[tid].append(value)
        self.hub.unpark(slot.task, value)

    @rule(pick=st.integers(0, 50), whole_task=st.booleans())
    def cancel(self, pick: int, whole_task: bool) -> None:
        if not self.tasks:
            return
        tid = pick % len(self.tasks)
        scope = self.scopes[tid]
        if whole_task or scope is None:
            self.tasks[tid].cancel()
        else:
            scope.cancel()

    @rule(pick=st.integers(0, 50))
    def wake_then_cancel(self, pick: int) -> None:
        # The race the contract is about: both in the same hub iteration.
        if not self.slots:
            return
        tid = sorted(self.slots)[pick % len(self.slots)]
        self.wake(pick)
        self.tasks[tid].cancel()

    @rule(times=st.integers(1, 3))
    def step(self, times: int) -> None:
        for _ in range(times):
            zio.checkpoint()

    # -- rules checked all the time -----------------------------------------------------------
    @invariant()
    def contract_holds(self) -> None:
        assert not self.violations, self.violations
        for tid, record in enumerate(self.records):
            assert record.level_violations == 0, f"fiber {tid}: a blocking call after Cancelled did not raise"
            # Received is a prefix of delivered: a wakeup may still be in flight.
            assert record.received == self.delivered[tid][: len(record.received)], (tid, record, self.delivered[tid])

    def teardown(self) -> None:
        try:
            self._finish()
        finally:
            self.hub.close()
            _state.set_hub(self.previous_hub)

    def _finish(self) -> None:
        for task in self.tasks:
            task.cancel()
        for _ in range(1000):
            if all(task.done() for task in self.tasks):
                break
            zio.sleep(0.0005 if any(not t.done() for t in self.tasks) else 0)
        assert all(task.done() for task in self.tasks), "a fiber never finished after cancel"
        assert not self.slots, f"fibers still registered as parked: {sorted(self.slots)}"
        self.contract_holds()
        for tid, (task, record) in enumerate(zip(self.tasks, self.records, strict=True)):
            # Every wakeup was received exactly once, cancel or not.
            assert record.received == self.delivered[tid], (tid, record.received, self.delivered[tid])
            if task.cancelled():
                with pytest.raises(zio.Cancelled):
                    task.join()
                assert not record.finished
            else:
                assert task.join() is record and record.finished


_SETTINGS = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class EpollRaces(CoreRaceMachine):
    backend = "epoll"


class PollRaces(CoreRaceMachine):
    backend = "poll"


class SelectRaces(CoreRaceMachine):
    backend = "select"


TestEpollRaces = EpollRaces.TestCase
TestPollRaces = PollRaces.TestCase
TestSelectRaces = SelectRaces.TestCase
for _case in (TestEpollRaces, TestPollRaces, TestSelectRaces):
    _case.settings = _SETTINGS
