"""Waiters: how every zio.sync primitive parks a task and hands it something.

One rule makes "Cancelled means it did not happen" hold everywhere, across
threads too:

* Each primitive guards its state with a *real* lock (``_thread`` lock
  captured at import, so it stays real after ``zio.patch.all()``).
* A task that must wait puts a :class:`Waiter` in the primitive's queue
  (an ``OrderedDict`` used as an ordered set: FIFO, O(1) removal) and parks.
* Whoever satisfies the wait (a release, a send, a set) does it *under the
  primitive's lock*: it removes the waiter from the queue, hands over the
  item/lock/permit by writing it into the waiter (the *handoff*), and then
  wakes the task (directly on its own hub, or through the waiter's hub's
  thread-safe wakeup from another thread).
* A cancel calls :meth:`Waiter.abort`, which takes the same lock: if the
  waiter is still queued it is removed and the task raises Cancelled (nothing
  happened); if it is gone, the handoff already happened, abort returns
  False, and the task resumes with what it was given (the cancel is raised at
  its next blocking call).  So a wakeup racing a cancel always wins and
  nothing is ever lost.

``select`` adds one twist: a task waits in several queues at once, and only
one of them may hand it anything.  Its waiters share a :class:`SelectState`;
a handoff to a select waiter first *claims* the select (a compare-and-set
under the select's own lock).  A waiter whose select was already won
elsewhere is dead: it is dropped from the queue and the next one is tried.
Lock order is always primitive lock, then select lock(s) (two select locks in
``id`` order), so claims from several threads cannot deadlock.

Hot paths.  The most used methods (Channel send/receive, Queue put/get,
Lock and RLock acquire/release) spell out what the helpers here do, because
in CPython each call and each ``with`` costs about as much as the work
itself (benchmarks/bench_sync.py measures it):

* the calling task comes from :func:`check_cancelled`, which returns it,
  so the cancellation check and the task lookup are one call (Channel and
  Queue); Lock and RLock, whose release is on the same path, read
  ``getcurrent()._zio_task`` directly;
* the guard is taken with ``acquire()`` / ``release()`` (``with`` on a
  ``_thread`` lock costs twice as much);
* a waiter of the caller's own hub is woken with ``hub.unpark`` directly
  (:meth:`Waiter.wake` minus its thread check: the caller is a task of
  that hub, so it runs on the hub's thread).
"""

from __future__ import annotations

import _thread
from collections import OrderedDict
from typing import Any, Callable

from greenlet import getcurrent

from .._core import _state
from .._core.cancel import CancelScope, cancel_origin, make_cancelled
from .._core.task import Task
from ..loop import LoopClosedError

__all__ = [
    "ABORTED",
    "SelectState",
    "Waiter",
    "WaitQueue",
    "allocate_lock",
    "check_cancelled",
    "claim_pair",
    "current",
    "current_task",
    "describe_owner",
    "park",
    "park_uncancellable",
    "validate_timeout",
]

# Captured at import: zio.patch may later replace the _thread module's
# functions with fiber-aware ones, but a primitive's guard must be a real lock.
allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident

#: The ordered set type every wait queue uses (insertion order = FIFO).
WaitQueue = OrderedDict

_MISSING: Any = object()

#: ``SelectState.winner`` once the select was cancelled: no arm may win.
ABORTED: Any = object()


class SelectState:
    """What the waiters of one ``select`` call share: who won, under a lock."""

    __slots__ = ("lock", "winner", "what")

    def __init__(self, what: Callable[[], str]) -> None:
        self.lock = allocate_lock()
        self.winner: Any = None
        self.what = what

    def __call__(self) -> str:  # the park's ``waiting_for`` description
        return self.what()


class Waiter:
    """One parked task in one primitive's queue (see the module docstring).

    ``value``/``exc`` are written by whoever completes the wait, before the
    wake; ``payload`` is what the waiter offers (the item a sender sends);
    ``kind`` is free for the primitive (e.g. reader/writer).
    """

    __slots__ = ("hub", "task", "lock", "queue", "what", "value", "exc", "payload", "sel", "kind", "handle")

    def __init__(
        self,
        hub: Any,
        task: Any,
        lock: Any,
        queue: Any,
        what: Any,
        payload: Any = None,
        sel: SelectState | None = None,
    ) -> None:
        self.hub = hub
        self.task = task
        self.lock = lock
        self.queue = queue
        self.what = what
        self.value: Any = None
        self.exc: BaseException | None = None
        self.payload = payload
        self.sel = sel
        self.kind: Any = None
        self.handle: Any = None

    def __call__(self) -> str:
        """Description of the wait, for deadlock reports and ``Task.waiting_for``."""
        what = self.what
        return what() if callable(what) else str(what)

    def claim(self) -> bool:
        """Win this waiter's select for it (always True for a plain waiter).

        Call with the primitive's lock held, just before a handoff.  False
        means the select already ended (another arm won, or it was
        cancelled): the waiter is dead and must be dropped, not handed to.
        """
        sel = self.sel
        if sel is None:
            return True
        with sel.lock:
            if sel.winner is not None:
                return False
            sel.winner = self
            return True

    def wake(self) -> None:
        """Resume the task after a handoff (call after releasing the primitive's lock)."""
        hub = self.hub
        if hub.thread_id == _get_ident():
            hub.unpark(self.task, self)
        else:
            try:
                hub.loop.call_soon_threadsafe(_wake_in_owner, self)
            except LoopClosedError:
                pass  # that thread's hub is gone: nobody is waiting any more

    def abort(self) -> bool:
        """Undo the wait for a cancel; False if the handoff already happened."""
        with self.lock:
            return self.queue.pop(self, _MISSING) is not _MISSING

    def __repr__(self) -> str:
        return f"<zio.sync.Waiter {getattr(self.task, 'name', self.task)!r} for {self()}>"


