"""Helpers for the networking tests."""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Iterator


@contextlib.contextmanager
def blackhole() -> Iterator[tuple[str, int]]:
    """A loopback address whose connects hang (a listener with a full backlog drops SYNs).

    Built with plain blocking stdlib sockets, before any fiber runs.
    """
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    addr = srv.getsockname()
    fillers = []
    try:
        for _ in range(16):
            f = socket.socket()
            f.settimeout(0.2)
            try:
                f.connect(addr)
            except (TimeoutError, OSError):
                f.close()
                break
            fillers.append(f)
        else:
            raise RuntimeError("could not fill the listen backlog: connects to it would not hang")
        yield addr
    finally:
        for f in fillers:
            f.close()
        srv.close()


def count_calls(monkeypatch: Any, module: Any, name: str) -> list:
    """Wrap the C socket function ``module.name`` (e.g. ``_c_recv``); return the list of each call's arguments.

    Each entry is the tuple of arguments after the socket.
    """
    calls: list = []
    real = getattr(module, name)

    def counting(sock: Any, *args: Any) -> Any:
        calls.append(args)
        return real(sock, *args)

    monkeypatch.setattr(module, name, counting)
    return calls
