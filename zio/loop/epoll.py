"""Linux epoll backend (the default on Linux).

Registrations are level-triggered and persistent: a fiber runtime that keeps
an fd registered between waits pays no ``epoll_ctl`` per wait.
"""

from __future__ import annotations

import select

from .base import BAD, READ, WRITE, Loop

__all__ = ["EpollLoop"]

# Captured at import: zio.patch may later replace select.epoll with a cooperative one.
_real_epoll = getattr(select, "epoll", None)

_EPOLLIN = select.EPOLLIN if hasattr(select, "epoll") else 0
_EPOLLOUT = select.EPOLLOUT if hasattr(select, "epoll") else 0
# Errors and hang-ups wake both directions: the next syscall reports them.
_IN_LIKE = _EPOLLIN | (select.EPOLLHUP | select.EPOLLERR | select.EPOLLRDHUP if hasattr(select, "epoll") else 0)
_OUT_LIKE = _EPOLLOUT | (select.EPOLLHUP | select.EPOLLERR if hasattr(select, "epoll") else 0)


def _to_epoll(mask: int) -> int:
    return (_EPOLLIN if mask & READ else 0) | (_EPOLLOUT if mask & WRITE else 0)


class EpollLoop(Loop):
    """Event loop on ``select.epoll``."""

    name = "epoll"

    @classmethod
    def available(cls) -> bool:
        """Whether the platform has epoll."""
        return hasattr(select, "epoll")

    def _init_backend(self) -> None:
        self._epoll = _real_epoll()  # type: ignore[misc]

    def _register(self, fd: int, mask: int) -> None:
        try:
            self._epoll.register(fd, _to_epoll(mask))
        except FileExistsError:
            # A stale registration of a closed-and-reused fd number.
            self._epoll.modify(fd, _to_epoll(mask))

    def _modify(self, fd: int, mask: int) -> None:
        try:
            self._epoll.modify(fd, _to_epoll(mask))
        except FileNotFoundError:
            # The kernel dropped the registration when the file was closed and
            # the fd number was reused; register the new file.
            self._epoll.register(fd, _to_epoll(mask))

    def _unregister(self, fd: int) -> None:
        try:
            self._epoll.unregister(fd)
        except OSError:
            pass  # closed already: the kernel dropped it, or _drop_unknown will


    def _poll(self, timeout: float | None) -> list[tuple[int, int]]:
        raw = self._epoll.poll(-1 if timeout is None else timeout)
        if not raw:
            return raw
        fds = self._fds
        out = []
        for fd, ev in raw:
            if fd not in fds:
                self._drop_unknown(fd)
                continue
            mask = (READ if ev & _IN_LIKE else 0) | (WRITE if ev & _OUT_LIKE else 0)
            out.append((fd, mask))
        return out

    def _poll_and_dispatch(self, timeout: float | None) -> None:
        # _poll and Loop._dispatch fused: no intermediate list, no mask
        # translation and no helper call between epoll_wait and a callback.
        # Keep the two in step.
        raw = self._epoll.poll(-1 if timeout is None else timeout)
        if not raw:
            return
        fds = self._fds
        removals = self._fd_removals
        in_like, out_like = _IN_LIKE, _OUT_LIKE
        for fd, ev in raw:
            rec = fds.get(fd)
            if rec is None:
                # Unknown when polled (a stale registration: drop it), unless a
                # callback of this pass removed records, which may include this
                # one; a stale registration is then dropped on the next pass.
                if self._fd_removals == removals:
                    self._drop_unknown(fd)
                continue
            if ev & in_like:
                cb = rec.reader
                if cb is not None:
                    try:
                        cb(*rec.reader_call)
                    except Exception as exc:  # noqa: BLE001 - reported, never dropped
                        self._report(exc, cb)
                if not ev & out_like:
                    continue
                # The reader callback may have removed this record.
                rec = fds.get(fd)
                if rec is None:
                    continue
            if ev & out_like:
                cb = rec.writer
                if cb is not None:
                    try:
                        cb(*rec.writer_call)
                    except Exception as exc:  # noqa: BLE001
                        self._report(exc, cb)

    def _drop_unknown(self, fd: int) -> None:
        # An event for an fd nobody watches: a registration outlived its fd
        # (closed without notify_closing while a dup keeps the file alive).
        # epoll_ctl cannot remove it by number any more, so rebuild the epoll
        # set from the records we trust; otherwise it would spin forever.
        try:
            self._epoll.unregister(fd)
            return
        except OSError:
            pass
        old = self._epoll
        self._epoll = _real_epoll()  # type: ignore[misc]
        old.close()
        for rec_fd, rec in list(self._fds.items()):
            if rec.mask and rec_fd not in self._always_ready:
                try:
                    self._epoll.register(rec_fd, _to_epoll(rec.mask))
                except OSError:
                    self._ready.append((self._report_bad, (rec_fd,)))

    def _report_bad(self, fd: int) -> None:
        self._dispatch([(fd, BAD)])

    def _close_backend(self) -> None:
        self._epoll.close()
