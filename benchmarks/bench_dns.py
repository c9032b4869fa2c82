"""DNS lookups: zio's resolvers against gevent's, all asking the same local dnsmasq.

1,000 ``getaddrinfo(name, 80, AF_UNSPEC, SOCK_STREAM)`` lookups of distinct
names (so A and AAAA are both asked), 100 in flight at a time, each
measurement in a fresh process, median of ``--repeats`` runs.

libc reads only /etc/resolv.conf, so to make the thread-pool resolvers (and
gevent's c-ares, which reads it too) ask the same dnsmasq, every measurement
runs in a private mount namespace (``unshare -m``, root only) where a
generated resolv.conf is bind-mounted over /etc/resolv.conf, with dnsmasq on
127.0.0.2:53.  Nothing outside that namespace sees the change.

Run: ``sudo python benchmarks/bench_dns.py [--repeats 5] [--lookups 1000]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = "127.0.0.2"
ZONE = "bench.test"
CONCURRENCY = 100
LIBRARIES = ["zio-dns", "zio-thread", "gevent-thread", "gevent-ares", "libc-sequential"]


def _names(count: int) -> list[str]:
    # Distinct names, so no layer can answer from a cache; dnsmasq answers all of *.bench.test.
    return [f"n{i}.{os.getpid()}.{ZONE}" for i in range(count)]


# -- one measurement (runs inside the namespace) ----------------------------------------
def _child(library: str, count: int) -> None:
    import socket

    names = _names(count)
    args = (80, socket.AF_UNSPEC, socket.SOCK_STREAM)
    if library.startswith("zio"):
        import zio
        import zio.dns

        resolver = zio.dns.DNSResolver() if library == "zio-dns" else zio.dns.ThreadResolver()

        def main() -> float:
            resolver.getaddrinfo("warmup." + ZONE, *args)
            queue = list(names)

            def worker() -> None:
                while queue:
                    resolver.getaddrinfo(queue.pop(), *args)

            start = time.perf_counter()
            with zio.Group() as group:
                for _ in range(CONCURRENCY):
                    group.spawn(worker)
            return time.perf_counter() - start

        elapsed = zio.run(main)
    elif library.startswith("gevent"):
        import gevent
        import gevent.pool

        if library == "gevent-ares":
            from gevent.resolver.ares import Resolver
        else:
            from gevent.resolver.thread import Resolver
        resolver = Resolver(gevent.get_hub())
        resolver.getaddrinfo("warmup." + ZONE, *args)
        pool = gevent.pool.Pool(CONCURRENCY)
        start = time.perf_counter()
        for name in names:
            pool.spawn(resolver.getaddrinfo, name, *args)
        pool.join(raise_error=True)
        elapsed = time.perf_counter() - start
    else:
        start = time.perf_counter()
        for name in names:
            socket.getaddrinfo(name, *args)
        elapsed = time.perf_counter() - start
    print("BENCH " + json.dumps({"seconds": elapsed, "lookups_per_s": count / elapsed}), flush=True)


# -- the driver ---------------------------------------------------------------------------
def _start_dnsmasq() -> subprocess.Popen:
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    proc = subprocess.Popen(
        [
            binary,
            "--no-daemon",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--user=root",
            f"--listen-address={SERVER}",
            "--bind-interfaces",
            "--port=53",
            "--local=/#/",
            f"--address=/{ZONE}/10.9.0.1",
            "--cache-size=0",
            "--dns-forward-max=1000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    import dns.message
    import dns.query

    query = dns.message.make_query("probe." + ZONE, "A")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            dns.query.udp(query, SERVER, timeout=0.2)
            return proc
        except Exception:  # noqa: BLE001 - not up yet: the probe's own timeout paces the loop
            continue
    proc.kill()
    raise SystemExit(f"dnsmasq did not start on {SERVER}:53: {proc.communicate()[1][-1000:]}")


def _run_once(resolv_conf: str, library: str, count: int) -> dict:
    inner = f"{sys.executable} {os.path.abspath(__file__)} --child {library} --lookups {count}"
    cmd = ["unshare", "-m", "sh", "-c", f"mount --bind {resolv_conf} /etc/resolv.conf && exec {inner}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"{library}: no result\n{proc.stdout}\n{proc.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.lookups)
        return
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise SystemExit("bench_dns.py needs root and unshare(1) (it bind-mounts a private /etc/resolv.conf)")
    libraries = args.libraries.split(",")
    server = _start_dnsmasq()
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf", delete=False) as f:
            f.write(f"nameserver {SERVER}\noptions timeout:2 attempts:2\n")
            resolv_conf = f.name
        samples: dict[str, list[float]] = {lib: [] for lib in libraries}
        for _ in range(args.repeats):
            for library in libraries:  # interleaved, so machine noise hits everyone alike
                samples[library].append(_run_once(resolv_conf, library, args.lookups)["lookups_per_s"])
    finally:
        server.terminate()
        server.wait()
        os.unlink(resolv_conf)
    base = statistics.median(samples["gevent-thread"]) if samples.get("gevent-thread") else None
    print(f"{args.lookups} getaddrinfo lookups (A+AAAA), {CONCURRENCY} in flight, median of {args.repeats} runs")
    print("| resolver | lookups/s | vs gevent-thread |")
    print("|---|---:|---:|")
    for library in libraries:
        value = statistics.median(samples[library])
        ratio = f"{value / base:.2f}" if base else "-"
        print(f"| {library} | {value:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
