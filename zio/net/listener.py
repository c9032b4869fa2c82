"""``Listener``: accepts connections on a listening socket."""

from __future__ import annotations

import _socket
import errno
import logging
import socket as _std
from typing import Any, Callable

from .._core.api import sleep
from .._core.group import Group
from .._core.io import wait_fd
from ..green import socket as _gsocket
from ..green._wait import READ, raise_if_cancelled
from ._common import SocketOwner, closed_error
from .stream import Stream

__all__ = ["Listener"]

log = logging.getLogger("zio.net")

_c_accept = _socket.socket._accept

# Out of fds or kernel memory: the accept queue still holds the connection,
# so back off and retry rather than give up (what Go and trio do).
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
# The connection died between SYN and accept(): just take the next one.
_ABORTED_ERRNOS = {errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.ENETDOWN, errno.ENOPROTOOPT,
                   errno.EHOSTDOWN, errno.ENONET, errno.EHOSTUNREACH, errno.EOPNOTSUPP, errno.ENETUNREACH}
_TCP_FAMILIES = (_std.AF_INET, _std.AF_INET6)


class Listener(SocketOwner):
    """A listening socket; :meth:`accept` returns a :class:`Stream`.

    :attr:`address` is the bound address (so port 0 works); :meth:`serve`
    runs an accept loop that hands each connection to a handler fiber.
    """

    __slots__ = ("_unlink_path",)

    def __init__(self, sock: _std.socket, *, unlink_on_close: str | bytes | None = None) -> None:
        SocketOwner.__init__(self, sock)
        self._unlink_path = unlink_on_close

    @property
    def address(self) -> Any:
        """The bound address: ``(host, port)`` for IPv4, a 4-tuple for IPv6, a path for Unix."""
        return self._sock.getsockname()

    @property
    def port(self) -> int:
        """The bound TCP port (handy after listening on port 0)."""
        if self._sock.family not in _TCP_FAMILIES:
            raise AttributeError("only TCP listeners have a port")
        return self._sock.getsockname()[1]

    def fileno(self) -> int:
        """The listening fd (-1 once closed)."""
        return -1 if self._closed else self._fd

    def accept(self) -> Stream:
        """Wait for the next connection.  A checkpoint.

        Raises ``OSError`` (EMFILE etc.) as accept(2) does; :meth:`serve` retries those.
        """
        if self._closed:
            raise closed_error("listener")
        raise_if_cancelled()
        sock = self._sock
        while True:
            try:
                fd, _addr = _c_accept(sock)
                break
            except BlockingIOError:
                wait_fd(self._fd, READ, keep_armed=True)
        conn = _gsocket.socket(sock.family, sock.type, sock.proto, fileno=fd)
        if sock.family in _TCP_FAMILIES:
            # Request/response traffic must not wait for Nagle's delayed ACKs.
            conn.setsockopt(_std.IPPROTO_TCP, _std.TCP_NODELAY, 1)
        return Stream(conn)

    def serve(self, handler: Callable[[Stream], Any], *, handler_errors: str = "log") -> None:
        """Accept forever, running ``handler(stream)`` in a new fiber per connection.

        The stream is closed when the handler returns.  Returns only by
        cancellation (or when the listener is closed).  Resource errors
        (EMFILE, ENFILE, ENOBUFS, ENOMEM) pause accepting with exponential
        backoff (10 ms to 1 s) instead of ending the loop; aborted
        connections are skipped.  ``handler_errors``: ``"log"`` (default)
        logs a handler's exception to the ``zio.net`` logger and keeps
        serving (a peer reset or broken pipe only at DEBUG level);
        ``"raise"`` cancels the server and raises it.
        """
        if handler_errors not in ("log", "raise"):
            raise ValueError(f"handler_errors must be 'log' or 'raise', got {handler_errors!r}")

        def run_one(stream: Stream) -> None:
            with stream:
                if handler_errors == "raise":
                    handler(stream)
                    return
                try:
                    handler(stream)
                except (ConnectionResetError, BrokenPipeError) as exc:
                    # The peer went away: routine for a server, not a bug.
                    log.debug("zio.net: connection closed by peer in %r: %s", handler, exc)
                except Exception:
                    log.exception("zio.net: connection handler %r failed", handler)

        backoff = 0.0
        with Group() as group:
            while True:
                try:
                    stream = self.accept()
                except OSError as err:
                    if self._closed:
                        return
                    if err.errno in _RESOURCE_ERRNOS:
                        backoff = min(max(backoff * 2, 0.01), 1.0)
                        log.warning("zio.net: accept() failed (%s); retrying in %.2fs", err, backoff)
                        sleep(backoff)
                        continue
                    if err.errno in _ABORTED_ERRNOS:
                        continue
                    raise
                backoff = 0.0
                group.spawn(run_one, stream)

    def close(self) -> None:
        """Stop listening; a fiber blocked in :meth:`accept` gets ClosedResourceError.  Idempotent."""
        if self._closed:
            return
        SocketOwner.close(self)
        path = self._unlink_path
        if path:
            import os

            try:
                os.unlink(path)
            except OSError:
                pass

    def __repr__(self) -> str:
        if self._closed:
            return "<zio.net.Listener closed>"
        return f"<zio.net.Listener {self.address!r}>"
