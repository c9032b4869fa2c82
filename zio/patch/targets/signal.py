"""Patch ``signal``: Python handlers run in fibers through the event loop; ``pause`` parks.

Also installs zio's SIGINT handler (if the default one is active), so
Ctrl-C raises KeyboardInterrupt in the main task at its blocking point
rather than inside the event loop.
"""

from __future__ import annotations

import threading

from ..._core.ki import install_sigint_handler
from ...green import signal as green_signal
from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {"signal": list(green_signal.__implements__)}


def apply() -> None:
    """Replace ``signal.signal``, ``getsignal`` and ``pause``."""
    if threading.current_thread() is threading.main_thread():
        install_sigint_handler()
    apply_names("signal", "signal", green_signal, REPLACES["signal"])
