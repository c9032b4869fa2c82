"""The thread-pool resolver: libc's own functions, run in real threads.

Full fidelity with the system (nsswitch, mDNS, nscd, /etc/gai.conf...) at
the price of a thread per lookup in flight.  Numeric questions never touch
the network and are answered inline.  The pool's threads stay real OS
threads after ``zio.patch.all()``, and the C functions are captured from
``_socket``, so patching never makes this resolver call itself.  A cancelled
lookup returns at once; the thread finishes the call and its result is dropped.
"""

from __future__ import annotations

import _socket
from typing import Any

from .._core.api import to_thread
from . import _libc
from .base import Resolver

__all__ = ["ThreadResolver"]


def _is_ip_literal(host: Any) -> bool:
    if isinstance(host, (bytes, bytearray)):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _libc.inet_pton(family, host)
            return True
        except (OSError, ValueError):
            pass
    return False


class ThreadResolver(Resolver):
    """Resolves with libc in :func:`zio.to_thread` worker threads."""

    name = "thread"

    def __init__(self, reason: str = "") -> None:
        #: Why this resolver was chosen (set by the automatic selection).
        self.reason = reason

    def getaddrinfo(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, Any, int, str, tuple]]:
        """:func:`socket.getaddrinfo` (see :class:`~zio.dns.base.Resolver`)."""
        if host is None or flags & _socket.AI_NUMERICHOST or _is_ip_literal(host):
            return _libc.real_getaddrinfo(host, port, family, type, proto, flags)
        return to_thread(_libc.real_getaddrinfo, host, port, family, type, proto, flags, abandon_on_cancel=True)

    def gethostbyname(self, hostname: Any) -> str:
        """:func:`socket.gethostbyname`."""
        if not isinstance(hostname, (str, bytes, bytearray)) or _is_ip_literal(hostname):
            return _libc.gethostbyname(hostname)
        return to_thread(_libc.gethostbyname, hostname, abandon_on_cancel=True)

    def gethostbyname_ex(self, hostname: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyname_ex`."""
        if not isinstance(hostname, (str, bytes, bytearray)):
            return _libc.gethostbyname_ex(hostname)
        return to_thread(_libc.gethostbyname_ex, hostname, abandon_on_cancel=True)

    def gethostbyaddr(self, ip_address: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyaddr`."""
        if not isinstance(ip_address, (str, bytes, bytearray)):
            return _libc.gethostbyaddr(ip_address)
        return to_thread(_libc.gethostbyaddr, ip_address, abandon_on_cancel=True)

    def getnameinfo(self, sockaddr: Any, flags: int) -> tuple[str, str]:
        """:func:`socket.getnameinfo`."""
        if flags & _socket.NI_NUMERICHOST:
            return _libc.getnameinfo(sockaddr, flags)
        return to_thread(_libc.getnameinfo, sockaddr, flags, abandon_on_cancel=True)

    def __repr__(self) -> str:
        return f"<ThreadResolver{' (' + self.reason + ')' if self.reason else ''}>"
