"""zio.sync: locks, events, queues, channels and select for fibers and threads.

Every primitive works between fibers of one thread, fibers of different
threads (each thread has its own hub) and plain threads.  The rules they all
follow:

* Blocking methods are cancellation points: they raise :class:`zio.Cancelled`
  inside a cancelled scope, and *Cancelled means it did not happen* (no lock
  held, no item taken or sent, no permit used).  They park only when they
  must wait; a method that completes at once does not yield.
* A wakeup racing a cancel wins: whatever was handed to the waiter (an item,
  the lock) is delivered, and the cancel is raised at its next blocking call.
* Waiters are served FIFO; releasing/sending/setting never blocks and is not
  a checkpoint.
* Every blocking method has a non-blocking form (``try_*``, ``*_nowait``,
  ``blocking=False``), stdlib-style ``timeout=`` arguments are cancel scopes,
  and ``statistics()`` describes each primitive's state for debugging.
"""

from .barrier import Barrier, BarrierStatistics
from .broadcast import BroadcastChannel, BroadcastReceiveOp, BroadcastStatistics, Subscriber
from .channel import Channel, ChannelStatistics, ReceiveEnd, SendEnd
from .condition import Condition, ConditionStatistics
from .errors import (
    BrokenBarrierError,
    BrokenResourceError,
    ClosedResourceError,
    Empty,
    EndOfChannel,
    Full,
    Lagged,
    ShutDown,
    WouldBlock,
)
from .event import Event, EventStatistics
from .future import Future, FutureStatistics, InvalidStateError
from .limiter import CapacityLimiter, CapacityLimiterStatistics
from .lock import Lock, LockStatistics
from .queue import LifoQueue, PriorityQueue, Queue, QueueStatistics, SimpleQueue
from .rlock import RLock, RLockStatistics
from .rwlock import RwLock, RwLockStatistics
from .select import (
    EventWaitOp,
    FutureWaitOp,
    JoinOp,
    ReceiveOp,
    Selected,
    SelectOp,
    SendOp,
    TimeoutOp,
    select,
    try_select,
)
from .semaphore import BoundedSemaphore, Semaphore, SemaphoreStatistics
from .waitgroup import WaitGroup, WaitGroupStatistics

__all__ = [
    "Barrier",
    "BarrierStatistics",
    "BoundedSemaphore",
    "BroadcastChannel",
    "BroadcastReceiveOp",
    "BroadcastStatistics",
    "BrokenBarrierError",
    "BrokenResourceError",
    "CapacityLimiter",
    "CapacityLimiterStatistics",
    "Channel",
    "ChannelStatistics",
    "ClosedResourceError",
    "Condition",
    "ConditionStatistics",
    "Empty",
    "EndOfChannel",
    "Event",
    "EventStatistics",
    "EventWaitOp",
    "Full",
    "Future",
    "FutureStatistics",
    "FutureWaitOp",
    "InvalidStateError",
    "JoinOp",
    "Lagged",
    "LifoQueue",
    "Lock",
    "LockStatistics",
    "PriorityQueue",
    "Queue",
    "QueueStatistics",
    "RLock",
    "RLockStatistics",
    "ReceiveEnd",
    "ReceiveOp",
    "RwLock",
    "RwLockStatistics",
    "SelectOp",
    "Selected",
    "Semaphore",
    "SemaphoreStatistics",
    "SendEnd",
    "SendOp",
    "ShutDown",
    "SimpleQueue",
    "Subscriber",
    "TimeoutOp",
    "WaitGroup",
    "WaitGroupStatistics",
    "WouldBlock",
    "select",
    "try_select",
]
