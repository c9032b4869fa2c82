"""Channel: typed FIFO pipes between tasks, rendezvous, bounded or unbounded.

``Channel(0)`` (the default) is a rendezvous: ``send`` waits until a
receiver takes the item.  ``Channel(n)`` buffers ``n`` items;
``Channel(math.inf)`` never blocks senders.  The channel has one send end
and one receive end (:attr:`Channel.send_end`, :attr:`Channel.receive_end`);
``clone()`` makes more handles on the same end, and an end closes when every
one of its handles is closed:

* last send handle closed: receivers drain the buffer, then get
  :class:`EndOfChannel` (``for item in rx`` just stops);
* last receive handle closed: senders get :class:`BrokenResourceError` (the
  buffer, which nobody can read any more, is dropped);
* using a handle after closing it: :class:`zio.ClosedResourceError` (and a
  task blocked on a handle that gets closed is woken with it).

``Channel.close()`` closes the whole channel at once, Go style: every send
fails with ClosedResourceError, receivers drain and then get EndOfChannel.

Guarantees: FIFO order of items and of waiting tasks; an item handed to a
receiver is never lost, even if the receiver is cancelled at that very
moment or was waiting inside :func:`zio.select` (see ``_waiter``); a send that
raised (Cancelled, BrokenResourceError, ClosedResourceError) did not send.
Works across threads: any task or plain thread may send or receive.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Generic, Iterator, NamedTuple, TypeVar

from greenlet import getcurrent

from .._core.task import Task
from ._closable import Closable
from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, claim_pair, current_task, new_waiter
from .errors import BrokenResourceError, EndOfChannel, WouldBlock, closed_error

__all__ = ["Channel", "ChannelStatistics", "ReceiveEnd", "SendEnd"]

T = TypeVar("T")

# Results of the locked attempt helpers besides "a peer to wake".
_DONE: Any = object()  # completed, nobody to wake
_BLOCK: Any = object()  # must wait
_LOST: Any = object()  # (select only) our select was already won by another arm


class ChannelStatistics(NamedTuple):
    """Snapshot returned by ``statistics()`` on a channel or one of its ends."""

    current_buffer_used: int
    max_buffer_size: float
    open_send_ends: int
    open_receive_ends: int
    tasks_waiting_send: int
    tasks_waiting_receive: int
    closed: bool


class Channel(Closable, Generic[T]):
    """A channel of items (see the module docstring).

    The channel itself offers ``send``/``receive``/``try_*``/iteration,
    which use its original ends, and :meth:`close` for the whole channel.
    """

    __slots__ = (
        "_guard",
        "_buffer",
        "_capacity",
        "_senders",
        "_receivers",
        "_open_send",
        "_open_recv",
        "_closed",
        "_send_end",
        "_receive_end",
        "_channel",
        "__weakref__",
    )

    def __init__(self, capacity: float = 0) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, (int, float)):
            raise TypeError(f"channel capacity must be an int or math.inf, got {type(capacity).__name__}")
        if capacity != math.inf and (capacity < 0 or capacity != int(capacity)):
            raise ValueError(f"channel capacity must be a non-negative integer or math.inf, got {capacity!r}")
        self._guard = allocate_lock()
        self._buffer: deque = deque()
        self._capacity = capacity if capacity == math.inf else int(capacity)
        # Invariants: receivers wait only while the buffer is empty, senders
        # only while it is full (each handoff goes straight to a waiter).
        self._senders = WaitQueue(self._guard)
        self._receivers = WaitQueue(self._guard)
        self._open_send = 1
        self._open_recv = 1
        self._closed = False
        self._send_end: SendEnd[T] = SendEnd(self)
        self._receive_end: ReceiveEnd[T] = ReceiveEnd(self)
        # So that SendEnd.send / ReceiveEnd.receive, which double as this
        # channel's send/receive (see the end of the module), find the channel.
        self._channel = self

    # -- the two ends -----------------------------------------------------------
    @property
    def send_end(self) -> "SendEnd[T]":
        """The original send handle (``clone()`` it to share)."""
        return self._send_end

    @property
    def receive_end(self) -> "ReceiveEnd[T]":
        """The original receive handle (``clone()`` it to share)."""
        return self._receive_end

    @property
    def capacity(self) -> float:
        """Buffer size: 0 for rendezvous, ``math.inf`` for unbounded."""
        return self._capacity

    # -- convenience: the original ends' operations ---------------------------------
    # send() and receive() are SendEnd.send and ReceiveEnd.receive themselves
    # (assigned at the end of the module): they act on the original ends.

    def try_send(self, item: T) -> None:
        """Send without blocking through :attr:`send_end` (see :meth:`SendEnd.try_send`)."""
        self._send_end.try_send(item)

    def try_receive(self) -> T:
        """Receive without blocking through :attr:`receive_end`."""
        return self._receive_end.try_receive()

    def send_op(self, item: T) -> Any:
        """A ``zio.select`` operation sending ``item`` through :attr:`send_end`."""
        return self._send_end.send_op(item)

    def receive_op(self) -> Any:
        """A ``zio.select`` operation receiving from :attr:`receive_end`."""
        return self._receive_end.receive_op()

    def __iter__(self) -> Iterator[T]:
        return iter(self._receive_end)

    def close(self) -> None:
        """Close the whole channel (synchronous, idempotent).

        Sends from any handle now raise ClosedResourceError (blocked senders
        are woken with it; their items were not sent); receivers drain what
        is buffered, then get EndOfChannel.
        """
        with self._guard:
            if self._closed:
                return
            self._closed = True
            woken = self._fail_waiters(self._senders, None, lambda: closed_error("the channel"))
            if not self._buffer:
                woken += self._fail_waiters(self._receivers, None, EndOfChannel)
        for waiter in woken:
            waiter.wake()

    def statistics(self) -> ChannelStatistics:
        """Buffer use, open handles and waiting tasks, for debugging."""
        with self._guard:
            return ChannelStatistics(
                len(self._buffer),
                self._capacity,
                self._open_send,
                self._open_recv,
                self._senders.waiting(),
                self._receivers.waiting(),
                self._closed,
            )

    def __repr__(self) -> str:
        cap = "rendezvous" if self._capacity == 0 else f"capacity={self._capacity}"
        return (
            f"<zio.Channel {cap} buffered={len(self._buffer)} senders_waiting={self._senders.waiting()} "
            f"receivers_waiting={self._receivers.waiting()}{' closed' if self._closed else ''}>"
        )

    # -- internals (all called with self._guard held) -------------------------------
    @staticmethod
    def _fail_waiters(queue: WaitQueue, handle: Any, make_exc: Any) -> list:
        """Claim the waiters of ``queue`` (only those blocked on ``handle`` if given) with an error."""
        woken = []
        taken = queue.take_all() if handle is None else queue.take_matching(lambda w: w.handle is handle)
        for waiter in taken:
            if waiter.sel is None or waiter.claim():
                waiter.exc = make_exc()
                woken.append(waiter)
        return woken

    def _send_locked(self, handle: Any, item: Any, mine: Waiter | None) -> Any:
        """Try to send now: a receiver waiter to wake, _DONE, _BLOCK or (select) _LOST; or raise."""
        if handle._closed:
            raise closed_error("this send handle")
        if self._closed:
            raise closed_error("the channel")
        if not self._open_recv:
            raise BrokenResourceError("no receive handle of this channel is open: the item was not sent")
        receivers = self._receivers
        if mine is None:
            while (peer := receivers.take()) is not None:
                if peer.sel is None or peer.claim():
                    peer.value = item
                    return peer
        else:
            for peer in receivers.live():
                outcome = claim_pair(mine, peer)
                if outcome == 1:
                    receivers.discard(peer)
                    peer.value = item
                    return peer
                if outcome == 0:
                    receivers.discard(peer)
                elif outcome == -1:
                    return _LOST
        if len(self._buffer) < self._capacity:
            if mine is not None and not mine.claim():
                return _LOST
            self._buffer.append(item)
            return _DONE
        return _BLOCK

    def _receive_locked(self, handle: Any, mine: Waiter | None) -> Any:
        """Try to receive now: ``(item, sender_to_wake_or_None)``, _BLOCK or (select) _LOST; or raise."""
        if handle._closed:
            raise closed_error("this receive handle")
        buffer = self._buffer
        senders = self._senders
        if buffer:
            if mine is not None and not mine.claim():
                return _LOST
            item = buffer.popleft()
            # A slot opened: move the longest-waiting sender's item in.
            while (peer := senders.take()) is not None:
                if peer.sel is None or peer.claim():
                    buffer.append(peer.payload)
                    return item, peer
            return item, None
        if mine is None:
            while (peer := senders.take()) is not None:
                if peer.sel is None or peer.claim():
                    return peer.payload, peer
        else:
            for peer in senders.live():
                outcome = claim_pair(mine, peer)
                if outcome == 1:
                    senders.discard(peer)
                    return peer.payload, peer
                if outcome == 0:
                    senders.discard(peer)
                elif outcome == -1:
                    return _LOST
        if not self._open_send or self._closed:
            raise EndOfChannel()
        return _BLOCK

    def _describe_send(self) -> str:
        return f"send on {self!r} (no receiver ready, buffer full)"

    def _describe_receive(self) -> str:
        return f"receive on {self!r} (nothing sent yet)"


class _End(Closable, Generic[T]):
    """What the two kinds of handle share."""

    __slots__ = ("_channel", "_closed", "__weakref__")

    #: The class name shown by ``repr()``.
    _kind = "End"

    def __init__(self, channel: Channel[T]) -> None:
        self._channel = channel
        self._closed = False

    @property
    def channel(self) -> Channel[T]:
        """The channel this handle belongs to."""
        return self._channel

    def statistics(self) -> ChannelStatistics:
        """The channel's statistics."""
        return self._channel.statistics()

    def __repr__(self) -> str:
        return f"<zio.{self._kind}{' closed' if self._closed else ''} of {self._channel!r}>"


