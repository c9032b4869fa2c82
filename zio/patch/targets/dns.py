"""Patch the resolver functions of ``socket`` with zio's cooperative resolver."""

from __future__ import annotations

from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {
    "socket": ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn"],
}


def apply() -> None:
    """Replace ``socket.getaddrinfo`` and friends."""
    from ...green import socket as green_socket

    apply_names("dns", "socket", green_socket, [n for n in REPLACES["socket"] if hasattr(green_socket, n)])
