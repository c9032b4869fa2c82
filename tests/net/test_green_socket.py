"""zio.green.socket: the cooperative socket against real loopback sockets, on every backend."""

from __future__ import annotations

import errno
import os
import socket as stdsocket
import struct
import sys
import threading
import time

import pytest

import zio
import zio.green.socket as gs

from ._util import blackhole, count_calls


def _tcp_pair():
    srv = gs.create_server(("127.0.0.1", 0))
    c = gs.create_connection(srv.getsockname())
    s, _ = srv.accept()
    srv.close()
    return c, s


def test_reexports_stdlib_names() -> None:
    for name in stdsocket.__all__:
        assert hasattr(gs, name), name
    assert gs._GLOBAL_DEFAULT_TIMEOUT is stdsocket._GLOBAL_DEFAULT_TIMEOUT
    assert gs.timeout is TimeoutError
    assert gs.socket is not stdsocket.socket and issubclass(gs.socket, stdsocket.socket)


def test_echo_between_fibers_is_concurrent(run) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        order = []

        def server():
            conn, _ = srv.accept()
            with conn:
                order.append("accepted")
                while data := conn.recv(1024):
                    conn.sendall(data.upper())

        with zio.Group() as g:
            g.spawn(server)
            c = gs.create_connection(srv.getsockname())
            assert isinstance(c, stdsocket.socket)
            c.sendall(b"hello")
            assert c.recv(1024) == b"HELLO"
            order.append("echoed")
            c.close()
        srv.close()
        assert order == ["accepted", "echoed"]

    run(main)


def test_big_sendall_parks_until_peer_reads(run) -> None:
    payload = os.urandom(4 * 1024 * 1024)

    def main():
        c, s = _tcp_pair()
        got = bytearray()

        def reader():
            while len(got) < len(payload):
                chunk = s.recv(65536)
                assert chunk
                got.extend(chunk)

        with zio.Group() as g:
            g.spawn(reader)
            c.sendall(payload)
        assert bytes(got) == payload
        c.close()
        s.close()

    run(main)


def test_timeout_semantics_mirror_stdlib(run) -> None:
    def main():
        c, s = _tcp_pair()
        assert c.gettimeout() is None and c.getblocking()
        c.settimeout(0.05)
        assert c.gettimeout() == 0.05 and c.timeout == 0.05 and c.getblocking()
        t0 = time.monotonic()
        with pytest.raises(stdsocket.timeout, match="timed out"):
            c.recv(10)
        assert 0.04 < time.monotonic() - t0 < 1.0
        c.settimeout(1)
        assert c.gettimeout() == 1.0 and isinstance(c.gettimeout(), float)
        c.setblocking(False)
        assert c.gettimeout() == 0.0 and not c.getblocking()
        with pytest.raises(BlockingIOError):
            c.recv(10)
        with pytest.raises(ValueError, match="Timeout value out of range"):
            c.settimeout(-1)
        with pytest.raises(TypeError):
            c.settimeout("1")
        c.setblocking(True)
        assert c.gettimeout() is None
        # The real fd stays non-blocking whatever the user-visible mode.
        assert not os.get_blocking(c.fileno())
        c.close()
        s.close()

    run(main)


def test_default_timeout_applies_to_new_and_accepted_sockets(run) -> None:
    def main():
        old = stdsocket.getdefaulttimeout()
        stdsocket.setdefaulttimeout(2.5)
        try:
            srv = gs.create_server(("127.0.0.1", 0))
            assert srv.gettimeout() == 2.5
            c = gs.create_connection(srv.getsockname())
            s, _ = srv.accept()
            assert s.gettimeout() == 2.5
            c.close(), s.close(), srv.close()
        finally:
            stdsocket.setdefaulttimeout(old)

    run(main)


def test_accept_timeout_and_nonblocking(run) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        srv.settimeout(0.02)
        with pytest.raises(TimeoutError):
            srv.accept()
        srv.setblocking(False)
        with pytest.raises(BlockingIOError):
            srv.accept()
        srv.close()

    run(main)


def test_cancelled_recv_consumes_nothing(run) -> None:
    run(_cancel_main)


