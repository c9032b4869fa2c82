"""wait_all_tasks_blocked: the hub's idle hooks."""

from __future__ import annotations

import socket

import pytest

import zio
from zio.testing import wait_all_tasks_blocked


def test_returns_once_every_other_task_is_parked(run):
    log = []

    def worker(n):
        for i in range(n):
            log.append((n, i))
            zio.sleep(0)
        zio.sleep_forever()

    def main():
        with zio.Group() as g:
            for n in (1, 5, 20):
                g.spawn(worker, n)
            wait_all_tasks_blocked()
            assert len(log) == 26
            g.cancel()

    run(main)


def test_server_reaches_accept_without_a_sleep(run):
    def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        state = []

        def server():
            state.append("waiting")
            zio.wait_readable(listener)
            conn, _ = listener.accept()
            state.append("accepted")
            conn.close()

        with zio.Group() as g:
            g.spawn(server)
            wait_all_tasks_blocked()
            assert state == ["waiting"]
            client = socket.create_connection(listener.getsockname())
            wait_all_tasks_blocked()
            assert state == ["waiting", "accepted"]
        client.close()
        listener.close()

    run(main)


def test_smaller_cushion_wakes_first(run):
    order = []

    def waiter(cushion):
        wait_all_tasks_blocked(cushion)
        order.append(cushion)

    def main():
        with zio.Group() as g:
            g.spawn(waiter, 0.02)
            g.spawn(waiter, 0.0)
            g.spawn(waiter, 0.0)
        assert order == [0.0, 0.0, 0.02]

    run(main)


def test_thread_waits_count_as_blocked(run):
    import threading

    release = threading.Event()

    def main():
        with zio.Group() as g:
            g.spawn(zio.to_thread, release.wait)
            wait_all_tasks_blocked()
            release.set()

    run(main)


def test_cancel_removes_the_hook(run):
    def main():
        hub = zio.current_hub()
        with zio.CancelScope() as scope:
            scope.cancel()
            wait_all_tasks_blocked()
        assert scope.cancelled_caught
        assert hub._idle_hooks == []

        def canceller(scope):
            scope.cancel()

        with zio.Group() as g:
            with zio.CancelScope() as scope:
                # The other task runs first and cancels us while we wait
                # behind a long cushion: the hook must be withdrawn.
                g.spawn(canceller, scope)
                wait_all_tasks_blocked(60)
        assert scope.cancelled_caught
        assert hub._idle_hooks == []

    run(main)


def test_negative_cushion_is_rejected(run):
    def main():
        with pytest.raises(ValueError, match="cushion"):
            wait_all_tasks_blocked(-1)

    run(main)
