"""select: wait for the first of several operations; exactly one takes effect.

``zio.select(rx.receive_op(), tx.send_op(item), task, event, TimeoutOp(1.0))``
returns a :class:`Selected` ``(index, op, value)`` naming the operation that
completed.  The others did not happen: a send that lost sent nothing, a
receive that lost took nothing.

How (see ``_waiter`` for the shared rules):

1. Every operation is tried without blocking, in argument order; the first
   that can complete does, and select returns (no yield).
2. Otherwise one waiter per operation is queued on its primitive; they
   share a :class:`SelectState`.  Whoever wants to hand something to one of
   them (a sender, ``Event.set``, a finishing task) must first *claim* the
   select under its lock: only the first claim succeeds, so only one
   operation completes, and the handoff is made at claim time.
3. A cancel (or the select's own timeout) also goes through the select's
   lock: if no operation was claimed yet the select is marked aborted and
   nothing happened; if one was, the abort fails and select returns that
   operation's result; the cancel is raised at the next blocking call.  An
   item claimed for a select is never dropped (the flaw the Zig zio had).
4. Afterwards every still-queued waiter is removed.

Plain objects are accepted as operations: a :class:`~zio.Task` (join), an
:class:`Event` or :class:`Future` (wait), a :class:`ReceiveEnd`, a
:class:`Channel` or a broadcast :class:`Subscriber` (receive).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._core.api import current_time
from .._core.cancel import move_on_at
from .._core.errors import WrongThreadError
from .._core.task import DONE, Task
from ._waiter import ABORTED, SelectState, Waiter, check_cancelled, current
from .channel import _BLOCK, _DONE, _LOST, Channel, ReceiveEnd
from .errors import WouldBlock

__all__ = [
    "EventWaitOp",
    "FutureWaitOp",
    "JoinOp",
    "ReceiveOp",
    "SelectOp",
    "Selected",
    "SendOp",
    "TimeoutOp",
    "select",
    "try_select",
]


class Selected(NamedTuple):
    """What :func:`select` returns: which operation won and its value."""

    #: Position of the winning operation in the arguments.
    index: int
    #: The winning operation object (compare with ``is``).
    op: Any
    #: Its value: the item received, None for a send/timeout, True for an
    #: event, the task's result for a join, the future's result.
    value: Any


class SelectOp:
    """Base of the operations :func:`select` accepts.

    The protocol (internal): ``_try()`` completes now or returns
    ``(False, None)``; ``_register(waiter)`` is ``_try`` under the
    primitive's lock that, if it cannot complete, queues ``waiter`` and
    returns False (True: the select is decided, by this operation or an
    earlier one); ``_unregister(waiter)`` removes it if still queued.
    """

    __slots__ = ()

    def _try(self) -> tuple[bool, Any]:
        raise NotImplementedError

    def _register(self, waiter: Waiter) -> bool:
        raise NotImplementedError

    def _unregister(self, waiter: Waiter) -> None:
        raise NotImplementedError

    def _result(self, waiter: Waiter) -> Any:
        if waiter.exc is not None:
            raise waiter.exc
        return waiter.value

    def _describe(self) -> str:
        return repr(self)


class ReceiveOp(SelectOp):
    """Receive one item from a channel's receive end (value: the item).

    If the stream has ended (or the handle is closed) this operation
    completes by raising EndOfChannel (ClosedResourceError) from select.
    """

    __slots__ = ("handle",)

    def __init__(self, handle: ReceiveEnd) -> None:
        self.handle = handle

    def _try(self) -> tuple[bool, Any]:
        ch = self.handle._channel
        with ch._guard:
            got = ch._receive_locked(self.handle, None)
        if got is _BLOCK:
            return False, None
        item, peer = got
        if peer is not None:
            peer.wake()
        return True, item

    def _register(self, waiter: Waiter) -> bool:
        ch = self.handle._channel
        with ch._guard:
            try:
                got = ch._receive_locked(self.handle, waiter)
            except Exception as exc:  # noqa: BLE001 - the op completes with this error
                if waiter.claim():
                    waiter.exc = exc
                return True
            if got is _LOST:
                return True
            if got is _BLOCK:
                waiter.queue, waiter.handle = ch._receivers, self.handle
                ch._receivers.append(waiter)
                return False
            item, peer = got
            waiter.value = item
        if peer is not None:
            peer.wake()
        return True

    def _unregister(self, waiter: Waiter) -> None:
        ch = self.handle._channel
        with ch._guard:
            ch._receivers.discard(waiter)

    def _describe(self) -> str:
        return f"receive on {self.handle._channel!r}"

    def __repr__(self) -> str:
        return f"<zio.ReceiveOp {self.handle!r}>"


class SendOp(SelectOp):
    """Send ``item`` through a channel's send end (value: None).

    Errors of the send (BrokenResourceError, ClosedResourceError) complete
    the operation and are raised from select; the item was not sent.
    """

    __slots__ = ("handle", "item")

    def __init__(self, handle: Any, item: Any) -> None:
        self.handle = handle
        self.item = item

    def _try(self) -> tuple[bool, Any]:
        ch = self.handle._channel
        with ch._guard:
            peer = ch._send_locked(self.handle, self.item, None)
        if peer is _BLOCK:
            return False, None
        if peer is not _DONE:
            peer.wake()
        return True, None

    def _register(self, waiter: Waiter) -> bool:
        ch = self.handle._channel
        with ch._guard:
            try:
                peer = ch._send_locked(self.handle, self.item, waiter)
            except Exception as exc:  # noqa: BLE001 - the op completes with this error
                if waiter.claim():
                    waiter.exc = exc
                return True
            if peer is _LOST:
                return True
            if peer is _BLOCK:
                waiter.queue, waiter.handle = ch._senders, self.handle
                waiter.payload = self.item
                ch._senders.append(waiter)
                return False
        if peer is not _DONE:
            peer.wake()
        return True

    def _unregister(self, waiter: Waiter) -> None:
        ch = self.handle._channel
        with ch._guard:
            ch._senders.discard(waiter)

    def _describe(self) -> str:
        return f"send on {self.handle._channel!r}"

    def __repr__(self) -> str:
        return f"<zio.SendOp {self.item!r} to {self.handle!r}>"


class EventWaitOp(SelectOp):
    """Wait for an :class:`Event` (value: True)."""

    __slots__ = ("event",)

    def __init__(self, event: Any) -> None:
        self.event = event

    def _try(self) -> tuple[bool, Any]:
        return self.event._select_try()

    def _register(self, waiter: Waiter) -> bool:
        return self.event._select_register(waiter)

    def _unregister(self, waiter: Waiter) -> None:
        self.event._select_unregister(waiter)

    def _describe(self) -> str:
        return f"wait for {self.event!r}"

    def __repr__(self) -> str:
        return f"<zio.EventWaitOp {self.event!r}>"


class FutureWaitOp(EventWaitOp):
    """Wait for a :class:`Future` (value: its result; its exception is raised from select)."""

    __slots__ = ()

    def _result(self, waiter: Waiter) -> Any:
        return self.event._outcome()

    def _try(self) -> tuple[bool, Any]:
        done, _ = self.event._select_try()
        return (True, self.event._outcome()) if done else (False, None)

    def __repr__(self) -> str:
        return f"<zio.FutureWaitOp {self.event!r}>"


def _join_watcher(hub: Any, task: Task, waiter: Waiter) -> None:
    """Helper task of a JoinOp: wait for ``task`` to finish, then try to win the select."""
    hub.join_task(task, None)  # Cancelled here when the select ends first
    if waiter.claim():
        waiter.wake()


class JoinOp(SelectOp):
    """Wait for a task (same thread) to finish (value: its result; its exception is raised)."""

    __slots__ = ("task",)

    def __init__(self, task: Task) -> None:
        self.task = task

    def _try(self) -> tuple[bool, Any]:
        task = self.task
        if task._status == DONE:
            return True, task._outcome()
        return False, None

    def _register(self, waiter: Waiter) -> bool:
        task = self.task
        hub = waiter.task._hub
        if task._hub is not hub:
            raise WrongThreadError(f"task {task.name!r} belongs to another thread's hub; select on it there")
        if task._status == DONE:
            waiter.claim()
            return True
        # A small helper task does the joining, so a task's joiners stay
        # plain parked tasks; the select cancels it when it ends.
        waiter.payload = hub.spawn(
            _join_watcher, (hub, task, waiter), name=f"zio.select join of {task.name!r}"
        )
        return False

    def _unregister(self, waiter: Waiter) -> None:
        watcher = waiter.payload
        if watcher is not None and not watcher.done():
            watcher.cancel("the select ended")

    def _result(self, waiter: Waiter) -> Any:
        return self.task._outcome()

    def _describe(self) -> str:
        return f"join of task {self.task.name!r}"

    def __repr__(self) -> str:
        return f"<zio.JoinOp {self.task!r}>"


class TimeoutOp(SelectOp):
    """Completes (value None) when ``seconds`` have passed since select() started, or at ``deadline``."""

    __slots__ = ("seconds", "deadline")

    def __init__(self, seconds: float | None = None, *, deadline: float | None = None) -> None:
        if (seconds is None) == (deadline is None):
            raise TypeError("TimeoutOp() takes either seconds or deadline=")
        if seconds is not None and (seconds != seconds or seconds < 0):
            raise ValueError(f"timeout must be a non-negative number, got {seconds!r}")
        self.seconds = seconds
        self.deadline = deadline

    def _deadline_from(self, now: float) -> float:
        return self.deadline if self.deadline is not None else now + self.seconds  # type: ignore[operator]

    def _describe(self) -> str:
        return f"timeout {self.seconds}s" if self.seconds is not None else f"deadline {self.deadline}"

    def __repr__(self) -> str:
        return f"<zio.TimeoutOp {self._describe()}>"


def _as_op(obj: Any) -> SelectOp:
    if isinstance(obj, SelectOp):
        return obj
    if isinstance(obj, Task):
        return JoinOp(obj)
    if isinstance(obj, ReceiveEnd):
        return ReceiveOp(obj)
    if isinstance(obj, Channel):
        return ReceiveOp(obj.receive_end)
    op_factory = getattr(obj, "_select_op", None)
    if op_factory is not None:
        return op_factory()
    raise TypeError(
        f"zio.select() cannot wait on {obj!r}; pass operations such as rx.receive_op(), tx.send_op(item), "
        "a Task, an Event, a Future or TimeoutOp(seconds)"
    )


def _annotate(exc: BaseException, index: int, op: SelectOp) -> None:
    # Tell the caller which operation failed (e.g. which channel ended).
    if not isinstance(op, (JoinOp, FutureWaitOp)):
        try:
            exc.select_index = index  # type: ignore[attr-defined]
            exc.select_op = op  # type: ignore[attr-defined]
        except AttributeError:
            pass


def _try_all(ops: list[SelectOp], now: float | None) -> Selected | None:
    for index, op in enumerate(ops):
        if isinstance(op, TimeoutOp):
            if now is not None and op._deadline_from(now) <= now:
                return Selected(index, op, None)
            continue
        try:
            done, value = op._try()
        except Exception as exc:
            _annotate(exc, index, op)
            raise
        if done:
            return Selected(index, op, value)
    return None


def try_select(*ops: Any) -> Selected:
    """Complete the first operation that can complete without waiting, else raise :class:`WouldBlock`.

    A TimeoutOp counts as ready only if it is already due.  Not a checkpoint.
    """
    op_list = [_as_op(op) for op in ops]
    if not op_list:
        raise ValueError("try_select() needs at least one operation")
    found = _try_all(op_list, current_time() if any(isinstance(o, TimeoutOp) for o in op_list) else None)
    if found is None:
        raise WouldBlock("no operation of the select can complete now")
    return found


def select(*ops: Any) -> Selected:
    """Wait until one of ``ops`` completes; return :class:`Selected` for it.

    Exactly one operation takes effect.  Operations are tried in argument
    order, so with several ready the first listed wins.  A cancellation
    point: Cancelled means none of them took effect.  If the winning
    operation failed (a receive hit EndOfChannel, a joined task raised...),
    select raises that exception; channel errors carry ``select_index`` and
    ``select_op`` attributes saying which operation it was.
    """
    op_list = [_as_op(op) for op in ops]
    if not op_list:
        raise ValueError("select() needs at least one operation")
    check_cancelled()
    timeouts = [(i, op) for i, op in enumerate(op_list) if isinstance(op, TimeoutOp)]
    now = current_time() if timeouts else None
    found = _try_all(op_list, now)
    if found is not None:
        return found

    hub, task = current()
    sel = SelectState(lambda: "zio.select() of " + ", ".join(op._describe() for op in op_list))
    registered: list[tuple[SelectOp, Waiter]] = []
    try:
        self_won = False
        for index, op in enumerate(op_list):
            if isinstance(op, TimeoutOp):
                continue
            waiter = Waiter(task, None, sel, sel=sel)
            waiter.kind = index
            registered.append((op, waiter))
            try:
                decided = op._register(waiter)
            except Exception as exc:
                _annotate(exc, index, op)
                raise
            if decided:
                # A waiter whose registration completed it was never queued,
                # so nobody else can have claimed it: if it is the winner we
                # won synchronously.  Otherwise an earlier, queued arm was
                # claimed by another thread and its wakeup is on its way.
                self_won = sel.winner is waiter
                break
        winner = sel.winner if self_won else _park(hub, sel, timeouts, now)
    finally:
        for op, waiter in registered:
            if waiter is not sel.winner:
                op._unregister(waiter)
    if winner is None:
        index, op = winner_timeout(timeouts, now)
        return Selected(index, op, None)
    op = op_list[winner.kind]
    try:
        value = op._result(winner)
    except Exception as exc:
        _annotate(exc, winner.kind, op)
        raise
    return Selected(winner.kind, op, value)


def winner_timeout(timeouts: list[tuple[int, SelectOp]], now: float | None) -> tuple[int, SelectOp]:
    """The TimeoutOp with the earliest deadline (the one that fired)."""
    return min(timeouts, key=lambda pair: pair[1]._deadline_from(now))  # type: ignore[attr-defined]


def _park(hub: Any, sel: SelectState, timeouts: list, now: float | None) -> Waiter | None:
    """Park until an arm is claimed; None if a TimeoutOp fired first."""

    def abort() -> bool:
        with sel.lock:
            if sel.winner is not None:
                return False  # an arm already completed: it wins over the cancel
            sel.winner = ABORTED
            return True

    if not timeouts:
        hub.park(abort, sel)
        return sel.winner
    deadline = min(op._deadline_from(now) for _, op in timeouts)
    if deadline == math.inf:
        hub.park(abort, sel)
        return sel.winner
    with move_on_at(deadline) as scope:
        hub.park(abort, sel)
    if scope.cancelled_caught:
        return None
    return sel.winner
