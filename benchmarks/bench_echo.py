"""TCP echo benchmark: zio vs gevent, native servers and stdlib socketserver code.

Usage::

    python benchmarks/bench_echo.py [--repeats 3] [--seconds 3] [--conns 50,1000]

Five servers, each started in a fresh process for every measurement:

* ``zio-native``      examples/echo_native.py (zio.net)
* ``zio-stdlib``      examples/echo_stdlib.py (socketserver.ThreadingMixIn, cooperative under zio.patch)
* ``gevent-native``   gevent.server.StreamServer with the same echo loop
* ``gevent-stdlib``   the same socketserver code after gevent.monkey.patch_all()
* ``threads-stdlib``  the same socketserver code unpatched: one real OS thread
  per connection (a reference row, not compared)
* ``c-epoll``         benchmarks/echo_server.c, a single-threaded epoll server in
  C (a reference row: the ceiling that this kernel and load generator allow
  one server thread; the last table gives each Python server's share of it)

The load generator is a small C program (benchmarks/echo_load.c, built with
gcc on first use) in its own process: N connections in a closed loop, each
sending a 64-byte message and waiting for the whole echo; measuring starts
after a 1 s warm-up and once every connection has had an answer (so that
"1,000 connections" means a thousand served, not queued for accept).  Runs are
interleaved (every server once per round) and the table shows medians of
req/s, p99 latency and server CPU time per request (user+system, from
/proc; the most robust number on a shared machine), with zio/gevent ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _harness import cpu_times, pair_rows, print_server_tables, run_rounds, started_server  # noqa: E402

GEVENT_NATIVE = """
import sys
from gevent.server import StreamServer

def handle(sock, addr):
    while True:
        data = sock.recv(65536)
        if not data:
            break
        sock.sendall(data)

server = StreamServer(("127.0.0.1", 0), handle, backlog=4096)
server.start()
print(server.server_port, flush=True)
server.serve_forever()
"""

GEVENT_STDLIB = """
from gevent import monkey
monkey.patch_all()
import sys
sys.path.insert(0, {examples!r})
import echo_stdlib
echo_stdlib.main()
"""

THREADS_STDLIB = """
import sys
sys.path.insert(0, {examples!r})
import echo_stdlib
echo_stdlib.main()
"""

SERVERS = {
    "zio-native": [os.path.join(ROOT, "examples", "echo_native.py")],
    "zio-stdlib": [os.path.join(ROOT, "examples", "echo_stdlib.py")],
    "gevent-native": ["-c", GEVENT_NATIVE],
    "gevent-stdlib": ["-c", GEVENT_STDLIB.format(examples=os.path.join(ROOT, "examples"))],
    "threads-stdlib": ["-c", THREADS_STDLIB.format(examples=os.path.join(ROOT, "examples"))],
    "c-epoll": None,  # a C program, not a Python one: see server_command()
}
PAIRS = [("zio-native", "gevent-native"), ("zio-stdlib", "gevent-stdlib")]
#: Each Python server against the C reference server: how much of the ceiling it reaches.
CEILING_PAIRS = [(name, "c-epoll") for name in ("zio-native", "zio-stdlib", "gevent-native", "gevent-stdlib")]
_LINE = re.compile(r"(\w+)=([-\d.nan]+)")


def build_c(name: str) -> str:
    """Compile benchmarks/<name>.c once (cached in the temp dir by source mtime); return the binary."""
    src = os.path.join(HERE, f"{name}.c")
    out = os.path.join(tempfile.gettempdir(), f"zio_{name}_{int(os.stat(src).st_mtime)}")
    if not os.path.exists(out):
        subprocess.run(["gcc", "-O2", "-o", out, src], check=True)
    return out


def build_load_generator() -> str:
    """Compile echo_load.c once."""
    return build_c("echo_load")


def server_command(server: str) -> list[str]:
    """The command line that starts ``server`` (it prints its port, then serves)."""
    if server == "c-epoll":
        return [build_c("echo_server")]
    return [sys.executable, *SERVERS[server]]


def run_once(loadgen: str, server: str, conns: int, seconds: float, msgsize: int) -> dict[str, float]:
    """Start ``server`` fresh, drive it with the load generator, return its metrics."""
    with started_server(server, server_command(server), ROOT) as (proc, port):
        warmup = 1.0
        gen = subprocess.Popen(
            [loadgen, "127.0.0.1", port, str(conns), str(seconds), str(msgsize), str(warmup)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Server CPU time over the measured window: robust to a busy
        # machine, where req/s also measures the neighbours.  The window
        # opens when the load generator says so: after the warm-up, once
        # every connection has had an answer.
        assert gen.stdout is not None
        started = gen.stdout.readline()
        cpu_start = sum(cpu_times(proc.pid))
        out, err = gen.communicate(timeout=seconds + 60)
        cpu_end = sum(cpu_times(proc.pid))
        if gen.returncode != 0 or not started.startswith("measuring"):
            raise RuntimeError(f"load generator failed against {server}: {err}")
        metrics = {k: float(v) for k, v in _LINE.findall(out)}
        if metrics.get("requests"):
            metrics["cpu_us"] = (cpu_end - cpu_start) * 1e6 / metrics["requests"]
        if metrics.get("errors"):
            raise RuntimeError(f"{server}: {metrics['errors']:.0f} connection errors")
        return metrics


def main() -> None:
    """Run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--conns", default="50,1000")
    parser.add_argument("--msgsize", type=int, default=64)
    parser.add_argument("--servers", default=",".join(SERVERS))
    args = parser.parse_args()
    loadgen = build_load_generator()
    conn_counts = [int(c) for c in args.conns.split(",")]
    servers = args.servers.split(",")

    def measure(server: str, conns: int) -> dict[str, float]:
        return run_once(loadgen, server, conns, args.seconds, args.msgsize)

    med = run_rounds(args.repeats, conn_counts, servers, measure, name_width=14)
    print(f"\nTCP echo, {args.msgsize}-byte messages, median of {args.repeats} fresh-process runs, "
          f"{args.seconds:g}s each, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print_server_tables(med, conn_counts, servers, PAIRS)
    print("\nSeconds from the first connect until every connection had an answer (the measured")
    print("window starts after that and after the 1 s warm-up; a thread-per-connection server")
    print("accepts while it serves the connections it has):\n")
    print("| conns | " + " | ".join(servers) + " |")
    print("|---:|" + "---:|" * len(servers))
    for conns in conn_counts:
        cells = [f"{med[(s, conns)]['ready_s']:.2f}" if (s, conns) in med else "" for s in servers]
        print(f"| {conns} | " + " | ".join(cells) + " |")
    if any(("c-epoll", c) in med for c in conn_counts):
        print("\nShare of the C reference server (req/s of each server / req/s of c-epoll):\n")
        print("| conns | server | share of c-epoll req/s |")
        print("|---:|---|---:|")
        for conns, ours, _ceiling, a, b in pair_rows(med, conn_counts, CEILING_PAIRS):
            print(f"| {conns} | {ours} | {a['rps'] / b['rps']:.2f} |")


if __name__ == "__main__":
    main()
