"""Cooperative drop-in for the stdlib :mod:`selectors` module.

The selector classes are the stdlib's own, subclassed to run on the
cooperative primitives of :mod:`zio.green.select`; their ``select()``
therefore parks the fiber instead of the thread, with the same results,
timeouts and errors.  :data:`DefaultSelector` is the best of them
(``EpollSelector`` on Linux).  ``EpollSelector`` stays available (asyncio
relies on it).
"""

from __future__ import annotations

import selectors as _std
from typing import Any

from . import select as _gselect
from ._reexport import reexport

reexport(globals(), _std)

__all__ = [n for n in dir(_std) if not n.startswith("_") and n not in ("abc", "math", "select", "sys")]


def _select_fn(r: Any, w: Any, x: Any, timeout: float | None = None) -> Any:
    return _gselect.select(r, w, x, timeout)


class SelectSelector(_std.SelectSelector):
    """``selectors.SelectSelector`` on cooperative :func:`zio.green.select.select`."""

    _select = staticmethod(_select_fn)


__implements__ = ["SelectSelector", "DefaultSelector"]

if hasattr(_gselect, "poll"):

    class PollSelector(_std.PollSelector):
        """``selectors.PollSelector`` on cooperative :class:`zio.green.select.poll`."""

        _selector_cls = staticmethod(_gselect.poll)  # a function, like select.poll

    __implements__.append("PollSelector")

if hasattr(_gselect, "epoll"):

    class EpollSelector(_std.EpollSelector):
        """``selectors.EpollSelector`` on cooperative :class:`zio.green.select.epoll`."""

        _selector_cls = _gselect.epoll

    __implements__.append("EpollSelector")

#: The most efficient cooperative selector available here.
DefaultSelector: type
if "EpollSelector" in globals() and hasattr(_gselect, "epoll"):
    DefaultSelector = EpollSelector
elif hasattr(_gselect, "poll"):
    DefaultSelector = PollSelector
else:  # pragma: no cover - every POSIX system has poll
    DefaultSelector = SelectSelector
