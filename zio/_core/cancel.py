"""Cancel scopes: the one mechanism behind cancellation, timeouts and shields.

A scope is entered by one task and forms a tree with the scopes around it;
a task spawned into a :class:`~zio.Group` hangs its root scope under the
group's scope.  ``cancel()`` marks a scope; every blocking call of every
task inside it (not behind a shield) raises :class:`Cancelled` until the
scope is left (*level-triggered*).  Tasks that are parked when the cancel
arrives are woken through the abort callback they parked with; if the abort
fails (the operation already completed), the operation's result wins and
the cancel is delivered at the next blocking call.
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterator

from . import _state
from ._compat import BaseExceptionGroup
from .errors import Cancelled, WrongThreadError

__all__ = [
    "CancelScope",
    "current_effective_deadline",
    "fail_after",
    "fail_at",
    "move_on_after",
    "move_on_at",
]


class CancelScope:
    """A region of code that can be cancelled as a unit.

    ``with CancelScope() as scope: ...``; ``scope.cancel()`` from anywhere
    (any fiber, any thread).  Attributes: :attr:`deadline` (monotonic time,
    ``math.inf`` for none), :attr:`shield` (block cancellation from outside),
    :attr:`cancelled_caught` (whether this scope absorbed its own
    :class:`Cancelled` on exit) and :attr:`cancel_called`.
    """

    __slots__ = (
        "_deadline",
        "_shield",
        "_cancel_called",
        "_reason",
        "_parent",
        "_children",
        "_owner",
        "_timer",
        "_hub",
        "_state",
        "_timed_out",
        "cancelled_caught",
        "__weakref__",
    )

    def __init__(self, *, deadline: float = math.inf, shield: bool = False) -> None:
        self._deadline = deadline
        self._shield = shield
        self._cancel_called = False
        self._reason = ""
        self._parent: CancelScope | None = None
        self._children: set[CancelScope] | None = None
        self._owner: Any = None
        self._timer: Any = None
        self._hub: Any = None
        self._state = 0  # 0 new, 1 entered, 2 exited
        self._timed_out = False  # the cancel came from the deadline (fail_after)
        #: True if this scope absorbed a Cancelled raised because it was cancelled.
        self.cancelled_caught = False

    # -- entering and leaving ----------------------------------------------
    def __enter__(self) -> "CancelScope":
        if self._state:
            raise RuntimeError("a CancelScope can only be entered once")
        hub = _state.get_hub()
        task = hub.current_task()
        self._attach(hub, task, task._scope)
        task._scope = self
        return self

    def _attach(self, hub: Any, owner: Any, parent: "CancelScope | None") -> None:
        """Link this scope under ``parent`` for ``owner`` (also used for task root scopes)."""
        self._state = 1
        self._hub = hub
        self._owner = owner
        self._parent = parent
        if parent is not None:
            children = parent._children
            if children is None:
                parent._children = {self}
            else:
                children.add(self)
        if self._deadline != math.inf and not self._cancel_called:
            if self._deadline <= hub.loop.time():
                # Already expired (move_on_after(0)): cancelled from the start,
                # so the very first checkpoint raises, not one after the next
                # timer poll.
                self._cancel_called = True
                self._timed_out = True
                self._reason = "deadline expired before the scope was entered"
            else:
                self._timer = hub.loop.call_at(self._deadline, self._deadline_expired)
        if self._cancel_called:
            hub._cancelled_scopes += 1  # see Hub._cancelled_scopes

    def _detach(self) -> None:
        if self._state == 1 and self._cancel_called:
            self._hub._cancelled_scopes -= 1
        self._state = 2
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        parent = self._parent
        if parent is not None and parent._children is not None:
            parent._children.discard(self)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        task = self._owner
        if self._state != 1:
            raise RuntimeError("CancelScope exited but it was never entered or was already exited")
        current = self._hub.current_task()
        if task._scope is not self or current is not task:
            # Misnesting: leave the task in a consistent state (every scope
            # between here and the current one is abandoned but stays
            # cancelled) and say loudly what happened.
            self._detach()
            if current is not task:
                raise RuntimeError(
                    f"CancelScope entered in task {task.name!r} was exited from task "
                    f"{getattr(current, 'name', current)!r}; scopes belong to the task that entered them"
                )
            task._scope = self._parent
            raise RuntimeError(
                "CancelScope exited out of order: an inner scope (or Group) is still open. "
                "Scopes must be exited in the reverse order they were entered (use 'with' blocks)."
            )
        task._scope = self._parent
        self._detach()
        if exc is None:
            return False
        if isinstance(exc, Cancelled):
            if exc.scope is self:
                self.cancelled_caught = True
                return True
            return False
        if isinstance(exc, BaseExceptionGroup):
            matched, rest = exc.split(lambda e: isinstance(e, Cancelled) and e.scope is self)
            if matched is None:
                return False
            self.cancelled_caught = True
            if rest is None:
                return True
            raise rest from None
        return False

    # -- cancelling ----------------------------------------------------------
    def cancel(self, reason: str = "") -> None:
        """Cancel everything inside this scope.  Idempotent; callable from any thread."""
        if self._cancel_called:
            return
        hub = self._hub
        if hub is not None and not hub.in_owner_thread():
            hub.loop.call_soon_threadsafe(self.cancel, reason)
            return
        self._cancel_called = True
        self._reason = reason or "cancel() was called"
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        if self._state == 1:
            hub._cancelled_scopes += 1  # see Hub._cancelled_scopes; _attach counts a scope cancelled before
            self._deliver()

    def _deadline_expired(self) -> None:
        self._timer = None
        if not self._cancel_called:
            self._timed_out = True
            self.cancel(f"deadline expired ({self._hub.loop.time() - self._deadline:+.6f}s late)")

    def _deliver(self) -> None:
        """Wake every parked task this cancellation reaches (not through shields)."""
        hub = self._hub
        stack = [self]
        while stack:
            scope = stack.pop()
            owner = scope._owner
            if owner is not None and owner._scope is scope and owner._abort is not None:
                hub.try_abort(owner)
            if scope._children:
                stack.extend(child for child in scope._children if not child._shield)

    @property
    def cancel_called(self) -> bool:
        """Whether :meth:`cancel` was called or the deadline passed."""
        return self._cancel_called

    @property
    def deadline(self) -> float:
        """Absolute deadline on :func:`zio.current_time`'s clock; ``math.inf`` for none."""
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        if value != value:
            raise ValueError("deadline cannot be NaN")
        self._deadline = float(value)
        if self._state != 1 or self._cancel_called:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if value != math.inf:
            if value <= self._hub.loop.time():
                self._timed_out = True
                self.cancel("deadline expired")
            else:
                self._timer = self._hub.loop.call_at(value, self._deadline_expired)

    @property
    def shield(self) -> bool:
        """While True, cancellation of enclosing scopes does not reach inside."""
        return self._shield

    @shield.setter
    def shield(self, value: bool) -> None:
        value = bool(value)
        if value == self._shield:
            return
        self._shield = value
        # Dropping a shield exposes the scope to a cancel that already happened
        # outside: wake whoever is parked in here now, not at their next call.
        if not value and self._state == 1:
            outer = self._parent
            while outer is not None:
                if outer._cancel_called:
                    self._deliver()
                    break
                if outer._shield:
                    break
                outer = outer._parent

    def __repr__(self) -> str:
        bits = []
        if self._cancel_called:
            bits.append("cancelled")
        if self._shield:
            bits.append("shield")
        if self._deadline != math.inf:
            bits.append(f"deadline={self._deadline:.3f}")
        return f"<CancelScope {' '.join(bits) or 'active'} at {id(self):#x}>"


