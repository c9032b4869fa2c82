"""Real (OS-level, never patched) threading primitives for the plugin's own machinery.

The watchdog thread and the xdist/execnet I/O threads must stay real OS
threads with real locks after ``zio.patch.all()``: they run while the hub's
thread may be blocked, which is exactly when they are needed.  The callables
are captured when this module is imported (pytest imports the plugin before
it applies the patch); if zio was patched even earlier (``python -m
zio.patch -m pytest``), the originals come from :func:`zio.patch.get_original`.
"""

from __future__ import annotations

import importlib
import sys
from collections import deque
from typing import Any

__all__ = ["RealEvent", "RealQueue", "original", "allocate_lock", "start_new_thread", "get_ident", "monotonic"]


def original(module_name: str, attr: str) -> Any:
    """``module_name.attr`` as it was before zio patched it."""
    patch = sys.modules.get("zio.patch")
    if patch is not None and hasattr(patch, "get_original"):
        try:
            return patch.get_original(module_name, attr)
        except AttributeError:
            pass
    return getattr(importlib.import_module(module_name), attr)


allocate_lock = original("_thread", "allocate_lock")
RLock = original("_thread", "RLock")
start_new_thread = original("_thread", "start_new_thread")
get_ident = original("_thread", "get_ident")
monotonic = original("time", "monotonic")
sleep = original("time", "sleep")


class RealEvent:
    """``threading.Event`` built on real locks only (safe to share between real threads after patching)."""

    def __init__(self) -> None:
        self._mutex = allocate_lock()
        self._flag = False
        self._waiters: list[Any] = []

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set  # noqa: N815 - the threading.Event spelling execnet may use

    def set(self) -> None:
        with self._mutex:
            self._flag = True
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.release()

    def clear(self) -> None:
        with self._mutex:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        with self._mutex:
            if self._flag:
                return True
            waiter = allocate_lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if timeout is None:
            got = waiter.acquire()
        else:
            got = waiter.acquire(True, max(timeout, 0.0))
        if not got:
            with self._mutex:
                # A set() racing with the timeout may have popped us already:
                # then the flag is what it says.
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self._flag


class RealQueue:
    """The subset of ``queue.Queue`` execnet and xdist use (put/get/qsize/empty), on real locks."""

    def __init__(self, maxsize: int = 0) -> None:
        # maxsize is accepted for signature compatibility; execnet never bounds its queues.
        self._items: deque[Any] = deque()
        self._mutex = allocate_lock()
        self._getters: deque[Any] = deque()

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._mutex:
            self._items.append(item)
            waiter = self._getters.popleft() if self._getters else None
        if waiter is not None:
            waiter.release()

    put_nowait = put

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        empty = original("queue", "Empty")
        deadline = None if timeout is None else monotonic() + max(timeout, 0.0)
        while True:
            with self._mutex:
                if self._items:
                    return self._items.popleft()
                if not block:
                    raise empty
                waiter = allocate_lock()
                waiter.acquire()
                self._getters.append(waiter)
            if deadline is None:
                waiter.acquire()
                continue
            remaining = deadline - monotonic()
            if remaining <= 0 or not waiter.acquire(True, remaining):
                with self._mutex:
                    if waiter in self._getters:
                        self._getters.remove(waiter)
                    if self._items:
                        return self._items.popleft()
                raise empty

    def get_nowait(self) -> Any:
        return self.get(False)

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items
