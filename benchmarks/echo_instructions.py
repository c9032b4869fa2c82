"""User-space instructions per echo round trip: zio (native and green sockets) vs gevent.

Usage::

    python benchmarks/echo_instructions.py [--pairs 20]

Needs valgrind.  On a shared, noisy machine req/s and even CPU time move by
tens of percent between identical runs; instruction counts do not, so this
is the number to compare before and after a change to the I/O path.

Each case runs K client/server fiber pairs over loopback TCP in one process
(one side sends 64 bytes, the other echoes them back), once with N1 and once
with N2 round trips per pair, under ``valgrind --tool=callgrind``; the
difference divided by ``K * (N2 - N1)`` is the cost of one round trip (both
ends, kernel time excluded), with start-up and connection set-up cancelled
out.  Cases:

* ``zio-native``  zio.net Streams (``recv()`` / ``sendall()``)
* ``zio-green``   zio.green.socket sockets (``recv(65536)`` / ``sendall()``)
* ``gevent``      gevent-patched sockets, the same loop
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_LOOP = """
MSG = b"x" * 64


def server(s):
    while data := s.recv({recv_arg}):
        s.sendall(data)


def client(c):
    for _ in range(N):
        c.sendall(MSG)
        got = 0
        while got < 64:
            got += len(c.recv({recv_arg}))
"""

ZIO = """
import sys
import zio
import zio.net as net

K, N, API = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
{loop}

def main():
    with net.listen_tcp("127.0.0.1", 0) as listener:
        pairs = []
        for _ in range(K):
            c = net.connect_tcp("127.0.0.1", listener.port)
            pairs.append((c, listener.accept()))
        if API == "green":
            pairs = [(c.socket, s.socket) for c, s in pairs]
        with zio.Group() as servers:
            for _, s in pairs:
                servers.spawn(server, s)
            with zio.Group() as clients:
                for c, _ in pairs:
                    clients.spawn(client, c)
            servers.cancel()


zio.run(main)
"""

GEVENT = """
from gevent import monkey

monkey.patch_all()
import socket
import sys

import gevent

K, N = int(sys.argv[1]), int(sys.argv[2])
{loop}
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4096)
pairs = []
for _ in range(K):
    c = socket.create_connection(listener.getsockname())
    s, _addr = listener.accept()
    for sock in (c, s):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pairs.append((c, s))
servers = [gevent.spawn(server, s) for _, s in pairs]
gevent.joinall([gevent.spawn(client, c) for c, _ in pairs])
gevent.killall(servers)
"""

CASES = {
    "zio-native": (ZIO.format(loop=_LOOP.format(recv_arg="")), "native"),
    "zio-green": (ZIO.format(loop=_LOOP.format(recv_arg="65536")), "green"),
    "gevent": (GEVENT.format(loop=_LOOP.format(recv_arg="65536")), "-"),
}


def instructions(code: str, api: str, pairs: int, rounds: int) -> int:
    """Instructions (callgrind's total) of one run of ``code``."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", code, str(pairs), str(rounds), api],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800,
    )
    m = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or m is None:
        raise RuntimeError(f"run failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return int(m.group(1))


def main() -> None:
    """Measure every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--n1", type=int, default=30)
    parser.add_argument("--n2", type=int, default=130)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("echo_instructions needs valgrind (apt-get install valgrind)")
    per_trip = {}
    for case in args.cases.split(","):
        code, api = CASES[case]
        low = instructions(code, api, args.pairs, args.n1)
        high = instructions(code, api, args.pairs, args.n2)
        per_trip[case] = (high - low) / (args.pairs * (args.n2 - args.n1))
        print(f"{case}: {per_trip[case]:,.0f} instructions per round trip", file=sys.stderr, flush=True)
    print(f"\nEcho round trip, 64 bytes, {args.pairs} fiber pairs in one process, user-space instructions "
          f"(callgrind), Python {sys.version.split()[0]}\n")
    print("| case | instructions per round trip | vs gevent |")
    print("|---|---:|---:|")
    base = per_trip.get("gevent")
    for case, n in per_trip.items():
        ratio = f"{n / base:.2f}" if base else "-"
        print(f"| {case} | {n:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
