"""Cooperative drop-in for the stdlib :mod:`ssl` module.

Everything from :mod:`ssl` is re-exported; :class:`SSLContext` wraps
sockets into :class:`SSLSocket`, a subclass of both the stdlib
``ssl.SSLSocket`` and :class:`zio.green.socket.socket`.

Design: OpenSSL keeps doing its own I/O on the socket's fd (no memory-BIO
copies).  That fd is non-blocking, so OpenSSL reports "want read" / "want
write" instead of blocking; the methods here catch those, park the fiber
until the fd is ready and retry — the same loop the C module runs with a
blocking socket, but cooperative.  Certificate and host-name checks are
OpenSSL's and the stdlib's own code, untouched.  The user-visible timeout
follows the stdlib: ``SSLWantReadError`` / ``SSLWantWriteError`` in
non-blocking mode, ``TimeoutError("The read operation timed out")`` (etc.)
with a timeout.

Patching safety: the stdlib's ``SSLContext`` property setters and
``SSLSocket._create`` name their own classes through module globals, which
loops forever once a patcher rebinds ``ssl.SSLContext`` / ``ssl.SSLSocket``
to subclasses (gevent's recurring ``RecursionError``).  The classes here
carry copies of those members pinned to the original classes (see
:mod:`zio.green._pin`), so contexts created before or after patching, and
third-party subclasses of the original, keep working either way.  A patcher
should also set ``ssl.SSLContext.sslsocket_class`` (on the *original*
class) to :class:`SSLSocket` so pre-existing contexts produce cooperative
sockets.
"""

from __future__ import annotations

import ssl as _std
from typing import Any

from . import socket as _gsocket
from ._pin import pinned_members, rebind
from ._reexport import reexport
from ._wait import READ, WRITE, monotonic, raise_if_cancelled, wait_io

reexport(globals(), _std)

__all__ = [n for n in dir(_std) if not n.startswith("_")]

_StdContext = _std.SSLContext
_StdSSLSocket = _std.SSLSocket
_SSLWantReadError = _std.SSLWantReadError
_SSLWantWriteError = _std.SSLWantWriteError

_READ_TIMEOUT = "The read operation timed out"
_WRITE_TIMEOUT = "The write operation timed out"
_HANDSHAKE_TIMEOUT = "The handshake operation timed out"


class _PinnedContextMembers:
    """The stdlib context's self-referencing properties, pinned to the original class."""


for _attr, _value in pinned_members(_StdContext, {"SSLContext": _StdContext}).items():
    setattr(_PinnedContextMembers, _attr, _value)


class _PinnedSocketMembers:
    """The stdlib SSL socket's self-referencing methods (``_create``), pinned likewise."""


for _attr, _value in pinned_members(_StdSSLSocket, {"SSLSocket": _StdSSLSocket}).items():
    setattr(_PinnedSocketMembers, _attr, _value)
del _attr, _value


