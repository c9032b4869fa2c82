"""Patch ``selectors`` with :mod:`zio.green.selectors` (selector classes park the fiber)."""

from __future__ import annotations

from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
#: The exact list is ``zio.green.selectors.__implements__``.
REPLACES: dict[str, list[str]] = {"selectors": ["SelectSelector", "PollSelector", "EpollSelector", "DefaultSelector"]}


def apply() -> None:
    """Replace the ``selectors`` classes the green module implements."""
    from ...green import selectors as green_selectors

    apply_names("selectors", "selectors", green_selectors, list(green_selectors.__implements__))
