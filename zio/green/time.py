"""Cooperative ``time``: :func:`sleep` parks the current fiber; everything else is the stdlib's."""

from __future__ import annotations

import math
import operator
import time as _time
from time import *  # noqa: F403 - drop-in module: re-export the stdlib's names

from greenlet import getcurrent

from .._core import _state
from .._core.api import sleep as _zio_sleep
from . import _originals

__all__ = [name for name in dir(_time) if not name.startswith("_")]

#: The names of ``time`` this module replaces (zio.patch and its tests read it).
__implements__ = ["sleep"]


def sleep(secs: float) -> None:
    """Suspend the calling fiber for ``secs`` seconds; other fibers run meanwhile.

    Same argument rules as :func:`time.sleep` (a non-negative real number).
    ``sleep(0)`` yields to other runnable fibers.  Inside an event-loop
    callback, which cannot be suspended, it blocks like the original.
    """
    if isinstance(secs, float):
        value = secs
    elif isinstance(secs, int):
        value = float(secs)
    else:
        try:
            value = float(operator.index(secs)) if not hasattr(secs, "__float__") else float(secs)
        except TypeError:
            raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer") from None
    if math.isnan(value):
        raise ValueError("Invalid value NaN (not a number)")
    if value < 0:
        raise ValueError("sleep length must be non-negative")
    if value > 9.2e9:  # about the C _PyTime_t limit CPython enforces
        raise OverflowError("timestamp too large to convert to C _PyTime_t")
    hub = _state.peek_hub()
    if hub is not None and getcurrent() is hub.greenlet:
        _originals.sleep(value)
        return
    _zio_sleep(value)
