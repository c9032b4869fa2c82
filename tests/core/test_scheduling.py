"""The scheduler's direct task-to-task switch: who runs next, and from which stack."""

from __future__ import annotations

import sys
import weakref

import zio
from zio._core._state import get_hub

# Python frames each task in a chain stacks up before it hands over.
DEPTH = 120


def _recurse(n: int, then):
    return then() if n == 0 else _recurse(n - 1, then)


def test_new_tasks_start_on_a_shallow_stack(run):
    """A task started right after a deep task parks does not inherit its depth.

    greenlet gives a new greenlet the recursion depth of whoever first
    switches into it; if each task of a chain started the next one from
    ``DEPTH`` frames down, the chain would hit the recursion limit after
    ``limit / DEPTH`` links.  The chain is three times longer than that.
    """
    links = 3 * sys.getrecursionlimit() // DEPTH
    done = zio.Event()
    finished = []

    def link(i: int) -> None:
        def at_the_bottom() -> None:
            if i == links:
                done.set()
                return
            zio.spawn(link, i + 1)
            done.wait()  # parks: the next runnable task is the new one

        _recurse(DEPTH, at_the_bottom)
        finished.append(i)

    def main() -> None:
        zio.spawn(link, 1)
        done.wait()

    run(main)
    assert sorted(finished) == list(range(1, links + 1))


def test_a_new_task_handed_back_to_the_hub_keeps_its_place(run):
    """A task that has never run, reached by a direct switch, is started by the hub in FIFO order.

    Each zio.run has a new hub with no pooled workers, so the first tasks
    below need brand-new workers and go through the hub; the order in which
    they first run must still be the order in which they became runnable.
    """
    order = []

    def main() -> None:
        hub = get_hub()
        assert not hub._idle_workers
        waiter_ready = zio.Event()
        wake = zio.Event()

        def waiter() -> None:
            waiter_ready.set()
            wake.wait()
            order.append("resumed")

        zio.spawn(waiter)
        waiter_ready.wait()  # direct switch to a task with no worker yet
        first = zio.spawn(order.append, "new0")
        wake.set()  # the waiter becomes runnable behind new0
        rest = [zio.spawn(order.append, f"new{i}") for i in range(1, 4)]
        for t in [first, *rest]:
            t.join()

    run(main)
    assert order == ["new0", "resumed", "new1", "new2", "new3"]


def test_a_parked_task_does_not_keep_the_task_it_handed_over_to(run):
    """A task that parks forever must not pin the next task (and its unretrieved error).

    Regression: the direct switch used to start the next task on the parking
    task's stack, where the call stayed, holding the new task, until the
    parking task resumed.
    """

    def main() -> None:
        # Warm the worker pool (four workers busy at once, then idle), so the
        # tasks below can start on pooled workers.
        go = zio.Event()
        warm = [zio.spawn(go.wait) for _ in range(4)]
        zio.sleep(0)
        go.set()
        for t in warm:
            t.join()
        assert len(get_hub()._idle_workers) >= 2
        forever = zio.Event()
        zio.spawn(forever.wait)
        child = zio.spawn(lambda: None)
        ref = weakref.ref(child)
        del child
        # The sleeper runs first, parks forever and hands over to the child.
        zio.sleep(0)
        zio.sleep(0)
        assert ref() is None
        forever.set()

    run(main)
