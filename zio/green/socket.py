"""Cooperative drop-in for the stdlib :mod:`socket` module.

Everything the stdlib module offers is re-exported unchanged, except:

* :class:`socket`, a subclass of the stdlib ``socket.socket`` (so
  ``isinstance`` checks keep holding after patching) whose blocking methods
  park the current fiber instead of the thread;
* :func:`socketpair`, :func:`fromfd`, :func:`create_connection` and
  :func:`create_server`, which return such sockets;
* the name-resolution functions (:func:`getaddrinfo`, :func:`gethostbyname`,
  ...), which go through the resolver hook :data:`_resolve`.

How a blocking call works: the real fd is always non-blocking, so the
syscall is tried first; only on ``EAGAIN`` does the fiber park on the hub
until the fd is ready (the fd stays registered with the backend between
waits, so an idle request/response connection costs no ``epoll_ctl``).
One exception: after a ``recv``/``recv_into`` on a blocking stream socket
returned less than asked for (the kernel buffer was emptied), the next one
waits for readability *first*, since on request/response traffic trying
would only fail with ``EAGAIN`` (see :meth:`socket.recv`).
The *user-visible* mode is kept apart and follows the stdlib exactly:
``settimeout(None)`` blocks (cooperatively), ``settimeout(0.0)`` /
``setblocking(False)`` raises ``BlockingIOError``, a positive timeout raises
``TimeoutError`` (``socket.timeout``) with the stdlib's message.

Every blocking method is a checkpoint: a pending cancellation is raised
before the syscall is tried, and a cancelled wait consumed nothing.
``close()`` wakes other fibers blocked on the socket with
:class:`zio.ClosedResourceError` (an ``OSError`` with ``EBADF``) before the
fd is closed.
"""

from __future__ import annotations

import _socket
import errno as _errno
import os as _os
import socket as _std
import sys as _sys
from typing import Any

from .. import dns as _dns
from .._core.io import notify_closing as _notify_closing
from .._core.io import wait_fd as _wait_fd
from . import _user_blocking
from ._reexport import reexport
from ._wait import READ, WRITE, monotonic, raise_if_cancelled, wait_io

# -- re-export the stdlib module --------------------------------------------------
reexport(globals(), _std)

__all__ = list(_std.__all__)

#: The hook for name resolution.  Any object with the functions
#: ``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``,
#: ``getnameinfo`` and ``getfqdn`` (with the stdlib's signatures, results and
#: exceptions).  Looked up at every call, so assigning it switches resolvers.
#: Default: :mod:`zio.dns`, whose functions follow ``ZIO_RESOLVER`` and
#: :func:`zio.dns.set_resolver` (the asynchronous DNS resolver on Linux, libc
#: in real threads otherwise).
_resolve: Any = _dns

_csocket = _socket.socket
_c_recv = _csocket.recv
_c_recv_into = _csocket.recv_into
_c_recvfrom = _csocket.recvfrom
_c_recvfrom_into = _csocket.recvfrom_into
_c_send = _csocket.send
_c_sendall = _csocket.sendall
_c_sendto = _csocket.sendto
_c_connect = _csocket.connect
_c_accept = _csocket._accept
_c_fileno = _csocket.fileno
_c_type = _csocket.type  # the C getter: an int, without the stdlib property's enum conversion
_c_settimeout = _csocket.settimeout
_c_gettimeout = _csocket.gettimeout
_c_recvmsg = getattr(_csocket, "recvmsg", None)
_c_recvmsg_into = getattr(_csocket, "recvmsg_into", None)
_c_sendmsg = getattr(_csocket, "sendmsg", None)
_inet_pton = _socket.inet_pton
_GiveupOnSendfile = _std._GiveupOnSendfile
_INET_FAMILIES = (_socket.AF_INET, getattr(_socket, "AF_INET6", _socket.AF_INET))
_TIMED_OUT = "timed out"
# Buffer types whose len() is their size in bytes (sendall's fast path).
_SIZED_BY_LEN = frozenset((bytes, bytearray))
_sendfile = getattr(_os, "sendfile", None)
# MSG_DONTWAIT asks for one non-blocking attempt: on a blocking socket the C
# module raises BlockingIOError then, so the green methods must not park.
_DONTWAIT = getattr(_socket, "MSG_DONTWAIT", 0)
_TYPE_FLAGS = getattr(_socket, "SOCK_NONBLOCK", 0) | getattr(_socket, "SOCK_CLOEXEC", 0)
# Buffer types whose len() never exceeds their size in bytes (recv_into's
# short-read test; for others the hint is simply not set).
_RECV_BUFFERS = frozenset((bytearray, memoryview))


