"""zio.run, spawn/join and the Task API, sleep and checkpoint."""

from __future__ import annotations

import math
import time

import pytest

import zio


class Boom(Exception):
    pass


def test_run_returns_the_result(run):
    assert run(lambda a, b=0: a + b, 2, b=3) == 5


def test_run_reraises_the_exception(run):
    def main():
        raise Boom("from main")

    with pytest.raises(Boom, match="from main"):
        run(main)


def test_run_can_be_called_again_after_it_finished(run):
    assert run(lambda: 1) == 1
    assert run(lambda: 2) == 2


def test_run_inside_a_task_is_refused(run):
    def main():
        with pytest.raises(RuntimeError, match="inside a running zio task"):
            zio.run(lambda: None)

    run(main)


def test_spawn_join_returns_value(run):
    def main():
        t = zio.spawn(lambda x: x * 2, 21)
        return t.join()

    assert run(main) == 42


def test_join_reraises_and_marks_the_error_retrieved(run):
    hooked = []
    old = zio.set_task_excepthook(hooked.append)
    try:

        def main():
            t = zio.spawn(_raise, Boom("child"))
            with pytest.raises(Boom, match="child"):
                t.join()
            assert t.done() and not t.cancelled()
            assert isinstance(t.exception(), Boom)
            with pytest.raises(Boom):
                t.result()

        run(main)
    finally:
        zio.set_task_excepthook(old)
    assert hooked == []


def _raise(exc):
    raise exc


def test_task_state_methods(run):
    def main():
        ev = []
        t = zio.spawn(lambda: ev.append(zio.current_task()) or "ok")
        assert not t.done() and not t.cancelled()
        with pytest.raises(RuntimeError, match="has not finished"):
            t.exception()
        with pytest.raises(RuntimeError, match="has not finished"):
            t.result()
        assert t.join() == "ok"
        assert ev == [t]
        assert t.done() and t.exception() is None and t.result() == "ok"
        assert "done" in repr(t)

    run(main)


def test_names(run):
    def worker():
        zio.sleep(0)

    def main():
        assert zio.current_task().name == "main"
        t = zio.spawn(worker)
        assert t.name.startswith("test_names.<locals>.worker-")
        t.name = "renamed"
        assert t.name == "renamed" and "renamed" in repr(t)
        t.join()
        anon = zio.spawn(lambda: None)
        assert "lambda" in anon.name
        anon.join()

    run(main)


def test_current_task_identity_across_switches(run):
    def child(out):
        me = zio.current_task()
        zio.sleep(0)
        out.append(me is zio.current_task())

    def main():
        out = []
        tasks = [zio.spawn(child, out) for _ in range(5)]
        for t in tasks:
            t.join()
        assert out == [True] * 5
        assert zio.current_task() is not tasks[0]

    run(main)


def test_join_self_is_an_error(run):
    def main():
        with pytest.raises(RuntimeError, match="cannot join itself"):
            zio.current_task().join()

    run(main)


def test_join_with_timeout(run):
    def main():
        t = zio.spawn(zio.sleep, 10)
        with pytest.raises(TimeoutError):
            t.join(timeout=0.01)
        assert not t.done()  # the task keeps running
        t.cancel()
        with pytest.raises(zio.Cancelled):
            t.join()
        assert t.cancelled()

    run(main)


def test_cancel_then_join_raises_cancelled(run):
    def main():
        t = zio.spawn(zio.sleep, 10)
        zio.sleep(0)
        t.cancel()
        with pytest.raises(zio.Cancelled):
            t.join()
        assert t.done() and t.cancelled()
        assert isinstance(t.exception(), zio.Cancelled)

    run(main)


def test_cancel_before_first_run(run):
    ran = []

    def main():
        t = zio.spawn(lambda: ran.append(1) or zio.sleep(0))
        t.cancel()
        with pytest.raises(zio.Cancelled):
            t.join()

    run(main)
    assert ran == [1]  # it starts, and its first blocking call raises


def test_cancel_of_finished_task_is_harmless(run):
    def main():
        t = zio.spawn(lambda: 3)
        assert t.join() == 3
        t.cancel()
        assert t.join() == 3
        assert not t.cancelled()

    run(main)


