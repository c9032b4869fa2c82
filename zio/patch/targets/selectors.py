"""Patch ``selectors`` with :mod:`zio.green.selectors` (selector classes park the fiber).

Selectors made before patching are fixed up in place: an instance of one of
the stdlib's classes becomes an instance of the green subclass, its real
``select.epoll`` or ``select.poll`` object wrapped (registrations and all) in
the cooperative one.  Unfixed, its ``select()`` would block the whole thread.
"""

from __future__ import annotations

import selectors as _std
from typing import Any

from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
#: The exact list is ``zio.green.selectors.__implements__``.
REPLACES: dict[str, list[str]] = {"selectors": ["SelectSelector", "PollSelector", "EpollSelector", "DefaultSelector"]}


def apply() -> None:
    """Replace the ``selectors`` classes the green module implements; adopt selectors made earlier."""
    from ...green import selectors as green_selectors

    originals = {name: getattr(_std, name) for name in ("SelectSelector", "PollSelector", "EpollSelector")}
    apply_names("selectors", "selectors", green_selectors, list(green_selectors.__implements__))
    fix_up_early_selectors(originals, green_selectors)


def fix_up_early_selectors(originals: dict[str, type], green_selectors: Any) -> int:
    """Turn instances of the stdlib's selector classes into green ones; returns how many."""
    import gc

    from ...green import select as green_select
    from .socket import _cheap_gc

    if not _cheap_gc():
        return 0
    by_class = {cls: name for name, cls in originals.items() if getattr(green_selectors, name, cls) is not cls}
    fixed = 0
    for obj in gc.get_objects():
        name = by_class.get(type(obj))
        if name is None:
            continue
        try:
            _adopt(obj, name, green_select)
        except Exception:  # noqa: BLE001 - an odd (subclassed, half-closed) object: leave it as it was
            continue
        obj.__class__ = getattr(green_selectors, name)
        fixed += 1
    return fixed


def _adopt(obj: Any, name: str, green_select: Any) -> None:
    """Wrap ``obj``'s real epoll/poll object in the cooperative one (a closed selector keeps its own)."""
    real = getattr(obj, "_selector", None)
    mapping = obj.get_map()  # None once closed
    if real is None or mapping is None:
        return
    if name == "EpollSelector" and not isinstance(real, green_select.epoll):
        obj._selector = green_select.epoll.adopt(real)
    elif name == "PollSelector" and hasattr(green_select, "adopt_poll"):
        # What PollSelector.register gave the poll object, per registered fd.
        masks = {
            key.fd: (obj._EVENT_READ if key.events & _std.EVENT_READ else 0)
            | (obj._EVENT_WRITE if key.events & _std.EVENT_WRITE else 0)
            for key in mapping.values()
        }
        obj._selector = green_select.adopt_poll(real, masks)
