"""Unix-domain stream sockets: :func:`listen_unix` and :func:`connect_unix`."""

from __future__ import annotations

import os
import socket as _std

from ..green import socket as _gsocket
from ._common import default_backlog
from .listener import Listener
from .stream import Stream

__all__ = ["listen_unix", "connect_unix"]


def listen_unix(path: str | bytes, *, backlog: int | None = None, unlink_existing: bool = False) -> Listener:
    """Listen on a Unix socket at ``path`` (a leading NUL byte means the abstract namespace).

    The socket file is removed when the listener is closed.  An existing
    file raises ``FileExistsError``-like ``OSError(EADDRINUSE)`` unless
    ``unlink_existing`` is true and it is a socket.
    """
    if backlog is None:
        backlog = default_backlog()
    abstract = (path[:1] == b"\0") if isinstance(path, bytes) else path.startswith("\0")
    if unlink_existing and not abstract:
        import stat

        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                os.unlink(path)
        except FileNotFoundError:
            pass
    sock = _gsocket.socket(_std.AF_UNIX, _std.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return Listener(sock, unlink_on_close=None if abstract else path)


def connect_unix(path: str | bytes) -> Stream:
    """Connect to the Unix socket at ``path``.  A checkpoint."""
    sock = _gsocket.socket(_std.AF_UNIX, _std.SOCK_STREAM)
    try:
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return Stream(sock)
