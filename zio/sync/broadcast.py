"""BroadcastChannel: every subscriber sees every item; senders never block.

The channel keeps the last ``capacity`` items in a ring, numbered by a
sequence counter; each :class:`Subscriber` has its own read position.  A
subscriber that falls more than ``capacity`` items behind loses the
overwritten ones: its next receive raises :class:`Lagged` (saying how many it
missed) and it continues from the oldest item still kept.  After
:meth:`BroadcastChannel.close`, subscribers drain what is left, then get
:class:`EndOfChannel`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Generic, Iterator, NamedTuple, TypeVar

from ._closable import Closable
from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current_task, park
from .errors import EndOfChannel, Lagged, WouldBlock, closed_error

__all__ = ["BroadcastChannel", "BroadcastStatistics", "Subscriber"]

T = TypeVar("T")
_BLOCK: Any = object()


class BroadcastStatistics(NamedTuple):
    """Snapshot returned by :meth:`BroadcastChannel.statistics`."""

    retained: int
    capacity: int
    sent: int
    subscribers: int
    tasks_waiting: int
    closed: bool


class BroadcastChannel(Closable, Generic[T]):
    """A one-to-many channel (see the module docstring).  ``capacity`` >= 1 items are retained."""

    __slots__ = ("_guard", "_ring", "_capacity", "_next_seq", "_waiters", "_subscribers", "_closed", "__weakref__")

    def __init__(self, capacity: int) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"broadcast capacity must be a positive integer, got {capacity!r}")
        self._guard = allocate_lock()
        self._ring: deque = deque(maxlen=capacity)
        self._capacity = capacity
        self._next_seq = 0  # sequence number of the next item sent
        # Only subscribers that are caught up wait, so a send hands its item
        # to every waiter directly.
        self._waiters = WaitQueue(self._guard)
        self._subscribers = 0
        self._closed = False

    @property
    def capacity(self) -> int:
        """How many recent items are retained for slow subscribers."""
        return self._capacity

    def send(self, item: T) -> None:
        """Publish ``item`` to every subscriber.  Never blocks; not a checkpoint.

        ClosedResourceError after :meth:`close`.
        """
        with self._guard:
            if self._closed:
                raise closed_error("the broadcast channel")
            seq = self._next_seq
            self._ring.append(item)
            self._next_seq = seq + 1
            woken = []
            for waiter in self._waiters.take_all():
                if waiter.sel is None or waiter.claim():
                    waiter.value = item
                    waiter.payload._cursor = seq + 1  # consumed at handoff: never lost
                    woken.append(waiter)
        for waiter in woken:
            waiter.wake()

    def subscribe(self) -> "Subscriber[T]":
        """A new subscriber that will see the items sent from now on."""
        with self._guard:
            if self._closed:
                raise closed_error("the broadcast channel")
            self._subscribers += 1
            return Subscriber(self, self._next_seq)

    def close(self) -> None:
        """Stop the stream: subscribers drain the retained items, then get EndOfChannel.  Idempotent."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            woken = [w for w in self._waiters.take_all() if w.sel is None or w.claim()]
            for waiter in woken:
                waiter.exc = EndOfChannel()
        for waiter in woken:
            waiter.wake()

    def statistics(self) -> BroadcastStatistics:
        """Retained items, sequence counter, subscribers and waiters, for debugging."""
        with self._guard:
            return BroadcastStatistics(
                len(self._ring),
                self._capacity,
                self._next_seq,
                self._subscribers,
                self._waiters.waiting(),
                self._closed,
            )

    def _receive_locked(self, sub: "Subscriber[T]", mine: Waiter | None) -> Any:
        """Guard held: the next item for ``sub``, _BLOCK, or raise (Lagged, EndOfChannel, closed)."""
        if sub._closed:
            raise closed_error("this subscriber")
        head = self._next_seq - len(self._ring)
        if sub._cursor < head:
            if mine is not None and not mine.claim():
                return _BLOCK
            missed = head - sub._cursor
            sub._cursor = head
            raise Lagged(missed)
        if sub._cursor < self._next_seq:
            if mine is not None and not mine.claim():
                return _BLOCK
            item = self._ring[sub._cursor - head]
            sub._cursor += 1
            return item
        if self._closed:
            if mine is not None and not mine.claim():
                return _BLOCK
            raise EndOfChannel()
        return _BLOCK

    def __repr__(self) -> str:
        return (
            f"<zio.BroadcastChannel capacity={self._capacity} sent={self._next_seq} "
            f"subscribers={self._subscribers}{' closed' if self._closed else ''}>"
        )


