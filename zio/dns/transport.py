"""Talking to one name server: a query over UDP or TCP, and its reply.

Sockets are the C ``_socket.socket`` type (the patching layer never replaces
it), non-blocking, waited on with the hub's fd trap.  Every exchange gets a
fresh socket, hence a fresh kernel-randomized source port; UDP sockets are
connected, so the kernel already drops datagrams from other addresses, and
the source is checked again anyway.  Timeouts come from the caller's cancel
scope: a cancelled exchange closes its socket and leaves nothing behind.
"""

from __future__ import annotations

import _socket
import errno
from typing import Any, Callable

from .._core.io import notify_closing, wait_fd
from ..loop import READ, WRITE
from . import _libc
from .wire import MalformedReply, Query, Reply, ReplyMismatch, header_id, is_truncated, parse_reply

__all__ = ["ServerUnreachable", "TruncatedReply", "server_label", "tcp_exchange", "udp_exchange"]

# Largest DNS message over UDP we accept (the IP datagram limit).
_MAX_UDP = 65535


class ServerUnreachable(Exception):
    """The server refused the connection or the datagram (ICMP port unreachable)."""


class TruncatedReply(Exception):
    """The server set the TC bit: the full answer needs TCP."""


def server_label(server: tuple[str, int]) -> str:
    """``127.0.0.1#53`` (dig's notation) for messages."""
    return f"{server[0]}#{server[1]}"


_sockaddrs: dict[tuple[str, int, int], tuple[int, Any]] = {}


def _sockaddr(server: tuple[str, int], kind: int) -> tuple[int, Any]:
    key = (server[0], server[1], kind)
    cached = _sockaddrs.get(key)
    if cached is None:
        # libc turns "fe80::1%eth0" into the 4-tuple with the scope id; numeric only, so it never blocks.
        family, _, _, _, sockaddr = _libc.getaddrinfo(server[0], server[1], 0, kind, 0, _socket.AI_NUMERICHOST)[0]
        cached = (family, sockaddr)
        if len(_sockaddrs) < 64:  # a handful of nameservers; bounded anyway
            _sockaddrs[key] = cached
    return cached


def _with_socket(family: int, kind: int, body: Callable[[Any], Any]) -> Any:
    sock = _socket.socket(family, kind)
    try:
        sock.setblocking(False)
        return body(sock)
    finally:
        # Wake nothing (we are the only waiter) but make the hub forget the fd
        # before the number can be reused by another socket.
        notify_closing(sock.fileno())
        sock.close()


def udp_exchange(query: Query, server: tuple[str, int], problems: list[str]) -> Reply:
    """Send ``query`` to ``server`` over UDP; return the parsed reply that answers it.

    Datagrams that are not the answer (wrong source, id or question,
    garbage) are noted in ``problems`` and the wait goes on, as glibc does:
    a forger cannot end a lookup by sending junk first.  Raises
    :class:`TruncatedReply` when the answer needs TCP and
    :class:`ServerUnreachable` on ICMP port unreachable.  Waits until
    cancelled (the caller's timeout scope) if no answer comes.
    """
    family, sockaddr = _sockaddr(server, _socket.SOCK_DGRAM)
    label = server_label(server)

    def body(sock: Any) -> Reply:
        fd = sock.fileno()
        sock.connect(sockaddr)
        while True:
            try:
                sock.send(query.wire)
                break
            except BlockingIOError:
                wait_fd(fd, WRITE, keep_armed=True)
            except ConnectionRefusedError as exc:
                raise ServerUnreachable(f"{label}: {exc.strerror}") from None
        while True:
            try:
                data, source = sock.recvfrom(_MAX_UDP)
            except BlockingIOError:
                wait_fd(fd, READ, keep_armed=True)
                continue
            except ConnectionRefusedError as exc:
                raise ServerUnreachable(f"{label}: {exc.strerror}") from None
            # The kernel reports the source in the same normal form libc gave us for the server.
            if source[:2] != sockaddr[:2]:
                problems.append(f"ignored a datagram from {source[0]}#{source[1]} while asking {label}")
                continue
            if header_id(data) is not None and header_id(data) != query.id:
                problems.append(f"ignored a reply from {label} with id {header_id(data)} (expected {query.id})")
                continue
            try:
                msg = parse_reply(query, data, question_only=is_truncated(data))
            except (MalformedReply, ReplyMismatch) as exc:
                problems.append(f"ignored a bad reply from {label}: {exc}")
                continue
            if is_truncated(data):
                raise TruncatedReply(label)
            return msg

    return _with_socket(family, _socket.SOCK_DGRAM, body)


def _send_all(sock: Any, data: bytes) -> None:
    view = memoryview(data)
    fd = sock.fileno()
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            wait_fd(fd, WRITE, keep_armed=True)
            continue
        view = view[sent:]


def _recv_exactly(sock: Any, n: int, label: str) -> bytes:
    chunks = bytearray()
    fd = sock.fileno()
    while len(chunks) < n:
        try:
            chunk = sock.recv(n - len(chunks))
        except BlockingIOError:
            wait_fd(fd, READ, keep_armed=True)
            continue
        if not chunk:
            raise MalformedReply(f"{label} closed the TCP connection after {len(chunks)} of {n} bytes")
        chunks += chunk
    return bytes(chunks)


def tcp_exchange(query: Query, server: tuple[str, int]) -> Reply:
    """Send ``query`` to ``server`` over TCP (two-byte length framing); return the parsed, checked reply.

    On TCP nobody else can inject into the stream, so a bad reply is an error
    (:class:`MalformedReply` / :class:`ReplyMismatch`), not something to wait past.
    """
    family, sockaddr = _sockaddr(server, _socket.SOCK_STREAM)
    label = server_label(server)

    def body(sock: Any) -> Reply:
        fd = sock.fileno()
        err = sock.connect_ex(sockaddr)
        if err in (errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY):
            wait_fd(fd, WRITE, keep_armed=True)
            err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        if err:
            raise ServerUnreachable(f"{label} (TCP): {errno.errorcode.get(err, err)}")
        try:
            _send_all(sock, len(query.wire).to_bytes(2, "big") + query.wire)
            size = int.from_bytes(_recv_exactly(sock, 2, label), "big")
            data = _recv_exactly(sock, size, label)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise ServerUnreachable(f"{label} (TCP): {exc.strerror}") from None
        return parse_reply(query, data)

    return _with_socket(family, _socket.SOCK_STREAM, body)
