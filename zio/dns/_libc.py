"""The C library's resolver functions, captured at import, and its error vocabulary.

zio.dns asks libc everything that needs no network (numeric addresses,
service names, flag and argument validation, which address families are
configured), so those answers are libc's by construction.  The functions
are taken from ``_socket`` when this module is imported: the patching layer
replaces the names in :mod:`socket`, never the C functions themselves.
"""

from __future__ import annotations

import _socket
import socket as _socket_module
from typing import Any

__all__ = [
    "convert_addrinfo",
    "gaierror",
    "getaddrinfo",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "herror",
]

getaddrinfo = _socket.getaddrinfo
getnameinfo = _socket.getnameinfo
gethostbyname = _socket.gethostbyname
gethostbyname_ex = _socket.gethostbyname_ex
gethostbyaddr = _socket.gethostbyaddr
gethostname = _socket.gethostname
inet_pton = _socket.inet_pton
inet_ntop = _socket.inet_ntop

_AddressFamily = _socket_module.AddressFamily
_SocketKind = _socket_module.SocketKind

# glibc's gai_strerror() texts: the resolvers raise exactly what libc would.
_GAI_MESSAGES = {
    "EAI_BADFLAGS": "Bad value for ai_flags",
    "EAI_NONAME": "Name or service not known",
    "EAI_AGAIN": "Temporary failure in name resolution",
    "EAI_FAIL": "Non-recoverable failure in name resolution",
    "EAI_NODATA": "No address associated with hostname",
    "EAI_FAMILY": "ai_family not supported",
    "EAI_SOCKTYPE": "ai_socktype not supported",
    "EAI_SERVICE": "Servname not supported for ai_socktype",
    "EAI_ADDRFAMILY": "Address family for hostname not supported",
    "EAI_MEMORY": "Memory allocation failure",
    "EAI_SYSTEM": "System error",
}

# hstrerror() texts as CPython's socket module reports them (h_errno values).
HOST_NOT_FOUND = 1
TRY_AGAIN = 2
NO_RECOVERY = 3
NO_DATA = 4
_H_MESSAGES = {
    HOST_NOT_FOUND: "Unknown host",
    TRY_AGAIN: "Host name lookup failure",
    NO_RECOVERY: "Unknown server error",
    NO_DATA: "No address associated with name",
}


def gaierror(name: str, detail: str | None = None) -> OSError:
    """``socket.gaierror`` for the ``socket.EAI_*`` constant ``name``, with libc's message.

    ``detail`` (what zio.dns saw: which server, which reply) is attached as a
    note rather than put in the message, so ``args`` stay exactly libc's.
    """
    code = getattr(_socket, name)
    exc = _socket.gaierror(code, _GAI_MESSAGES.get(name, name))
    if detail:
        add_note(exc, detail)
    return exc


def herror(code: int, detail: str | None = None) -> OSError:
    """``socket.herror`` with the ``h_errno`` value ``code`` and CPython's message for it."""
    exc = _socket.herror(code, _H_MESSAGES.get(code, "Unknown error"))
    if detail:
        add_note(exc, detail)
    return exc


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``, also on Python 3.10 (where tracebacks do not show notes)."""
    adder = getattr(exc, "add_note", None)
    if adder is not None:
        adder(note)
    else:
        notes = getattr(exc, "__notes__", None)
        if notes is None:
            notes = []
            try:
                exc.__notes__ = notes  # type: ignore[attr-defined]
            except AttributeError:
                return
        notes.append(note)


def _to_enum(value: int, enum_type: Any) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        return value


def convert_addrinfo(results: list) -> list:
    """Turn ``_socket.getaddrinfo`` tuples into :func:`socket.getaddrinfo`'s (enum family and type)."""
    return [
        (_to_enum(af, _AddressFamily), _to_enum(kind, _SocketKind), proto, canon, sockaddr)
        for af, kind, proto, canon, sockaddr in results
    ]


def real_getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:
    """libc's getaddrinfo with the stdlib's result conversion (blocking: only for numeric questions)."""
    return convert_addrinfo(getaddrinfo(host, port, family, type, proto, flags))
