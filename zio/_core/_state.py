"""Per-thread runtime state: which hub belongs to this OS thread.

Kept apart from ``hub.py`` so low-level modules (cancel scopes, tasks) can
find the current hub without import cycles.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["get_hub", "peek_hub", "set_hub"]

_local = threading.local()


def peek_hub() -> "Hub | None":
    """This thread's hub, or None if none was created yet."""
    return getattr(_local, "hub", None)


def set_hub(hub: "Hub | None") -> None:
    """Install ``hub`` as this thread's hub (None removes it)."""
    _local.hub = hub


def get_hub() -> "Hub":
    """This thread's hub, created on first use with the ``$ZIO_BACKEND`` backend."""
    hub = getattr(_local, "hub", None)
    if hub is None:
        from .hub import Hub

        hub = _local.hub = Hub()
    return hub
