"""asyncio's "running loop" per fiber, not per OS thread.

asyncio records the event loop that runs in the current thread in C, per OS
thread.  Once threads are fibers of one OS thread, a loop started in one
"thread" would see the loop of another: ``asyncio.run`` in a patched thread
(``asyncio.to_thread(asyncio.run, coro)``, asgiref's ``async_to_sync``, a
library's private loop in a worker thread) refused with "cannot be called
from a running event loop" while the main thread ran its own loop, and
``asyncio.get_running_loop()`` returned a stranger's loop.

:func:`install` (run when ``asyncio.events`` is imported in a process whose
threads are patched) replaces the functions of ``asyncio.events`` that read
and set the running loop by ones that keep it per fiber.  asyncio's other
modules reach them as ``events.<name>``, and the package re-exports them, so
every Python-level caller sees the fiber's own loop.

asyncio's C code (a ``Future`` made without a loop, ``current_task()``)
still reads the per-thread value, so that is kept equal to the loop of the
fiber that runs: with one loop running in the thread it is simply that
loop; while two or more run at once, a greenlet trace function sets it at
every switch (a cost paid only for as long as several loops run).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

import greenlet

from ..green import _originals
from ..green._locks import fiber_identity

__all__ = ["install"]

_real_thread_ident = _originals.get_ident

#: OS thread ident -> {fiber identity: its running loop}
_running: dict[int, dict[Any, Any]] = {}
#: OS thread ident -> the greenlet trace function that was in place before ours
_traced: dict[int, Any] = {}
_c_set_running_loop: Any = None
_installed = False


def _loops_here() -> dict[Any, Any]:
    ident = _real_thread_ident()
    loops = _running.get(ident)
    if loops is None:
        loops = _running[ident] = {}
    return loops


def _on_switch(event: str, args: Any) -> None:
    """greenlet trace function while several loops run in this thread: follow the switch."""
    previous = _traced.get(_real_thread_ident())
    if previous is not None:
        previous(event, args)
    if event in ("switch", "throw"):
        loops = _running.get(_real_thread_ident())
        _c_set_running_loop(loops.get(fiber_identity(args[1])) if loops else None)


def _sync(loops: dict[Any, Any]) -> None:
    """Make asyncio's per-thread value (and the trace) fit the loops running in this thread."""
    ident = _real_thread_ident()
    tracing = ident in _traced
    if len(loops) >= 2:
        if not tracing:
            _traced[ident] = greenlet.settrace(_on_switch)
        _c_set_running_loop(loops.get(fiber_identity()))
        return
    if tracing:
        previous = _traced.pop(ident)
        if greenlet.gettrace() is _on_switch:
            greenlet.settrace(previous)
    _c_set_running_loop(next(iter(loops.values())) if loops else None)


def _get_running_loop() -> Any:
    """The loop running in the current fiber, or None (``asyncio.events._get_running_loop``)."""
    loops = _running.get(_real_thread_ident())
    return loops.get(fiber_identity()) if loops else None


def _set_running_loop(loop: Any) -> None:
    """Record ``loop`` (or None) as the current fiber's running loop (``asyncio.events._set_running_loop``)."""
    loops = _loops_here()
    key = fiber_identity()
    if loop is None:
        loops.pop(key, None)
    else:
        loops[key] = loop
    _sync(loops)


def get_running_loop() -> Any:
    """The loop running in the current fiber; RuntimeError if none (``asyncio.get_running_loop``)."""
    loop = _get_running_loop()
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


def _after_fork_in_child() -> None:
    # Only the forking fiber lives on in the child, and its loop does not run there.
    _running.clear()
    if greenlet.gettrace() is _on_switch:
        greenlet.settrace(_traced.get(_real_thread_ident()))
    _traced.clear()


def install(events: ModuleType) -> None:
    """Replace ``asyncio.events``' running-loop functions by per-fiber ones (idempotent)."""
    global _c_set_running_loop, _installed
    if getattr(events, "_set_running_loop", None) is _set_running_loop:
        return
    _c_set_running_loop = events._set_running_loop
    # A loop already running (asyncio imported and started before patching) stays visible.
    already = events._get_running_loop()
    original_get_event_loop = events.get_event_loop

    def get_event_loop() -> Any:
        """The current fiber's running loop, else the policy's loop (``asyncio.get_event_loop``)."""
        loop = _get_running_loop()
        if loop is not None:
            return loop
        if _running.get(_real_thread_ident()):
            # Another fiber's loop runs: asyncio's own function would return it.
            return events.get_event_loop_policy().get_event_loop()
        return original_get_event_loop()

    get_event_loop.__module__ = events.__name__
    replacements = {
        "_get_running_loop": _get_running_loop,
        "_set_running_loop": _set_running_loop,
        "get_running_loop": get_running_loop,
        "get_event_loop": get_event_loop,
    }
    package = sys.modules.get("asyncio")
    for name, new in replacements.items():
        old = getattr(events, name)
        setattr(events, name, new)
        # asyncio re-exports them; when it was imported before patching, rebind its copies too.
        if package is not None and getattr(package, name, None) is old:
            setattr(package, name, new)
    if already is not None:
        _set_running_loop(already)
    if not _installed:
        _installed = True
        os.register_at_fork(after_in_child=_after_fork_in_child)
