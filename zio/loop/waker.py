"""The self-wakeup channel that lets another thread interrupt a blocked poll.

Linux gets an eventfd (one fd, a counter that never fills); elsewhere a
non-blocking socket pair stands in.  Wakeups are coalesced by the loop, so at
most one byte/count is outstanding at a time.
"""

from __future__ import annotations

import os
import socket

# Captured at import: zio.patch may later make socket.socketpair, os.read and
# os.write cooperative, and the waker runs in the hub, which must never park.
_real_socketpair = socket.socketpair
_os_read = os.read
_os_write = os.write

__all__ = ["Waker"]


class Waker:
    """A readable fd that :meth:`wake` makes ready from any thread."""

    __slots__ = ("fileno", "_write_fd", "_sock_pair", "_eventfd")

    def __init__(self) -> None:
        self._sock_pair = None
        self._eventfd = hasattr(os, "eventfd")
        if self._eventfd:
            fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self.fileno = fd
            self._write_fd = fd
        else:
            reader, writer = _real_socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._sock_pair = (reader, writer)
            self.fileno = reader.fileno()
            self._write_fd = writer.fileno()

    def wake(self) -> None:
        """Make the read end ready.  Safe from any thread and from signal context."""
        try:
            if self._eventfd:
                os.eventfd_write(self._write_fd, 1)
            else:
                _os_write(self._write_fd, b"\0")
        except (BlockingIOError, InterruptedError):
            pass  # already full of wakeups: the reader will see one
        except OSError:
            pass  # closed during interpreter shutdown; nobody is waiting any more

    def drain(self) -> None:
        """Consume pending wakeups so the fd stops being ready."""
        try:
            if self._eventfd:
                os.eventfd_read(self.fileno)
            else:
                while _os_read(self.fileno, 4096):
                    pass
        except (BlockingIOError, InterruptedError):
            pass

    def __del__(self) -> None:
        # A hub created lazily by a short-lived thread is never closed
        # explicitly; do not leak its wakeup fd.
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def close(self) -> None:
        """Release the fds.  Idempotent."""
        if self.fileno < 0:
            return
        if self._sock_pair is not None:
            for sock in self._sock_pair:
                sock.close()
            self._sock_pair = None
        elif self.fileno >= 0:
            os.close(self.fileno)
        self.fileno = -1
        self._write_fd = -1
