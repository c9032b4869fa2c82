"""User-space instructions per echo round trip: zio (native and green sockets) vs gevent.

Usage::

    python benchmarks/echo_instructions.py [--pairs 20]
    python benchmarks/echo_instructions.py --pairs 500 --n1 5 --n2 25 --cache

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

``--cache`` runs ``valgrind --tool=cachegrind`` with its cache simulator
instead and adds the data-cache misses per round trip: first-level misses,
and misses of a 1 MiB last-level cache (this machine's per-core L2).  The
instruction count does not grow with the number of pairs; the misses do,
and they are what a thousand connections cost beyond fifty: every fiber's
objects, Python frames and saved greenlet stack are cold again by the time
its next message arrives.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

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


#: The simulated last-level cache of ``--cache``: size, ways, line size.
LAST_LEVEL_CACHE = "1048576,16,64"


def cache_counts(code: str, api: str, pairs: int, rounds: int) -> dict[str, int]:
    """Instructions and data-cache misses (cachegrind's totals) of one run of ``code``."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cachegrind.out")
        result = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=yes", f"--LL={LAST_LEVEL_CACHE}",
             f"--cachegrind-out-file={out}", sys.executable, "-c", code, str(pairs), str(rounds), api],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600,
        )
        if result.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"run failed ({result.returncode}):\n{result.stderr[-2000:]}")
        with open(out) as f:
            text = f.read()
    events = re.search(r"^events: (.+)$", text, re.M)
    summary = re.search(r"^summary: (.+)$", text, re.M)
    if events is None or summary is None:
        raise RuntimeError("cachegrind wrote no summary")
    totals = dict(zip(events.group(1).split(), map(int, summary.group(1).split()), strict=True))
    return {
        "instructions": totals["Ir"],
        "D1 misses": totals["D1mr"] + totals["D1mw"],
        "LL misses": totals["DLmr"] + totals["DLmw"],
    }


def main() -> None:
    """Measure every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--n1", type=int, default=30)
    parser.add_argument("--n2", type=int, default=130)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--cache", action="store_true", help="simulate the caches (cachegrind) and add misses")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("echo_instructions needs valgrind (apt-get install valgrind)")
    trips = args.pairs * (args.n2 - args.n1)
    per_trip: dict[str, dict[str, float]] = {}
    for case in args.cases.split(","):
        code, api = CASES[case]
        if args.cache:
            low, high = (cache_counts(code, api, args.pairs, n) for n in (args.n1, args.n2))
        else:
            low, high = ({"instructions": instructions(code, api, args.pairs, n)} for n in (args.n1, args.n2))
        per_trip[case] = {key: (high[key] - low[key]) / trips for key in low}
        print(f"{case}: " + ", ".join(f"{v:,.1f} {k}" for k, v in per_trip[case].items()) + " per round trip",
              file=sys.stderr, flush=True)
    tool = f"cachegrind, {LAST_LEVEL_CACHE.split(',')[0]}-byte last-level cache" if args.cache else "callgrind"
    print(f"\nEcho round trip, 64 bytes, {args.pairs} fiber pairs in one process, user space, per round trip "
          f"({tool}), Python {sys.version.split()[0]}\n")
    keys = list(next(iter(per_trip.values())))
    print("| case | " + " | ".join(keys) + " | instructions vs gevent |")
    print("|---|" + "---:|" * (len(keys) + 1))
    base = per_trip.get("gevent", {}).get("instructions")
    for case, counts in per_trip.items():
        ratio = f"{counts['instructions'] / base:.2f}" if base else "-"
        cells = [f"{counts[k]:,.0f}" if k == "instructions" else f"{counts[k]:,.1f}" for k in keys]
        print(f"| {case} | " + " | ".join(cells) + f" | {ratio} |")

if __name__ == "__main__":
    main()
