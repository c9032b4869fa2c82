"""Exceptions of the fiber runtime."""

from __future__ import annotations

from ..loop.errors import FdClosedError, WrongThreadError

__all__ = [
    "BusyResourceError",
    "Cancelled",
    "ClosedResourceError",
    "DeadlockError",
    "FdClosedError",
    "WrongThreadError",
]


class Cancelled(BaseException):
    """Raised at a blocking point inside a cancelled :class:`~zio.CancelScope`.

    Derives from BaseException so ``except Exception`` does not swallow it.
    Do not catch it without re-raising: the scope that was cancelled absorbs
    it when it exits.  ``Cancelled`` means the interrupted operation did not
    happen: no byte sent, no item taken, no lock held.
    """

    def __init__(self, message: str = "cancelled", scope: object = None) -> None:
        super().__init__(message)
        #: The scope whose cancellation this is; it absorbs the exception on exit.
        self.scope = scope

    def __reduce__(self):  # picklable across processes without the scope
        return (type(self), (self.args[0] if self.args else "cancelled",))


class DeadlockError(RuntimeError):
    """A fiber waits for something that nothing can ever provide.

    Raised in the waiting fiber when every fiber is parked and there is no
    watched fd, no timer, no thread-pool job, no other thread and no signal
    handler that could wake any of them.  The message says what was awaited.
    """


class ClosedResourceError(FdClosedError):
    """The socket/fd was closed (by this or another fiber) while in use.  ``errno`` is EBADF."""


class BusyResourceError(RuntimeError):
    """Another fiber is already using this resource in a way that cannot be shared."""
