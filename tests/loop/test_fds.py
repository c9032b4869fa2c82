"""fd readiness watching on every backend: pipes, socketpairs, files, bad fds."""

from __future__ import annotations

import errno
import os
import socket
import tempfile
import threading

import pytest

from zio.loop import FdClosedError, LoopClosedError, WrongThreadError, create_loop

from ._util import run_until


def test_pipe_readable_only_after_write(loop, pipe):
    r, w = pipe
    calls = []
    loop.add_reader(r, calls.append)
    loop.run_once(0)
    assert calls == []
    os.write(w, b"x")
    run_until(loop, lambda: calls)
    assert calls == [None]


def test_reader_is_persistent_and_level_triggered(loop, pipe):
    r, w = pipe
    calls = []
    loop.add_reader(r, lambda err: calls.append(err))
    os.write(w, b"xy")
    for n in range(1, 4):
        loop.run_once(1)
        assert calls == [None] * n  # still readable: called on every iteration
    os.read(r, 10)
    loop.run_once(0)
    assert len(calls) == 3  # drained: no more calls


def test_reader_args_are_passed(loop, pipe):
    r, w = pipe
    got = []
    loop.add_reader(r, lambda err, a, b: got.append((err, a, b)), 1, "two")
    os.write(w, b"x")
    run_until(loop, lambda: got)
    assert got == [(None, 1, "two")]


def test_socketpair_writable_at_once_and_readable_after_send(loop, sockpair):
    a, b = sockpair
    events = []
    loop.add_writer(a, lambda err: events.append("w"))
    loop.add_reader(b, lambda err: events.append("r"))
    loop.run_once(1)
    assert events == ["w"]
    a.send(b"hello")
    loop.remove_writer(a)
    run_until(loop, lambda: "r" in events)
    assert b.recv(10) == b"hello"


def test_objects_with_fileno_are_accepted(loop, sockpair):
    a, _ = sockpair
    calls = []
    loop.add_writer(a, calls.append)  # the socket object itself
    assert a.fileno() in loop.watched_fds()
    run_until(loop, lambda: calls)
    assert loop.remove_writer(a) is True


def test_remove_reader_stops_callbacks_and_reports_presence(loop, pipe):
    r, w = pipe
    calls = []
    assert loop.remove_reader(r) is False
    loop.add_reader(r, calls.append)
    assert loop.watched_fds() == {r: 1}
    assert loop.remove_reader(r) is True
    assert loop.remove_reader(r) is False
    assert loop.watched_fds() == {}
    os.write(w, b"x")
    loop.run_once(0.05)
    assert calls == []


def test_remove_one_direction_keeps_the_other(loop, sockpair):
    a, b = sockpair
    events = []
    loop.add_reader(a, lambda err: events.append("r"))
    loop.add_writer(a, lambda err: events.append("w"))
    assert loop.watched_fds() == {a.fileno(): 3}
    assert loop.remove_writer(a)
    assert loop.watched_fds() == {a.fileno(): 1}
    loop.run_once(0)
    assert events == []  # not readable, and the writer is gone
    b.send(b"x")
    run_until(loop, lambda: events)
    assert events == ["r"]
    assert loop.remove_reader(a)
    assert loop.watched_fds() == {}


def test_add_reader_replaces_previous_callback(loop, pipe):
    r, w = pipe
    first, second = [], []
    loop.add_reader(r, first.append)
    loop.add_reader(r, second.append)
    os.write(w, b"x")
    run_until(loop, lambda: second)
    assert first == []


def test_reader_may_remove_writer_of_same_fd(loop, sockpair):
    a, b = sockpair
    events = []

    def on_read(err):
        events.append("r")
        loop.remove_writer(a)

    loop.add_reader(a, on_read)
    loop.add_writer(a, lambda err: events.append("w"))
    b.send(b"x")
    loop.run_once(1)
    assert events == ["r"]  # the writer was removed before its turn


def test_hangup_wakes_reader(loop, pipe):
    r, w = pipe
    calls = []
    loop.add_reader(r, calls.append)
    os.close(w)
    run_until(loop, lambda: calls)
    assert os.read(r, 1) == b""  # EOF


