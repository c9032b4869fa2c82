"""Errors raised by the event-loop layer."""

from __future__ import annotations

__all__ = ["FdClosedError", "LoopClosedError", "WrongThreadError", "BackendUnavailableError"]


class FdClosedError(OSError):
    """An fd was closed (``notify_closing``) while someone waited on it.  ``errno`` is EBADF."""


class LoopClosedError(RuntimeError):
    """The loop was used after :meth:`Loop.close`."""


class WrongThreadError(RuntimeError):
    """A loop or hub was used from a thread that does not own it."""


class BackendUnavailableError(ValueError):
    """The requested backend is unknown or does not run on this platform."""
