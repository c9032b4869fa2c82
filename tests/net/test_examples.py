"""The echo servers in examples/ work, with hundreds of connections open at once.

1000 simultaneous connections through the socketserver version also guard a
runtime bug: handlers started straight from deep stacks inherited growing
recursion depth and died with RecursionError after ~200 connections.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

N_CLIENTS = 1000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _benchmark_module(name: str):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


def _start_server(command: list[str]) -> subprocess.Popen:
    """Start an echo server (it prints its port first) with the checkout on PYTHONPATH; output piped."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )


# "c-epoll" is the benchmark's C reference server (benchmarks/echo_server.c):
# a ceiling is only worth reading if it really echoes.
@pytest.mark.parametrize("example", ["echo_native.py", "echo_stdlib.py", "c-epoll"])
def test_echo_example(example: str) -> None:
    if example == "c-epoll":
        command = _benchmark_module("bench_echo").server_command("c-epoll")
    else:
        command = [sys.executable, os.path.join(ROOT, "examples", example)]
    proc = _start_server(command)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        # Connect everyone first, then load all connections at once (what a
        # load generator does): many handlers start while others run.
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(N_CLIENTS)]
        for rnd in range(3):
            for i, c in enumerate(clients):
                c.sendall(b"%d-%d;" % (i, rnd))
            for i, c in enumerate(clients):
                want = b"%d-%d;" % (i, rnd)
                got = b""
                while len(got) < len(want):
                    got += c.recv(100)
                assert got == want
        for c in clients:
            c.close()
        assert proc.poll() is None
    finally:
        proc.kill()
        _out, err = proc.communicate()
    assert "Traceback" not in err, err[-3000:]


def test_stdlib_example_under_burst_load_from_c_load_generator() -> None:
    """1,000 connections driven at once by the benchmark's C load generator: no handler may fail."""
    import shutil

    if shutil.which("gcc") is None:
        pytest.fail("gcc is required (it builds benchmarks/echo_load.c)")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        from bench_echo import build_load_generator
    finally:
        sys.path.pop(0)
    loadgen = build_load_generator()
    proc = _start_server([sys.executable, os.path.join(ROOT, "examples", "echo_stdlib.py")])
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        result = subprocess.run([loadgen, "127.0.0.1", port, "1000", "1", "64", "0.2"], capture_output=True, text=True,
                                timeout=30)
        assert "errors=0" in result.stdout, result.stdout + result.stderr
        assert proc.poll() is None
    finally:
        proc.kill()
        _out, err = proc.communicate()
    assert "RecursionError" not in err, err[-3000:]
