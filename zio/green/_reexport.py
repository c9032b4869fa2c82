"""``reexport``: how a drop-in module starts out as a copy of its stdlib namesake."""

from __future__ import annotations

from types import ModuleType
from typing import Any

__all__ = ["reexport"]

# The module's own identity, which the drop-in keeps.
_METADATA = frozenset(
    {"__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__", "__cached__", "__builtins__"}
)


def reexport(namespace: dict[str, Any], module: ModuleType) -> None:
    """Copy every attribute of ``module`` but its metadata (``__name__``, ``__file__``...) into ``namespace``.

    Called with a drop-in module's ``globals()`` before its own definitions,
    which then replace the names it changes.
    """
    for name in dir(module):
        if name not in _METADATA:
            namespace[name] = getattr(module, name)
