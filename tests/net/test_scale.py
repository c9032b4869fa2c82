"""Resource limits and scale: EMFILE during accept, 10,000 connections through one server.

Each scenario runs in fresh subprocesses so it can change RLIMIT_NOFILE.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SERVER = textwrap.dedent(
    """
    import os, resource, sys, zio, zio.net as net

    backend, nofile = sys.argv[1], int(sys.argv[2])
    if nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    active = 0

    def handle(stream):
        global active
        active += 1
        try:
            while line := stream.readline():
                if line == b"count\\n":
                    stream.sendall(b"%d\\n" % active)
                else:
                    stream.sendall(line)
        finally:
            active -= 1

    def main():
        with net.listen_tcp("127.0.0.1", 0) as listener:
            print(listener.port, flush=True)
            listener.serve(handle)

    zio.run(main, backend=backend)
    """
)


def _start_server(backend: str, nofile: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, backend, str(nofile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(proc.stderr.read() if proc.stderr else "server did not start")
    return proc, int(line)


CLIENT_EMFILE = textwrap.dedent(
    """
    import sys, zio, zio.net as net

    port, n = int(sys.argv[1]), int(sys.argv[2])

    def main():
        # More connections than the server has fds: it hits EMFILE in accept().
        streams = [net.connect_tcp("127.0.0.1", port) for _ in range(n)]
        first, rest = streams[:5], streams[5:]
        for s in first:
            s.sendall(b"ping\\n")
            assert s.readline() == b"ping\\n"
        # Free server fds: the accept loop must resume and serve the rest.
        for s in first:
            s.close()
        with zio.fail_after(10):
            for s in rest[:3]:
                s.sendall(b"late\\n")
                assert s.readline() == b"late\\n"
        for s in rest:
            s.close()
        print("OK", flush=True)

    zio.run(main)
    """
)


def test_emfile_during_accept_loop_survives(backend) -> None:
    server, port = _start_server(backend, 32)
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT_EMFILE, str(port), "40"], capture_output=True, text=True, timeout=30, cwd=ROOT
        )
        assert "OK" in client.stdout, client.stderr[-2000:]
        assert server.poll() is None  # still serving
    finally:
        server.kill()
        _out, err = server.communicate()
    assert "Too many open files" in err  # the backoff was logged, not fatal


CLIENT_MANY = textwrap.dedent(
    """
    import resource, sys, zio, zio.net as net

    port, n = int(sys.argv[1]), int(sys.argv[2])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    def main():
        streams = []
        with zio.fail_after(60):
            def opener(k):
                for _ in range(k):
                    streams.append(net.connect_tcp("127.0.0.1", port))
            with zio.Group() as g:
                for _ in range(50):
                    g.spawn(opener, n // 50)
            # Every connection is open at once and each one works.
            with zio.Group() as g:
                def ping(s):
                    s.sendall(b"x\\n")
                    assert s.readline() == b"x\\n"
                for s in streams:
                    g.spawn(ping, s)
            with net.connect_tcp("127.0.0.1", port) as probe:
                probe.sendall(b"count\\n")
                print("ACTIVE", int(probe.readline()), flush=True)
        for s in streams:
            s.close()

    zio.run(main)
    """
)


@pytest.mark.slow
def test_ten_thousand_concurrent_connections() -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 10_100:
        pytest.fail(f"RLIMIT_NOFILE hard limit {hard} is too low for 10,000 connections; raise it in CI")
    n = 10_000
    server, port = _start_server("epoll", hard if hard != resource.RLIM_INFINITY else 65536)
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT_MANY, str(port), str(n)], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert f"ACTIVE {n + 1}" in client.stdout, client.stdout + client.stderr[-2000:]
    finally:
        server.kill()
        server.communicate()