def _parse_timeout(value: Any) -> float | None:
    """Validate a timeout like the C socket module (same exceptions and messages)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            raise ValueError("Invalid value NaN (not a number)")
        seconds = value
    else:
        import operator

        seconds = float(operator.index(value))  # TypeError like C for str etc.
    if seconds < 0:
        raise ValueError("Timeout value out of range")
    return seconds


class socket(_std.socket):
    """A cooperative ``socket.socket``: same constructor, methods and semantics.

    Blocking methods park the current fiber instead of the OS thread.  The
    real fd is non-blocking; :meth:`gettimeout` / :meth:`getblocking`
    report the mode the user chose.
    """

    __slots__ = ("_timeout", "_drained")

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: Any = None) -> None:
        super().__init__(family, type, proto, fileno)
        # The C layer applied the stdlib rules (default timeout, SOCK_NONBLOCK
        # in type); remember the result as the user-visible mode, then make
        # the fd itself non-blocking for good.
        self._timeout: float | None = _c_gettimeout(self)
        _c_settimeout(self, 0.0)
        if self._timeout is None:
            _user_blocking.remember(_c_fileno(self))
        # Whether the last plain recv()/recv_into() emptied the receive
        # buffer (a hint: see recv).  None for datagram and other non-stream
        # sockets, where each message is short and the next may be queued.
        self._drained: bool | None = False if (_c_type.__get__(self) & ~_TYPE_FLAGS) == _socket.SOCK_STREAM else None

    # -- mode -------------------------------------------------------------------
    def settimeout(self, value: float | None) -> None:
        """Set the timeout of blocking operations (None: block; 0.0: non-blocking)."""
        self._timeout = _parse_timeout(value)
        # The C call re-asserts O_NONBLOCK on the fd, which also raises
        # OSError(EBADF) for a closed socket or fd, exactly as the stdlib does.
        _c_settimeout(self, 0.0)
        self._note_fd_mode()

    def gettimeout(self) -> float | None:
        """The timeout set with :meth:`settimeout` (None: blocking)."""
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        """``setblocking(True)`` is ``settimeout(None)``; ``setblocking(False)`` is ``settimeout(0.0)``."""
        self._timeout = None if flag else 0.0
        _c_settimeout(self, 0.0)  # errors (EBADF) as in the stdlib; see settimeout
        self._note_fd_mode()

    def _note_fd_mode(self) -> None:
        # In blocking mode the stdlib's fd would block: os.read/os.write on it
        # must wait (zio.green._user_blocking).  With a timeout the stdlib's fd
        # is non-blocking too, and os.read raises BlockingIOError there as well.
        if self._timeout is None:
            _user_blocking.remember(_c_fileno(self))
        else:
            _user_blocking.forget(_c_fileno(self))

    def getblocking(self) -> bool:
        """False only in non-blocking mode (timeout 0.0)."""
        return self._timeout != 0.0

    @property
    def timeout(self) -> float | None:
        """The timeout in seconds (None for blocking), as ``socket.socket.timeout``."""
        return self._timeout

    # -- the wait ---------------------------------------------------------------
    def _deadline(self) -> float | None:
        timeout = self._timeout
        return None if timeout is None else monotonic() + timeout

    def _retry(self, kind: int, fn: Any, *args: Any) -> Any:
        """Slow path: park until ready and retry ``fn`` until it stops raising EAGAIN."""
        timeout = self._timeout
        fd = _c_fileno(self)
        if timeout is None:
            # No deadline: straight to the hub's fd wait (one frame less per wait).
            while True:
                _wait_fd(fd, kind, keep_armed=True)
                try:
                    return fn(self, *args)
                except BlockingIOError:
                    pass
        deadline = monotonic() + timeout
        while True:
            wait_io(fd, kind, deadline, _TIMED_OUT)
            try:
                return fn(self, *args)
            except BlockingIOError:
                pass

    # -- receiving --------------------------------------------------------------
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receive up to ``bufsize`` bytes (``b""`` at end of stream).

        When the previous plain ``recv``/``recv_into`` of this blocking stream
        socket returned less than asked for, this one parks until the fd is
        readable before trying: the buffer was empty then, and on
        request/response traffic the peer is still waiting for our answer, so
        trying first would cost a failed syscall and a BlockingIOError per
        message.  Waiting first is always correct (readiness is
        level-triggered: data that did arrive meanwhile is reported by the
        next poll at once), so the hint only decides which is cheaper.
        Timeouts keep trying first: data that is there must win over an
        expired deadline, as in the stdlib.
        """
        drained = self._drained
        if drained and not flags and self._timeout is None and (fd := _c_fileno(self)) >= 0:
            _wait_fd(fd, READ, keep_armed=True)  # the checkpoint
        else:
            raise_if_cancelled()
        try:
            data = _c_recv(self, bufsize, flags)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
            data = self._retry(READ, _c_recv, bufsize, flags)
        if drained is not None and not flags:
            self._drained = len(data) < bufsize
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """Receive into ``buffer``; returns the number of bytes received (waits first like :meth:`recv`)."""
        drained = self._drained
        if drained and not flags and self._timeout is None and (fd := _c_fileno(self)) >= 0:
            _wait_fd(fd, READ, keep_armed=True)
        else:
            raise_if_cancelled()
        try:
            n = _c_recv_into(self, buffer, nbytes, flags)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
            n = self._retry(READ, _c_recv_into, buffer, nbytes, flags)
        if drained is not None and not flags:
            if nbytes:
                self._drained = n < nbytes
            else:
                self._drained = type(buffer) in _RECV_BUFFERS and n < len(buffer)
        return n

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        """Receive a datagram (or stream data) and the sender's address."""
        raise_if_cancelled()
        try:
            return _c_recvfrom(self, bufsize, flags)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
        return self._retry(READ, _c_recvfrom, bufsize, flags)

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        """Like :meth:`recvfrom`, into ``buffer``."""
        raise_if_cancelled()
        try:
            return _c_recvfrom_into(self, buffer, nbytes, flags)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
        return self._retry(READ, _c_recvfrom_into, buffer, nbytes, flags)

    if _c_recvmsg is not None:

        def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0) -> tuple[bytes, list, int, Any]:
            """Receive data and ancillary data (``recvmsg(2)``)."""
            raise_if_cancelled()
            try:
                return _c_recvmsg(self, bufsize, ancbufsize, flags)
            except BlockingIOError:
                if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                    raise
            return self._retry(READ, _c_recvmsg, bufsize, ancbufsize, flags)

        def recvmsg_into(self, buffers: Any, ancbufsize: int = 0, flags: int = 0) -> tuple[int, list, int, Any]:
            """Like :meth:`recvmsg`, scattering into ``buffers``."""
            buffers = list(buffers)  # an iterator must survive a retry
            raise_if_cancelled()
            try:
                return _c_recvmsg_into(self, buffers, ancbufsize, flags)
            except BlockingIOError:
                if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                    raise
            return self._retry(READ, _c_recvmsg_into, buffers, ancbufsize, flags)

    # -- sending ----------------------------------------------------------------
    def send(self, data: Any, flags: int = 0) -> int:
        """Send some of ``data``; returns how many bytes were sent."""
        raise_if_cancelled()
        try:
            return _c_send(self, data, flags)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
        return self._retry(WRITE, _c_send, data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``.  With a timeout, it bounds the whole call (as in the stdlib).

        On error or cancellation part of the data may have been sent.
        """
        raise_if_cancelled()
        timeout = self._timeout
        if timeout == 0.0:
            _c_sendall(self, data, flags)  # the C code has the exact non-blocking semantics
            return
        # Fast path: one send() of the caller's object takes all of it almost
        # always; the memoryview (two objects and two context managers) is
        # only built when the data must be sent in pieces.
        try:
            sent = _c_send(self, data, flags)
        except BlockingIOError:
            if flags & _DONTWAIT and timeout is None:
                raise
            sent = 0
        if sent and sent == (len(data) if type(data) in _SIZED_BY_LEN else memoryview(data).nbytes):
            return
        with memoryview(data) as view, view.cast("B") as flat:
            total = len(flat)
            if sent >= total:
                return  # nothing to send (b"") or the fast path's send took it all
            deadline = None if timeout is None else monotonic() + timeout
            fd = _c_fileno(self)
            while sent < total:
                wait_io(fd, WRITE, deadline, _TIMED_OUT)
                try:
                    sent += _c_send(self, flat[sent:], flags)
                except BlockingIOError:
                    pass

    def sendto(self, data: Any, *args: Any) -> int:
        """``sendto(data, address)`` or ``sendto(data, flags, address)``."""
        if len(args) == 1:
            flags, address = 0, args[0]
        elif len(args) == 2:
            flags, address = args
        else:
            raise TypeError(f"sendto() takes 2 or 3 arguments ({len(args) + 1} given)")
        raise_if_cancelled()
        address = self._resolve_address(address)
        try:
            return _c_sendto(self, data, flags, address)
        except BlockingIOError:
            if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                raise
        return self._retry(WRITE, _c_sendto, data, flags, address)

    if _c_sendmsg is not None:

        def sendmsg(self, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None) -> int:
            """Send data and ancillary data (``sendmsg(2)``)."""
            buffers = list(buffers)
            ancdata = list(ancdata)
            raise_if_cancelled()
            args: tuple = (buffers, ancdata, flags)
            if address is not None:
                args += (self._resolve_address(address),)
            try:
                return _c_sendmsg(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0 or (flags & _DONTWAIT and self._timeout is None):
                    raise
            return self._retry(WRITE, _c_sendmsg, *args)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send a file with ``os.sendfile`` where possible, else with :meth:`send`.

        Same contract as ``socket.socket.sendfile``; the timeout applies to each wait.
        """
        try:
            return self._sendfile_zero_copy(file, offset, count)
        except _GiveupOnSendfile:
            return self._sendfile_use_send(file, offset, count)

    def _sendfile_zero_copy(self, file: Any, offset: int, count: int | None) -> int:
        if _sendfile is None:
            raise _GiveupOnSendfile("os.sendfile() not available on this platform")
        self._check_sendfile_params(file, offset, count)
        try:
            file_fd = file.fileno()
        except (AttributeError, OSError) as err:  # io.UnsupportedOperation is an OSError
            raise _GiveupOnSendfile(err)
        try:
            size = _os.fstat(file_fd).st_size
        except OSError as err:
            raise _GiveupOnSendfile(err)
        if not size:
            return 0
        timeout = self._timeout
        if timeout == 0.0:
            raise ValueError("non-blocking sockets are not supported")
        raise_if_cancelled()
        blocksize = min(count or size, 1 << 30)
        fd = _c_fileno(self)
        total = 0
        try:
            while True:
                if count:
                    blocksize = min(count - total, blocksize)
                    if blocksize <= 0:
                        break
                try:
                    sent = _sendfile(fd, file_fd, offset, blocksize)
                except BlockingIOError:
                    wait_io(fd, WRITE, None if timeout is None else monotonic() + timeout, _TIMED_OUT)
                    continue
                except OSError as err:
                    if total == 0:
                        # Not a file sendfile() supports: let the caller fall back.
                        raise _GiveupOnSendfile(err)
                    raise
                if sent == 0:
                    break  # end of file
                offset += sent
                total += sent
            return total
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset)

    # -- connections ------------------------------------------------------------
    def _resolve_address(self, address: Any) -> Any:
        """Resolve a host name in an AF_INET/AF_INET6 address cooperatively.

        The C functions would call ``getaddrinfo`` themselves and block the
        thread; numeric addresses and the special names pass through.
        """
        if self.family not in _INET_FAMILIES or not isinstance(address, tuple) or len(address) < 2:
            return address
        host = address[0]
        if not isinstance(host, str) or host in ("", "<broadcast>"):
            return address
        try:
            _inet_pton(self.family, host)
            return address
        except (OSError, ValueError):
            pass
        # Resolve the host only, as the C code does (port 0: no service
        # lookup); the caller's port, flowinfo and scope id are kept, so the
        # C call validates them with its own errors (OverflowError for a
        # port out of range, TypeError for a non-integer).
        infos = _resolve.getaddrinfo(host, 0, self.family, self.type, self.proto)
        if not infos:
            raise _socket.gaierror(_socket.EAI_NONAME, "Name or service not known")
        return (infos[0][4][0], *address[1:])

    def bind(self, address: Any) -> None:
        """Bind to ``address``; host names are resolved without blocking other fibers."""
        _csocket.bind(self, self._resolve_address(address))

    def connect(self, address: Any) -> None:
        """Connect to ``address``, parking until the connection is established."""
        raise_if_cancelled()
        address = self._resolve_address(address)
        try:
            _c_connect(self, address)
            return
        except BlockingIOError as err:
            if self._timeout == 0.0:
                raise
            if err.errno == _errno.EAGAIN and self.family == getattr(_socket, "AF_UNIX", None):
                # A full AF_UNIX backlog: the socket is not "connecting", so
                # writability says nothing; retry the connect itself.
                self._connect_unix_retry(address)
                return
        fd = _c_fileno(self)
        wait_io(fd, WRITE, self._deadline(), _TIMED_OUT)
        err = self.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        if err:
            raise OSError(err, _os.strerror(err))

    def _connect_unix_retry(self, address: Any) -> None:
        from .._core.api import sleep

        deadline = self._deadline()
        delay = 0.001
        while True:
            if deadline is not None and monotonic() + delay > deadline:
                raise TimeoutError(_TIMED_OUT)
            sleep(delay)
            delay = min(delay * 2, 0.05)
            try:
                _c_connect(self, address)
                return
            except BlockingIOError as err:
                if err.errno != _errno.EAGAIN:
                    raise

    def connect_ex(self, address: Any) -> int:
        """Like :meth:`connect`, but return an errno (0 on success) instead of raising OSError."""
        try:
            # This class's connect, not a subclass's: ssl.SSLSocket.connect_ex
            # calls socket.connect_ex, and its connect would connect again.
            socket.connect(self, address)
        except TimeoutError as err:
            if err.errno is None:
                return _errno.EWOULDBLOCK  # what the C code returns on timeout
            return err.errno
        except OSError as err:
            if err.errno is None or isinstance(err, _socket.gaierror):
                raise
            return err.errno
        return 0

    def accept(self) -> tuple["socket", Any]:
        """Wait for a connection; returns ``(socket, address)``.

        The new socket gets the default timeout, as in the stdlib.
        """
        raise_if_cancelled()
        try:
            fd, addr = _c_accept(self)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
            fd, addr = self._retry(READ, _c_accept)
        return _socket_class()(self.family, self.type, self.proto, fileno=fd), addr

    # -- closing ----------------------------------------------------------------
    def _real_close(self, _ss: Any = _csocket) -> None:
        fd = _c_fileno(self)
        if fd >= 0:
            # Wake fibers blocked on this socket and drop the backend
            # registration *before* the number can be reused.
            _notify_closing(fd)
            _user_blocking.forget(fd)
        _ss.close(self)

    def detach(self) -> int:
        """Give up the fd without closing it; returns it.  Waiters are woken like on close."""
        fd = _c_fileno(self)
        if fd >= 0:
            _notify_closing(fd)
            _user_blocking.forget(fd)
            if self._timeout is None:
                # The fd goes to code that will use it directly (multiprocessing's
                # Connection reads it with os.read): give it back in the blocking
                # mode the socket reports, as a stdlib blocking socket's fd is.
                _c_settimeout(self, None)
        return super().detach()

    def __del__(self) -> None:
        # Garbage collected without close(): the C finaliser closes the fd
        # (and warns); forget its backend registration first, or a later fd
        # with the same number would inherit a stale "already armed" state.
        try:
            fd = _c_fileno(self)
            if fd >= 0:
                _notify_closing(fd)
                _user_blocking.forget(fd)
        except Exception:  # noqa: BLE001 - interpreter shutdown, wrong thread
            pass
        _csocket.__del__(self)


