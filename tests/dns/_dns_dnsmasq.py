"""Start a real dnsmasq on loopback serving the test zone ``zio.test``."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.query

ZONE = "zio.test"
BIG_COUNT = 40  # A records for big.zio.test: more than fit in 512 bytes, so UDP replies are truncated

#: (name, IPv4 or None, IPv6 or None) served with --host-record (which also makes the PTR records).
HOST_RECORDS = [
    ("h.zio.test", "10.0.0.2", "fd00::2"),
    ("v4.zio.test", "10.0.0.4", None),
    ("v6.zio.test", None, "fd00::6"),
    ("h.sub.zio.test", "10.0.0.7", None),
    ("ndots.example", "10.0.0.8", None),
    ("ndots.example.zio.test", "10.0.0.9", None),
    ("refused.zio.test", "10.0.0.10", None),  # also a name the misbehaving server refuses
]
CNAMES = [("alias.zio.test", "h.zio.test"), ("alias2.zio.test", "alias.zio.test")]
TXT = [("txt.zio.test", "only text here")]
BIG = [f"10.1.0.{i}" for i in range(1, BIG_COUNT + 1)]


@dataclass
class Dnsmasq:
    """A running dnsmasq: where it listens and how to stop it."""

    host: str
    port: int
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    @property
    def server(self) -> tuple[str, int]:
        return (self.host, self.port)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    # dnsmasq needs the port free for both UDP and TCP.
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def _arguments(port: int) -> list[str]:
    args = [
        "--no-daemon",
        "--no-resolv",
        "--no-hosts",
        "--conf-file=/dev/null",
        "--user=root",
        "--listen-address=127.0.0.1,::1",
        "--bind-interfaces",
        f"--port={port}",
        "--local=/#/",  # authoritative for everything: unknown names are NXDOMAIN, nothing is forwarded
        "--cache-size=0",
    ]
    for name, v4, v6 in HOST_RECORDS:
        args.append("--host-record=" + ",".join(x for x in (name, v4, v6) if x))
    for alias, target in CNAMES:
        args.append(f"--cname={alias},{target}")
    for name, text in TXT:
        args.append(f"--txt-record={name},{text}")
    for address in BIG:
        args.append(f"--host-record=big.zio.test,{address}")
    return args


def _ready(proc: subprocess.Popen, port: int, deadline: float) -> bool:
    query = dns.message.make_query("h.zio.test", "A", use_edns=False)
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
        except (dns.exception.Timeout, OSError):
            continue  # not listening yet (each probe waits for its reply, no blind sleep)
        return bool(reply.answer)
    return False


def start_dnsmasq() -> Dnsmasq:
    """Start dnsmasq on a random free port; raises RuntimeError if it does not come up."""
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    last = ""
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [binary, *_arguments(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if _ready(proc, port, time.monotonic() + 5):
            return Dnsmasq("127.0.0.1", port, proc)
        proc.kill()
        _, err = proc.communicate()
        last = err[-2000:]
    raise RuntimeError(f"dnsmasq did not start: {last}")