def cancel_origin(task: Any) -> CancelScope | None:
    """The outermost cancelled scope that reaches ``task``'s current position, if any."""
    scope = task._scope
    origin = None
    while scope is not None:
        if scope._cancel_called:
            origin = scope
        if scope._shield:
            break
        scope = scope._parent
    return origin


def make_cancelled(task: Any, origin: CancelScope) -> Cancelled:
    """The exception delivered to ``task`` for ``origin``'s cancellation."""
    return Cancelled(f"cancelled: {origin._reason} (task {task.name!r})", origin)


class _TimeoutScope(CancelScope):
    """A scope whose exit turns a deadline expiry it absorbed into ``TimeoutError``.

    An explicit ``cancel()`` of the scope is absorbed silently, like any scope's.
    """

    __slots__ = ()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        absorbed = super().__exit__(exc_type, exc, tb)
        if absorbed and self.cancelled_caught and self._timed_out:
            raise TimeoutError(f"operation timed out after deadline {self._deadline:.6f}")
        return absorbed


def _now() -> float:
    hub = _state.peek_hub()
    return hub.loop.time() if hub is not None else time.monotonic()


def move_on_at(deadline: float, *, shield: bool = False) -> CancelScope:
    """A scope cancelled at ``deadline``; on expiry the block is left silently (check ``cancelled_caught``)."""
    return CancelScope(deadline=deadline, shield=shield)


def move_on_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """A scope cancelled ``seconds`` from now; on expiry the block is left silently."""
    if seconds != seconds or seconds < 0:
        raise ValueError(f"timeout must be a non-negative number, got {seconds!r}")
    return CancelScope(deadline=_now() + seconds, shield=shield)


def fail_at(deadline: float, *, shield: bool = False) -> CancelScope:
    """A scope cancelled at ``deadline`` that raises ``TimeoutError`` if the deadline cut it short."""
    return _TimeoutScope(deadline=deadline, shield=shield)


def fail_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """A scope that raises ``TimeoutError`` if its block is still running ``seconds`` from now."""
    if seconds != seconds or seconds < 0:
        raise ValueError(f"timeout must be a non-negative number, got {seconds!r}")
    return _TimeoutScope(deadline=_now() + seconds, shield=shield)


def current_effective_deadline() -> float:
    """The earliest deadline among the scopes around the current call (``math.inf`` if none)."""
    task = _state.get_hub().current_task()
    scope = task._scope
    deadline = math.inf
    while scope is not None:
        if scope._cancel_called:
            return -math.inf
        if scope._deadline < deadline:
            deadline = scope._deadline
        if scope._shield:
            break
        scope = scope._parent
    return deadline


def iter_scopes(task: Any) -> Iterator[CancelScope]:
    """The scopes around ``task``'s current position, innermost first (for debugging)."""
    scope = task._scope
    while scope is not None:
        yield scope
        scope = scope._parent


__all__ += ["WrongThreadError"]
