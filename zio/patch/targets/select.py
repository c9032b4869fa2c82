"""Patch ``select`` with :mod:`zio.green.select` (``select``, ``poll``, ``epoll`` park the fiber)."""

from __future__ import annotations

from .._libraries import adjust_after_import, fix_psycopg_waiting
from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
#: The exact list is ``zio.green.select.__implements__`` (``poll``/``epoll`` where the OS has them).
REPLACES: dict[str, list[str]] = {"select": ["select", "poll", "epoll"]}


def apply() -> None:
    """Replace the ``select`` names the green module implements."""
    from ...green import select as green_select

    apply_names("select", "select", green_select, list(green_select.__implements__))
    # Libraries that choose a C-level poll(2) at import because they do not
    # recognize zio's patching (psycopg 3's wait_c) use their select.poll one.
    adjust_after_import("psycopg.waiting", fix_psycopg_waiting)
