"""``Closable``: the ``closed`` property and ``with`` support of the closable objects.

Shared by the channels and their handles here and by the zio.net sockets.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["Closable"]

_C = TypeVar("_C", bound="Closable")


class Closable:
    """Mixin for a class with a ``close()`` method and a ``_closed`` flag.

    ``closed`` reads the flag; ``with obj:`` returns ``obj`` and closes it on
    the way out.  No slots of its own (the class using it declares ``_closed``).
    """

    __slots__ = ()

    _closed: bool

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
