"""HTTP/1.1 keep-alive benchmark: the stdlib http.server, unpatched vs gevent.monkey vs zio.patch.

Usage::

    python benchmarks/bench_http.py [--repeats 5] [--seconds 3] [--conns 50]

One server program, a hello-world ``http.server.ThreadingHTTPServer`` with
``protocol_version = "HTTP/1.1"`` (keep-alive) and TCP_NODELAY on every
accepted socket, run three ways, each in a fresh process per measurement:

* ``threads``  unpatched: one real OS thread per connection
* ``gevent``   after ``gevent.monkey.patch_all()``
* ``zio``      after ``zio.patch.all()``: every thread a fiber

TCP_NODELAY matters: http.server writes the headers and the body with two
``send`` calls, and without it every keep-alive response after the first
waits for the client's delayed ACK (~40 ms on Linux), whatever the library.

The load comes from ``wrk`` (``apt-get install wrk``) in its own process,
one thread, N connections; a 1 s warm-up run precedes each measured run.
Runs are interleaved (every server once per round).  The tables show
medians of req/s, p99 latency and server CPU time per request (user+system
from /proc: the most robust number on a busy machine), and the ratios of
zio to gevent and to plain threads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _harness import (  # noqa: E402
    PATCH_PRELUDES,
    cpu_times,
    pair_rows,
    print_server_tables,
    run_rounds,
    server_rows,
    started_server,
)

PRELUDES = PATCH_PRELUDES  # the servers: threads, gevent, zio

HANDLER = """
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"Hello, world!\\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # Headers and body go out in two writes: without this, each response
        # would wait for the client's delayed ACK.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format, *args):
        pass
"""

SERVER = """
{prelude}
""" + HANDLER + """

class Server(ThreadingHTTPServer):
    request_queue_size = 4096


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

PAIRS = [("zio", "gevent"), ("zio", "threads"), ("gevent", "threads")]

# The same Handler with no network at all: keep-alive requests (exactly what
# wrk sends) read from memory, the response written to a sink.  Its CPU per
# request is the part of every server's cost that no I/O library can change.
NO_IO = HANDLER + """
import io, json, time

class Sink:
    def write(self, data):
        return len(data)

    def flush(self):
        pass


class MemoryHandler(Handler):
    def __init__(self, rfile):
        self.rfile, self.wfile = rfile, Sink()
        self.client_address, self.server, self.close_connection = ("127.0.0.1", 1), None, False


N = {n}
REQUEST = b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1:8080\\r\\n\\r\\n"
handler = MemoryHandler(io.BufferedReader(io.BytesIO(REQUEST * N)))
handle = handler.handle_one_request
for _ in range(N // 10):  # warm-up
    handle()
c0 = time.process_time()
for _ in range(N - N // 10):
    handle()
cpu = time.process_time() - c0
assert handler.requestline == "GET / HTTP/1.1" and not handler.close_connection
print(json.dumps({{"cpu_us": cpu * 1e6 / (N - N // 10)}}))
"""


def handler_only_cpu_us(requests: int = 100_000) -> float:
    """CPU µs per request of http.server's own work (NO_IO), in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", NO_IO.format(n=requests)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    return float(json.loads(out)["cpu_us"])

_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


def parse_wrk(out: str) -> dict[str, float]:
    """Requests, req/s, p50/p99 latency (us) and error counts from ``wrk --latency`` output."""
    metrics: dict[str, float] = {}
    m = re.search(r"(\d+) requests in", out)
    if m:
        metrics["requests"] = float(m.group(1))
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if m:
        metrics["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_us"), ("99", "p99_us")):
        m = re.search(rf"^\s*{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            metrics[key] = float(m.group(1)) * _UNITS[m.group(2)]
    errors = 0.0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(float(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += float(m.group(1))
    metrics["errors"] = errors
    missing = {"requests", "rps", "p99_us"} - metrics.keys()
    if missing:
        raise RuntimeError(f"could not parse {sorted(missing)} from wrk output:\n{out}")
    return metrics


def run_once(wrk: str, server: str, conns: int, seconds: float) -> dict[str, float]:
    """Start ``server`` fresh, warm it up, measure it with wrk, return its metrics."""
    code = SERVER.format(prelude=PRELUDES[server])
    with started_server(server, [sys.executable, "-c", code], ROOT) as (proc, port):
        url = f"http://127.0.0.1:{port}/"
        base = [wrk, "-t1", f"-c{conns}", "--latency", "--timeout", "10s"]
        subprocess.run([*base, "-d1s", url], capture_output=True, check=True, timeout=60)
        cpu_start = cpu_times(proc.pid)
        result = subprocess.run(
            [*base, f"-d{seconds:g}s", url], capture_output=True, text=True, check=True, timeout=seconds + 60
        )
        cpu_end = cpu_times(proc.pid)
        metrics = parse_wrk(result.stdout)
        per_request = 1e6 / metrics["requests"]
        metrics["user_us"] = (cpu_end[0] - cpu_start[0]) * per_request
        metrics["sys_us"] = (cpu_end[1] - cpu_start[1]) * per_request
        metrics["cpu_us"] = metrics["user_us"] + metrics["sys_us"]
        if metrics["errors"]:
            raise RuntimeError(f"{server}: {metrics['errors']:.0f} errors\n{result.stdout}")
        return metrics


def main() -> None:
    """Run the matrix and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3, help="length of each measured run (wrk takes whole seconds)")
    parser.add_argument("--conns", default="50")
    parser.add_argument("--servers", default=",".join(PRELUDES))
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench_http needs wrk (apt-get install wrk)")
    conn_counts = [int(c) for c in args.conns.split(",")]
    servers = args.servers.split(",")
    handler_only: list[float] = []

    def measure(server: str, conns: int) -> dict[str, float]:
        return run_once(wrk, server, conns, args.seconds)

    med = run_rounds(
        args.repeats,
        conn_counts,
        servers,
        measure,
        name_width=8,
        before_round=lambda: handler_only.append(handler_only_cpu_us()),
    )
    print(
        f"\nhttp.server HTTP/1.1 keep-alive hello world (TCP_NODELAY), wrk -t1, median of {args.repeats} "
        f"fresh-process runs, {args.seconds:g}s each, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
    )
    print_server_tables(med, conn_counts, servers, PAIRS)
    alone = statistics.median(handler_only)
    print(
        f"\nWhere a request's CPU goes (µs, medians).  'http.server alone' is the same Handler fed from memory "
        f"with no I/O: {alone:.1f} µs per request, the same under any library.\n"
    )
    print("| conns | server | user | system | user beyond http.server alone |")
    print("|---:|---|---:|---:|---:|")
    for conns, server, m in server_rows(med, conn_counts, servers):
        print(f"| {conns} | {server} | {m['user_us']:.1f} | {m['sys_us']:.1f} | {m['user_us'] - alone:.1f} |")
    for conns, _zio, _gevent, z, g in pair_rows(med, conn_counts, [("zio", "gevent")]):
        # If zio's code and the socket module's Python wrappers cost nothing, a
        # request would still cost http.server's work plus the kernel's.
        floor = alone + z["sys_us"]
        print(
            f"\n{conns} connections: with zio's own user-space work at zero, a request would still cost "
            f"{floor:.1f} µs ({alone:.1f} http.server + {z['sys_us']:.1f} kernel): at best "
            f"{g['cpu_us'] / floor:.2f}x gevent's {g['cpu_us']:.1f} µs (CPU-bound server)."
        )


if __name__ == "__main__":
    main()
