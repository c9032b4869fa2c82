"""Regression tests for stdlib behaviours of the green network modules that CPython's own suite checks.

Each test here pins a difference found by running ``tests/stdlib/run_stdlib.py``
under zio (the CPython test it mirrors is named in the docstring).
"""

from __future__ import annotations

import os
import select as stdselect
import socket as stdsocket
import sys

import pytest

import zio.green.select as gselect
import zio.green.socket as gs


def test_select_reads_a_list_mutated_by_fileno(run) -> None:
    """test_select.test_select_mutated: fileno() calls that shrink the list are seen, as in C."""

    def main():
        def check(select_fn):
            a: list = []

            class F:
                def fileno(self):
                    del a[-1]
                    return sys.__stdout__.fileno()

            a[:] = [F()] * 10
            return select_fn([], a, [], 0), a[:]

        (r, w, x), rest = check(gselect.select)
        (sr, sw, sx), srest = check(stdselect.select)
        assert len(rest) == len(srest) == 5
        assert (r, len(w), x) == (sr, len(sw), sx) == ([], 5, [])

    run(main)


def test_select_calls_fileno_once_per_object_even_when_waiting(run) -> None:
    """The slow path (nothing ready at first) must not call fileno() again on every re-check."""

    def main():
        a, b = gs.socketpair()
        calls = []

        class Wrapped:
            def fileno(self):
                calls.append(1)
                return a.fileno()

        w = Wrapped()
        assert gselect.select([w], [], [], 0.02) == ([], [], [])
        assert len(calls) == 1
        b.send(b"x")
        assert gselect.select([w], [], [], 1) == ([w], [], [])
        assert len(calls) == 2
        with pytest.raises(TypeError, match="arguments 1-3 must be sequences"):
            gselect.select(3, [], [], 0)
        a.close(), b.close()

    run(main)


def test_poll_type_is_not_instantiable(run) -> None:
    """test_select.test_disallow_instantiation: ``type(select.poll())()`` raises like CPython."""

    def main():
        p = gselect.poll()
        tp = type(p)
        assert (tp.__module__, tp.__name__) == ("select", "poll")
        with pytest.raises(TypeError, match=r"cannot create 'select\.poll' instances"):
            tp()
        with pytest.raises(TypeError, match=r"cannot create 'select\.poll' instances"):
            type(stdselect.poll())()
        assert p.poll(0) == []

    run(main)


def test_settimeout_and_setblocking_report_a_bad_fd(run) -> None:
    """test_socket.TestExceptions.test_setblocking_invalidfd: EBADF like the C module."""

    def main():
        import socket as stdsocket

        s0 = stdsocket.socket()
        s = gs.socket(stdsocket.AF_INET, stdsocket.SOCK_STREAM, 0, s0.fileno())
        s0.close()
        try:
            with pytest.raises(OSError):
                s.setblocking(False)
            with pytest.raises(OSError):
                s.settimeout(1.0)
        finally:
            s.detach()
        closed = gs.socket()
        closed.close()
        with pytest.raises(OSError):
            closed.settimeout(None)

    run(main)


def test_msg_dontwait_on_a_blocking_socket_does_not_park(run) -> None:
    """test_socket.SendmsgTCPTest.testSendmsgDontWait: MSG_DONTWAIT means one non-blocking try."""
    import socket as stdsocket

    def main():
        a, b = gs.socketpair()
        assert a.gettimeout() is None
        with pytest.raises(BlockingIOError):
            a.recv(10, stdsocket.MSG_DONTWAIT)
        with pytest.raises(BlockingIOError):
            a.recv_into(bytearray(10), 0, stdsocket.MSG_DONTWAIT)
        with pytest.raises(BlockingIOError):
            a.recvmsg(10, 0, stdsocket.MSG_DONTWAIT)
        with pytest.raises(BlockingIOError):
            while True:
                a.sendmsg([b"a" * 4096], [], stdsocket.MSG_DONTWAIT)
        with pytest.raises(BlockingIOError):
            a.send(b"a" * 4096, stdsocket.MSG_DONTWAIT)
        with pytest.raises(BlockingIOError):
            a.sendall(b"a" * 4096, stdsocket.MSG_DONTWAIT)
        a.close(), b.close()

    run(main)


