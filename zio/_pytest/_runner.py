"""A zio test's fresh hub: created before its fixtures, closed after their teardown.

Fixtures run on the thread's root task of that hub (so a plain fixture
function can block on zio, or spawn a server fiber that keeps running while
the test runs); the test function itself runs in its own Task, which is the
hub's main task (deadlock reports and KeyboardInterrupt go to it).  Fibers
still alive after the last fixture's teardown are a leak: they are reported
with where they are parked, then cancelled and joined.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["ZioTestRun"]


class ZioTestRun:
    """The hub of one zio test (see the module docstring)."""

    def __init__(self, backend: str | None, clock: Any = None) -> None:
        from .._core import _state
        from .._core.hub import Hub

        self._state = _state
        self.previous = _state.peek_hub()
        self.hub = Hub(backend)
        if clock is not None:
            self.hub.set_clock(clock)
        _state.set_hub(self.hub)
        self.finished = False

    def call(self, fn: Callable[..., Any], kwargs: dict[str, Any], name: str) -> Any:
        """Run ``fn(**kwargs)`` in a new task on this hub and wait for it (from the root task)."""
        hub = self.hub
        task = hub.spawn(fn, (), kwargs, name=name)
        hub.main_task = task
        try:
            hub.join_task(task, None)
        finally:
            hub.main_task = hub.root_task
        return task.result()

    def finish(self) -> str | None:
        """Close the hub; returns a report of leftover fibers, or None if there were none."""
        if self.finished:
            return None
        self.finished = True
        hub = self.hub
        leftovers = sorted((t for t in hub.tasks if not t.done()), key=lambda t: t.id)
        report = _describe_leftovers(leftovers, hub) if leftovers else None
        try:
            if leftovers and not hub.greenlet.dead and not hub.closed:
                for task in leftovers:
                    task.cancel("the zio pytest plugin is cleaning up fibers the test left running")
                for task in leftovers:
                    try:
                        hub.join_task(task, None)
                    except BaseException:  # noqa: BLE001 - their outcome was reported above
                        pass
        finally:
            hub.close()
            previous = self.previous
            self._state.set_hub(previous if previous is not None and not previous.closed else None)
        return report


def _describe_leftovers(tasks: list, hub: Any) -> str:
    from ..testing._dump import format_tasks, parked_location

    lines = [
        f"zio: the test left {len(tasks)} fiber(s) running after its fixtures were torn down "
        "(cancel or join every fiber a test starts; a zio.Group does both):"
    ]
    for task in tasks:
        state = f"parked on {task.waiting_for}" if task._parked else "runnable (never got to block)"
        lines.append(f"  - {task.name!r}: {state}, at {parked_location(task)}")
    lines.append("")
    lines.append(format_tasks(hub, include_root=False))
    return "\n".join(lines)
