"""Structured concurrency: zio.Group."""

from __future__ import annotations

import time

import pytest

import zio
from zio import BaseExceptionGroup, ExceptionGroup


class Boom(Exception):
    pass


def _fail(msg="boom", delay=0.0):
    if delay:
        zio.sleep(delay)
    raise Boom(msg)


def test_exit_waits_for_every_child(run):
    def main():
        done = []
        with zio.Group() as g:
            for d in (0.02, 0.01, 0):
                g.spawn(lambda d: (zio.sleep(d), done.append(d)), d)
        assert sorted(done) == [0, 0.01, 0.02]

    run(main)


def test_children_results(run):
    def main():
        with zio.Group() as g:
            a = g.spawn(lambda: 1)
            b = g.spawn(lambda x: x * 2, 21)
        assert (a.result(), b.result()) == (1, 42)

    run(main)


def test_single_error_still_comes_as_a_group(run):
    def main():
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(_fail, "only one")
        (exc,) = info.value.exceptions
        assert isinstance(exc, Boom) and str(exc) == "only one"

    run(main)


def test_first_error_cancels_siblings_and_body(run):
    def main():
        log = []

        def sibling():
            try:
                zio.sleep(10)
            except zio.Cancelled:
                log.append("sibling cancelled")
                raise

        start = time.monotonic()
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(sibling)
                g.spawn(_fail, "first", 0.01)
                try:
                    zio.sleep(10)
                except zio.Cancelled:
                    log.append("body cancelled")
                    raise
        assert [str(e) for e in info.value.exceptions] == ["first"]
        assert sorted(log) == ["body cancelled", "sibling cancelled"]
        assert time.monotonic() - start < 2

    run(main)


def test_several_errors_are_all_collected(run):
    def main():
        def fail_on_cancel(msg):
            try:
                zio.sleep(10)
            finally:
                raise Boom(msg)

        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(fail_on_cancel, "in cleanup")
                g.spawn(_fail, "first", 0.01)
        assert sorted(str(e) for e in info.value.exceptions) == ["first", "in cleanup"]

    run(main)


def test_body_error_cancels_children_and_is_grouped(run):
    def main():
        cancelled = []

        def child():
            try:
                zio.sleep(10)
            except zio.Cancelled:
                cancelled.append(True)
                raise

        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(child)
                zio.sleep(0)
                raise Boom("from the body")
        assert [str(e) for e in info.value.exceptions] == ["from the body"]
        assert cancelled == [True]

    run(main)


