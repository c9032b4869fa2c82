"""When the hub polls for I/O while tasks are runnable: between passes, not mid-pass.

A pass is the set of tasks that were runnable when the hub last polled.  The
hub polls again only once all of them have had their turn, so a task woken
by readiness reads its data before the next poll; polling earlier would
report its fd again with nobody waiting, which disarms the watcher (and the
task's next wait re-arms it: two registration changes per request).  What a
poll wakes goes ahead of the backlog, and timers that fall due mid-pass
still run mid-pass.
"""

from __future__ import annotations

import socket

import zio
from zio._core._state import get_hub
from zio._core.io import notify_closing, wait_fd
from zio.loop import READ

PAIRS = 150
ROUNDS = 30
WARMUP_ROUNDS = 3


def _count_registration_changes(loop) -> list[int]:
    """Count the loop's backend registration changes from now on (instance attributes shadow the methods)."""
    counter = [0]
    for name in ("_register", "_modify", "_unregister"):
        original = getattr(loop, name)

        def counting(*args, _original=original):
            counter[0] += 1
            return _original(*args)

        setattr(loop, name, counting)
    return counter


def _recv_some(sock: socket.socket) -> bytes:
    while True:
        try:
            return sock.recv(4096)
        except BlockingIOError:
            wait_fd(sock.fileno(), READ, keep_armed=True)


def test_busy_request_response_connections_keep_their_watchers(run):
    """Many connections answering requests in lockstep cause no re-registration after warm-up."""
    sockets: list[socket.socket] = []

    def echo(sock: socket.socket) -> None:
        while data := _recv_some(sock):
            sock.sendall(data)  # 1 byte into an empty buffer: never blocks

    def main() -> int:
        hub = get_hub()
        clients = []
        with zio.Group() as group:
            for _ in range(PAIRS):
                a, b = socket.socketpair()
                a.setblocking(False)
                b.setblocking(False)
                sockets.extend((a, b))
                clients.append(a)
                group.spawn(echo, b)
            counter = None
            for round_no in range(ROUNDS):
                if round_no == WARMUP_ROUNDS:
                    counter = _count_registration_changes(hub.loop)
                for c in clients:
                    c.send(b"x")
                for c in clients:
                    assert _recv_some(c) == b"x"
            assert counter is not None
            changes = counter[0]
            for c in clients:
                c.shutdown(socket.SHUT_WR)  # the echo tasks see end of stream and finish
        for s in sockets:
            notify_closing(s.fileno())  # kept armed: the hub must forget them first
            s.close()
        return changes

    try:
        changes = run(main)
    finally:
        for s in sockets:
            s.close()
    # Every wait after warm-up finds its fd still armed from the wait before.
    assert changes == 0, f"{changes} registration changes in {ROUNDS - WARMUP_ROUNDS} rounds of {PAIRS} requests"


def test_a_timer_due_mid_pass_runs_before_the_pass_ends(run):
    """A sleeper whose deadline passes during a long pass wakes before the pass is over."""
    tasks = 20_000  # a first step of ~1 µs or more each: the pass lasts far longer than the sleep
    steps_before_wake: list[int] = []
    stepped = [0]

    def busy() -> None:
        stepped[0] += 1
        zio.sleep(0)

    def sleeper() -> None:
        zio.sleep(0.001)
        steps_before_wake.append(stepped[0])

    def main() -> None:
        with zio.Group() as group:
            group.spawn(sleeper)
            zio.sleep(0)  # the sleeper arms its timer before the backlog exists
            for _ in range(tasks):
                group.spawn(busy)

    run(main)
    assert stepped[0] == tasks
    assert steps_before_wake and steps_before_wake[0] < tasks, steps_before_wake


def test_a_task_woken_by_io_goes_ahead_of_a_spawned_backlog(run):
    """Readiness found by the poll between passes is served before thousands of new tasks."""
    backlog = 5_000
    started = [0]
    started_before_reader: list[int] = []

    def main() -> None:
        a, b = socket.socketpair()
        try:
            a.setblocking(False)

            def reader() -> None:
                wait_fd(a.fileno(), READ)
                started_before_reader.append(started[0])

            def newcomer() -> None:
                started[0] += 1

            with zio.Group() as group:
                group.spawn(reader)
                zio.sleep(0)  # the reader parks on the fd
                b.send(b"!")  # readable from now on
                for _ in range(backlog):
                    group.spawn(newcomer)
        finally:
            a.close()
            b.close()

    run(main)
    assert started[0] == backlog
    assert started_before_reader == [0], started_before_reader
