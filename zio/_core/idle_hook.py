"""IdleHook: a callback a hub runs once it has been idle for a while (``Hub.call_when_idle``).

zio.testing's autojump clock and ``wait_all_tasks_blocked`` are built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["IdleHook"]


class IdleHook:
    """A callback registered with :meth:`Hub.call_when_idle`; ``cancel()`` removes it."""

    __slots__ = ("_hub", "cushion", "callback")

    def __init__(self, hub: "Hub", cushion: float, callback: Callable[[], Any]) -> None:
        self._hub: "Hub | None" = hub
        self.cushion = cushion
        self.callback = callback

    def cancel(self) -> bool:
        """Remove the hook; returns whether it was still pending (False once it fired)."""
        hub = self._hub
        if hub is None:
            return False
        self._hub = None
        hub._idle_hooks.remove(self)
        return True

    def __repr__(self) -> str:
        state = "pending" if self._hub is not None else "done"
        return f"<IdleHook cushion={self.cushion} {state} {self.callback!r}>"


def _hook_key(hook: IdleHook) -> float:
    return hook.cushion
