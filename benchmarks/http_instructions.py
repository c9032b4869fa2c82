"""User-space instructions per HTTP request: http.server unpatched, under gevent, under zio.

Usage::

    python benchmarks/http_instructions.py [--conns 20] [--n1 1000] [--n2 3000]

Needs valgrind.  ``bench_http.py`` measures req/s and CPU time, which move by
tens of percent between runs on a shared machine; this script measures the
same server program (``bench_http.SERVER``: a keep-alive hello-world
``ThreadingHTTPServer`` with TCP_NODELAY) in instructions, which do not.

Each server runs under ``valgrind --tool=callgrind`` and exits after N
requests, once with N1 and once with N2; the difference divided by
``N2 - N1`` is the cost of one request, with start-up cancelled out.  The
load is ``--conns`` keep-alive connections driven by plain threads of this
process, one request in flight per connection.  Rows:

* ``http.server alone``  the same Handler fed the same requests from memory
  and writing to a sink (``bench_http.NO_IO``): the work no I/O library
  changes
* ``threads``  unpatched, one OS thread per connection
* ``gevent``   after ``gevent.monkey.patch_all()``
* ``zio``      after ``zio.patch.all()``, with ``ZIO_TIME_SLICE=0``: the time
  slicer's tick comes every 5 ms of CPU, once per ~250 requests at full
  speed but about once per request under valgrind, so counting it would
  charge zio for valgrind's slowness

The last column divides gevent's count by each row's: for the
``http.server alone`` row that is the ratio an I/O library with no cost at all
(no socket wrappers, no scheduler, no system-call glue) would reach against
gevent on this server, an upper bound for any ``zio/gevent`` req/s ratio that
user-space work can explain.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import bench_http  # noqa: E402

_STOP_AFTER = """
import os

_served = [0]
_do_get = Handler.do_GET


def _counted_do_get(self):
    _do_get(self)
    _served[0] += 1
    if _served[0] == {requests}:
        self.wfile.flush()
        os._exit(0)  # at once: what follows would be counted too


Handler.do_GET = _counted_do_get
server.serve_forever()
"""

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BODY = b"Hello, world!\n"  # what bench_http.HANDLER answers; a response ends with it
assert 'BODY = b"Hello, world!\\n"' in bench_http.HANDLER


def _collected(stderr: str) -> int:
    m = re.search(r"Collected : (\d+)", stderr)
    if m is None:
        raise RuntimeError(f"callgrind reported no total:\n{stderr[-2000:]}")
    return int(m.group(1))


def _callgrind(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )


def _client(port: int, requests: int, failures: list[BaseException]) -> None:
    """Send ``requests`` keep-alive GETs one at a time, reading each whole response."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(requests):
                s.sendall(REQUEST)
                got = b""
                while not got.endswith(BODY):
                    data = s.recv(4096)
                    if not data:
                        # The server exits after its last request: fine then.
                        return
                    got += data
    except OSError as exc:
        failures.append(exc)


def server_instructions(server: str, requests: int, conns: int) -> int:
    """Instructions of one run of bench_http's server serving ``requests`` requests, start-up included."""
    source = bench_http.SERVER.format(prelude=bench_http.PRELUDES[server]).replace(
        "server.serve_forever()", _STOP_AFTER.format(requests=requests)
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), ZIO_TIME_SLICE="0")
    proc = _callgrind(["-c", source], env)
    try:
        port = int(proc.stdout.readline())
        # Every connection sends its share; the server stops after exactly
        # ``requests`` (the last one may be left unanswered).
        share, extra = divmod(requests, conns)
        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=_client, args=(port, share + (1 if i < extra else 0), failures))
            for i in range(conns)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _, stderr = proc.communicate(timeout=1800)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0:
        raise RuntimeError(f"{server} server failed ({proc.returncode}):\n{stderr[-2000:]}")
    return _collected(stderr)


def handler_only_instructions(requests: int) -> int:
    """Instructions of bench_http.NO_IO handling ``requests`` requests from memory, start-up included."""
    proc = _callgrind(["-c", bench_http.NO_IO.format(n=requests)], dict(os.environ))
    _, stderr = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"http.server alone failed ({proc.returncode}):\n{stderr[-2000:]}")
    return _collected(stderr)


def main() -> None:
    """Measure every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conns", type=int, default=20)
    parser.add_argument("--n1", type=int, default=1000)
    parser.add_argument("--n2", type=int, default=3000)
    parser.add_argument("--servers", default="threads,gevent,zio")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("http_instructions needs valgrind (apt-get install valgrind)")
    if args.n2 <= args.n1:
        sys.exit("--n2 must be larger than --n1")
    per_request: dict[str, float] = {}
    # NO_IO's timed part excludes a tenth of its requests as warm-up; the
    # difference of two runs cancels that along with start-up.
    low, high = handler_only_instructions(args.n1), handler_only_instructions(args.n2)
    per_request["http.server alone"] = (high - low) / (args.n2 - args.n1)
    print(f"http.server alone: {per_request['http.server alone']:,.0f}", file=sys.stderr, flush=True)
    for server in args.servers.split(","):
        low = server_instructions(server, args.n1, args.conns)
        high = server_instructions(server, args.n2, args.conns)
        per_request[server] = (high - low) / (args.n2 - args.n1)
        print(f"{server}: {per_request[server]:,.0f}", file=sys.stderr, flush=True)
    alone = per_request["http.server alone"]
    gevent = per_request.get("gevent")
    print(f"\nhttp.server HTTP/1.1 keep-alive hello world, {args.conns} connections, user-space instructions "
          f"per request (callgrind), Python {sys.version.split()[0]}\n")
    print("| row | instructions per request | beyond http.server alone | gevent / row |")
    print("|---|---:|---:|---:|")
    for row, n in per_request.items():
        ratio = f"{gevent / n:.2f}" if gevent else "-"
        print(f"| {row} | {n:,.0f} | {n - alone:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
