"""zio.green.select / selectors: cooperative waits with the stdlib's exact results."""

from __future__ import annotations

import os
import select as stdselect
import selectors as stdselectors
import time

import pytest

import zio
import zio.green.select as gselect
import zio.green.selectors as gselectors
import zio.green.socket as gs


def _later(delay, fn, *args):
    def run_it():
        zio.sleep(delay)
        fn(*args)

    return run_it


def test_select_parks_only_the_fiber(run) -> None:
    def main():
        a, b = gs.socketpair()
        ticks = []

        def ticker():
            for _ in range(3):
                ticks.append(time.monotonic())
                zio.sleep(0.005)
            b.send(b"x")

        with zio.Group() as g:
            g.spawn(ticker)
            r, w, x = gselect.select([a], [], [], 5)
        assert r == [a] and w == [] and x == []
        assert len(ticks) == 3  # other fibers ran while select waited
        a.close(), b.close()

    run(main)


def test_select_timeout_and_immediate(run) -> None:
    def main():
        a, b = gs.socketpair()
        t0 = time.monotonic()
        assert gselect.select([a], [], [], 0.03) == ([], [], [])
        assert time.monotonic() - t0 >= 0.025
        assert gselect.select([a], [b], [], 0) == ([], [b], [])
        assert gselect.select([], [], [], 0) == ([], [], [])
        with pytest.raises(ValueError):
            gselect.select([a], [], [], -1)
        with pytest.raises(TypeError):
            gselect.select([object()], [], [], 0)
        a.close(), b.close()

    run(main)


def test_select_on_pipes_and_writability(run) -> None:
    def main():
        r, w = os.pipe()
        with zio.Group() as g:
            g.spawn(_later(0.01, os.write, w, b"!"))
            assert gselect.select([r], [], [], 5) == ([r], [], [])
        assert gselect.select([], [w], [], 5) == ([], [w], [])
        os.close(r), os.close(w)

    run(main)


def test_select_exceptional_condition_oob(run) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        c = gs.create_connection(srv.getsockname())
        s, _ = srv.accept()
        with zio.Group() as g:
            g.spawn(_later(0.01, c.send, b"!", gs.MSG_OOB))
            r, w, x = gselect.select([], [], [s], 5)
        assert x == [s]
        for sock in (c, s, srv):
            sock.close()

    run(main)


def test_select_cancellation(run) -> None:
    def main():
        a, b = gs.socketpair()
        with zio.move_on_after(0.02) as scope:
            gselect.select([a], [], [])
        assert scope.cancelled_caught
        b.send(b"x")
        assert gselect.select([a], [], [], 1)[0] == [a]
        a.close(), b.close()

    run(main)


def test_poll_object(run) -> None:
    def main():
        a, b = gs.socketpair()
        p = gselect.poll()
        p.register(a, gselect.POLLIN)
        assert p.poll(20) == []
        with zio.Group() as g:
            g.spawn(_later(0.01, b.send, b"x"))
            assert p.poll() == [(a.fileno(), gselect.POLLIN)]
        p.modify(a, gselect.POLLOUT)
        assert p.poll(0) == [(a.fileno(), gselect.POLLOUT)]
        p.unregister(a)
        with pytest.raises(KeyError):
            p.unregister(a)
        b.close()
        p.register(a, gselect.POLLIN)
        events = dict(p.poll(100))
        assert events[a.fileno()] & gselect.POLLIN  # EOF is readable
        a.close()

    run(main)


def test_poll_register_default_mask_reports_what_the_stdlib_reports(run) -> None:
    # register(fd) with no mask watches POLLIN|POLLPRI|POLLOUT in CPython; a
    # wider default made the kernel report POLLWRNORM etc. too, and
    # ``revents == POLLOUT`` checks failed.
    def main():
        r, w = os.pipe()
        try:
            for fd in (r, w):
                p, reference = gselect.poll(), stdselect.poll()
                p.register(fd)
                reference.register(fd)
                if fd == r:
                    os.write(w, b"x")
                assert p.poll(100) == reference.poll(0)
        finally:
            os.close(r)
            os.close(w)

    run(main)


def test_epoll_object(run) -> None:
    def main():
        a, b = gs.socketpair()
        with gselect.epoll() as ep:
            ep.register(a.fileno(), gselect.EPOLLIN)
            assert ep.poll(0.02) == []
            with zio.Group() as g:
                g.spawn(_later(0.01, b.send, b"x"))
                assert ep.poll(5) == [(a.fileno(), gselect.EPOLLIN)]
            ep2 = gselect.epoll.fromfd(os.dup(ep.fileno()))
            assert ep2.poll(0) == [(a.fileno(), gselect.EPOLLIN)]
            ep2.close()
            assert ep2.closed
        assert ep.closed
        a.close(), b.close()

    run(main)


def test_epoll_close_wakes_waiter(run) -> None:
    def main():
        ep = gselect.epoll()
        errors = []

        def waiter():
            try:
                ep.poll()
            except OSError as exc:
                errors.append(exc)

        with zio.Group() as g:
            g.spawn(waiter)
            zio.sleep(0.01)
            ep.close()
        assert len(errors) == 1 and isinstance(errors[0], zio.ClosedResourceError)

    run(main)


@pytest.mark.parametrize("name", ["SelectSelector", "PollSelector", "EpollSelector", "DefaultSelector"])
def test_selectors(run, name) -> None:
    cls = getattr(gselectors, name)
    assert issubclass(cls, stdselectors.BaseSelector)

    def main():
        a, b = gs.socketpair()
        with cls() as sel:
            sel.register(a, gselectors.EVENT_READ, "data-a")
            sel.register(b, gselectors.EVENT_WRITE)
            ready = sel.select(0)
            assert [(k.fileobj, ev) for k, ev in ready] == [(b, gselectors.EVENT_WRITE)]
            sel.unregister(b)
            assert sel.select(0.02) == []
            with zio.Group() as g:
                g.spawn(_later(0.01, b.send, b"x"))
                ready = sel.select(5)
            assert [(k.fileobj, k.data, ev) for k, ev in ready] == [(a, "data-a", gselectors.EVENT_READ)]
        a.close(), b.close()

    run(main)


def test_module_keeps_stdlib_names() -> None:
    assert gselect.error is stdselect.error
    assert gselect.EPOLLIN == stdselect.EPOLLIN
    assert hasattr(gselect, "epoll")  # asyncio needs it
    assert gselectors.DefaultSelector is gselectors.EpollSelector
    assert gselectors.SelectorKey is stdselectors.SelectorKey