def _wake_in_owner(waiter: Waiter) -> None:
    """Thread-safe wakeup, now running in the waiter's hub thread."""
    task = waiter.task
    token = waiter.sel if waiter.sel is not None else waiter
    # Only unpark the park this waiter belongs to (a forced deadlock report
    # may have resumed the task already; never wake an unrelated later park).
    if task._parked and task._waiting_for is token:
        waiter.hub.unpark(task, waiter)


def claim_pair(mine: Waiter | None, theirs: Waiter) -> int:
    """Claim the peer waiter ``theirs`` and, when selecting, our own select too.

    Returns 1 on success (both claimed), 0 if ``theirs`` is dead (drop it),
    -1 if our own select already ended (stop, leave ``theirs`` queued), and
    -2 if ``theirs`` belongs to our own select (a select cannot rendezvous
    with itself: skip it).
    """
    a = mine.sel if mine is not None else None
    b = theirs.sel
    if a is None:
        return 1 if theirs.claim() else 0
    if b is None:
        return 1 if mine.claim() else -1  # type: ignore[union-attr]
    if a is b:
        return -2
    first, second = (a, b) if id(a) < id(b) else (b, a)
    with first.lock, second.lock:
        if a.winner is not None:
            return -1
        if b.winner is not None:
            return 0
        a.winner = mine
        b.winner = theirs
        return 1


def current() -> tuple[Any, Any]:
    """``(hub, task)`` of the caller, creating this thread's hub if needed."""
    # Fast path: a spawned task runs on a worker greenlet that names it.
    task = getattr(getcurrent(), "_zio_task", None)
    if type(task) is Task:
        return task._hub, task
    hub = _state.get_hub()
    return hub, hub.current_task()


def current_task() -> Any:
    """The calling task (a thread's RootTask outside spawned tasks); the identity locks are owned by."""
    task = getattr(getcurrent(), "_zio_task", None)
    if type(task) is Task:
        return task
    return _state.get_hub().current_task()


def check_cancelled(task: Any = None) -> Any:
    """Raise Cancelled (or a pending KeyboardInterrupt) if the caller's scope is cancelled.

    The cheap "is this a cancellation point that must fire?" test done by
    every blocking method before its non-blocking fast path.  It never
    yields and never creates a hub (a thread without a hub has no scopes).
    Returns the calling task (None in a thread without a hub or in the hub
    itself), so a caller that goes on to wait need not look it up again.
    """
    if task is None:
        g = getcurrent()
        task = getattr(g, "_zio_task", None)
        if type(task) is not Task:
            hub = _state.peek_hub()
            if hub is None or g is hub.greenlet:
                return None  # no hub: no scopes; in the hub itself: a loop callback
            if task is None or task._hub is not hub:
                # A RootTask in _zio_task (a thread's main greenlet or a foreign
                # greenlet) is the answer when it belongs to this thread's current
                # hub, exactly as in Hub.current_task(); otherwise ask the hub.
                task = hub.current_task()
    if task._ki_pending:
        task._ki_pending = False
        raise KeyboardInterrupt
    scope = task._scope
    while scope is not None:
        if scope._cancel_called:
            origin = cancel_origin(task)
            if origin is not None:
                raise make_cancelled(task, origin)
            return task
        if scope._shield:
            return task
        scope = scope._parent
    return task


def park(waiter: Waiter) -> Any:
    """Park ``waiter``'s task until the handoff (or a cancel that undoes the wait)."""
    return waiter.hub.park(waiter.abort, waiter)


def park_uncancellable(waiter: Waiter) -> Any:
    """Park shielded from cancellation (used to re-acquire a Condition's lock)."""
    with CancelScope(shield=True):
        return waiter.hub.park(waiter.abort, waiter)


def validate_timeout(timeout: float | None) -> float | None:
    """Check a stdlib-style ``timeout=`` argument (None means no timeout)."""
    if timeout is None:
        return None
    if timeout != timeout or timeout < 0:
        raise ValueError(f"'timeout' must be a non-negative number, got {timeout!r}")
    return timeout


def describe_owner(task: Any) -> Any:
    """The task holding something, for statistics and error messages (None if free)."""
    return task
