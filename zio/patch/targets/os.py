"""Patch ``os``: waiting for children and pipe I/O park the fiber; a forked child gets a fresh hub."""

from __future__ import annotations

from ...green import os as green_os
from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {"os": [n for n in green_os.__implements__ if hasattr(green_os, n)]}


def apply() -> None:
    """Replace the ``os`` functions; the after-fork hook is installed by importing zio.green.os."""
    green_os.install_fork_hook()
    apply_names("os", "os", green_os, REPLACES["os"])