def test_wrong_types_and_negative_fds(loop):
    with pytest.raises(TypeError):
        loop.add_reader("not an fd", print)
    with pytest.raises(OSError) as info:
        loop.add_reader(-1, print)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError):
        loop.remove_writer(-5)


def test_invalid_fd_gives_ebadf_never_a_crash_or_spin(loop, unused_fd):
    fd = unused_fd
    errors = []
    try:
        loop.add_reader(fd, errors.append)
    except OSError as exc:  # epoll checks at registration
        assert exc.errno == errno.EBADF
        assert loop.watched_fds() == {}
    else:  # poll and select find out when polling
        run_until(loop, lambda: errors)
        assert len(errors) == 1
        assert isinstance(errors[0], OSError) and errors[0].errno == errno.EBADF
        assert loop.watched_fds() == {}  # the watcher is gone
    loop.run_once(0)
    assert len(errors) <= 1  # reported once, not on every iteration
    assert loop.errors == []


def test_fd_closed_behind_the_loops_back_does_not_spin(loop, pipe):
    r, w = pipe
    calls = []
    loop.add_reader(r, calls.append)
    os.close(r)
    # epoll silently forgets a closed fd; poll and select report EBADF once.
    for _ in range(3):
        loop.run_once(0.01)
    assert len(calls) <= 1
    if calls:
        assert isinstance(calls[0], OSError) and calls[0].errno == errno.EBADF
    # The loop still works for other fds.
    r2, w2 = os.pipe()
    try:
        got = []
        loop.add_reader(r2, got.append)
        os.write(w2, b"x")
        run_until(loop, lambda: got)
        loop.remove_reader(r2)
    finally:
        os.close(r2)
        os.close(w2)


def test_stale_registration_kept_alive_by_dup_does_not_spin(loop, pipe):
    """Closing a watched fd while a dup keeps the file open: epoll keeps a stale registration."""
    r, w = pipe
    dup = os.dup(r)
    try:
        calls = []
        loop.add_reader(r, calls.append)
        os.close(r)
        loop.remove_reader(r)  # too late for epoll_ctl: the number is gone
        os.write(w, b"x")  # the file (through the dup) is readable now
        for _ in range(3):
            loop.run_once(0)
        assert calls == []
        # The loop is still usable, and the file is readable through the dup.
        got = []
        loop.add_reader(dup, got.append)
        run_until(loop, lambda: got)
        assert got == [None]
        loop.remove_reader(dup)
        loop.run_once(0)
        assert loop.watched_fds() == {}
    finally:
        os.close(dup)


def test_notify_closing_wakes_watchers_with_fd_closed_error(loop, sockpair):
    a, _ = sockpair
    got = []
    loop.add_reader(a, lambda err: got.append(("r", err)))
    loop.add_writer(a, lambda err: got.append(("w", err)))
    loop.notify_closing(a)
    kinds = sorted(kind for kind, _ in got)
    assert kinds == ["r", "w"]
    for _, err in got:
        assert isinstance(err, FdClosedError)
        assert err.errno == errno.EBADF
        assert "closed" in str(err)
    assert loop.watched_fds() == {}
    a.close()
    loop.run_once(0)
    assert len(got) == 2
    loop.notify_closing(12345)  # unknown fds: nothing to do


def test_fd_number_reused_after_notify_closing(loop):
    r, w = os.pipe()
    loop.add_reader(r, lambda err: None)
    loop.notify_closing(r)
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()  # very likely the same numbers again
    try:
        got = []
        loop.add_reader(r2, got.append)
        os.write(w2, b"x")
        run_until(loop, lambda: got)
        assert got == [None]
        loop.remove_reader(r2)
    finally:
        os.close(r2)
        os.close(w2)


def test_regular_file_is_always_ready(loop):
    with tempfile.TemporaryFile() as f:
        f.write(b"data")
        f.flush()
        calls = []
        loop.add_reader(f.fileno(), lambda err: calls.append("r"))
        loop.add_writer(f.fileno(), lambda err: calls.append("w"))
        # run_once(None) must not block: the file is ready.
        loop.run_once(None)
        assert sorted(calls) == ["r", "w"]
        loop.run_once(None)
        assert len(calls) == 4
        assert loop.remove_reader(f.fileno())
        calls.clear()
        loop.run_once(None)
        assert calls == ["w"]
        assert loop.remove_writer(f.fileno())
        assert loop.watched_fds() == {}
        calls.clear()
        loop.run_once(0)
        assert calls == []


