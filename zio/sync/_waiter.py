"""Waiters: how every zio.sync primitive parks a task and hands it something.

One rule makes "Cancelled means it did not happen" hold everywhere, across
threads too:

* Each primitive guards its state with a *real* lock (``_thread`` lock
  captured at import, so it stays real after ``zio.patch.all()``).
* A task that must wait appends a :class:`Waiter` to one of the primitive's
  :class:`WaitQueue` s (FIFO) and parks.
* Whoever satisfies the wait (a release, a send, a set) does it *under the
  primitive's lock*: it takes the waiter out of the queue, hands over the
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
Lock/RLock acquire/release, Event wait) spell out what the helpers here do,
because in CPython each call costs about as much as the work itself
(benchmarks/bench_sync.py measures it; callgrind counts instructions):

* the calling task is read from the worker greenlet (``_zio_task``), and the
  cancel-scope walk of :func:`check_cancelled` is done inline, only when the
  operation completes without waiting: an operation that parks leaves the
  check to ``hub.park``, which walks the same scopes before suspending (and
  calls the waiter's abort, which undoes the registration, if cancelled);
* a waiter is built with :func:`new_waiter` plus the slot stores the
  primitive needs (no ``__init__`` frame), and taken from its queue inline;
* the guard is taken with ``acquire()`` / ``release()`` (``with`` on a
  ``_thread`` lock costs twice as much);
* a waiter of the caller's own hub is woken with ``hub.unpark`` directly
  (:meth:`Waiter.wake` minus its thread check: the caller is a task of
  that hub, so it runs on the hub's thread).
"""

from __future__ import annotations

import _thread
from collections import deque
from typing import Any, Callable

from greenlet import getcurrent

from .._core import _state
from .._core.cancel import cancel_origin, make_cancelled, move_on_after
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
    "get_ident",
    "new_waiter",
    "park",
    "park_timed",
    "park_uncancellable",
    "validate_timeout",
]

# Captured at import: zio.patch may later replace the _thread module's
# functions with fiber-aware ones, but a primitive's guard must be a real lock.
allocate_lock = _thread.allocate_lock
get_ident = _get_ident = _thread.get_ident

#: ``SelectState.winner`` once the select was cancelled: no arm may win.
ABORTED: Any = object()

# A dead waiter (removed by a cancel) stays in its deque until it reaches the
# front; once there are more than this many and they are the majority, the
# queue is rebuilt, so cancelled waits cannot pile up (e.g. repeated
# timeouts on a queue nobody ever puts to).
_COMPACT_AT = 16


