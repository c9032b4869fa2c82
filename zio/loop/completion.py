"""The seam for completion-based backends (io_uring, IOCP).

Readiness backends say "fd 7 is readable, try your recv now".  Completion
backends take the whole operation ("recv up to 4096 bytes into this buffer")
and report when it is done.  zio's I/O layers check
``loop.supports_completions`` and, when a loop sets it, hand operations to
:meth:`CompletionLoop.submit` instead of waiting for readiness.  No backend
implements it yet; io_uring is planned.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

__all__ = ["CompletionLoop"]


class CompletionLoop(Protocol):
    """What a completion-based loop adds to :class:`zio.loop.Loop`."""

    supports_completions: bool

    def submit(self, op: str, fd: int, args: tuple, callback: Callable[[Any, BaseException | None], Any]) -> Any:
        """Start ``op`` (``"recv"``, ``"send"``, ``"accept"``…) on ``fd``.

        ``callback(result, error)`` runs in the loop thread when the kernel
        completes it.  Returns a token accepted by :meth:`cancel`.
        """
        ...

    def cancel(self, token: Any) -> bool:
        """Ask the kernel to cancel a submitted operation; True if it will not complete."""
        ...