def test_callback_exception_is_reported_not_raised(loop, pipe):
    r, w = pipe
    after = []

    def bad(err):
        raise ValueError("boom")

    loop.add_reader(r, bad)
    loop.call_soon(after.append, "still runs")
    os.write(w, b"x")
    loop.run_once(1)
    assert after == ["still runs"]
    assert len(loop.errors) == 1
    exc, cb = loop.errors[0]
    assert isinstance(exc, ValueError) and cb is bad


def test_watchers_belong_to_the_loop_thread(loop, pipe):
    r, _ = pipe
    caught = []

    def other():
        try:
            loop.add_reader(r, print)
        except WrongThreadError as exc:
            caught.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(caught) == 1
    assert "call_soon_threadsafe" in str(caught[0])
    assert loop.watched_fds() == {}


def test_closed_loop_refuses_work(loop, pipe):
    r, _ = pipe
    loop.add_reader(r, print)
    loop.close()
    assert loop.closed
    with pytest.raises(LoopClosedError):
        loop.run_once(0)
    with pytest.raises(LoopClosedError):
        loop.add_reader(r, print)
    with pytest.raises(LoopClosedError):
        loop.call_soon_threadsafe(print)
    loop.close()  # idempotent


def test_select_backend_rejects_fds_beyond_fd_setsize(pipe):
    """Only select has an FD_SETSIZE limit; the error names the way out."""
    loop = create_loop("select")
    r, _ = pipe
    high = os.dup2(r, 1500)
    try:
        with pytest.raises(OSError) as info:
            loop.add_reader(high, print)
        assert "1500" in str(info.value) and "epoll" in str(info.value)
        assert loop.watched_fds() == {}
    finally:
        os.close(high)
        loop.close()


def test_many_fds_at_once(loop):
    pairs = [socket.socketpair() for _ in range(50)]
    try:
        seen = set()
        for a, _ in pairs:
            loop.add_reader(a, lambda err, fd=a.fileno(): seen.add(fd))
        for _, b in pairs[::2]:
            b.send(b"x")
        run_until(loop, lambda: len(seen) == 25)
        loop.run_once(0)
        assert seen == {a.fileno() for a, _ in pairs[::2]}
    finally:
        for a, b in pairs:
            loop.remove_reader(a)
            a.close()
            b.close()


def test_callback_may_remove_another_ready_fd_in_the_same_pass(loop):
    """Both fds are ready in one poll; whichever callback runs first removes the other's watcher."""
    pipes = [os.pipe(), os.pipe()]
    try:
        ran = []

        def on_read(err, me, other):
            ran.append(me)
            loop.remove_reader(pipes[other][0])

        loop.add_reader(pipes[0][0], on_read, 0, 1)
        loop.add_reader(pipes[1][0], on_read, 1, 0)
        epoll_set = getattr(loop, "_epoll", None)
        for _, w in pipes:
            os.write(w, b"x")
        loop.run_once(1)
        assert len(ran) == 1  # the removed watcher did not run
        # An fd removed by a callback is not mistaken for a stale registration
        # (epoll would rebuild its whole set for one).
        assert getattr(loop, "_epoll", None) is epoll_set
        survivor = ran[0]
        loop.run_once(0)
        assert ran == [survivor, survivor]  # still level-triggered
        loop.remove_reader(pipes[survivor][0])
        assert loop.watched_fds() == {}
    finally:
        for fds in pipes:
            for fd in fds:
                os.close(fd)


def test_a_failing_callback_does_not_stop_the_others_of_the_pass(loop):
    pipes = [os.pipe(), os.pipe()]
    try:
        ran = []

        def bad(err):
            ran.append("bad")
            raise ValueError("boom")

        loop.add_reader(pipes[0][0], bad)
        loop.add_reader(pipes[1][0], ran.append)
        for _, w in pipes:
            os.write(w, b"x")
        loop.run_once(1)
        assert sorted(ran, key=str) == [None, "bad"]
        assert [type(exc) for exc, _ in loop.errors] == [ValueError]
        for r, _ in pipes:
            loop.remove_reader(r)
    finally:
        for fds in pipes:
            for fd in fds:
                os.close(fd)