def _cancel_main():
    # A timed-out wait consumed nothing; a cancelled scope raises even when data is ready.
    c, s = _tcp_pair()
    with zio.move_on_after(0.02) as scope:
        c.recv(10)
    assert scope.cancelled_caught
    s.sendall(b"data")
    assert c.recv(10) == b"data"
    s.sendall(b"more")
    raised = []
    with zio.CancelScope() as scope2:
        scope2.cancel()
        try:
            c.recv(10)
        except zio.Cancelled:
            raised.append(True)
            raise
    assert raised and scope2.cancelled_caught
    assert c.recv(10) == b"more"
    c.close(), s.close()


def test_calls_that_would_not_block_still_honour_cancellation(run) -> None:
    """send/sendall with buffer space raise Cancelled in a cancelled scope and send nothing.

    Their fast path never parks, so the check before it is what makes a loop
    of such calls cancellable; it skips the scope walk only while no scope of
    the hub is cancelled, and a shield still hides an outer cancel.
    """

    def main() -> bytes:
        c, s = _tcp_pair()
        for op in (lambda: c.sendall(b"a"), lambda: c.send(b"b")):
            with zio.CancelScope() as outer:
                outer.cancel()
                with pytest.raises(zio.Cancelled):
                    op()
                with zio.CancelScope(shield=True):
                    op()  # shielded: goes through
        c.sendall(b"c")  # no cancelled scope left: the fast path again
        c.shutdown(stdsocket.SHUT_WR)
        received = b""
        while chunk := s.recv(10):
            received += chunk
        c.close(), s.close()
        return received

    assert run(main) == b"abc"


def test_close_wakes_other_fiber_with_clear_error(run) -> None:
    def main():
        c, s = _tcp_pair()
        errors = []

        def blocked():
            try:
                c.recv(10)
            except OSError as exc:
                errors.append(exc)

        with zio.Group() as g:
            g.spawn(blocked)
            zio.sleep(0.01)  # let it park (any order works; this just makes the close happen mid-wait)
            c.close()
        assert len(errors) == 1
        assert isinstance(errors[0], zio.ClosedResourceError)
        assert errors[0].errno == errno.EBADF
        s.close()

    run(main)


def test_fd_reuse_after_close_is_not_stale(run) -> None:
    """A closed socket's persistent registration must not leak onto the next socket with the same fd."""

    def main():
        for _ in range(20):
            c, s = _tcp_pair()
            with zio.move_on_after(0.001):
                c.recv(1)  # arm the fd persistently
            c.close()
            s.close()
            c2, s2 = _tcp_pair()
            with zio.Group() as g:
                g.spawn(lambda peer=s2: (zio.sleep(0.001), peer.sendall(b"x")))
                with zio.fail_after(2):
                    assert c2.recv(1) == b"x"
            c2.close(), s2.close()

    run(main)


def test_half_close(run) -> None:
    def main():
        c, s = _tcp_pair()
        c.sendall(b"request")
        c.shutdown(gs.SHUT_WR)
        data = b""
        while chunk := s.recv(100):
            data += chunk
        assert data == b"request"
        s.sendall(b"response")
        s.close()
        assert c.recv(100) == b"response"
        assert c.recv(100) == b""
        c.close()

    run(main)


def test_peer_reset(run) -> None:
    def main():
        c, s = _tcp_pair()
        s.setsockopt(gs.SOL_SOCKET, gs.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
        with pytest.raises(ConnectionResetError):
            c.recv(10)
        c.close()

    run(main)


def test_connect_refused_and_connect_ex(run) -> None:
    def main():
        probe = gs.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        s = gs.socket()
        with pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))
        s.close()
        s = gs.socket()
        assert s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
        s.close()
        s = gs.socket()
        s.setblocking(False)
        srv = gs.create_server(("127.0.0.1", 0))
        assert s.connect_ex(srv.getsockname()) in (0, errno.EINPROGRESS)
        s.close(), srv.close()

    run(main)


def test_connect_timeout(run) -> None:
    def main(addr):
        s = gs.socket()
        s.settimeout(0.05)
        with pytest.raises(TimeoutError, match="timed out"):
            s.connect(addr)
        s.close()
        s = gs.socket()
        s.settimeout(0.05)
        assert s.connect_ex(addr) == errno.EAGAIN
        s.close()

    with blackhole() as addr:
        run(main, addr)


