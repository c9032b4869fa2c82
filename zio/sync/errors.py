"""Exceptions of the synchronization layer.

Using a handle (channel end, subscriber) after closing it raises the
runtime's :class:`zio.ClosedResourceError`, the same class sockets raise:
one ``except zio.ClosedResourceError`` covers every kind of closed resource.
(It is an ``OSError`` with ``errno`` EBADF, like a closed fd.)

Where the stdlib has an exception for the same situation zio raises the
stdlib's class, so code written against :mod:`threading`/:mod:`queue`
catches it unchanged: :class:`threading.BrokenBarrierError`,
:class:`queue.Empty`, :class:`queue.Full` (and ``queue.ShutDown`` on 3.13+).
"""

from __future__ import annotations

import errno
import queue as _queue
import threading as _threading

from .._core.errors import ClosedResourceError

__all__ = [
    "BrokenBarrierError",
    "BrokenResourceError",
    "ClosedResourceError",
    "Empty",
    "EndOfChannel",
    "Full",
    "Lagged",
    "ShutDown",
    "WouldBlock",
    "closed_error",
]

BrokenBarrierError = _threading.BrokenBarrierError
Empty = _queue.Empty
Full = _queue.Full


class WouldBlock(Exception):
    """A non-blocking operation (``try_send``, ``try_receive``, ``try_select``...) could not complete now."""


class EndOfChannel(Exception):
    """Receiving from a channel whose every send end is closed, after the buffer was drained.

    The normal end of a stream, not an error: ``for item in receive_end``
    stops on it.
    """


class BrokenResourceError(Exception):
    """The other side is gone: sending on a channel whose every receive end is closed.

    The item was not sent.
    """


class Lagged(Exception):
    """A broadcast subscriber fell behind and ``missed`` items were overwritten before it read them.

    The subscriber has been moved to the oldest item still retained; the
    next receive continues from there.
    """

    def __init__(self, missed: int) -> None:
        super().__init__(f"subscriber lagged behind: {missed} item(s) were overwritten before it read them")
        #: How many items this subscriber will never see.
        self.missed = missed

    def __reduce__(self):
        return (type(self), (self.missed,))


if hasattr(_queue, "ShutDown"):  # Python 3.13+
    ShutDown = _queue.ShutDown
else:

    class ShutDown(Exception):  # type: ignore[no-redef]
        """Raised by ``put``/``get`` on a queue that was ``shutdown()`` (``queue.ShutDown`` on 3.13+)."""


def closed_error(what: str) -> ClosedResourceError:
    """A ClosedResourceError for using ``what`` after it was closed."""
    return ClosedResourceError(errno.EBADF, f"{what} was closed (by this or another task); it cannot be used")