class SSLSocket(_PinnedSocketMembers, _StdSSLSocket, _gsocket.socket):
    """A cooperative ``ssl.SSLSocket``; create it with :meth:`SSLContext.wrap_socket`."""

    def _ssl_retry(self, timeout: float | None, fn: Any, *args: Any) -> Any:
        """Run an OpenSSL call, parking on "want read/write" until it completes."""
        raise_if_cancelled()
        deadline: float | None = None
        armed = False
        while True:
            try:
                return fn(*args)
            except _SSLWantReadError:
                if timeout == 0.0:
                    raise
                kind = READ
            except _SSLWantWriteError:
                if timeout == 0.0:
                    raise
                kind = WRITE
            if not armed:
                armed = True
                if timeout is not None:
                    deadline = monotonic() + timeout
            wait_io(self.fileno(), kind, deadline, _READ_TIMEOUT if kind == READ else _WRITE_TIMEOUT)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Read up to ``len`` decrypted bytes (or into ``buffer``)."""
        return self._ssl_retry(self._timeout, _StdSSLSocket.read, self, len, buffer)

    def write(self, data: Any) -> int:
        """Encrypt and send ``data``; returns the number of bytes written."""
        return self._ssl_retry(self._timeout, _StdSSLSocket.write, self, data)

    def send(self, data: Any, flags: int = 0) -> int:
        """Send ``data`` over TLS (or plain, before wrapping)."""
        self._checkClosed()
        if self._sslobj is None:
            return _gsocket.socket.send(self, data, flags)
        if flags != 0:
            raise ValueError(f"non-zero flags not allowed in calls to send() on {self.__class__}")
        return self._ssl_retry(self._timeout, self._sslobj.write, data)

    def do_handshake(self, block: bool = False) -> None:
        """Perform the TLS handshake (``block=True`` waits even in non-blocking mode)."""
        self._check_connected()
        timeout = self._timeout
        if timeout == 0.0 and block:
            timeout = None
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        raise_if_cancelled()
        deadline: float | None = None if timeout is None else monotonic() + timeout
        while True:
            try:
                sslobj.do_handshake()
                return
            except _SSLWantReadError:
                if timeout == 0.0:
                    raise
                kind = READ
            except _SSLWantWriteError:
                if timeout == 0.0:
                    raise
                kind = WRITE
            wait_io(self.fileno(), kind, deadline, _HANDSHAKE_TIMEOUT)

    def unwrap(self) -> Any:
        """Shut TLS down (close_notify both ways) and return the plain socket."""
        if self._sslobj:
            result = self._ssl_retry(self._timeout, self._sslobj.shutdown)
            self._sslobj = None
            return result
        raise ValueError("No SSL wrapper around " + str(self))


class _ContextType(type):
    """Makes every stdlib context an instance of :class:`SSLContext` (not only of subclasses).

    After patching, ``ssl.SSLContext`` is the class below, but contexts
    created earlier (at import time, by libraries) are instances of the
    original; ``isinstance(ctx, ssl.SSLContext)`` must stay true for them.
    """

    def __instancecheck__(cls, obj: Any) -> bool:
        if cls is SSLContext:
            return isinstance(obj, _StdContext)
        return type.__instancecheck__(cls, obj)


class SSLContext(_PinnedContextMembers, _StdContext, metaclass=_ContextType):
    """``ssl.SSLContext`` whose :meth:`wrap_socket` returns cooperative :class:`SSLSocket` objects.

    Any stdlib context is an instance of this class (see ``_ContextType``).
    """

    sslsocket_class = SSLSocket


# The module functions build contexts and connections through module
# globals; run the stdlib's own code with our classes in those globals.
_namespace = dict(vars(_std))
_namespace.update(SSLContext=SSLContext, SSLSocket=SSLSocket, create_connection=_gsocket.create_connection)

create_default_context = rebind(_std.create_default_context, _namespace)
_create_unverified_context = rebind(_std._create_unverified_context, _namespace)
_namespace.update(create_default_context=create_default_context, _create_unverified_context=_create_unverified_context)
_create_default_https_context = create_default_context
_create_stdlib_context = _create_unverified_context
_namespace.update(_create_stdlib_context=_create_stdlib_context)
get_server_certificate = rebind(_std.get_server_certificate, _namespace)
if hasattr(_std, "wrap_socket"):  # removed in Python 3.12
    wrap_socket = rebind(_std.wrap_socket, _namespace)
for _fn in (create_default_context, _create_unverified_context, get_server_certificate):
    _fn.__module__ = __name__

#: The names this module implements differently from the stdlib (for zio.patch).
__implements__ = [
    "SSLContext",
    "SSLSocket",
    "create_default_context",
    "_create_unverified_context",
    "_create_default_https_context",
    "_create_stdlib_context",
    "get_server_certificate",
] + (["wrap_socket"] if hasattr(_std, "wrap_socket") else [])
