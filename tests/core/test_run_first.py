"""Hub.run_first: a task just spawned runs before its spawner goes on (how thread starts are fast).

``Thread.start()`` waits until the new thread says it runs.  Queued behind
every busy fiber, that would take a whole pass of the run queue; run_first
puts the new task, then its spawner, at the front of the queue instead.
"""

from __future__ import annotations

import socket

import zio
from zio._core import hub as hub_module
from zio._core._state import get_hub
from zio._core.io import notify_closing, wait_fd
from zio.loop import READ

BUSY = 8


def _start_busy(log: list, stop: list) -> None:
    """Spawn BUSY tasks that log their index at each turn until ``stop`` is set."""

    def busy(i: int) -> None:
        while not stop:
            log.append(i)
            zio.sleep(0)

    for i in range(BUSY):
        zio.spawn(busy, i)
    zio.sleep(0)  # one turn each, so they are all queued again


def test_the_new_task_runs_first_and_the_caller_right_after_it(run):
    """Between run_first's call and its return only the new task ran, up to its first block."""

    def main() -> dict:
        hub = get_hub()
        log: list = []
        stop: list = []
        _start_busy(log, stop)
        release = zio.Event()

        def child() -> None:
            log.append("child starts")
            release.wait()
            log.append("child resumes")

        mark = len(log)
        task = hub.spawn(child)
        moved = hub.run_first(task)
        between = log[mark:]
        zio.sleep(0)
        busy_ran_after = any(isinstance(entry, int) for entry in log[mark + len(between) :])
        stop.append(True)
        release.set()
        task.join()
        return {"moved": moved, "between": between, "busy_after": busy_ran_after}

    r = run(main)
    assert r["moved"] is True
    assert r["between"] == ["child starts"]  # no busy task ran in between
    assert r["busy_after"]  # and the others still get their turns afterwards


def test_a_task_that_finishes_at_once_also_returns_control(run):
    def main() -> list:
        hub = get_hub()
        log: list = []
        task = hub.spawn(log.append, ("child ran",))
        assert hub.run_first(task) is True
        log.append("caller resumed")
        task.join()
        return log

    assert run(main) == ["child ran", "caller resumed"]


def test_only_the_last_spawned_task_can_be_moved(run):
    """run_first refuses a task that is not at the end of the queue, and switches nowhere."""

    def main() -> list:
        hub = get_hub()
        log: list = []
        first = hub.spawn(log.append, ("first",))
        second = hub.spawn(log.append, ("second",))
        refused = hub.run_first(first)
        log.append(("refused", refused))
        first.join()
        second.join()
        return log

    assert run(main) == [("refused", False), "first", "second"]


def test_the_hub_itself_cannot_yield_so_it_refuses(run):
    def main() -> list:
        hub = get_hub()
        answers: list = []
        done = zio.Event()

        def from_hub_callback() -> None:
            task = hub.spawn(answers.append, ("child ran",))
            answers.append(hub.run_first(task))
            done.set()

        hub.loop.call_soon(from_hub_callback)
        done.wait()
        zio.sleep(0)
        return answers

    assert run(main) == [False, "child ran"]


def test_no_poll_puts_woken_tasks_ahead_of_the_new_one(run, monkeypatch):
    """The hub's turn after run_first runs the new task before polling for I/O.

    With polling allowed on every pass, a poll at that turn would wake the
    reader below (its data is already there) and put it first.
    """
    monkeypatch.setattr(hub_module, "_MIN_POLL_INTERVAL", 0.0)
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    def main() -> list:
        hub = get_hub()
        order: list = []

        def reader() -> None:
            wait_fd(b.fileno(), READ)
            order.append("reader")

        readers = zio.spawn(reader)
        zio.sleep(0)  # the reader parks on b
        a.send(b"x")  # b is readable now; only a poll can tell the hub
        task = hub.spawn(order.append, ("new task",))
        hub.run_first(task)
        order.append("caller")
        readers.join()
        return order

    try:
        assert run(main) == ["new task", "caller", "reader"]
    finally:
        notify_closing(b.fileno())
        a.close()
        b.close()
