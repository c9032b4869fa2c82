"""format_tasks / format_threads: what a hang report shows."""

from __future__ import annotations

import zio
from zio.testing import format_tasks, format_threads, wait_all_tasks_blocked
from zio.testing._dump import parked_location


def _park_here_forever():
    zio.sleep_forever()


def test_format_tasks_names_each_task_its_wait_and_user_frame(run):
    def main():
        with zio.Group() as g:
            task = g.spawn(_park_here_forever)
            task.name = "napper"
            wait_all_tasks_blocked()
            text = format_tasks()
            assert "'napper': parked on zio.sleep_forever()" in text
            assert "_park_here_forever" in text
            assert "hub.py" not in text  # scheduler frames are hidden by default
            assert "hub.py" in format_tasks(full=True)
            assert parked_location(task).startswith(__file__)
            g.cancel()

    run(main)


def test_format_threads_lists_this_thread():
    text = format_threads()
    assert "MainThread" in text or "thread" in text
    assert "test_format_threads_lists_this_thread" in text
