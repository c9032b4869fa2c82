"""``Stream``: a connected byte stream (TCP or Unix) with buffered reads."""

from __future__ import annotations

import _socket
import errno
import socket as _std
from typing import Any

from .._core.io import wait_fd
from ..green._wait import READ, WRITE, raise_if_cancelled
from ._common import IncompleteReadError, LimitOverrunError, SocketOwner, closed_error

__all__ = ["Stream"]

_c_recv = _socket.socket.recv
_c_send = _socket.socket.send

# Buffer types whose len() is their size in bytes (sendall's fast path).
_SIZED_BY_LEN = frozenset((bytes, bytearray))

#: Default ``max_bytes`` for :meth:`Stream.recv`.
DEFAULT_RECV_SIZE = 65536
#: Default limit for :meth:`Stream.readline` / :meth:`Stream.read_until`.
DEFAULT_LINE_LIMIT = 65536


class Stream(SocketOwner):
    """A connected stream socket.

    ``recv(max_bytes)`` returns whatever has arrived (``b""`` at end of
    stream); :meth:`readline`, :meth:`read_exactly` and :meth:`read_until`
    buffer.  :meth:`sendall` (alias :meth:`write`) sends everything.  Every
    blocking method is a checkpoint; a cancelled read consumed nothing
    (bytes already received stay buffered).  Use as a context manager to
    close it.  Timeouts: wrap calls in ``zio.fail_after`` / ``move_on_after``.
    """

    __slots__ = ("_buf", "_drained")

    def __init__(self, sock: _std.socket) -> None:
        SocketOwner.__init__(self, sock)
        self._buf = bytearray()
        # Whether the last receive emptied the socket (see _fill).
        self._drained = False

    # -- info ---------------------------------------------------------------------------
    @property
    def local_address(self) -> Any:
        """This end's address (``getsockname()``)."""
        return self._sock.getsockname()

    @property
    def remote_address(self) -> Any:
        """The peer's address (``getpeername()``)."""
        return self._sock.getpeername()

    def fileno(self) -> int:
        """The fd (-1 once closed)."""
        return -1 if self._closed else self._fd

    # -- receiving -----------------------------------------------------------------------
    def _fill(self, max_bytes: int = DEFAULT_RECV_SIZE) -> bytes:
        """One receive from the socket, parking until data or EOF.

        When the previous receive drained the socket (it returned less than
        asked for), this one waits for readiness *before* trying: on
        request/response traffic the peer is still waiting for our answer, so
        the receive would fail with EAGAIN, costing a syscall and a
        BlockingIOError per message.  The fd stays armed between waits (no
        ``epoll_ctl``), and data that did arrive meanwhile is reported by the
        next (level-triggered) poll at once.  Otherwise it tries first.
        """
        if self._closed:
            raise closed_error("stream")
        sock = self._sock
        if self._drained:
            wait_fd(self._fd, READ, keep_armed=True)
        while True:
            try:
                data = _c_recv(sock, max_bytes)
            except BlockingIOError:
                wait_fd(self._fd, READ, keep_armed=True)
                continue
            except OSError as err:
                self._recv_failed(err)
            self._drained = len(data) < max_bytes
            return data

    def _recv_failed(self, err: OSError) -> None:
        """Raise the error of a failed receive: ClosedResourceError if we closed the stream meanwhile."""
        if err.errno == errno.EBADF and self._closed:
            raise closed_error("stream") from None
        raise err

    def recv(self, max_bytes: int = DEFAULT_RECV_SIZE) -> bytes:
        """Up to ``max_bytes`` bytes: whatever has arrived, waiting for at least one; ``b""`` at end of stream."""
        if self._buf or self._closed or max_bytes < 1:
            return self._recv_other(max_bytes)
        # The common case, written out (it runs once per message): nothing
        # buffered, so one receive from the socket.  A drained stream parks
        # first (see _fill), and parking is the checkpoint.
        if self._drained:
            wait_fd(self._fd, READ, keep_armed=True)
        else:
            raise_if_cancelled()
        try:
            data = _c_recv(self._sock, max_bytes)
        except BlockingIOError:
            self._drained = True  # so _fill waits before trying again
            return self._fill(max_bytes)
        except OSError as err:
            self._recv_failed(err)
        self._drained = len(data) < max_bytes
        return data

    def _recv_other(self, max_bytes: int) -> bytes:
        """recv() with bytes buffered, on a closed stream, or with a bad ``max_bytes``."""
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
        buf = self._buf
        if buf:
            raise_if_cancelled()
            data = bytes(buf[:max_bytes])
            del buf[:max_bytes]
            return data
        raise closed_error("stream")

    def read_exactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; :class:`IncompleteReadError` if the stream ends first."""
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        raise_if_cancelled()
        buf = self._buf
        while len(buf) < n:
            chunk = self._fill(max(n - len(buf), DEFAULT_RECV_SIZE))
            if not chunk:
                raise IncompleteReadError(bytes(buf), n)
            buf += chunk
        data = bytes(buf[:n])
        del buf[:n]
        return data

    def read_until(self, delimiter: bytes = b"\n", max_bytes: int = DEFAULT_LINE_LIMIT) -> bytes:
        """Bytes up to and including ``delimiter``.

        :class:`IncompleteReadError` if the stream ends first;
        :class:`LimitOverrunError` if ``max_bytes`` arrive without it.  In
        both cases the data stays buffered.
        """
        if not delimiter:
            raise ValueError("delimiter must not be empty")
        raise_if_cancelled()
        buf = self._buf
        start = 0
        while True:
            idx = buf.find(delimiter, start)
            if idx >= 0:
                end = idx + len(delimiter)
                if end > max_bytes:
                    raise LimitOverrunError(f"delimiter found after {end} bytes, more than max_bytes={max_bytes}")
                data = bytes(buf[:end])
                del buf[:end]
                return data
            if len(buf) >= max_bytes:
                raise LimitOverrunError(f"no delimiter {delimiter!r} within max_bytes={max_bytes}")
            start = max(0, len(buf) - len(delimiter) + 1)
            chunk = self._fill()
            if not chunk:
                raise IncompleteReadError(bytes(buf), delimiter)
            buf += chunk

    def readline(self, max_bytes: int = DEFAULT_LINE_LIMIT) -> bytes:
        """One line including ``b"\\n"``; at end of stream, the rest (``b""`` when none), like a file."""
        try:
            return self.read_until(b"\n", max_bytes)
        except IncompleteReadError as err:
            self._buf.clear()
            return err.partial

    # -- sending -------------------------------------------------------------------------
    def sendall(self, data: Any) -> None:
        """Send all of ``data``.  On cancellation or error, part of it may have been sent."""
        if self._closed:
            raise closed_error("stream")
        raise_if_cancelled()
        sock = self._sock
        try:
            sent = _c_send(sock, data)
        except BlockingIOError:
            sent = 0
        total = len(data) if type(data) in _SIZED_BY_LEN else memoryview(data).nbytes
        if sent >= total:
            return
        with memoryview(data) as view, view.cast("B") as flat:
            while sent < total:
                wait_fd(self._fd, WRITE, keep_armed=True)
                try:
                    sent += _c_send(sock, flat[sent:])
                except BlockingIOError:
                    pass

    write = sendall

    def send_eof(self) -> None:
        """Half-close: the peer reads end of stream; this side can still receive."""
        if self._closed:
            raise closed_error("stream")
        self._sock.shutdown(_std.SHUT_WR)

    # -- closing: close(), closed and ``with`` come from SocketOwner ----------------------
    def __repr__(self) -> str:
        if self._closed:
            return "<zio.net.Stream closed>"
        try:
            return f"<zio.net.Stream {self.local_address!r} <-> {self.remote_address!r}>"
        except OSError:
            return f"<zio.net.Stream fd={self._fd}>"
