"""Patch ``time.sleep``: sleeping parks the fiber."""

from __future__ import annotations

from ...green import time as green_time
from .._fixup import rebind_references
from .._registry import note_fixed, patch_item, saved

#: What this target replaces, per module (the tests check it against the modules).
REPLACES: dict[str, list[str]] = {"time": list(green_time.__implements__)}


def apply() -> None:
    """Replace ``time.sleep`` and rebind ``from time import sleep`` done earlier."""
    import time

    for name in REPLACES["time"]:
        patch_item(time, name, getattr(green_time, name))
    pairs = [(saved["time"][n], getattr(green_time, n)) for n in REPLACES["time"]]
    note_fixed("time", rebind_references(pairs, {"time"}))
