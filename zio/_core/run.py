"""``zio.run``: run a function in a fiber on this thread's hub."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from greenlet import getcurrent

from . import _state
from .hub import Hub
from .ki import install_sigint_handler, restore_sigint_handler

__all__ = ["run"]

T = TypeVar("T")


def run(main: Callable[..., T], *args: Any, backend: str | None = None, clock: Any = None, **kwargs: Any) -> T:
    """Run ``main(*args, **kwargs)`` in a fiber; return its result or re-raise its exception.

    ``backend`` picks the event loop (``"epoll"``, ``"poll"``, ``"select"``,
    ``"kqueue"`` or ``"auto"``; default ``$ZIO_BACKEND`` or auto).  Tasks
    still running when ``main`` returns are cancelled and waited for.
    KeyboardInterrupt is delivered to ``main`` at its blocking point.
    ``clock`` replaces the monotonic clock for timers and deadlines, e.g. a
    :class:`zio.testing.MockClock` (the run then gets a hub of its own).
    """
    hub = _state.peek_hub()
    current = getcurrent()
    if hub is not None and not hub.closed and current is not hub.root_task.glet:
        raise RuntimeError("zio.run() cannot be called from inside a running zio task; call the function directly")
    if current.parent is not None and hub is None:
        raise RuntimeError("zio.run() must be called from the thread's main greenlet")
    own_hub = hub is None or hub.closed or backend is not None or clock is not None or hub.tasks
    previous = hub
    if own_hub:
        hub = Hub(backend)
        if clock is not None:
            hub.set_clock(clock)
        _state.set_hub(hub)
    assert hub is not None
    old_main = hub.main_task
    previous_sigint = install_sigint_handler()
    try:
        task = hub.spawn(main, args, kwargs, name="main")
        hub.main_task = task
        try:
            hub.join_task(task, None)
        finally:
            hub.main_task = old_main
            _finish_leftovers(hub)
        if task._ki_pending:
            # Ctrl-C arrived while main was in a wait that could not be
            # aborted, and main then finished without reaching another
            # blocking call: surface the interrupt instead of losing it.
            task._ki_pending = False
            try:
                task.result()
            except BaseException as exc:  # noqa: BLE001 - chained below
                raise KeyboardInterrupt from exc
            raise KeyboardInterrupt
        return task.result()
    finally:
        restore_sigint_handler(previous_sigint)
        if own_hub:
            hub.close()
            _state.set_hub(previous if previous is not None and not previous.closed else None)


def _finish_leftovers(hub: Hub) -> None:
    """Cancel tasks spawned outside groups that outlived main, and wait for them."""
    while hub.tasks:
        for task in list(hub.tasks):
            task.cancel("zio.run() is finishing: main returned while this task was still running")
        for task in list(hub.tasks):
            try:
                hub.join_task(task, None)
            except KeyboardInterrupt:
                raise  # a second Ctrl-C stops the clean-up
            except BaseException:  # noqa: BLE001 - their errors go to the excepthook
                pass