def test_base_exceptions_from_children_come_as_base_exception_group(run):
    def main():
        def interrupt():
            raise KeyboardInterrupt

        with pytest.raises(BaseExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(interrupt)
        assert [type(e) for e in info.value.exceptions] == [KeyboardInterrupt]

    run(main)


def test_spawn_into_closed_group_raises(run):
    def main():
        with zio.Group() as g:
            pass
        with pytest.raises(RuntimeError, match="closed"):
            g.spawn(print)

    run(main)


def test_group_cancel(run):
    def main():
        with zio.Group() as g:
            t = g.spawn(zio.sleep, 10)
            g.cancel()
            zio.sleep(10)
        assert g.cancel_scope.cancelled_caught
        assert t.cancelled()

    run(main)


def test_group_can_be_entered_once(run):
    def main():
        g = zio.Group()
        with g:
            pass
        with pytest.raises(RuntimeError):
            with g:
                pass

    run(main)


def test_children_inherit_the_groups_scope_not_the_spawn_site(run):
    def main():
        with zio.Group() as g:
            with zio.CancelScope() as local:
                t = g.spawn(zio.sleep, 0.02)
                local.cancel()
                with pytest.raises(zio.Cancelled):
                    zio.sleep(10)
                raise zio.Cancelled("absorbed by local", local)
        # The local scope's cancel did not reach the child: it ran to the end.
        assert t.done() and not t.cancelled()

    run(main)


def test_timeout_around_a_group_cancels_everything(run):
    def main():
        with zio.move_on_after(0.02) as scope:
            with zio.Group() as g:
                tasks = [g.spawn(zio.sleep, 10) for _ in range(5)]
                zio.sleep(10)
        assert scope.cancelled_caught
        assert all(t.cancelled() for t in tasks)

    run(main)


def test_fail_after_around_a_group(run):
    def main():
        with pytest.raises(TimeoutError):
            with zio.fail_after(0.02):
                with zio.Group() as g:
                    g.spawn(zio.sleep, 10)

    run(main)


def test_spawning_into_a_cancelled_group_starts_cancelled(run):
    def main():
        ran = []
        with zio.Group() as g:
            g.cancel()
            t = g.spawn(lambda: (ran.append("started"), zio.sleep(0), ran.append("not reached")))
        assert ran == ["started"]
        assert t.cancelled()

    run(main)


def test_cancelling_the_body_task_waits_for_children(run):
    def main():
        log = []

        def body():
            with zio.Group() as g:
                g.spawn(lambda: (zio.sleep(10), log.append("no")))

                def cleanup():
                    try:
                        zio.sleep(10)
                    finally:
                        log.append("child cleaned up")

                g.spawn(cleanup)
            log.append("not reached")

        t = zio.spawn(body)
        zio.sleep(0.01)
        t.cancel()
        with pytest.raises(zio.Cancelled):
            t.join()
        assert log == ["child cleaned up"]

    run(main)


def test_nested_groups_propagate_errors_upwards(run):
    def main():
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as outer:
                outer.spawn(zio.sleep, 10)
                with zio.Group() as inner:
                    inner.spawn(_fail, "deep")
        (nested,) = info.value.exceptions
        assert isinstance(nested, ExceptionGroup)
        assert [str(e) for e in nested.exceptions] == ["deep"]

    run(main)


def test_child_exception_traceback_is_kept(run):
    def main():
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                g.spawn(_fail, "tb")
        exc = info.value.exceptions[0]
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        assert "_fail" in frames

    run(main)


def test_child_errors_are_not_reported_as_unretrieved(run):
    hooked = []
    old = zio.set_task_excepthook(hooked.append)
    try:

        def main():
            with pytest.raises(ExceptionGroup):
                with zio.Group() as g:
                    g.spawn(_fail)

        run(main)
    finally:
        zio.set_task_excepthook(old)
    assert hooked == []


# -- start() ------------------------------------------------------------------


def test_start_returns_the_started_value(run):
    def server(port, *, task_status=zio.TASK_STATUS_IGNORED):
        zio.sleep(0.001)
        task_status.started(port + 1)
        zio.sleep(10)

    def main():
        with zio.Group() as g:
            assert g.start(server, 8000) == 8001
            g.cancel()

    run(main)


def test_start_without_value_returns_none(run):
    def child(*, task_status):
        task_status.started()

    def main():
        with zio.Group() as g:
            assert g.start(child) is None

    run(main)


def test_task_status_ignored_allows_plain_spawn(run):
    def child(*, task_status=zio.TASK_STATUS_IGNORED):
        task_status.started("ignored")
        return "ran"

    def main():
        with zio.Group() as g:
            t = g.spawn(child)
        assert t.result() == "ran"

    run(main)


def test_started_twice_is_an_error(run):
    def child(*, task_status):
        task_status.started(1)
        task_status.started(2)

    def main():
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                assert g.start(child) == 1
        assert "already called" in str(info.value.exceptions[0])

    run(main)


def test_error_before_started_is_raised_from_start_and_group_lives_on(run):
    def broken(*, task_status):
        zio.sleep(0.001)
        raise Boom("before started")

    def main():
        with zio.Group() as g:
            sibling = g.spawn(zio.sleep, 0.02)
            with pytest.raises(Boom, match="before started"):
                g.start(broken)
            assert not g.cancel_scope.cancel_called
        assert sibling.done() and not sibling.cancelled()

    run(main)


def test_returning_without_started_is_a_runtime_error(run):
    def lazy(*, task_status):
        return "forgot"

    def main():
        with zio.Group() as g:
            with pytest.raises(RuntimeError, match="without calling task_status.started"):
                g.start(lazy)

    run(main)


def test_error_after_started_goes_to_the_group(run):
    def child(*, task_status):
        task_status.started("up")
        zio.sleep(0.001)
        raise Boom("after started")

    def main():
        with pytest.raises(ExceptionGroup) as info:
            with zio.Group() as g:
                assert g.start(child) == "up"
                zio.sleep(10)
        assert [str(e) for e in info.value.exceptions] == ["after started"]

    run(main)


def test_cancelling_the_caller_of_start_cancels_the_starting_child(run):
    def slow(*, task_status):
        zio.sleep(10)
        task_status.started()

    def main():
        with zio.Group() as g:
            with zio.move_on_after(0.01) as scope:
                g.start(slow)
            assert scope.cancelled_caught
        assert not g.cancel_scope.cancelled_caught

    run(main)


def test_start_into_closed_group_raises(run):
    def main():
        with zio.Group() as g:
            pass
        with pytest.raises(RuntimeError, match="closed"):
            g.start(lambda *, task_status: task_status.started())

    run(main)


def test_group_repr_and_scope(run):
    def main():
        with zio.Group() as g:
            assert "open" in repr(g)
            assert isinstance(g.cancel_scope, zio.CancelScope)
        assert "closed" in repr(g)

    run(main)
