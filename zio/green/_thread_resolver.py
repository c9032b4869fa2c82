"""The interim name resolver: libc's functions run in real threads.

Used through the hook ``zio.green.socket._resolve`` until the asynchronous
resolver (``zio.dns``) is plugged in there.  Every function has the
signature, result shape and exceptions of its :mod:`socket` namesake,
because it *is* that function, called in a worker thread.  Numeric
addresses never need the network, so they are answered inline.
"""

from __future__ import annotations

import socket as _std
from typing import Any

from .._core.api import to_thread

__all__ = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn"]

# Captured at import, before zio.patch can replace the module's attributes.
_getaddrinfo = _std.getaddrinfo
_gethostbyname = _std.gethostbyname
_gethostbyname_ex = _std.gethostbyname_ex
_gethostbyaddr = _std.gethostbyaddr
_getnameinfo = _std.getnameinfo
_getfqdn = _std.getfqdn
_inet_pton = _std.inet_pton


def is_ip_literal(host: Any) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address in numeric form (no lookup needed)."""
    if isinstance(host, (bytes, bytearray)):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    for family in (_std.AF_INET, _std.AF_INET6):
        try:
            _inet_pton(family, host)
            return True
        except (OSError, ValueError):
            pass
    return False


def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:
    """:func:`socket.getaddrinfo`, without blocking other fibers."""
    if host is None or is_ip_literal(host) or flags & _std.AI_NUMERICHOST:
        return _getaddrinfo(host, port, family, type, proto, flags)
    return to_thread(_getaddrinfo, host, port, family, type, proto, flags, abandon_on_cancel=True)


def gethostbyname(hostname: str) -> str:
    """:func:`socket.gethostbyname`, without blocking other fibers."""
    if is_ip_literal(hostname):
        return _gethostbyname(hostname)
    return to_thread(_gethostbyname, hostname, abandon_on_cancel=True)


def gethostbyname_ex(hostname: str) -> tuple:
    """:func:`socket.gethostbyname_ex`, without blocking other fibers."""
    return to_thread(_gethostbyname_ex, hostname, abandon_on_cancel=True)


def gethostbyaddr(ip_address: str) -> tuple:
    """:func:`socket.gethostbyaddr`, without blocking other fibers."""
    return to_thread(_gethostbyaddr, ip_address, abandon_on_cancel=True)


def getnameinfo(sockaddr: tuple, flags: int) -> tuple:
    """:func:`socket.getnameinfo`, without blocking other fibers."""
    if flags & _std.NI_NUMERICHOST and flags & _std.NI_NUMERICSERV and is_ip_literal(sockaddr[0]):
        return _getnameinfo(sockaddr, flags)
    return to_thread(_getnameinfo, sockaddr, flags, abandon_on_cancel=True)


def getfqdn(name: str = "") -> str:
    """:func:`socket.getfqdn`, without blocking other fibers."""
    return to_thread(_getfqdn, name, abandon_on_cancel=True)
