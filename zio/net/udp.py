"""UDP: :func:`bind_udp`, :func:`connect_udp` and :class:`DatagramSocket`."""

from __future__ import annotations

import _socket
import socket as _std
from typing import Any

from .._core.io import wait_fd
from ..green import socket as _gsocket
from ..green._wait import READ, WRITE, raise_if_cancelled
from ._common import SocketOwner, closed_error

__all__ = ["DatagramSocket", "bind_udp", "connect_udp"]

_c_recvfrom = _socket.socket.recvfrom
_c_recv = _socket.socket.recv
_c_sendto = _socket.socket.sendto
_c_send = _socket.socket.send

#: Large enough for any UDP datagram (IPv4 or IPv6 without jumbograms).
MAX_DATAGRAM = 65536


class DatagramSocket(SocketOwner):
    """A UDP socket.  Every blocking method is a checkpoint; a cancelled receive consumed nothing."""

    __slots__ = ()

    @property
    def address(self) -> Any:
        """The local address (port 0 resolved to the real port)."""
        return self._sock.getsockname()

    @property
    def remote_address(self) -> Any:
        """The connected peer (``connect_udp`` sockets only)."""
        return self._sock.getpeername()

    def _check(self) -> None:
        if self._closed:
            raise closed_error("datagram socket")

    def recvfrom(self, max_bytes: int = MAX_DATAGRAM) -> tuple[bytes, Any]:
        """The next datagram and its sender's address."""
        self._check()
        raise_if_cancelled()
        while True:
            try:
                return _c_recvfrom(self._sock, max_bytes)
            except BlockingIOError:
                wait_fd(self._fd, READ, keep_armed=True)

    def recv(self, max_bytes: int = MAX_DATAGRAM) -> bytes:
        """The next datagram's payload."""
        self._check()
        raise_if_cancelled()
        while True:
            try:
                return _c_recv(self._sock, max_bytes)
            except BlockingIOError:
                wait_fd(self._fd, READ, keep_armed=True)

    def sendto(self, data: Any, address: Any) -> int:
        """Send one datagram to ``address`` (names are resolved cooperatively)."""
        self._check()
        raise_if_cancelled()
        address = self._sock._resolve_address(address)
        while True:
            try:
                return _c_sendto(self._sock, data, address)
            except BlockingIOError:
                wait_fd(self._fd, WRITE, keep_armed=True)

    def send(self, data: Any) -> int:
        """Send one datagram to the connected peer."""
        self._check()
        raise_if_cancelled()
        while True:
            try:
                return _c_send(self._sock, data)
            except BlockingIOError:
                wait_fd(self._fd, WRITE, keep_armed=True)

    def __repr__(self) -> str:
        return "<zio.net.DatagramSocket closed>" if self._closed else f"<zio.net.DatagramSocket {self.address!r}>"


def bind_udp(host: str | None, port: int) -> DatagramSocket:
    """A UDP socket bound to ``(host, port)`` (None: all IPv4 interfaces; port 0: any free port)."""
    host = host or "0.0.0.0"
    infos = _gsocket.getaddrinfo(host, port, 0, _std.SOCK_DGRAM, 0, _std.AI_PASSIVE)
    family, type_, proto, _canon, sockaddr = infos[0]
    sock = _gsocket.socket(family, type_, proto)
    try:
        sock.bind(sockaddr)
    except BaseException:
        sock.close()
        raise
    return DatagramSocket(sock)


def connect_udp(host: str, port: int, *, local_address: tuple[str, int] | None = None) -> DatagramSocket:
    """A UDP socket connected to ``(host, port)``: use :meth:`~DatagramSocket.send` / ``recv``."""
    infos = _gsocket.getaddrinfo(host, port, 0, _std.SOCK_DGRAM)
    family, type_, proto, _canon, sockaddr = infos[0]
    sock = _gsocket.socket(family, type_, proto)
    try:
        if local_address is not None:
            sock.bind(local_address)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return DatagramSocket(sock)
