"""Patch ``select`` with :mod:`zio.green.select` (``select``, ``poll``, ``epoll`` park the fiber)."""

from __future__ import annotations

from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
#: The exact list is ``zio.green.select.__implements__`` (``poll``/``epoll`` where the OS has them).
REPLACES: dict[str, list[str]] = {"select": ["select", "poll", "epoll"]}


def apply() -> None:
    """Replace the ``select`` names the green module implements."""
    from ...green import select as green_select

    apply_names("select", "select", green_select, list(green_select.__implements__))
