"""Future: a value (or exception) set once and awaited by any number of tasks."""

from __future__ import annotations

from typing import Any, Generic, NamedTuple, TypeVar

from ._waiter import Waiter, WaitQueue, allocate_lock, check_cancelled, current_task, park_timed, validate_timeout

__all__ = ["Future", "FutureStatistics", "InvalidStateError"]

T = TypeVar("T")

_PENDING, _RESULT, _EXCEPTION = 0, 1, 2


class InvalidStateError(RuntimeError):
    """A Future was set twice, or its result was read before it was set."""


class FutureStatistics(NamedTuple):
    """Snapshot returned by :meth:`Future.statistics`."""

    done: bool
    tasks_waiting: int


class Future(Generic[T]):
    """A one-shot result: set once (``set_result``/``set_exception``), awaited by many.

    Setting never blocks and may be done from any task, plain thread or
    event-loop callback; waiting works from any task or thread.  Selectable:
    ``zio.select(future, ...)`` or ``future.wait_op()``.
    """

    __slots__ = ("_guard", "_state", "_value", "_waiters", "__weakref__")

    def __init__(self) -> None:
        self._guard = allocate_lock()
        self._state = _PENDING
        self._value: Any = None
        self._waiters = WaitQueue(self._guard)

    def done(self) -> bool:
        """Whether a result or exception was set.  The non-blocking form of :meth:`wait`."""
        return self._state != _PENDING

    def set_result(self, value: T) -> None:
        """Set the result and wake every waiter; InvalidStateError if already set."""
        self._set(_RESULT, value)

    def set_exception(self, exc: BaseException) -> None:
        """Set an exception (raised by ``result()``) and wake every waiter; InvalidStateError if already set."""
        if isinstance(exc, type):
            exc = exc()
        if not isinstance(exc, BaseException):
            raise TypeError(f"set_exception() needs an exception, got {exc!r}")
        self._set(_EXCEPTION, exc)

    def _set(self, state: int, value: Any) -> None:
        with self._guard:
            if self._state != _PENDING:
                raise InvalidStateError(f"zio.Future at {id(self):#x} is already set")
            self._state = state
            self._value = value
            woken = [w for w in self._waiters.take_all() if w.sel is None or w.claim()]
        for waiter in woken:
            waiter.wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the future is set; True, or False if ``timeout`` seconds passed first."""
        timeout = validate_timeout(timeout)
        check_cancelled()
        if self._state != _PENDING:
            return True
        if timeout == 0:
            return False
        waiter = Waiter(current_task(), self._waiters, self._describe)
        with self._guard:
            if self._state != _PENDING:
                return True
            self._waiters.append(waiter)
        return park_timed(waiter, timeout)

    def result(self, timeout: float | None = None) -> T:
        """Wait for the future, then return its result or raise its exception.

        ``TimeoutError`` if ``timeout`` seconds pass first.  If it is already
        done this returns at once (after a cancellation check).
        """
        if not self.wait(timeout):
            raise TimeoutError(f"zio.Future was not set within {timeout} seconds")
        return self._outcome()

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Wait for the future; return its exception (None if it has a result)."""
        if not self.wait(timeout):
            raise TimeoutError(f"zio.Future was not set within {timeout} seconds")
        return self._value if self._state == _EXCEPTION else None

    def _outcome(self) -> Any:
        if self._state == _RESULT:
            return self._value
        if self._state == _EXCEPTION:
            raise self._value
        raise InvalidStateError("zio.Future is not set yet")

    def wait_op(self) -> Any:
        """A ``zio.select`` operation completing with the future's result."""
        from .select import FutureWaitOp

        return FutureWaitOp(self)

    _select_op = wait_op

    # -- select protocol (see zio.sync.select) --------------------------------
    def _select_try(self) -> tuple[bool, Any]:
        return (self._state != _PENDING, None)

    def _select_register(self, waiter: Waiter) -> bool:
        with self._guard:
            if self._state != _PENDING:
                waiter.claim()
                return True
            waiter.queue = self._waiters
            self._waiters.append(waiter)
            return False

    def _select_unregister(self, waiter: Waiter) -> None:
        with self._guard:
            self._waiters.discard(waiter)

    def statistics(self) -> FutureStatistics:
        """Whether set, and the number of waiters, for debugging."""
        return FutureStatistics(self._state != _PENDING, self._waiters.waiting())

    def _describe(self) -> str:
        return f"zio.Future at {id(self):#x} to be set"

    def __repr__(self) -> str:
        state = ("pending", "result", "exception")[self._state]
        return f"<zio.Future {state}, {self._waiters.waiting()} waiting>"