class SendEnd(_End[T]):
    """A handle on a channel's send end.  Close it (or use ``with``) when done sending."""

    __slots__ = ()

    _kind = "SendEnd"

    def send(self, item: T) -> None:
        """Send ``item``, waiting for buffer room (or, for a rendezvous, a receiver).

        A cancellation point.  Raises BrokenResourceError if every receive
        handle is closed, ClosedResourceError if this handle (or the channel)
        is closed.  If it raises, the item was not sent.  (Also
        :meth:`Channel.send`, acting on the channel's :attr:`~Channel.send_end`.)
        """
        # The hot path is written out inline (see _waiter's "Hot paths").
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        ch = self._channel
        handle = self if ch is not self else ch._send_end
        guard = ch._guard
        guard.acquire()
        try:
            receivers = ch._receivers
            buffer = ch._buffer
            if receivers or len(buffer) < ch._capacity or handle._closed or ch._closed or not ch._open_recv:
                # Completes (or fails) now: a cancellation point all the same.
                if type(task) is Task:  # check_cancelled, inline
                    if task._ki_pending or task._hub._cancelled_scopes:
                        check_cancelled(task)
                else:
                    task = check_cancelled()
                if handle._closed or ch._closed or not ch._open_recv:
                    ch._send_locked(handle, item, None)  # raises the right error
                # Hand the item to the longest-waiting receiver (WaitQueue.take, inline).
                while receivers:
                    peer = receivers.popleft()
                    if peer.queue is None:
                        receivers.dead -= 1
                        continue
                    peer.queue = None
                    if peer.sel is None or peer.claim():
                        peer.value = item
                        break
                else:
                    if len(buffer) < ch._capacity:
                        buffer.append(item)
                        return
                    peer = None  # the receivers were all gone: wait after all
            else:
                peer = None
            if peer is None:
                # park() checks for cancellation before suspending (and then
                # aborts the wait), so none is needed before queueing up.
                if type(task) is not Task:
                    task = current_task()
                waiter = new_waiter(Waiter)
                waiter.task = task
                waiter.queue = senders = ch._senders
                waiter.what = ch._describe_send
                waiter.sel = waiter.exc = None
                waiter.payload = item
                waiter.handle = handle
                senders.append(waiter)
        finally:
            guard.release()
        if peer is None:
            task._hub.park(waiter.abort, waiter)
            if waiter.exc is not None:
                raise waiter.exc
            return
        hub = peer.task._hub
        if task is not None and hub is task._hub:
            hub.unpark(peer.task, peer)  # same thread: Waiter.wake() minus its thread check
        else:
            peer.wake()

    def try_send(self, item: T) -> None:
        """Send ``item`` only if that needs no waiting; else raise :class:`WouldBlock`.  Not a checkpoint."""
        ch = self._channel
        with ch._guard:
            peer = ch._send_locked(self, item, None)
        if peer is _BLOCK:
            raise WouldBlock("the channel's buffer is full and no receiver is waiting")
        if peer is not _DONE:
            peer.wake()

    def send_op(self, item: T) -> Any:
        """A ``zio.select`` operation that sends ``item`` (value None) if it wins."""
        from .select import SendOp

        return SendOp(self, item)

    def clone(self) -> "SendEnd[T]":
        """Another handle on this send end; the end stays open until all are closed."""
        ch = self._channel
        with ch._guard:
            if self._closed:
                raise closed_error("this send handle")
            ch._open_send += 1
        return SendEnd(ch)

    def close(self) -> None:
        """Close this handle (idempotent).  Closing the last one ends the stream for receivers."""
        ch = self._channel
        with ch._guard:
            if self._closed:
                return
            self._closed = True
            ch._open_send -= 1
            woken = ch._fail_waiters(ch._senders, self, lambda: closed_error("this send handle"))
            if not ch._open_send and not ch._buffer:
                woken += ch._fail_waiters(ch._receivers, None, EndOfChannel)
        for waiter in woken:
            waiter.wake()


