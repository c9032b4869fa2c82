"""Tools for testing code that uses zio.

- :class:`MockClock`: virtual time; with ``autojump_threshold=0`` a test of a
  one-hour timeout runs in milliseconds.  ``zio.run(main, clock=MockClock(...))``.
- :func:`wait_all_tasks_blocked`: park until every other task is parked, the
  event-driven replacement for "sleep a bit so the server gets going".
- :class:`Sequencer`: force blocks in different tasks to run in a set order.
- :func:`format_tasks` / :func:`format_threads`: every fiber's (or thread's)
  state and stack, as the plugin prints them for a hung or leaky test.

They are wired into the hub (``Hub.set_clock`` and ``Hub.call_when_idle``),
so they see exactly what the scheduler sees.  The pytest plugin
(``zio.pytest_plugin``, registered automatically) exposes them as fixtures.
"""

from ._clock import MockClock
from ._dump import format_tasks, format_threads
from ._idle import wait_all_tasks_blocked
from ._sequencer import Sequencer

__all__ = ["MockClock", "Sequencer", "format_tasks", "format_threads", "wait_all_tasks_blocked"]