class WaitQueue(deque):
    """The FIFO of :class:`Waiter` s of one primitive (or one side of it).

    A deque, because appending and popping at its ends is several times
    cheaper than an ``OrderedDict``; removal from the middle (a cancel) is
    O(1) too: the waiter is marked dead (its ``queue`` set to None) and left
    in place, to be skipped when it reaches the front.  A waiter is *live*
    while its ``queue`` is this queue; taking it (a handoff) or discarding it
    (a cancel) sets that to None, so the two can never both succeed.  Every
    method is called with :attr:`lock` held.  Truthiness and ``len`` count
    dead waiters too: use :meth:`waiting` for the number of waiting tasks.
    """

    __slots__ = ("lock", "dead")

    def __init__(self, lock: Any) -> None:
        deque.__init__(self)
        #: The guard of the primitive that owns the queue.
        self.lock = lock
        #: How many of the entries are dead.
        self.dead = 0

    def waiting(self) -> int:
        """The number of live waiters."""
        return len(self) - self.dead

    def live(self) -> list:
        """The live waiters, first come first."""
        return [w for w in self if w.queue is not None]

    def take(self) -> "Waiter | None":
        """Remove and return the longest-waiting live waiter (None if there is none)."""
        while self:
            waiter = self.popleft()
            if waiter.queue is not None:
                waiter.queue = None
                return waiter
            self.dead -= 1
        return None

    def first(self) -> "Waiter | None":
        """The longest-waiting live waiter, left in the queue (None if there is none)."""
        while self:
            waiter = self[0]
            if waiter.queue is not None:
                return waiter
            self.popleft()
            self.dead -= 1
        return None

    def take_all(self) -> list:
        """Remove and return every live waiter, first come first."""
        taken = [w for w in self if w.queue is not None]
        for waiter in taken:
            waiter.queue = None
        self.clear()
        self.dead = 0
        return taken

    def take_matching(self, predicate: Callable[["Waiter"], bool]) -> list:
        """Remove and return the live waiters for which ``predicate`` holds, first come first."""
        taken, kept = [], []
        for waiter in self:
            if waiter.queue is not None:
                (taken if predicate(waiter) else kept).append(waiter)
        for waiter in taken:
            waiter.queue = None
        self.clear()
        self.extend(kept)
        self.dead = 0
        return taken

    def discard(self, waiter: "Waiter") -> bool:
        """Remove ``waiter`` if it is still queued here (a cancel); False if it was taken already."""
        if waiter.queue is not self:
            return False
        waiter.queue = None
        # The newest waiter leaving (a timeout, a select's other arms) or the
        # oldest one: no dead entry needed.
        if self[-1] is waiter:
            self.pop()
        elif self[0] is waiter:
            self.popleft()
        else:
            self.dead += 1
            if self.dead > _COMPACT_AT and self.dead * 2 > len(self):
                kept = [w for w in self if w.queue is not None]
                self.clear()
                self.extend(kept)
                self.dead = 0
        return True


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

    ``queue`` is the :class:`WaitQueue` it waits in (None once taken or
    removed); ``value``/``exc`` are written by whoever completes the wait,
    before the wake; ``payload`` is what the waiter offers (the item a
    sender sends); ``kind`` and ``handle`` are free for the primitive (e.g.
    reader/writer, the channel handle it waits on).  The task's hub is
    ``task._hub``.
    """

    __slots__ = ("task", "queue", "what", "value", "exc", "payload", "sel", "kind", "handle")

    def __init__(
        self,
        task: Any,
        queue: WaitQueue | None,
        what: Any,
        payload: Any = None,
        sel: SelectState | None = None,
    ) -> None:
        self.task = task
        self.queue = queue
        self.what = what
        self.value: Any = None
        self.exc: BaseException | None = None
        self.payload = payload
        self.sel = sel
        self.kind: Any = None
        self.handle: Any = None

    @property
    def hub(self) -> Any:
        """The hub the waiting task belongs to."""
        return self.task._hub

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
        task = self.task
        hub = task._hub
        if hub.thread_id == _get_ident():
            hub.unpark(task, self)
        else:
            try:
                hub.loop.call_soon_threadsafe(_wake_in_owner, self)
            except LoopClosedError:
                pass  # that thread's hub is gone: nobody is waiting any more

    def abort(self) -> bool:
        """Undo the wait for a cancel; False if the handoff already happened."""
        queue = self.queue
        if queue is None:
            return False  # taken (under the lock) already: nothing to undo
        with queue.lock:
            return queue.discard(self)

    def __repr__(self) -> str:
        return f"<zio.sync.Waiter {getattr(self.task, 'name', self.task)!r} for {self()}>"


#: ``new_waiter(Waiter)`` makes a Waiter without running ``__init__``: the hot
#: paths store just the slots their primitive reads (always ``task``,
#: ``queue``, ``what`` and ``sel``), which saves the ``__init__`` frame.
new_waiter = object.__new__


def _wake_in_owner(waiter: Waiter) -> None:
    """Thread-safe wakeup, now running in the waiter's hub thread."""
    task = waiter.task
    token = waiter.sel if waiter.sel is not None else waiter
    # Only unpark the park this waiter belongs to (a forced deadlock report
    # may have resumed the task already; never wake an unrelated later park).
    if task._parked and task._waiting_for is token:
        task._hub.unpark(task, waiter)


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
    if not task._hub._cancelled_scopes:
        return task  # no scope of this hub is cancelled (see Hub._cancelled_scopes)
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
    return waiter.task._hub.park(waiter.abort, waiter)


def park_timed(waiter: Waiter, timeout: float | None, abort: Callable[[], Any] | None = None) -> bool:
    """Park until the handoff; False if ``timeout`` seconds (None: no limit) passed first.

    The timeout is a cancel scope around the wait, so it ends the wait as a
    cancel would: ``abort`` (default: :meth:`Waiter.abort`) undoes the
    registration, and a handoff that got there first still wins (True).
    """
    if abort is None:
        abort = waiter.abort
    if timeout is None:
        waiter.task._hub.park(abort, waiter)
        return True
    with move_on_after(timeout):
        waiter.task._hub.park(abort, waiter)
        return True
    return False


def park_uncancellable(waiter: Waiter) -> Any:
    """Park until the handoff, deferring any cancel to the next checkpoint.

    Used to re-acquire a Condition's lock.  The abort refuses (returns
    False), which the hub treats as "the operation already completed": the
    task stays parked until the handoff and the cancel (or KeyboardInterrupt)
    is raised at its next blocking call; a shielded CancelScope would cost
    more than the whole wait.  Only a forced wakeup (a deadlock report) can
    still end the park early: the waiter is then withdrawn before the error
    propagates, so the queue never hands anything to a task that left.
    """
    try:
        return waiter.task._hub.park(_refuse_abort, waiter)
    except BaseException:
        queue = waiter.queue
        if queue is not None:
            with queue.lock:
                queue.discard(waiter)
        raise


def _refuse_abort() -> bool:
    return False


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