class ReceiveEnd(_End[T]):
    """A handle on a channel's receive end; iterate it to receive until the stream ends."""

    __slots__ = ()

    _kind = "ReceiveEnd"

    def receive(self) -> T:
        """Receive the next item, waiting for one.

        A cancellation point; Cancelled means no item was taken.  Raises
        EndOfChannel once every send handle is closed and the buffer is
        drained, ClosedResourceError if this handle is closed.  (Also
        :meth:`Channel.receive`, acting on the channel's :attr:`~Channel.receive_end`.)
        """
        # The hot path is written out inline (see _waiter's "Hot paths").
        try:
            task = getcurrent()._zio_task
        except AttributeError:
            task = None
        ch = self._channel
        handle = self if ch is not self else ch._receive_end
        guard = ch._guard
        guard.acquire()
        try:
            buffer = ch._buffer
            senders = ch._senders
            if buffer or senders or handle._closed or not ch._open_send or ch._closed:
                # Completes (or fails) now: a cancellation point all the same.
                if type(task) is Task:  # check_cancelled, inline
                    if task._ki_pending or task._hub._cancelled_scopes:
                        check_cancelled(task)
                else:
                    task = check_cancelled()
                if handle._closed:
                    ch._receive_locked(handle, None)  # raises
                item = buffer.popleft() if buffer else _BLOCK
                # The longest-waiting sender (WaitQueue.take, inline): its item
                # is ours if nothing was buffered, else it moves into the slot
                # that just opened.
                peer = None
                while senders:
                    peer = senders.popleft()
                    if peer.queue is None:
                        senders.dead -= 1
                        peer = None
                        continue
                    peer.queue = None
                    if peer.sel is None or peer.claim():
                        break
                    peer = None  # its select was won elsewhere: drop it
                if peer is not None:
                    if item is _BLOCK:
                        item = peer.payload
                    else:
                        buffer.append(peer.payload)
                    got = item, peer
                elif item is not _BLOCK:
                    return item
                else:
                    got = ch._receive_locked(handle, None)  # EndOfChannel, or _BLOCK (senders all gone)
            else:
                got = _BLOCK
            if got is _BLOCK:
                # park() checks for cancellation before suspending (and then
                # aborts the wait), so none is needed before queueing up.
                if type(task) is not Task:
                    task = current_task()
                waiter = new_waiter(Waiter)
                waiter.task = task
                waiter.queue = receivers = ch._receivers
                waiter.what = ch._describe_receive
                waiter.sel = waiter.exc = None
                waiter.handle = handle
                receivers.append(waiter)
        finally:
            guard.release()
        if got is _BLOCK:
            task._hub.park(waiter.abort, waiter)
            if waiter.exc is not None:
                raise waiter.exc
            return waiter.value
        item, peer = got
        if peer is not None:
            hub = peer.task._hub
            if task is not None and hub is task._hub:
                hub.unpark(peer.task, peer)  # same thread: Waiter.wake() minus its thread check
            else:
                peer.wake()
        return item

    def try_receive(self) -> T:
        """Receive an item that needs no waiting, else raise :class:`WouldBlock`.  Not a checkpoint."""
        ch = self._channel
        with ch._guard:
            got = ch._receive_locked(self, None)
        if got is _BLOCK:
            raise WouldBlock("nothing is buffered and no sender is waiting")
        item, peer = got
        if peer is not None:
            peer.wake()
        return item

    def receive_op(self) -> Any:
        """A ``zio.select`` operation that receives an item (its value) if it wins."""
        from .select import ReceiveOp

        return ReceiveOp(self)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            return self.receive()
        except EndOfChannel:
            raise StopIteration from None

    def clone(self) -> "ReceiveEnd[T]":
        """Another handle on this receive end; the end stays open until all are closed."""
        ch = self._channel
        with ch._guard:
            if self._closed:
                raise closed_error("this receive handle")
            ch._open_recv += 1
        return ReceiveEnd(ch)

    def close(self) -> None:
        """Close this handle (idempotent).  Closing the last one breaks the channel for senders."""
        ch = self._channel
        with ch._guard:
            if self._closed:
                return
            self._closed = True
            ch._open_recv -= 1
            woken = ch._fail_waiters(ch._receivers, self, lambda: closed_error("this receive handle"))
            if not ch._open_recv:
                ch._buffer.clear()  # unreachable now: release the items
                woken += ch._fail_waiters(
                    ch._senders,
                    None,
                    lambda: BrokenResourceError(
                        "every receive handle of the channel was closed: the item was not sent"
                    ),
                )
        for waiter in woken:
            waiter.wake()


# The hot path without a forwarding call: a Channel's send/receive are its
# ends' methods, which act on the channel's original ends when called on it.
Channel.send = SendEnd.send  # type: ignore[assignment]
Channel.receive = ReceiveEnd.receive  # type: ignore[assignment]
