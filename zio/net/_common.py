"""Small helpers shared by the zio.net modules."""

from __future__ import annotations

import socket as _std

from .._core.errors import ClosedResourceError
from ..green import socket as _gsocket
from ..sync._closable import Closable

__all__ = ["default_backlog", "IncompleteReadError", "LimitOverrunError", "closed_error", "SocketOwner"]


def default_backlog() -> int:
    """The largest listen backlog the system accepts (``net.core.somaxconn``).

    As Go and trio do: a burst of connects is queued by the kernel rather
    than dropped.  Falls back to ``socket.SOMAXCONN`` where the file is absent.
    """
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            value = int(f.read().strip())
    except (OSError, ValueError):
        return _std.SOMAXCONN
    # The kernel clamps larger values; listen() takes an int.
    return max(1, min(value, 65535))


class IncompleteReadError(EOFError):
    """The stream ended before the requested bytes or delimiter arrived.

    ``partial`` holds what was read; it is also left in the stream's buffer,
    so nothing is lost.
    """

    def __init__(self, partial: bytes, expected: int | bytes) -> None:
        what = f"{expected} bytes" if isinstance(expected, int) else f"delimiter {expected!r}"
        super().__init__(f"the stream ended after {len(partial)} bytes, before {what}")
        self.partial = partial
        self.expected = expected


class LimitOverrunError(ValueError):
    """More than ``max_bytes`` arrived without the delimiter (nothing was consumed)."""


def closed_error(what: str) -> ClosedResourceError:
    """The error raised when a closed stream, listener or socket is used."""
    import errno

    return ClosedResourceError(errno.EBADF, f"{what} is closed")


class SocketOwner(Closable):
    """What :class:`~zio.net.Stream`, :class:`~zio.net.DatagramSocket` and :class:`~zio.net.Listener` share.

    Takes over the socket (a stdlib one is moved into a cooperative socket
    object), closes it once, and supports ``with``.
    """

    __slots__ = ("_sock", "_fd", "_closed", "__weakref__")

    def __init__(self, sock: _std.socket) -> None:
        if not isinstance(sock, _gsocket.socket):
            # Take over the fd in a cooperative socket object.
            sock = _gsocket.socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        self._sock = sock
        self._fd = sock.fileno()
        self._closed = False

    @property
    def socket(self) -> _gsocket.socket:
        """The underlying cooperative socket (for options such as ``setsockopt``)."""
        return self._sock

    def close(self) -> None:
        """Close it; fibers blocked on it get ClosedResourceError.  Idempotent."""
        if not self._closed:
            self._closed = True
            self._sock.close()