SocketType = _socket.socket


# -- module functions ---------------------------------------------------------------
def _socket_class() -> type:
    """The class new sockets get: ``socket.socket`` once patched (a subclass of ours), else ours."""
    cls = _std.socket
    return cls if isinstance(cls, type) and issubclass(cls, socket) else socket


def _rebind(func: Any) -> Any:
    """The stdlib's own ``func``, looking its globals (``socket``, ``getaddrinfo``...) up in this module.

    So ``socketpair``, ``fromfd``, ``create_connection`` and ``create_server``
    are exactly the running Python's (arguments, errors, ``all_errors``...),
    making cooperative sockets and resolving cooperatively.  zio.patch does not
    install these: once ``socket.socket`` is patched the stdlib's functions
    already make cooperative sockets.
    """
    import types

    new = types.FunctionType(func.__code__, globals(), func.__name__, func.__defaults__, func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__qualname__ = func.__qualname__
    new.__doc__ = func.__doc__
    new.__module__ = __name__
    return new


socketpair = _rebind(_std.socketpair)
fromfd = _rebind(_std.fromfd)
create_connection = _rebind(_std.create_connection)
create_server = _rebind(_std.create_server)


# -- name resolution through the hook ---------------------------------------------------
def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:
    """:func:`socket.getaddrinfo` through the cooperative resolver (:data:`_resolve`)."""
    return _resolve.getaddrinfo(host, port, family, type, proto, flags)


def gethostbyname(hostname: str) -> str:
    """:func:`socket.gethostbyname` through the cooperative resolver."""
    return _resolve.gethostbyname(hostname)


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """:func:`socket.gethostbyname_ex` through the cooperative resolver."""
    return _resolve.gethostbyname_ex(hostname)


def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """:func:`socket.gethostbyaddr` through the cooperative resolver."""
    return _resolve.gethostbyaddr(ip_address)


def getnameinfo(sockaddr: tuple, flags: int) -> tuple[str, str]:
    """:func:`socket.getnameinfo` through the cooperative resolver."""
    if not isinstance(sockaddr, tuple):
        # The C function's TypeError, raised before the resolver's frames
        # (kept alive by the traceback) hold a reference to the argument.
        del sockaddr
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    return _resolve.getnameinfo(sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """:func:`socket.getfqdn` through the cooperative resolver."""
    return _resolve.getfqdn(name)


#: The names this module implements differently from the stdlib (for zio.patch).
__implements__ = [
    "socket",
    "socketpair",
    "fromfd",
    "create_connection",
    "create_server",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getnameinfo",
    "getfqdn",
]

if _sys.platform == "win32":  # pragma: no cover - zio targets POSIX
    raise ImportError("zio.green.socket supports POSIX systems only")
