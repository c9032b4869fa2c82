"""zio.net: the native API on real loopback sockets, on every backend."""

from __future__ import annotations

import contextlib
import socket as stdsocket
import struct
from typing import Iterator

import pytest

import zio
import zio.net as net

from ._util import blackhole, count_calls


@contextlib.contextmanager
def _tcp_streams() -> Iterator[tuple[net.Stream, net.Stream]]:
    """A connected ``(client, server)`` pair of streams on loopback, both closed at the end."""
    with net.listen_tcp("127.0.0.1", 0) as listener:
        client = net.connect_tcp("127.0.0.1", listener.port)
        server = listener.accept()
        with client, server:
            yield client, server


def _echo(stream: net.Stream) -> None:
    while data := stream.recv():
        stream.sendall(data)


def test_listen_port_zero_and_echo(run) -> None:
    def main():
        with zio.Group() as g, net.listen_tcp("127.0.0.1", 0) as listener:
            assert listener.port != 0 and listener.address == ("127.0.0.1", listener.port)
            g.spawn(listener.serve, _echo)
            with net.connect_tcp("127.0.0.1", listener.port) as s:
                assert s.socket.getsockopt(stdsocket.IPPROTO_TCP, stdsocket.TCP_NODELAY)
                s.sendall(b"hello")
                assert s.read_exactly(5) == b"hello"
                assert s.remote_address == listener.address
            g.cancel()

    run(main)


def test_default_backlog_is_system_maximum() -> None:
    with open("/proc/sys/net/core/somaxconn") as f:
        expected = int(f.read())
    assert net.default_backlog() == min(expected, 65535)


def test_burst_of_connects_is_not_dropped(run) -> None:
    def main():
        with net.listen_tcp("127.0.0.1", 0) as listener:
            # Nobody accepts yet: the backlog alone must hold the burst.
            clients = [net.connect_tcp("127.0.0.1", listener.port) for _ in range(300)]
            for i, c in enumerate(clients):
                c.sendall(bytes([i % 256]))
            for _ in clients:
                with listener.accept() as s:
                    assert len(s.recv(1)) == 1
            for c in clients:
                c.close()

    run(main)


def test_buffered_reads(run) -> None:
    def main():
        with _tcp_streams() as (client, server):
            client.sendall(b"first line\nsecond|rest-of-data")
            client.send_eof()
            assert server.readline() == b"first line\n"
            assert server.read_until(b"|") == b"second|"
            assert server.recv(4) == b"rest"
            with pytest.raises(net.IncompleteReadError) as info:
                server.read_exactly(100)
            assert info.value.partial == b"-of-data"
            assert server.recv() == b"-of-data"  # nothing was lost
            assert server.recv() == b""
            assert server.readline() == b""
            server.sendall(b"no newline")
            server.close()
            assert client.readline() == b"no newline"
            client.close()

    run(main)


def test_read_until_limit_keeps_data(run) -> None:
    def main():
        with _tcp_streams() as (client, server):
            client.sendall(b"x" * 100)
            with pytest.raises(net.LimitOverrunError):
                server.read_until(b"\n", max_bytes=50)
            client.sendall(b"\n")
            assert server.readline(max_bytes=200) == b"x" * 100 + b"\n"
            client.close(), server.close()

    run(main)


def test_cancelled_read_exactly_loses_nothing(run) -> None:
    def main():
        with _tcp_streams() as (client, server):
            client.sendall(b"abc")
            with zio.move_on_after(0.03) as scope:
                server.read_exactly(6)
            assert scope.cancelled_caught
            client.sendall(b"def")
            assert server.read_exactly(6) == b"abcdef"
            with pytest.raises(TimeoutError), zio.fail_after(0.02):
                server.recv()
            client.close(), server.close()

    run(main)


def test_close_wakes_reader(run) -> None:
    def main():
        with _tcp_streams() as (client, server):
            errors = []

            def reader():
                try:
                    server.recv()
                except zio.ClosedResourceError as exc:
                    errors.append(exc)

            with zio.Group() as g:
                g.spawn(reader)
                zio.sleep(0.01)
                server.close()
            assert len(errors) == 1
            with pytest.raises(zio.ClosedResourceError):
                server.recv()
            client.close()

    run(main)


