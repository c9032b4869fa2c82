"""``sys._current_frames()`` without CPython 3.11's deadlock (python/cpython#106883).

CPython builds the result while holding the runtime's list-of-threads lock.
If that allocation starts a garbage collection, a finalizer it runs may
release the GIL (a ``__del__`` that closes an fd, say) with the lock still
held; another thread that then takes the GIL and calls
``sys._current_frames()`` -- or merely exits -- waits for the lock while
holding the GIL, and the process freezes.  zio calls it from every hub's
deadlock check and from the blocking monitor's thread, so two idle hubs in
two threads met exactly that in a test run.  Collection is therefore off for
the duration of the call.
"""

from __future__ import annotations

import gc
import sys
from _thread import allocate_lock  # the real lock, even after zio.patch (imported before it)
from types import FrameType

__all__ = ["current_frames"]

# Serialises the callers: gc.disable()/enable() is process-wide, and one
# caller re-enabling collection while another is still inside the call would
# reopen the window.  Held only across the call, which never waits.
_gc_off = allocate_lock()


def current_frames() -> dict[int, FrameType]:
    """``sys._current_frames()``, with garbage collection off while it runs."""
    with _gc_off:
        enabled = gc.isenabled()
        if enabled:
            gc.disable()
        try:
            return sys._current_frames()
        finally:
            if enabled:
                gc.enable()