def test_sendto_argument_errors_match_the_c_module(run) -> None:
    """test_socket.GeneralModuleTests.testSendtoErrors."""
    import socket as stdsocket

    def main():
        with gs.socket(stdsocket.AF_INET, stdsocket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            with pytest.raises(TypeError, match="not NoneType"):
                s.sendto(b"foo", None)
            with pytest.raises(TypeError, match="not NoneType"):
                s.sendto(b"foo", 0, None)
            with pytest.raises(TypeError, match=r"\(1 given\)"):
                s.sendto(b"foo")
            with pytest.raises(TypeError, match=r"\(4 given\)"):
                s.sendto(b"foo", 0, s.getsockname(), 4)
            with pytest.raises(TypeError):
                s.sendto(b"foo", "bar", s.getsockname())
            assert s.sendto(b"ok", 0, s.getsockname()) == 2
            assert s.recv(10) == b"ok"

    run(main)


@pytest.mark.parametrize("port", [-1, 65536, 1 << 40])
def test_bind_by_name_checks_the_port_like_c(run, port) -> None:
    """test_socket.test_getsockaddrarg / test_socketserver.test_tcpserver_bind_leak: OverflowError."""

    def main():
        with gs.socket() as s:
            with pytest.raises(OverflowError):
                s.bind(("localhost", port))
            with pytest.raises(OverflowError):
                s.bind(("127.0.0.1", port))
            with pytest.raises(TypeError):
                s.bind(("localhost", "80"))
            s.bind(("localhost", 0))
            assert s.getsockname()[0] == "127.0.0.1"

    run(main)


def test_getnameinfo_type_error_keeps_no_reference() -> None:
    """test_socket.GeneralModuleTests.testRefCountGetNameInfo."""
    name = "a string that is not an address"
    before = sys.getrefcount(name)
    with pytest.raises(TypeError, match="must be a tuple"):
        gs.getnameinfo(name, 0)
    assert sys.getrefcount(name) == before


def test_module_functions_make_green_sockets(run) -> None:
    """socketpair/fromfd/create_server/create_connection are the stdlib's, making cooperative sockets."""

    def main():
        a, b = gs.socketpair()
        c = gs.fromfd(a.fileno(), a.family, a.type)
        assert all(type(x) is gs.socket for x in (a, b, c))
        srv = gs.create_server(("127.0.0.1", 0))
        cli = gs.create_connection(srv.getsockname(), timeout=5)
        conn, _ = srv.accept()
        assert type(srv) is type(cli) is type(conn) is gs.socket
        assert cli.gettimeout() == 5 and conn.gettimeout() is None
        for x in (a, b, c, srv, cli, conn):
            x.close()

    run(main)


def test_os_write_to_a_read_end_fails_at_once(run) -> None:
    """test_signal.WakeupSignalTests.test_wakeup_write_error probes ``os.write(read_end)``: EBADF, no wait."""
    import errno
    import os

    import zio
    import zio.green.os as gos

    def main():
        r, w = os.pipe()
        try:
            with zio.fail_after(5):
                with pytest.raises(OSError) as info:
                    gos.write(r, b"x")
                assert info.value.errno == errno.EBADF
                with pytest.raises(OSError) as info:
                    gos.read(w, 1)
                assert info.value.errno == errno.EBADF
                assert gos.write(w, b"y") == 1
                assert gos.read(r, 1) == b"y"
        finally:
            os.close(r), os.close(w)

    run(main)


def test_ssl_connect_ex_connects_once(run, tmp_path) -> None:
    """test_ssl SimpleBackgroundTests.test_connect_ex: SSLSocket.connect_ex must not re-enter SSLSocket.connect."""
    import errno
    import socket as stdsocket

    trustme = pytest.importorskip("trustme")
    import zio
    import zio.green.ssl as gssl

    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server_ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(server_ctx)
    client_ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(client_ctx)

    def main():
        listener = gs.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve():
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(tls.recv(100).upper())

        with zio.Group() as g:
            g.spawn(serve)
            with client_ctx.wrap_socket(gs.socket(), server_hostname="localhost") as s:
                assert s.connect_ex(("127.0.0.1", port)) == 0
                s.sendall(b"hello")
                assert s.recv(100) == b"HELLO"
        listener.close()
        with client_ctx.wrap_socket(gs.socket(stdsocket.AF_INET), server_hostname="localhost") as s:
            # Nothing listens there any more: an errno, not an exception.
            assert s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED

    run(main)


def _icmp_echo(ident: int, seq: int, payload: bytes) -> bytes:
    import struct

    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    data = header + payload
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return struct.pack("!BBHHH", 8, 0, ~total & 0xFFFF, ident, seq) + payload


_root = pytest.mark.skipif(os.geteuid() != 0, reason="raw sockets need root")


@_root
def test_raw_icmp_socket_waits_cooperatively(run) -> None:
    """Issue 4: raw AF_INET sockets. A ping to loopback, received while another fiber sends it."""
    import os
    import socket as stdsocket
    import struct

    import zio

    def main():
        try:
            s = gs.socket(stdsocket.AF_INET, stdsocket.SOCK_RAW, stdsocket.IPPROTO_ICMP)
        except PermissionError:
            pytest.skip("no CAP_NET_RAW here")
        s.settimeout(5)
        ident = os.getpid() & 0xFFFF

        def ping():
            zio.sleep(0.01)
            s.sendto(_icmp_echo(ident, 1, b"zio-raw"), ("127.0.0.1", 0))

        with zio.Group() as g:
            g.spawn(ping)
            while True:
                packet, addr = s.recvfrom(2048)
                ihl = (packet[0] & 0x0F) * 4
                kind, _code, _sum, got_id, seq = struct.unpack("!BBHHH", packet[ihl : ihl + 8])
                if kind == 0 and got_id == ident:  # the echo reply (raw sockets also see the request)
                    break
        assert addr[0] == "127.0.0.1" and seq == 1 and packet.endswith(b"zio-raw")
        s.close()

    run(main)


@_root
@pytest.mark.skipif(not hasattr(stdsocket, "AF_PACKET"), reason="Linux AF_PACKET")
def test_af_packet_socket_sees_loopback_traffic(run) -> None:
    """Issue 4: AF_PACKET sockets. A UDP datagram on lo is captured by a cooperative packet socket."""
    import socket as stdsocket

    import zio

    def main():
        try:
            cap = gs.socket(stdsocket.AF_PACKET, stdsocket.SOCK_RAW, stdsocket.htons(0x0003))  # ETH_P_ALL
        except PermissionError:
            pytest.skip("no CAP_NET_RAW here")
        cap.bind(("lo", 0))
        cap.settimeout(5)
        marker = b"zio-af-packet-marker"
        udp = gs.socket(stdsocket.AF_INET, stdsocket.SOCK_DGRAM)
        sink = gs.socket(stdsocket.AF_INET, stdsocket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))

        def send():
            zio.sleep(0.01)
            udp.sendto(marker, sink.getsockname())

        with zio.Group() as g:
            g.spawn(send)
            while True:
                frame, addr = cap.recvfrom(65536)
                if marker in frame:
                    break
        assert addr[0] == "lo"
        for s in (cap, udp, sink):
            s.close()

    run(main)
