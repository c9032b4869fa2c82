"""The usual way to apply a target: copy the green module's names onto the stdlib module."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .._fixup import rebind_references
from .._registry import note_fixed, patch_item, saved

__all__ = ["apply_names"]


def apply_names(target: str, module_name: str, green: ModuleType, names: list[str]) -> list[tuple[Any, Any]]:
    """Set ``module_name.<name> = green.<name>`` for each name; rebind early references.

    Returns the (original, replacement) pairs.
    """
    module = importlib.import_module(module_name)
    for name in names:
        patch_item(module, name, getattr(green, name))
    pairs = [(saved[module_name][name], getattr(green, name)) for name in names]
    note_fixed(target, rebind_references(pairs, {module_name}))
    return pairs
