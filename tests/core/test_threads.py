"""Hubs and threads: one hub per thread, clear misuse errors, to_thread."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

import zio
from zio._core import _state


def in_thread(fn):
    """Run ``fn()`` in a new OS thread; return its result or re-raise its exception."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["exc"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(10)
    assert not t.is_alive()
    if "exc" in out:
        raise out["exc"]
    return out["value"]


def test_each_thread_gets_its_own_hub(run, backend):
    def main():
        mine = zio.current_hub()
        theirs = in_thread(lambda: zio.run(zio.current_hub, backend=backend))
        assert theirs is not mine
        assert theirs.thread_id != mine.thread_id

    run(main)


def test_spawn_on_another_threads_hub_is_refused(run):
    def main():
        hub = zio.current_hub()
        with pytest.raises(zio.WrongThreadError) as info:
            in_thread(lambda: hub.spawn(print))
        assert "each thread spawns on its own hub" in str(info.value)

    run(main)


def test_joining_another_hubs_task_is_refused(run, backend):
    def main():
        task = zio.spawn(zio.sleep, 0)

        def other():
            def inner():
                with pytest.raises(zio.WrongThreadError, match="belongs to"):
                    task.join()
                return "checked"

            return zio.run(inner, backend=backend)

        assert in_thread(other) == "checked"
        task.join()

    run(main)


def test_blocking_on_another_threads_hub_is_refused(run):
    def main():
        hub = zio.current_hub()
        with pytest.raises(zio.WrongThreadError) as info:
            in_thread(lambda: hub.park(None, "misuse"))
        msg = str(info.value)
        assert "belongs to thread" in msg and "cannot be used from thread" in msg

    run(main)


def test_cancel_scope_from_another_thread(run):
    def main():
        with zio.CancelScope() as scope:
            t = threading.Thread(target=scope.cancel, args=("from a thread",))
            t.start()
            zio.sleep(10)
        t.join()
        assert scope.cancelled_caught

    run(main)


def test_task_cancel_from_another_thread(run):
    def main():
        task = zio.spawn(zio.sleep, 10)
        zio.sleep(0)
        in_thread(task.cancel)
        with pytest.raises(zio.Cancelled):
            task.join()

    run(main)


def test_unpark_threadsafe(run):
    def main():
        hub = zio.current_hub()
        me = zio.current_task()
        hub.external_waits += 1  # a wake will come from outside
        t = threading.Thread(target=hub.unpark_threadsafe, args=(me, "hello"))
        t.start()
        try:
            assert hub.park(None, "a value from a thread") == "hello"
        finally:
            hub.external_waits -= 1
        t.join()

    run(main)


def test_blocking_without_run_drives_the_hub():
    """The patched world: code on a thread's main greenlet blocks and the hub runs."""

    def body():
        got = []
        t = zio.spawn(lambda: got.append("child ran"))
        zio.sleep(0.01)
        assert got == ["child ran"]
        assert t.join() is None
        hub = _state.peek_hub()
        hub.close()
        _state.set_hub(None)
        return "ok"

    assert in_thread(body) == "ok"


# -- to_thread ---------------------------------------------------------------


def test_to_thread_returns_result_and_runs_elsewhere(run):
    def main():
        ident = zio.to_thread(threading.get_ident)
        assert ident != threading.get_ident()
        assert zio.to_thread(lambda a, b=1: a + b, 1, b=2) == 3

    run(main)


def test_to_thread_reraises(run):
    def fail():
        raise LookupError("in thread")

    def main():
        with pytest.raises(LookupError, match="in thread"):
            zio.to_thread(fail)

    run(main)


def test_to_thread_copies_contextvars(run):
    var = contextvars.ContextVar("v", default="default")

    def in_worker():
        seen = var.get()
        var.set("changed in thread")
        return seen

    def main():
        var.set("from task")
        assert zio.to_thread(in_worker) == "from task"
        assert var.get() == "from task"

    run(main)


def test_other_fibers_run_while_a_thread_blocks(run):
    def main():
        released = threading.Event()

        def releaser():
            zio.sleep(0.01)
            released.set()  # non-blocking; only a running fiber can do it

        zio.spawn(releaser)
        assert zio.to_thread(released.wait, 5) is True

    run(main)


def test_cancel_waits_for_the_thread_by_default(run):
    def main():
        finished = threading.Event()

        def slow():
            time.sleep(0.05)
            finished.set()
            return "done"

        start = time.monotonic()
        with zio.move_on_after(0.005) as scope:
            # The cancel cannot interrupt the thread: the call completes and
            # returns its result, and the cancel comes at the next checkpoint.
            assert zio.to_thread(slow) == "done"
            assert finished.is_set()
            zio.checkpoint()
            pytest.fail("the pending cancel was not delivered at the checkpoint")
        assert scope.cancelled_caught
        assert time.monotonic() - start >= 0.05
        assert zio.current_hub().external_waits == 0

    run(main)


def test_abandon_on_cancel_returns_at_once(run):
    def main():
        release = threading.Event()
        finished = threading.Event()

        def stuck():
            release.wait(5)
            finished.set()

        start = time.monotonic()
        with zio.move_on_after(0.01) as scope:
            zio.to_thread(stuck, abandon_on_cancel=True)
        assert scope.cancelled_caught
        assert not finished.is_set()
        assert time.monotonic() - start < 2
        release.set()
        # The abandoned job still finishes and is accounted for.
        with zio.fail_after(5):
            while zio.current_hub().external_waits:
                zio.sleep(0.001)
        assert finished.is_set()

    run(main)


def test_to_thread_in_cancelled_scope_does_not_start(run):
    def main():
        ran = []
        with zio.CancelScope() as scope:
            scope.cancel()
            zio.to_thread(ran.append, 1)
        assert scope.cancelled_caught
        assert zio.current_hub().external_waits == 0
        zio.sleep(0.02)
        assert ran == []

    run(main)


def test_many_concurrent_thread_calls(run):
    def main():
        with zio.Group() as g:
            tasks = [g.spawn(zio.to_thread, lambda i=i: (time.sleep(0.002), i)[1]) for i in range(60)]
        assert sorted(t.result() for t in tasks) == list(range(60))

    run(main)
