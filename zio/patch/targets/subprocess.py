"""Patch ``subprocess``: ``Popen`` waits on a pidfd and its pipes park the fiber.

Only ``Popen`` is replaced: the stdlib's ``run``, ``call``, ``check_output``...
look ``Popen`` up in their module at call time, so they use the green one.
The multiprocessing start method is never changed.
"""

from __future__ import annotations

from ...green import subprocess as green_subprocess
from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {"subprocess": ["Popen"]}


def apply() -> None:
    """Replace ``subprocess.Popen``."""
    apply_names("subprocess", "subprocess", green_subprocess, REPLACES["subprocess"])
