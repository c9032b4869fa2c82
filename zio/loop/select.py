"""``select(2)`` backend: the portable fallback, limited to fds below FD_SETSIZE."""

from __future__ import annotations

import errno
import os
import select

from .base import BAD, READ, WRITE, Loop

__all__ = ["SelectLoop"]

#: select() cannot watch fds at or above this number (glibc's FD_SETSIZE).
FD_SETSIZE = 1024

# Captured at import: zio.patch may later replace select.select with a cooperative one.
_real_select = select.select


class SelectLoop(Loop):
    """Event loop on ``select.select``."""

    name = "select"

    @classmethod
    def available(cls) -> bool:
        """select() exists everywhere."""
        return True

    def _init_backend(self) -> None:
        self._readers: set[int] = set()
        self._writers: set[int] = set()

    def _register(self, fd: int, mask: int) -> None:
        if fd >= FD_SETSIZE:
            raise OSError(
                errno.EINVAL, f"fd {fd} is too large for the select backend (limit {FD_SETSIZE}); use epoll or poll"
            )
        # Check the fd now, like epoll_ctl does: Linux's select() ignores set
        # bits beyond the process's fd table and hands them back unchanged, so
        # a never-opened fd number would be reported ready on every call.
        os.fstat(fd)
        self._modify(fd, mask)

    def _modify(self, fd: int, mask: int) -> None:
        if mask & READ:
            self._readers.add(fd)
        else:
            self._readers.discard(fd)
        if mask & WRITE:
            self._writers.add(fd)
        else:
            self._writers.discard(fd)

    def _unregister(self, fd: int) -> None:
        self._readers.discard(fd)
        self._writers.discard(fd)

    def _poll(self, timeout: float | None) -> list[tuple[int, int]]:
        try:
            r, w, x = _real_select(self._readers, self._writers, self._readers | self._writers, timeout)
        except (OSError, ValueError):
            # One fd in the set is closed: find it, report it, keep the rest.
            return self._find_bad()
        if not (r or w or x):
            return []
        masks: dict[int, int] = {}
        for fd in r:
            masks[fd] = READ
        for fd in w:
            masks[fd] = masks.get(fd, 0) | WRITE
        for fd in x:
            masks[fd] = masks.get(fd, 0) | READ | WRITE
        return list(masks.items())

    def _find_bad(self) -> list[tuple[int, int]]:
        bad = []
        for fd in self._readers | self._writers:
            try:
                os.fstat(fd)
            except OSError:
                bad.append((fd, BAD))
        return bad

    def _close_backend(self) -> None:
        self._readers.clear()
        self._writers.clear()