def test_listener_close_ends_serve_and_accept(run) -> None:
    def main():
        listener = net.listen_tcp("127.0.0.1", 0)
        with zio.Group() as g:
            g.spawn(listener.serve, _echo)
            zio.sleep(0.01)
            listener.close()
        with pytest.raises(zio.ClosedResourceError):
            listener.accept()

    run(main)


def test_serve_survives_handler_errors_and_resets(run) -> None:
    def main():
        def handler(stream):
            if stream.recv(1) == b"!":
                raise RuntimeError("handler bug")
            stream.sendall(b"ok")

        with zio.Group() as g, net.listen_tcp("127.0.0.1", 0) as listener:
            g.spawn(listener.serve, handler)
            with net.connect_tcp("127.0.0.1", listener.port) as s:
                s.sendall(b"!")
                assert s.recv() == b""
            s = net.connect_tcp("127.0.0.1", listener.port)
            s.socket.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # reset before the handler reads
            with net.connect_tcp("127.0.0.1", listener.port) as s:
                s.sendall(b"?")
                assert s.recv() == b"ok"
            g.cancel()

    run(main)


def test_serve_logs_bugs_as_errors_and_peer_resets_at_debug(run, caplog) -> None:
    """A handler bug is logged with its traceback; a peer reset is routine (DEBUG only)."""

    def main():
        finished = [zio.Event(), zio.Event()]

        def handler(stream):
            index = len([e for e in finished if e.is_set()])
            try:
                if stream.recv(1) == b"!":
                    raise RuntimeError("handler bug")
            finally:
                # Set before Listener.serve logs, but the logging runs before
                # the waiter below is resumed.
                finished[index].set()

        with zio.Group() as g, net.listen_tcp("127.0.0.1", 0) as listener:
            g.spawn(listener.serve, handler)
            with net.connect_tcp("127.0.0.1", listener.port) as s:
                s.sendall(b"!")
                finished[0].wait()
            s = net.connect_tcp("127.0.0.1", listener.port)
            s.socket.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # reset before the handler reads
            finished[1].wait()
            g.cancel()

    caplog.set_level("DEBUG", logger="zio.net")
    run(main)
    records = [r for r in caplog.records if r.name == "zio.net"]
    errors = [r for r in records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info and errors[0].exc_info[0] is RuntimeError
    resets = [r for r in records if r.levelname == "DEBUG" and "closed by peer" in r.getMessage()]
    assert len(resets) == 1 and "reset" in resets[0].getMessage().lower()


def test_drained_stream_waits_for_readiness_before_receiving(run, monkeypatch) -> None:
    """After a short read the next recv() parks first: no failed recv() per message, nothing lost."""
    import zio.net.stream as stream_mod
    from zio.testing import wait_all_tasks_blocked

    calls = count_calls(monkeypatch, stream_mod, "_c_recv")

    def main():
        with _tcp_streams() as (client, server):
            client.sendall(b"ping")
            assert server.recv(2) == b"pi"  # a full read (2 of 2): not drained
            assert server.recv() == b"ng"  # short read: drained
            calls.clear()
            # A cancelled wait on the drained stream consumed nothing.
            with zio.move_on_after(0.01) as scope:
                server.recv()
            assert scope.cancelled_caught and calls == []
            with zio.Group() as g:
                reader = g.spawn(server.recv)
                wait_all_tasks_blocked()
                assert calls == []  # parked without trying the syscall
                client.sendall(b"pong")
            assert reader.result() == b"pong" and calls == [(stream_mod.DEFAULT_RECV_SIZE,)]
            client.send_eof()
            assert server.recv() == b""

    run(main)


def test_peer_reset_raises(run) -> None:
    def main():
        with _tcp_streams() as (client, server):
            client.socket.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            with pytest.raises(ConnectionResetError):
                server.recv()
            server.close()

    run(main)


def test_happy_eyeballs_skips_hanging_address(run, monkeypatch) -> None:
    import zio.green.socket as gs

    def main(hole):
        with zio.Group() as g, net.listen_tcp("127.0.0.1", 0) as listener:
            g.spawn(listener.serve, _echo)
            port = listener.port
            # The first address never answers; the second attempt starts
            # after the delay and must win (and the first be cancelled).
            infos = [
                (stdsocket.AF_INET, stdsocket.SOCK_STREAM, 6, "", hole),
                (stdsocket.AF_INET, stdsocket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]

            class Hook:
                def getaddrinfo(self, *args, **kwargs):
                    return infos

            monkeypatch.setattr(gs, "_resolve", Hook())
            t0 = zio.current_time()
            with zio.fail_after(5):
                s = net.connect_tcp("dual.example", port, happy_eyeballs_delay=0.05)
            assert 0.04 < zio.current_time() - t0 < 2
            s.sendall(b"he")
            assert s.recv() == b"he"
            s.close()
            g.cancel()

    with blackhole() as hole:
        run(main, hole)


def test_connect_all_fail_reports_every_error(run, monkeypatch) -> None:
    import zio.green.socket as gs

    def main():
        dead = []
        for _ in range(2):
            probe = stdsocket.socket()
            probe.bind(("127.0.0.1", 0))
            dead.append(probe.getsockname()[1])
            probe.close()
        infos = [(stdsocket.AF_INET, stdsocket.SOCK_STREAM, 6, "", ("127.0.0.1", p)) for p in dead]

        class Hook:
            def getaddrinfo(self, *args, **kwargs):
                return infos

        monkeypatch.setattr(gs, "_resolve", Hook())
        with pytest.raises(ConnectionRefusedError, match="all 2 connection attempts") as info:
            net.connect_tcp("gone.example", 1)
        assert len(info.value.__cause__.exceptions) == 2

    run(main)


def test_unix_stream(run, tmp_path) -> None:
    path = str(tmp_path / "sock")

    def main():
        with zio.Group() as g:
            listener = net.listen_unix(path)
            g.spawn(listener.serve, _echo)
            with net.connect_unix(path) as s:
                s.sendall(b"unix")
                assert s.read_exactly(4) == b"unix"
            with pytest.raises(OSError):
                net.listen_unix(path)
            listener.close()
            g.cancel()
        import os

        assert not os.path.exists(path)  # removed on close

    run(main)


def test_udp(run) -> None:
    def main():
        with net.bind_udp("127.0.0.1", 0) as server:
            with net.connect_udp("127.0.0.1", server.address[1]) as client:

                def reply():
                    data, addr = server.recvfrom()
                    server.sendto(data.upper(), addr)

                with zio.Group() as g:
                    g.spawn(reply)
                    client.send(b"dgram")
                    assert client.recv() == b"DGRAM"
                assert client.remote_address == server.address

    run(main)


def test_stream_rejects_bad_arguments(run) -> None:
    def main():
        with net.listen_tcp("127.0.0.1", 0) as listener:
            s = net.connect_tcp("127.0.0.1", listener.port)
            with pytest.raises(ValueError):
                s.recv(0)
            with pytest.raises(ValueError):
                s.read_until(b"")
            s.close()
            with pytest.raises(zio.ClosedResourceError):
                s.sendall(b"x")
            s.close()  # idempotent

    run(main)


def test_stream_recv_that_finds_nothing_tries_once_then_waits(run, monkeypatch) -> None:
    """A recv() after a full read tries first; when that fails it parks, with no second failed try."""
    import zio.net.stream as stream_mod
    from zio.testing import wait_all_tasks_blocked

    calls = count_calls(monkeypatch, stream_mod, "_c_recv")

    def main():
        with _tcp_streams() as (client, server):
            client.sendall(b"ping")
            assert server.recv(4) == b"ping"  # a full read: not drained
            calls.clear()
            with zio.Group() as g:
                reader = g.spawn(server.recv, 4)
                wait_all_tasks_blocked()
                assert calls == [(4,)]  # tried once (EAGAIN), then parked
                client.sendall(b"pong")
            assert reader.result() == b"pong" and calls == [(4,), (4,)]
            server.close()
            with pytest.raises(zio.ClosedResourceError):
                server.recv()

    run(main)
