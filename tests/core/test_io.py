"""wait_readable / wait_writable: readiness, bad fds, notify_closing, cancellation."""

from __future__ import annotations

import errno
import os
import socket

import pytest

import zio
from zio._core.io import wait_fd
from zio.loop import READ


def test_wait_readable_parks_until_data_arrives(run, pipe):
    r, w = pipe

    def writer():
        zio.sleep(0.01)
        os.write(w, b"ping")

    def main():
        zio.spawn(writer)
        with zio.fail_after(5):
            zio.wait_readable(r)
        assert os.read(r, 10) == b"ping"
        assert zio.current_loop().watched_fds() == {}  # not kept armed

    run(main)


def test_wait_writable_and_socket_objects(run):
    def main():
        a, b = socket.socketpair()
        with a, b:
            a.setblocking(False)
            with zio.fail_after(5):
                zio.wait_writable(a)
            a.send(b"x")
            with zio.fail_after(5):
                zio.wait_readable(b)
            assert b.recv(1) == b"x"

    run(main)


def test_several_waiters_on_one_fd_all_wake(run, pipe):
    r, w = pipe

    def main():
        woke = []
        with zio.Group() as g:
            for i in range(3):
                g.spawn(lambda i: (zio.wait_readable(r), woke.append(i)), i)
            zio.sleep(0.01)
            assert woke == []
            os.write(w, b"x")
        assert sorted(woke) == [0, 1, 2]

    run(main)


def test_invalid_fd_raises_ebadf(run, unused_fd):
    def main():
        fd = unused_fd
        with zio.fail_after(5):
            with pytest.raises(OSError) as info:
                zio.wait_readable(fd)
        assert info.value.errno == errno.EBADF
        assert zio.current_loop().watched_fds() == {}

    run(main)


def test_negative_fd_raises_ebadf(run):
    def main():
        with pytest.raises(OSError) as info:
            zio.wait_writable(-1)
        assert info.value.errno == errno.EBADF

    run(main)


def test_notify_closing_wakes_waiters_with_closed_resource_error(run, pipe):
    r, _ = pipe  # empty: reading parks

    def main():
        r2, w2 = os.pipe()
        os.set_blocking(w2, False)
        try:  # fill it: writing parks
            while True:
                os.write(w2, b"\0" * 65536)
        except BlockingIOError:
            pass
        errors = []

        def waiter(kind, fd):
            try:
                (zio.wait_readable if kind == "r" else zio.wait_writable)(fd)
            except zio.ClosedResourceError as exc:
                errors.append((kind, exc))

        with zio.Group() as g:
            g.spawn(waiter, "r", r)
            g.spawn(waiter, "w", w2)
            zio.sleep(0.01)
            assert errors == []
            for fd in (r, w2):
                zio.notify_closing(fd)
                os.close(fd)
        os.close(r2)
        assert sorted(k for k, _ in errors) == ["r", "w"]
        for _, exc in errors:
            assert isinstance(exc, OSError) and exc.errno == errno.EBADF
            assert "closed" in str(exc)
        assert zio.current_loop().watched_fds() == {}

    run(main)


def test_notify_closing_without_waiters_is_harmless(run, pipe):
    r, _ = pipe

    def main():
        zio.notify_closing(r)
        zio.notify_closing(12345)

    run(main)
    zio.notify_closing(r)  # no hub running: nothing to do


def test_cancel_while_waiting_disarms_the_fd(run, pipe):
    r, _ = pipe

    def main():
        with zio.move_on_after(0.01) as scope:
            zio.wait_readable(r)
        assert scope.cancelled_caught
        assert zio.current_loop().watched_fds() == {}

    run(main)


def test_wait_in_cancelled_scope_raises_before_registering(run, pipe):
    r, w = pipe
    os.write(w, b"x")  # readable: still, Cancelled comes first

    def main():
        with zio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(zio.Cancelled):
                zio.wait_readable(r)
            raise zio.Cancelled("re-raise so the scope absorbs", scope)
        assert zio.current_loop().watched_fds() == {}

    run(main)


def test_keep_armed_stays_registered_until_notify_closing(run):
    def main():
        a, b = socket.socketpair()
        with a, b:
            loop = zio.current_loop()
            for _ in range(3):
                b.send(b"x")
                with zio.fail_after(5):
                    wait_fd(a.fileno(), READ, keep_armed=True)
                a.recv(10)
            assert a.fileno() in loop.watched_fds()
            zio.notify_closing(a)
            assert loop.watched_fds() == {}

    run(main)


def test_fd_closed_while_waited_on_does_not_hang_or_spin(run, backend):
    """Closing without notify_closing: poll/select report EBADF; epoll forgets the fd."""

    def main():
        r, w = os.pipe()
        os.close(w)
        os.read(r, 1)  # EOF: readable from now on

        got = []

        def waiter():
            try:
                zio.wait_readable(r)
                got.append("readable")
            except OSError as exc:
                got.append(exc.errno)

        zio.spawn(waiter)
        zio.sleep(0)
        os.close(r)
        with zio.move_on_after(0.2):
            while not got:
                zio.sleep(0.005)
        assert got in (["readable"], [errno.EBADF], [])

    run(main)