def test_task_that_catches_cancel_and_returns_is_not_cancelled(run):
    def child():
        try:
            zio.sleep(10)
        except zio.Cancelled:
            return "cleaned up"

    def main():
        t = zio.spawn(child)
        zio.sleep(0)
        t.cancel()
        assert t.join() == "cleaned up"
        assert not t.cancelled()

    run(main)


def test_unfinished_tasks_are_cancelled_when_run_ends(run):
    seen = []

    def lingering():
        try:
            zio.sleep(10)
        except zio.Cancelled:
            seen.append("cancelled")
            raise

    def main():
        zio.spawn(lingering)
        zio.sleep(0)

    start = time.monotonic()
    run(main)
    assert seen == ["cancelled"]
    assert time.monotonic() - start < 5


def test_sleep_durations(run):
    def main():
        start = zio.current_time()
        zio.sleep(0.02)
        assert zio.current_time() - start >= 0.02
        start = zio.current_time()
        zio.sleep_until(start + 0.02)
        assert zio.current_time() >= start + 0.02
        zio.sleep_until(start - 100)  # past deadline: just a checkpoint

    run(main)


def test_sleeps_wake_in_deadline_order(run):
    def main():
        order = []
        with zio.Group() as g:
            for delay in (0.03, 0.01, 0.02, 0):
                g.spawn(lambda d: (zio.sleep(d), order.append(d)), delay)
        assert order == [0, 0.01, 0.02, 0.03]

    run(main)


@pytest.mark.parametrize("bad", [-1, -0.001, math.nan, -math.inf])
def test_negative_or_nan_sleep_is_an_error(run, bad):
    def main():
        with pytest.raises(ValueError, match="non-negative"):
            zio.sleep(bad)

    run(main)


def test_sleep_until_nan_is_an_error(run):
    def main():
        with pytest.raises(ValueError):
            zio.sleep_until(math.nan)

    run(main)


def test_sleep_zero_and_checkpoint_let_others_run(run):
    def main():
        log = []

        def other():
            log.append("other")

        zio.spawn(other)
        zio.sleep(0)
        assert log == ["other"]
        zio.spawn(other)
        zio.checkpoint()
        assert log == ["other", "other"]

    run(main)


def test_round_robin_between_yielding_tasks(run):
    def main():
        log = []

        def worker(name):
            for i in range(3):
                log.append((name, i))
                zio.sleep(0)

        a, b = zio.spawn(worker, "a"), zio.spawn(worker, "b")
        a.join()
        b.join()
        # Both make progress while the other yields: neither runs all 3 steps first.
        first_b = log.index(("b", 0))
        assert first_b < log.index(("a", 2))
        assert sorted(log) == [(n, i) for n in "ab" for i in range(3)]

    run(main)


def test_sleep_inf_waits_until_cancelled(run):
    def main():
        with zio.move_on_after(0.01) as scope:
            zio.sleep(math.inf)
        assert scope.cancelled_caught

    run(main)


def test_busy_tasks_do_not_starve_timers(run):
    """A task spinning on checkpoints cannot keep a sleeper from waking."""

    def main():
        woke = []

        def sleeper():
            zio.sleep(0.01)
            woke.append(zio.current_time())

        t = zio.spawn(sleeper)
        start = zio.current_time()
        while not woke:
            zio.checkpoint()
            assert zio.current_time() - start < 5
        t.join()
        assert woke[0] - start < 1

    run(main)


def test_contextvars_are_copied_into_tasks(run):
    import contextvars

    var = contextvars.ContextVar("var", default="unset")

    def child():
        seen = var.get()
        var.set("child")
        return seen

    def main():
        var.set("parent")
        assert zio.spawn(child).join() == "parent"
        assert var.get() == "parent"  # the child's change stayed in its copy

    run(main)


def test_many_tasks(run):
    def main():
        tasks = [zio.spawn(lambda i: (zio.sleep(0), i)[1], i) for i in range(2000)]
        assert [t.join() for t in tasks] == list(range(2000))

    run(main)
