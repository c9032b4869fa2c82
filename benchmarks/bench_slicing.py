"""Time slicing: how long a server thread waits while another thread computes.

Usage::

    python benchmarks/bench_slicing.py [--repeats 3] [--compute 1.0]

One stdlib program (a ``socketserver.ThreadingTCPServer`` echo server; on a
"go" from the client, a second thread computes in pure Python for
``--compute`` seconds of CPU), run four ways, each in a fresh process:

* ``zio``          under ``zio.patch.all()``: threads are time-sliced fibers
* ``zio-unsliced`` the same with ``ZIO_TIME_SLICE=0`` (fibers switch only when they block)
* ``gevent``       under ``gevent.monkey.patch_all()``
* ``threads``      unpatched: OS threads and the GIL (a reference row)

The client (this process, plain sockets) sends a 64-byte ping every 5 ms
while the computation runs and measures each round trip.  A fiber runtime
without preemption answers nothing until the computation ends; the table
shows the worst and the 99th-percentile round trip (medians over the
repeats) and how long the computation took (slicing lends its CPU to the
server, so it may take a little longer).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _harness import PATCH_PRELUDES, started_server  # noqa: E402

#: The modes, in the order they run: zio, zio with slicing off (see ENV), then the references.
PRELUDES = {
    "zio": PATCH_PRELUDES["zio"],
    "zio-unsliced": PATCH_PRELUDES["zio"],
    "gevent": PATCH_PRELUDES["gevent"],
    "threads": PATCH_PRELUDES["threads"],
}
ENV = {"zio-unsliced": {"ZIO_TIME_SLICE": "0"}}

PROGRAM = """
{prelude}
import socketserver, sys, threading, time

COMPUTE = {compute!r}
computed = []


def compute():
    start = time.process_time()
    wall = time.monotonic()
    n = 0
    while time.process_time() - start < COMPUTE:
        n += 1
    computed.append(time.monotonic() - wall)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        while data := sock.recv(65536):
            if data == b"go":
                worker = threading.Thread(target=compute)
                worker.start()
                sock.sendall(b"started")
            elif data == b"done?":
                worker.join()
                sock.sendall(("%.4f" % computed[0]).encode())
            else:
                sock.sendall(data)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def run_once(mode: str, compute: float) -> dict[str, float]:
    """Start the program under ``mode``, ping it while it computes, return the latencies."""
    source = PROGRAM.format(prelude=PRELUDES[mode], compute=compute)
    with started_server(mode, [sys.executable, "-c", source], ROOT, ENV.get(mode)) as (_proc, port):
        with socket.create_connection(("127.0.0.1", int(port))) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Under fibers, Thread.start() returns once the new thread has
            # run up to its first switch: without slicing, after the whole
            # computation.  So the "go" round trip counts too.
            t0 = time.monotonic()
            sock.sendall(b"go")
            assert sock.recv(64) == b"started"
            rtts = [time.monotonic() - t0]
            ping = b"p" * 64
            end = time.monotonic() + compute * 1.2
            while time.monotonic() < end:
                t0 = time.monotonic()
                sock.sendall(ping)
                got = b""
                while len(got) < len(ping):
                    got += sock.recv(64)
                rtts.append(time.monotonic() - t0)
                time.sleep(0.005)
            sock.sendall(b"done?")
            took = float(sock.recv(64))
    rtts.sort()
    return {
        "max_ms": rtts[-1] * 1e3,
        "p99_ms": rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))] * 1e3,
        "answered": len(rtts),
        "compute_s": took,
    }


def main() -> None:
    """Run every mode ``--repeats`` times, interleaved, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compute", type=float, default=1.0, help="seconds of CPU the second thread computes")
    parser.add_argument("--modes", default=",".join(PRELUDES))
    args = parser.parse_args()
    modes = args.modes.split(",")
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    for round_no in range(1, args.repeats + 1):
        for mode in modes:
            r = run_once(mode, args.compute)
            runs[mode].append(r)
            print(f"round {round_no} {mode:13s} max {r['max_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms  "
                  f"pings {r['answered']:4.0f}  compute took {r['compute_s']:.2f} s", flush=True)
    print(f"\nA server thread's ping round trip while another thread computes for {args.compute:g} s of CPU, "
          f"median of {args.repeats} fresh-process runs, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| mode | worst round trip (ms) | p99 (ms) | pings answered | computation took (s) |")
    print("|---|---:|---:|---:|---:|")
    for mode in modes:
        med = {k: statistics.median(r[k] for r in runs[mode]) for k in runs[mode][0]}
        row = f"{med['max_ms']:.1f} | {med['p99_ms']:.1f} | {med['answered']:.0f} | {med['compute_s']:.2f}"
        print(f"| {mode} | {row} |")


if __name__ == "__main__":
    main()
