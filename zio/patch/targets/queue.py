"""Patch ``queue``: the C ``SimpleQueue`` (which blocks the thread in C) becomes green.

``Queue``, ``LifoQueue`` and ``PriorityQueue`` are pure Python on top of
``threading``: once threads are patched they are green already, and are left
alone so queues made before patching keep passing ``isinstance`` checks.
Patched without threads (``thread=False``), they are replaced by the green
subclasses from :mod:`zio.green.queue`.  A fresh import of ``_queue`` (a new
module object with a new C type) is patched too (see :mod:`zio.patch._reimport`).
"""

from __future__ import annotations

from types import ModuleType

from ...green import queue as green_queue
from .._fixup import rebind_references
from .._registry import is_patched, note_fixed, patch_item, saved
from .._reimport import patch_on_import

#: What this target replaces, per module (the tests check it against the modules).
#: ``Queue``, ``LifoQueue`` and ``PriorityQueue`` are added only when threads are not patched.
REPLACES: dict[str, list[str]] = {"queue": ["SimpleQueue"], "_queue": ["SimpleQueue"]}


def _patch_fresh_queue_module(module: ModuleType) -> None:
    # Its Empty must be the one the green SimpleQueue raises.
    module.SimpleQueue = green_queue.SimpleQueue  # type: ignore[attr-defined]
    module.Empty = green_queue.Empty  # type: ignore[attr-defined]


def apply() -> None:
    """Replace the queue classes (see the module docstring)."""
    import queue

    names = ["SimpleQueue"]
    if not is_patched("threading"):
        names += ["Queue", "LifoQueue", "PriorityQueue"]
    for name in names:
        patch_item(queue, name, getattr(green_queue, name))
    try:
        import _queue
    except ImportError:  # pragma: no cover - CPython always has it
        pass
    else:
        # test suites and libraries sometimes take the C type straight from _queue.
        patch_item(_queue, "SimpleQueue", green_queue.SimpleQueue)
        # ... or import a fresh copy of _queue (a new module with a new C type).
        patch_on_import("_queue", _patch_fresh_queue_module)
    pairs = [(saved["queue"][n], getattr(green_queue, n)) for n in names]
    note_fixed("queue", rebind_references(pairs, {"queue", "_queue"}))