class Subscriber(Closable, Generic[T]):
    """One reader of a :class:`BroadcastChannel` with its own position; iterate it to receive."""

    __slots__ = ("_channel", "_cursor", "_closed", "__weakref__")

    def __init__(self, channel: BroadcastChannel[T], cursor: int) -> None:
        self._channel = channel
        self._cursor = cursor
        self._closed = False

    def receive(self) -> T:
        """The next item, waiting for one.

        A cancellation point (Cancelled: nothing consumed).  Raises
        :class:`Lagged` if items were overwritten before this subscriber read
        them (the next call continues), EndOfChannel after close once drained.
        """
        check_cancelled()
        ch = self._channel
        with ch._guard:
            got = ch._receive_locked(self, None)
            if got is _BLOCK:
                waiter = Waiter(current_task(), ch._waiters, self._describe, payload=self)
                ch._waiters.append(waiter)
        if got is not _BLOCK:
            return got
        park(waiter)
        if waiter.exc is not None:
            raise waiter.exc
        return waiter.value

    def try_receive(self) -> T:
        """The next item if one is there, else raise :class:`WouldBlock`.  Not a checkpoint."""
        ch = self._channel
        with ch._guard:
            got = ch._receive_locked(self, None)
        if got is _BLOCK:
            raise WouldBlock("no new item for this subscriber")
        return got

    def receive_op(self) -> Any:
        """A ``zio.select`` operation receiving this subscriber's next item."""
        return BroadcastReceiveOp(self)

    _select_op = receive_op

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            return self.receive()
        except EndOfChannel:
            raise StopIteration from None

    @property
    def pending(self) -> int:
        """Items sent that this subscriber has not read yet (including any it will miss)."""
        return self._channel._next_seq - self._cursor

    def close(self) -> None:
        """Unsubscribe (idempotent); a task blocked on this subscriber gets ClosedResourceError."""
        ch = self._channel
        with ch._guard:
            if self._closed:
                return
            self._closed = True
            ch._subscribers -= 1
            mine = ch._waiters.take_matching(lambda w: w.payload is self)
            woken = []
            for waiter in mine:
                if waiter.sel is None or waiter.claim():
                    waiter.exc = closed_error("this subscriber")
                    woken.append(waiter)
        for waiter in woken:
            waiter.wake()

    def _describe(self) -> str:
        return f"an item from {self._channel!r}"

    def __repr__(self) -> str:
        return f"<zio.Subscriber pending={self.pending}{' closed' if self._closed else ''} of {self._channel!r}>"


from .select import SelectOp  # noqa: E402 - select imports channel, not broadcast


class BroadcastReceiveOp(SelectOp):
    """``zio.select`` operation: receive a subscriber's next item (value: the item)."""

    __slots__ = ("subscriber",)

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    def _try(self) -> tuple[bool, Any]:
        ch = self.subscriber._channel
        with ch._guard:
            got = ch._receive_locked(self.subscriber, None)
        return (False, None) if got is _BLOCK else (True, got)

    def _register(self, waiter: Waiter) -> bool:
        ch = self.subscriber._channel
        with ch._guard:
            try:
                got = ch._receive_locked(self.subscriber, waiter)
            except Exception as exc:  # noqa: BLE001 - the op completes with this error
                # Lagged/EndOfChannel claimed our select before raising; a
                # closed subscriber did not, so claim now.
                if waiter.sel.winner is waiter or waiter.claim():  # type: ignore[union-attr]
                    waiter.exc = exc
                return True
            if got is _BLOCK:
                if waiter.sel is not None and waiter.sel.winner is not None:
                    return True  # our select was already won by another arm
                waiter.queue, waiter.payload = ch._waiters, self.subscriber
                ch._waiters.append(waiter)
                return False
            waiter.value = got
            return True

    def _unregister(self, waiter: Waiter) -> None:
        ch = self.subscriber._channel
        with ch._guard:
            ch._waiters.discard(waiter)

    def _describe(self) -> str:
        return f"receive on {self.subscriber._channel!r}"

    def __repr__(self) -> str:
        return f"<zio.BroadcastReceiveOp {self.subscriber!r}>"
