"""Name resolution for fibers: drop-ins for the :mod:`socket` lookup functions.

::

    import zio, zio.dns

    def main():
        print(zio.dns.getaddrinfo("example.com", 443, type=socket.SOCK_STREAM))

    zio.run(main)

Two resolvers, the same answers and errors (``socket.gaierror`` with libc's
codes, ``socket.herror``): :class:`DNSResolver` (hosts file + DNS over zio
sockets, the default on Linux) and :class:`ThreadResolver` (libc in real
threads).  ``ZIO_RESOLVER=dns|thread`` or :func:`set_resolver` chooses.
See docs/dns.md.
"""

from __future__ import annotations

from typing import Any

from .base import Resolver
from .config import ResolvConfError, ResolverConfig, load_resolv_conf, parse_resolv_conf
from .dns_resolver import DNSResolver
from .hosts import HostsFile, load_hosts
from .selection import default_resolver, get_resolver, set_resolver
from .thread_resolver import ThreadResolver

__all__ = [
    "DNSResolver",
    "HostsFile",
    "ResolvConfError",
    "Resolver",
    "ResolverConfig",
    "ThreadResolver",
    "default_resolver",
    "get_resolver",
    "getaddrinfo",
    "getfqdn",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "load_hosts",
    "load_resolv_conf",
    "parse_resolv_conf",
    "set_resolver",
]


def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:
    """:func:`socket.getaddrinfo` through the current resolver; parks only this fiber."""
    return get_resolver().getaddrinfo(host, port, family, type, proto, flags)


def gethostbyname(hostname: Any) -> str:
    """:func:`socket.gethostbyname` through the current resolver."""
    return get_resolver().gethostbyname(hostname)


def gethostbyname_ex(hostname: Any) -> tuple[str, list[str], list[str]]:
    """:func:`socket.gethostbyname_ex` through the current resolver."""
    return get_resolver().gethostbyname_ex(hostname)


def gethostbyaddr(ip_address: Any) -> tuple[str, list[str], list[str]]:
    """:func:`socket.gethostbyaddr` through the current resolver."""
    return get_resolver().gethostbyaddr(ip_address)


def getnameinfo(sockaddr: Any, flags: int) -> tuple[str, str]:
    """:func:`socket.getnameinfo` through the current resolver."""
    return get_resolver().getnameinfo(sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """:func:`socket.getfqdn` through the current resolver."""
    return get_resolver().getfqdn(name)
