"""A deliberately misbehaving DNS server (real sockets, a real OS thread).

What it does depends on the first label of the question: ``wrongid.x`` first
sends a reply with another id, ``garbage.x`` first sends junk, and so on (see
BEHAVIOURS).  The bad reply always carries 6.6.6.6 and the good one 1.2.3.4,
so a test can tell which one the resolver believed.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from zio.dns import ResolverConfig

GOOD = "1.2.3.4"
BAD = "6.6.6.6"
TCP_GOOD = "1.2.3.5"

BEHAVIOURS = {
    "ok": "answer at once",
    "wrongid": "a reply with another id, then the right one",
    "wrongq": "a reply for another name with the right id, then the right one",
    "garbage": "random bytes, then the right reply",
    "rightidjunk": "the right id followed by junk, then the right reply",
    "wrongsrc": "a reply from another port, then the right one",
    "query": "a copy of the query (QR bit clear), then the right reply",
    "onlygarbage": "only junk with the right id",
    "onlywrongid": "only a reply with another id",
    "silent": "nothing at all",
    "servfail": "SERVFAIL",
    "refused": "REFUSED",
    "nxdomain": "NXDOMAIN",
    "tcjunk": "a truncated UDP reply, then junk over TCP",
    "tcok": "a truncated UDP reply, then the answer over TCP",
    "pair": "the A reply only once the AAAA question for the name has arrived too",
}


@dataclass
class Seen:
    """One query as the server received it."""

    name: str
    rdtype: int
    id: int
    port: int
    transport: str


class BadServer:
    """See the module docstring.  ``server`` is its (host, port); ``seen`` the queries received."""

    def __init__(self) -> None:
        self.udp, self.tcp = _bind_pair()
        self.port = self.udp.getsockname()[1]
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the "wrong source"
        self.other.bind(("127.0.0.1", 0))
        self._stop_r, self._stop_w = socket.socketpair()
        self.seen: list[Seen] = []
        self.errors: list[BaseException] = []
        self._held: dict[str, tuple[dns.message.Message, tuple]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="bad-dns-server", daemon=True)
        self._thread.start()

    @property
    def server(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def close(self) -> None:
        self._stop_w.send(b"x")
        self._thread.join(5)
        for s in (self.udp, self.tcp, self.other, self._stop_r, self._stop_w):
            s.close()

    def queries(self, label: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.name.split(".", 1)[0] == label]

    # -- the server thread ------------------------------------------------------------
    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.udp, selectors.EVENT_READ, "udp")
        sel.register(self.tcp, selectors.EVENT_READ, "tcp")
        sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "stop":
                        return
                    try:
                        if key.data == "udp":
                            data, peer = self.udp.recvfrom(65535)
                            self._on_udp(data, peer)
                        else:
                            conn, _ = self.tcp.accept()
                            with conn:
                                self._on_tcp(conn)
                    except Exception as exc:  # noqa: BLE001 - keep serving; the test sees the outcome
                        self.errors.append(exc)
        finally:
            sel.close()

    def _record(self, query: dns.message.Message, port: int, transport: str) -> str:
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True)
        with self._lock:
            self.seen.append(Seen(name, q.rdtype, query.id, port, transport))
        return name.split(".", 1)[0]

    @staticmethod
    def _reply(query: dns.message.Message, address: str | None, rcode: int = dns.rcode.NOERROR) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.set_rcode(rcode)
        q = query.question[0]
        if address is not None and rcode == dns.rcode.NOERROR:
            if q.rdtype == dns.rdatatype.A and ":" not in address:
                reply.answer.append(dns.rrset.from_text(q.name, 60, "IN", "A", address))
            elif q.rdtype == dns.rdatatype.AAAA and ":" in address:
                reply.answer.append(dns.rrset.from_text(q.name, 60, "IN", "AAAA", address))
        return reply

    def _on_udp(self, data: bytes, peer: tuple) -> None:
        query = dns.message.from_wire(data)
        mode = self._record(query, peer[1], "udp")
        send = lambda msg: self.udp.sendto(msg if isinstance(msg, bytes) else msg.to_wire(), peer)  # noqa: E731
        good = self._reply(query, GOOD)
        if mode == "ok":
            send(good)
        elif mode == "wrongid":
            bad = self._reply(query, BAD)
            bad.id = (query.id + 1) % 65536
            send(bad)
            send(good)
        elif mode == "wrongq":
            other = dns.message.make_query("someone-else.zio.test", query.question[0].rdtype)
            other.id = query.id
            send(self._reply(other, BAD))
            send(good)
        elif mode == "garbage":
            send(os.urandom(7))
            send(os.urandom(300))
            send(good)
        elif mode == "rightidjunk":
            send(data[:2] + b"\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00\xff\xff\xff")
            send(good)
        elif mode == "wrongsrc":
            self.other.sendto(self._reply(query, BAD).to_wire(), peer)
            send(good)
        elif mode == "query":
            send(data)
            send(good)
        elif mode == "onlygarbage":
            send(data[:2] + os.urandom(40))
        elif mode == "onlywrongid":
            bad = self._reply(query, BAD)
            bad.id = (query.id + 1) % 65536
            send(bad)
        elif mode == "servfail":
            send(self._reply(query, None, dns.rcode.SERVFAIL))
        elif mode == "refused":
            send(self._reply(query, None, dns.rcode.REFUSED))
        elif mode == "nxdomain":
            send(self._reply(query, None, dns.rcode.NXDOMAIN))
        elif mode in ("tcjunk", "tcok"):
            reply = self._reply(query, None)
            reply.flags |= dns.flags.TC
            send(reply)
        elif mode == "pair":
            name = query.question[0].name.to_text()
            with self._lock:
                held = self._held.pop(name, None)
                if held is None:
                    self._held[name] = (query, peer)
            if held is not None:
                # Both questions are here: answer both.
                for q, p in ((held[0], held[1]), (query, peer)):
                    address = GOOD if q.question[0].rdtype == dns.rdatatype.A else "fd00::9"
                    self.udp.sendto(self._reply(q, address).to_wire(), p)
        # "silent": nothing

    def _on_tcp(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        size = int.from_bytes(_read(conn, 2), "big")
        query = dns.message.from_wire(_read(conn, size))
        mode = self._record(query, conn.getpeername()[1], "tcp")
        if mode == "tcjunk":
            junk = os.urandom(30)
            conn.sendall(len(junk).to_bytes(2, "big") + junk)
        else:
            wire = self._reply(query, TCP_GOOD).to_wire()
            conn.sendall(len(wire).to_bytes(2, "big") + wire)


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a listening TCP socket on the same free loopback port."""
    for _ in range(100):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            # That TCP port is taken (e.g. by some connection's ephemeral port): try another.
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp
    raise RuntimeError("no port free for both UDP and TCP")


def _read(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed")
        buf += chunk
    return buf


def bad_config(server: BadServer, **changes) -> ResolverConfig:
    """A config for the misbehaving server: short timeouts, one attempt, no hosts file."""
    fields = dict(nameservers=[server.server], timeout=0.3, attempts=1, hosts_path=None)
    fields.update(changes)
    return ResolverConfig(**fields)
