"""Destination address ordering (RFC 6724 section 6), as glibc's getaddrinfo does it.

When a name has several addresses, libc orders them: reachable ones first
(the kernel must find a source address), matching scope, matching label,
higher precedence (IPv6 before IPv4 by default), smaller scope, longest
common prefix with the source (IPv6 only, as glibc), then the DNS order.
glibc's default policy table is used; ``/etc/gai.conf`` is not read.
"""

from __future__ import annotations

import _socket
import ipaddress
from typing import Sequence

__all__ = ["sort_addresses"]

# glibc's default precedence and label tables (the RFC 3484 values it ships).
_PRECEDENCE = [
    (ipaddress.ip_network("::1/128"), 50),
    (ipaddress.ip_network("2002::/16"), 30),
    (ipaddress.ip_network("::/96"), 20),
    (ipaddress.ip_network("::ffff:0:0/96"), 10),
    (ipaddress.ip_network("::/0"), 40),
]
_LABEL = [
    (ipaddress.ip_network("::1/128"), 0),
    (ipaddress.ip_network("2002::/16"), 2),
    (ipaddress.ip_network("::/96"), 3),
    (ipaddress.ip_network("::ffff:0:0/96"), 4),
    (ipaddress.ip_network("fec0::/10"), 5),
    (ipaddress.ip_network("fc00::/7"), 6),
    (ipaddress.ip_network("2001::/32"), 7),
    (ipaddress.ip_network("::/0"), 1),
]
_LINK_LOCAL, _SITE_LOCAL, _GLOBAL = 2, 5, 14


def _as_v6(addr: ipaddress._BaseAddress) -> ipaddress.IPv6Address:
    if isinstance(addr, ipaddress.IPv4Address):
        return ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + addr.packed)
    return addr  # type: ignore[return-value]


def _lookup(table: list, addr: ipaddress.IPv6Address) -> int:
    # Most specific prefix wins; tables are small, so a scan in length order is fine.
    best_len, best = -1, 0
    for net, value in table:
        if addr in net and net.prefixlen > best_len:
            best_len, best = net.prefixlen, value
    return best


def _scope(addr: ipaddress._BaseAddress) -> int:
    if isinstance(addr, ipaddress.IPv4Address):
        return _LINK_LOCAL if (addr.is_loopback or addr.is_link_local) else _GLOBAL
    if addr.ipv4_mapped is not None:
        return _scope(addr.ipv4_mapped)
    if addr.is_multicast:
        return addr.packed[1] & 0x0F
    if addr.is_loopback or addr.is_link_local:
        return _LINK_LOCAL
    if addr.is_site_local:
        return _SITE_LOCAL
    return _GLOBAL


def _source_for(family: int, address: str) -> ipaddress._BaseAddress | None:
    """The source address the kernel would pick for ``address`` (None: unreachable).

    A connected UDP socket sends nothing; connect() only consults the routes.
    """
    try:
        sock = _socket.socket(family, _socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        sock.connect((address, 9) if family == _socket.AF_INET else (address, 9, 0, 0))
        return ipaddress.ip_address(sock.getsockname()[0].split("%", 1)[0])
    except OSError:
        return None
    finally:
        sock.close()


def _common_prefix(a: bytes, b: bytes) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x == y:
            n += 8
            continue
        n += 8 - (x ^ y).bit_length()
        break
    return n


def sort_addresses(addresses: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Order ``(family, address)`` pairs as libc would (a stable sort; one address is left alone)."""
    if len(addresses) < 2:
        return list(addresses)
    keys = []
    for index, (family, text) in enumerate(addresses):
        dest = ipaddress.ip_address(text.split("%", 1)[0])
        source = _source_for(family, text)
        d6 = _as_v6(dest)
        d_scope = _scope(dest)
        if source is None:
            keys.append((1, 0, 0, 0, 0, 0, index))
            continue
        s6 = _as_v6(source)
        s_scope = _scope(source)
        prefix = 0
        if family == _socket.AF_INET6 and isinstance(dest, ipaddress.IPv6Address) and dest.ipv4_mapped is None:
            prefix = _common_prefix(dest.packed, source.packed) if source.version == 6 else 0
        keys.append(
            (
                0,  # rule 1: usable destinations first
                0 if d_scope == s_scope else 1,  # rule 2: matching scope
                0 if _lookup(_LABEL, d6) == _lookup(_LABEL, s6) else 1,  # rule 5: matching label
                -_lookup(_PRECEDENCE, d6),  # rule 6: higher precedence
                d_scope,  # rule 8: smaller scope
                -prefix,  # rule 9: longest matching prefix (IPv6)
                index,  # rule 10: otherwise keep the order
            )
        )
    order = sorted(range(len(addresses)), key=keys.__getitem__)
    return [addresses[i] for i in order]
