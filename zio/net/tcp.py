"""TCP: :func:`listen_tcp` and :func:`connect_tcp` (happy eyeballs)."""

from __future__ import annotations

import socket as _std

from .._core._compat import ExceptionGroup
from .._core.cancel import move_on_after
from .._core.group import Group
from ..green import socket as _gsocket
from ..sync import Event
from ._common import default_backlog
from .listener import Listener
from .stream import Stream

__all__ = ["listen_tcp", "connect_tcp"]

#: RFC 8305's recommended "connection attempt delay".
DEFAULT_HAPPY_EYEBALLS_DELAY = 0.25


def listen_tcp(
    host: str | None,
    port: int,
    *,
    backlog: int | None = None,
    reuse_port: bool = False,
) -> Listener:
    """Listen for TCP connections on ``(host, port)``; port 0 picks a free port.

    ``host`` None or ``""`` listens on every interface, IPv6 and IPv4 in one
    dual-stack socket where the system allows.  A name is resolved and the
    first address used.  ``backlog`` defaults to the system maximum
    (``net.core.somaxconn``).  ``SO_REUSEADDR`` is always set.
    """
    if backlog is None:
        backlog = default_backlog()
    if not host:
        if _std.has_dualstack_ipv6():
            return Listener(_gsocket.create_server(("::", port), family=_std.AF_INET6, backlog=backlog,
                                                   reuse_port=reuse_port, dualstack_ipv6=True))
        host = "0.0.0.0"
    infos = _gsocket.getaddrinfo(host, port, 0, _std.SOCK_STREAM, 0, _std.AI_PASSIVE)
    family, _type, _proto, _canon, sockaddr = infos[0]
    return Listener(_gsocket.create_server(sockaddr, family=family, backlog=backlog, reuse_port=reuse_port))


def _interleave(infos: list) -> list:
    """Alternate address families, starting with the resolver's first choice (RFC 8305 §4)."""
    by_family: dict[int, list] = {}
    for info in infos:
        by_family.setdefault(info[0], []).append(info)
    queues = list(by_family.values())
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def connect_tcp(
    host: str,
    port: int,
    *,
    local_address: str | None = None,
    happy_eyeballs_delay: float | None = DEFAULT_HAPPY_EYEBALLS_DELAY,
) -> Stream:
    """Connect to ``(host, port)`` and return a :class:`Stream`.  A checkpoint.

    Every address the name resolves to is tried, families interleaved;
    after ``happy_eyeballs_delay`` seconds without success (or as soon as
    an attempt fails) the next attempt starts in parallel, and the first
    to connect wins: the others are cancelled and closed (RFC 8305).
    ``None`` tries one address at a time.  If all fail, ``OSError`` is
    raised (with the per-address errors chained as an ExceptionGroup).
    ``TCP_NODELAY`` is set.  Bound the whole attempt with ``zio.fail_after``.
    """
    infos = _interleave(_gsocket.getaddrinfo(host, port, 0, _std.SOCK_STREAM))
    if not infos:
        raise OSError(f"{host!r} resolved to no addresses")
    delay = 1e9 if happy_eyeballs_delay is None else happy_eyeballs_delay
    winner: list[_gsocket.socket] = []
    errors: list[OSError] = []

    def attempt(info: tuple, failed: Event, group: Group) -> None:
        family, type_, proto, _canon, sockaddr = info
        sock = _gsocket.socket(family, type_, proto)
        try:
            if local_address is not None:
                sock.bind((local_address, 0))
            sock.connect(sockaddr)
        except OSError as err:
            sock.close()
            errors.append(err)
            failed.set()
            return
        except BaseException:
            sock.close()  # cancelled: another attempt won, or the caller gave up
            raise
        if winner:
            sock.close()
            return
        winner.append(sock)
        group.cancel("another connection attempt succeeded")

    with Group() as group:
        for info in infos:
            failed = Event()
            group.spawn(attempt, info, failed, group)
            with move_on_after(delay):
                failed.wait()
            if winner:
                break

    if winner:
        sock = winner[0]
        sock.setsockopt(_std.IPPROTO_TCP, _std.TCP_NODELAY, 1)
        return Stream(sock)
    if len(errors) == 1:
        raise errors[0]
    codes = {e.errno for e in errors}
    code = codes.pop() if len(codes) == 1 else None
    message = f"all {len(errors)} connection attempts to {host!r} port {port} failed: " + "; ".join(
        str(e) for e in errors
    )
    err: OSError = OSError(code, message) if code is not None else OSError(message)
    raise err from ExceptionGroup("connection attempts", errors)
