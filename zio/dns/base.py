"""What every resolver offers: the stdlib's name-lookup functions as methods."""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["Resolver"]


class Resolver(abc.ABC):
    """A name resolver with the stdlib :mod:`socket` lookup functions as methods.

    Each method takes the same arguments, returns the same shapes and raises
    the same exceptions (``socket.gaierror`` / ``socket.herror`` with libc's
    codes and messages, ``TypeError``/``UnicodeError`` for bad arguments) as
    its :mod:`socket` namesake, but parks only the calling fiber.
    """

    #: Short name used by ``ZIO_RESOLVER`` (``"dns"`` or ``"thread"``).
    name: str = ""

    @abc.abstractmethod
    def getaddrinfo(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, Any, int, str, tuple]]:
        """:func:`socket.getaddrinfo`."""

    @abc.abstractmethod
    def gethostbyname(self, hostname: Any) -> str:
        """:func:`socket.gethostbyname`."""

    @abc.abstractmethod
    def gethostbyname_ex(self, hostname: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyname_ex`."""

    @abc.abstractmethod
    def gethostbyaddr(self, ip_address: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyaddr`."""

    @abc.abstractmethod
    def getnameinfo(self, sockaddr: Any, flags: int) -> tuple[str, str]:
        """:func:`socket.getnameinfo`."""

    def getfqdn(self, name: str = "") -> str:
        """:func:`socket.getfqdn`: the first dotted name among the host name and aliases of ``name``.

        The stdlib's own algorithm, on top of this resolver's :meth:`gethostbyaddr`.
        """
        from . import _libc

        name = name.strip()
        if not name or name in ("0.0.0.0", "::"):
            name = _libc.gethostname()
        try:
            hostname, aliases, _ = self.gethostbyaddr(name)
        except OSError:  # socket.error: herror, gaierror, ...
            return name
        for candidate in [hostname, *aliases]:
            if "." in candidate:
                return candidate
        return hostname

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
