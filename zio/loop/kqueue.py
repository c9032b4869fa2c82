"""kqueue backend for macOS and the BSDs.

Written against the documented ``select.kqueue`` API.  It cannot run on the
Linux machines zio is developed and tested on, so it has no test coverage
there; treat it as best effort until a BSD/macOS CI runner exists.
"""

from __future__ import annotations

import errno
import select

from .base import BAD, READ, WRITE, Loop

__all__ = ["KqueueLoop"]


class KqueueLoop(Loop):
    """Event loop on ``select.kqueue``."""

    name = "kqueue"

    @classmethod
    def available(cls) -> bool:
        """Whether the platform has kqueue."""
        return hasattr(select, "kqueue")

    def _init_backend(self) -> None:
        self._kq = select.kqueue()

    def _change(self, fd: int, old: int, new: int) -> None:
        changes = []
        for bit, kfilter in ((READ, select.KQ_FILTER_READ), (WRITE, select.KQ_FILTER_WRITE)):
            if new & bit and not old & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_ADD))
            elif old & bit and not new & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_DELETE))
        if changes:
            self._kq.control(changes, 0, 0)

    def _register(self, fd: int, mask: int) -> None:
        self._change(fd, 0, mask)

    def _modify(self, fd: int, mask: int) -> None:
        rec = self._fds.get(fd)
        self._change(fd, rec.mask if rec is not None else 0, mask)

    def _unregister(self, fd: int) -> None:
        rec = self._fds.get(fd)
        old = rec.mask if rec is not None else READ | WRITE
        for bit, kfilter in ((READ, select.KQ_FILTER_READ), (WRITE, select.KQ_FILTER_WRITE)):
            if old & bit:
                try:
                    self._kq.control([select.kevent(fd, kfilter, select.KQ_EV_DELETE)], 0, 0)
                except OSError:
                    pass  # already gone with the fd

    def _poll(self, timeout: float | None) -> list[tuple[int, int]]:
        max_events = max(len(self._fds) * 2, 1)
        raw = self._kq.control(None, max_events, timeout)
        masks: dict[int, int] = {}
        for kev in raw:
            fd = kev.ident
            if kev.flags & select.KQ_EV_ERROR and kev.data == errno.EBADF:
                masks[fd] = BAD
                continue
            if kev.filter == select.KQ_FILTER_READ:
                masks[fd] = masks.get(fd, 0) | READ
            elif kev.filter == select.KQ_FILTER_WRITE:
                masks[fd] = masks.get(fd, 0) | WRITE
        return list(masks.items())

    def _close_backend(self) -> None:
        self._kq.close()