def test_create_connection_tries_every_address(run, monkeypatch) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        port = srv.getsockname()[1]
        dead = gs.socket()
        dead.bind(("127.0.0.1", 0))
        dead_port = dead.getsockname()[1]
        dead.close()
        infos = [
            (gs.AF_INET, gs.SOCK_STREAM, 6, "", ("127.0.0.1", dead_port)),
            (gs.AF_INET, gs.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

        class FakeResolver:
            def getaddrinfo(self, *args, **kwargs):
                return infos

        monkeypatch.setattr(gs, "_resolve", FakeResolver())
        c = gs.create_connection(("multi.example", 1))
        assert c.getpeername() == ("127.0.0.1", port)
        c.close()
        infos.pop()
        with pytest.raises(ConnectionRefusedError):
            gs.create_connection(("multi.example", 1))
        if sys.version_info >= (3, 11):  # all_errors= is new in 3.11, as in the stdlib
            with pytest.raises(zio.ExceptionGroup):
                gs.create_connection(("multi.example", 1), all_errors=True)
        srv.close()

    run(main)


def test_create_server_options(run) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0), backlog=5, reuse_port=True)
        assert srv.getsockopt(gs.SOL_SOCKET, gs.SO_REUSEPORT) == 1
        assert srv.getsockopt(gs.SOL_SOCKET, gs.SO_REUSEADDR) == 1
        port = srv.getsockname()[1]
        with pytest.raises(OSError, match="while attempting to bind on address"):
            gs.create_server(("127.0.0.1", port))
        srv.close()
        if gs.has_dualstack_ipv6():
            srv = gs.create_server(("::", 0), family=gs.AF_INET6, dualstack_ipv6=True)
            c = gs.create_connection(("127.0.0.1", srv.getsockname()[1]))
            s, _ = srv.accept()
            c.close(), s.close(), srv.close()

    run(main)


