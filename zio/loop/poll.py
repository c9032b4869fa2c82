"""``poll(2)`` backend: no fd limit, available on every POSIX system."""

from __future__ import annotations

import select

from .base import BAD, READ, WRITE, Loop

__all__ = ["PollLoop"]

# Captured at import: zio.patch may later replace select.poll with a cooperative one.
_real_poll = getattr(select, "poll", None)

if hasattr(select, "poll"):
    _POLLIN, _POLLOUT = select.POLLIN, select.POLLOUT
    _IN_LIKE = select.POLLIN | select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0) | select.POLLPRI
    _OUT_LIKE = select.POLLOUT | select.POLLHUP | select.POLLERR
    _POLLNVAL = select.POLLNVAL
else:  # pragma: no cover - Windows
    _POLLIN = _POLLOUT = _IN_LIKE = _OUT_LIKE = _POLLNVAL = 0


def _to_poll(mask: int) -> int:
    return (_POLLIN if mask & READ else 0) | (_POLLOUT if mask & WRITE else 0)


class PollLoop(Loop):
    """Event loop on ``select.poll``."""

    name = "poll"

    @classmethod
    def available(cls) -> bool:
        """Whether the platform has poll."""
        return hasattr(select, "poll")

    def _init_backend(self) -> None:
        self._poller = _real_poll()  # type: ignore[misc]

    def _register(self, fd: int, mask: int) -> None:
        self._poller.register(fd, _to_poll(mask))

    def _modify(self, fd: int, mask: int) -> None:
        self._poller.register(fd, _to_poll(mask))

    def _unregister(self, fd: int) -> None:
        try:
            self._poller.unregister(fd)
        except KeyError:
            pass

    def _poll(self, timeout: float | None) -> list[tuple[int, int]]:
        # poll() takes milliseconds; round up so a timer is never polled early
        # into a busy loop of zero-length waits.
        ms = None if timeout is None else int(timeout * 1000 + 0.999)
        raw = self._poller.poll(ms)
        out = []
        for fd, ev in raw:
            if ev & _POLLNVAL:
                out.append((fd, BAD))
                continue
            out.append((fd, (READ if ev & _IN_LIKE else 0) | (WRITE if ev & _OUT_LIKE else 0)))
        return out

    def _close_backend(self) -> None:
        self._poller = None  # type: ignore[assignment]
