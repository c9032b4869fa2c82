"""Patch ``socket`` with :mod:`zio.green.socket` (sockets park the fiber on I/O).

The resolver functions are the ``dns`` target's.  The socket class installed
is a thin subclass whose ``listen()`` raises small backlogs to the system
maximum: stdlib servers keep socketserver's backlog of 5, and cooperative
scheduling turns many clients connecting at once into one burst that would
overflow it; the kernel then drops SYNs, and clients wait a full
retransmission timeout (1 s, then 3 s...).  Sockets created before patching
keep the blocking class; this is reported once.

Only the class is replaced: the stdlib's ``socketpair``, ``fromfd``,
``create_connection``, ``create_server`` and ``socket.accept`` look
``socket`` up in their module, so they make the patched class (and
``isinstance(s, socket.socket)`` holds for what they return), and code that
swaps ``socket.socket`` (mocks in CPython's own tests) is honoured.
``socket.SocketType`` stays ``_socket.socket``, the base of every socket.
"""

from __future__ import annotations

from typing import Any

from .._fixup import patch_earlier_advice
from .._registry import warn_once
from ._common import apply_names

DNS_NAMES = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn"]

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {
    "socket": ["socket"],
}


def _somaxconn() -> int:
    import socket

    try:
        with open("/proc/sys/net/core/somaxconn", encoding="ascii") as f:
            return max(int(f.read().strip()), socket.SOMAXCONN)
    except (OSError, ValueError):
        return socket.SOMAXCONN


_cls_cache: dict[str, type] = {}


def patched_socket_class() -> type:
    """The socket class zio.patch installs (created once)."""
    cls = _cls_cache.get("socket")
    if cls is None:
        from ...green import socket as green_socket

        base = green_socket.socket
        maximum = _somaxconn()

        class socket(base):  # type: ignore[misc, valid-type]
            __slots__ = ()
            __doc__ = base.__doc__

            def listen(self, backlog: Any = None) -> None:
                """Listen; a backlog below the system maximum is raised to it (see zio.patch.targets.socket)."""
                if backlog is None:
                    super().listen()
                    return
                backlog = int(backlog)
                super().listen(max(backlog, maximum))

        socket.__module__ = "socket"
        socket.__qualname__ = "socket"  # repr() shows <socket.socket fd=...>, as the stdlib's
        _cls_cache["socket"] = cls = socket
    return cls


def apply() -> None:
    """Replace the socket class and constructors."""
    import gc
    import socket as std_socket

    original_cls = std_socket.socket
    cls = patched_socket_class()
    apply_names("socket", "socket", _Namespace(socket=cls), REPLACES["socket"])
    early = [o for o in gc.get_objects() if type(o) is original_cls and o.fileno() >= 0] if _cheap_gc() else []
    if early:
        warn_once(
            "socket:early",
            f"zio.patch: {len(early)} socket(s) were created before patching and keep blocking the whole "
            "thread (for example a server's listening socket or a connection pool's connections). "
            + patch_earlier_advice(),
        )


class _Namespace:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _cheap_gc() -> bool:
    import gc

    return len(gc.get_objects()) < 2_000_000