def test_udp_sendto_recvfrom(run) -> None:
    def main():
        a = gs.socket(gs.AF_INET, gs.SOCK_DGRAM)
        b = gs.socket(gs.AF_INET, gs.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        b.bind(("localhost", 0))  # resolved cooperatively

        def later():
            zio.sleep(0.01)
            b.sendto(b"ping", a.getsockname())
            b.sendto(b"pong", 0, a.getsockname())

        with zio.Group() as g:
            g.spawn(later)
            data, addr = a.recvfrom(100)
            assert data == b"ping" and addr == b.getsockname()
            buf = bytearray(10)
            n, addr = a.recvfrom_into(buf)
            assert buf[:n] == b"pong"
        a.close(), b.close()

    run(main)


def test_recvmsg_sendmsg_pass_fds(run) -> None:
    def main():
        a, b = gs.socketpair()
        r, w = os.pipe()

        def later():
            zio.sleep(0.01)
            gs.send_fds(a, [b"fd"], [w])

        with zio.Group() as g:
            g.spawn(later)
            msg, fds, _flags, _addr = gs.recv_fds(b, 100, 1)
        assert msg == b"fd" and len(fds) == 1
        os.write(fds[0], b"!")
        assert os.read(r, 1) == b"!"
        for fd in (r, w, fds[0]):
            os.close(fd)
        buf = bytearray(4)
        a.sendmsg([b"ab", b"cd"])
        n, _anc, _fl, _ad = b.recvmsg_into([buf])
        assert buf[:n] == b"abcd"
        a.close(), b.close()

    run(main)


def test_recv_into_and_makefile(run) -> None:
    def main():
        c, s = _tcp_pair()
        wf = c.makefile("wb")
        rf = s.makefile("rb")
        wf.write(b"line one\nline two\n")
        wf.flush()
        assert rf.readline() == b"line one\n"
        assert rf.readline() == b"line two\n"
        wf.close()
        c.sendall(b"xyz")
        buf = bytearray(10)
        # rf buffered nothing beyond the lines; recv_into sees the new bytes.
        n = s.recv_into(buf)
        assert buf[:n] == b"xyz"
        text_w = c.makefile("w", encoding="utf-8")
        text_r = s.makefile("r", encoding="utf-8")
        text_w.write("héllo\n")
        text_w.flush()
        assert text_r.readline() == "héllo\n"
        for f in (rf, text_w, text_r):
            f.close()
        c.close()
        s.settimeout(0.02)
        rf = s.makefile("rb")
        assert rf.read() == b""  # the peer closed
        s.close()

    run(main)


def test_sendfile(run, tmp_path) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "blob"
    path.write_bytes(payload)

    def main():
        c, s = _tcp_pair()
        got = bytearray()

        def reader():
            while chunk := s.recv(1 << 16):
                got.extend(chunk)

        with zio.Group() as g:
            g.spawn(reader)
            with open(path, "rb") as f:
                assert c.sendfile(f, offset=5, count=len(payload) - 10) == len(payload) - 10
                assert f.tell() == len(payload) - 5
            c.close()
        assert bytes(got) == payload[5:-5]
        s.close()

    run(main)


def test_sendfile_falls_back_for_non_files(run) -> None:
    import io

    def main():
        c, s = _tcp_pair()
        assert c.sendfile(io.BytesIO(b"from memory")) == 11
        assert s.recv(100) == b"from memory"
        c.setblocking(False)
        with pytest.raises(ValueError, match="non-blocking"):
            c.sendfile(io.BytesIO(b"x"))
        c.close(), s.close()

    run(main)


def test_dup_detach_fromfd(run) -> None:
    def main():
        c, s = _tcp_pair()
        c.settimeout(3.0)
        d = c.dup()
        assert isinstance(d, gs.socket) and d.gettimeout() == 3.0
        c.close()
        s.sendall(b"via dup")
        assert d.recv(100) == b"via dup"
        f = gs.fromfd(d.fileno(), gs.AF_INET, gs.SOCK_STREAM)
        fd = d.detach()
        assert d.fileno() == -1
        os.close(fd)
        s.sendall(b"via fromfd")
        assert f.recv(100) == b"via fromfd"
        f.close(), s.close()

    run(main)


def test_unix_socketpair_and_repr(run) -> None:
    def main():
        a, b = gs.socketpair()
        assert a.family == gs.AF_UNIX and isinstance(a.type, gs.SocketKind)
        assert "zio.green.socket.socket" in repr(a)
        with a, b:
            a.sendall(b"x")
            assert b.recv(1) == b"x"
        assert a._closed and a.fileno() == -1

    run(main)


def test_blocking_call_outside_zio_run_still_works() -> None:
    """Without zio.run, the calling thread's hub drives the wait (like a plain blocking call)."""
    result = []

    def in_thread():
        a, b = gs.socketpair()
        threading.Timer(0.02, lambda: b.sendall(b"late")).start()
        result.append(a.recv(10))
        a.close(), b.close()

    t = threading.Thread(target=in_thread)
    t.start()
    t.join(5)
    assert result == [b"late"]


def test_resolver_hook_is_used(run, monkeypatch) -> None:
    calls = []

    class Hook:
        def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
            calls.append(host)
            return [(gs.AF_INET, gs.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        def gethostbyname(self, name):
            calls.append(name)
            return "127.0.0.2"

    def main():
        monkeypatch.setattr(gs, "_resolve", Hook())
        srv = gs.create_server(("127.0.0.1", 0))
        s = gs.socket()
        s.connect(("service.internal", srv.getsockname()[1]))
        assert gs.gethostbyname("x.internal") == "127.0.0.2"
        s.close(), srv.close()

    run(main)
    assert calls == ["service.internal", "x.internal"]


def test_thread_resolver_matches_libc(run) -> None:
    def main():
        for args in [("localhost", 80), ("127.0.0.1", "http"), (None, 0, 0, 0, 0, gs.AI_PASSIVE)]:
            assert gs.getaddrinfo(*args) == stdsocket.getaddrinfo(*args)
        assert gs.gethostbyname("127.0.0.1") == "127.0.0.1"
        with pytest.raises(gs.gaierror):
            gs.getaddrinfo("does-not-exist.invalid", 80)
        assert gs.getnameinfo(("127.0.0.1", 80), gs.NI_NUMERICHOST | gs.NI_NUMERICSERV) == ("127.0.0.1", "80")

    run(main)


def test_recv_after_a_short_read_waits_for_readiness_first(run, monkeypatch) -> None:
    """After a short read the next recv() parks before trying: no failed recv() per message, nothing lost."""
    from zio.testing import wait_all_tasks_blocked

    calls = count_calls(monkeypatch, gs, "_c_recv")

    def main():
        c, s = _tcp_pair()
        with c, s:
            c.sendall(b"ping")
            assert s.recv(2) == b"pi"  # a full read (2 of 2): not drained
            assert s.recv(10) == b"ng"  # short read: drained
            calls.clear()
            # A cancelled wait on the drained socket consumed nothing and tried no syscall.
            with zio.move_on_after(0.01) as scope:
                s.recv(10)
            assert scope.cancelled_caught and calls == []
            with zio.Group() as g:
                reader = g.spawn(s.recv, 10)
                wait_all_tasks_blocked()
                assert calls == []  # parked without trying the syscall
                c.sendall(b"pong")
            assert reader.result() == b"pong" and calls == [(10, 0)]
            # Data that arrived before the call is returned at once (level-triggered readiness).
            c.sendall(b"queued")
            zio.wait_readable(s)
            assert s.recv(10) == b"queued"
            # Flags (MSG_PEEK here) always try first, and do not change the hint.
            c.sendall(b"peek")
            zio.wait_readable(s)
            calls.clear()
            assert s.recv(10, stdsocket.MSG_PEEK) == b"peek" and calls == [(10, stdsocket.MSG_PEEK)]
            assert s.recv(10) == b"peek"
            c.shutdown(stdsocket.SHUT_WR)
            assert s.recv(10) == b""

    run(main)


def test_recv_into_after_a_short_read_waits_first(run, monkeypatch) -> None:
    from zio.testing import wait_all_tasks_blocked

    calls = count_calls(monkeypatch, gs, "_c_recv_into")

    def main():
        c, s = _tcp_pair()
        with c, s:
            buf = bytearray(8)
            c.sendall(b"abc")
            assert s.recv_into(buf) == 3 and buf[:3] == b"abc"  # short: drained
            calls.clear()
            with zio.Group() as g:
                reader = g.spawn(s.recv_into, memoryview(buf)[2:], 4)
                wait_all_tasks_blocked()
                assert calls == []
                c.sendall(b"defg")
            assert reader.result() == 4 and buf[:6] == b"abdefg" and len(calls) == 1
            # The read above filled its nbytes=4: not drained, so this one tries first.
            with zio.Group() as g:
                reader = g.spawn(s.recv_into, buf)
                wait_all_tasks_blocked()
                assert len(calls) == 2  # tried (EAGAIN), then parked
                c.sendall(b"h")
            assert reader.result() == 1 and len(calls) == 3

    run(main)


def test_a_drained_socket_with_a_timeout_returns_ready_data(run) -> None:
    """Timeouts keep trying first: data that is there wins over a deadline that has already passed."""

    def main():
        c, s = _tcp_pair()
        with c, s:
            c.sendall(b"a")
            assert s.recv(10) == b"a"  # short read: drained
            c.sendall(b"b")
            zio.wait_readable(s)
            s.settimeout(1e-9)  # expired before any wait could start
            assert s.recv(10) == b"b"
            with pytest.raises(TimeoutError):
                s.recv(10)

    run(main)


def test_datagram_sockets_keep_trying_first(run, monkeypatch) -> None:
    """Each datagram read is "short", and the next datagram is often queued already: no hint for them."""
    from zio.testing import wait_all_tasks_blocked

    calls = count_calls(monkeypatch, gs, "_c_recv")

    def main():
        a = gs.socket(gs.AF_INET, gs.SOCK_DGRAM)
        b = gs.socket(gs.AF_INET, gs.SOCK_DGRAM)
        with a, b:
            a.bind(("127.0.0.1", 0))
            b.connect(a.getsockname())
            b.send(b"one")
            assert a.recv(100) == b"one"
            calls.clear()
            with zio.Group() as g:
                reader = g.spawn(a.recv, 100)
                wait_all_tasks_blocked()
                assert calls == [(100, 0)]  # tried first (EAGAIN), then parked
                b.send(b"two")
            assert reader.result() == b"two"

    run(main)
