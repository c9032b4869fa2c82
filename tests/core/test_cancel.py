"""The cancellation contract: scopes, shields, timeouts, deadlines, races."""

from __future__ import annotations

import math
import os
import time

import pytest

import zio


def test_cancelled_is_a_base_exception():
    assert issubclass(zio.Cancelled, BaseException)
    assert not issubclass(zio.Cancelled, Exception)


def test_scope_absorbs_its_own_cancel(run):
    def main():
        after = []
        with zio.CancelScope() as scope:
            scope.cancel("because")
            zio.sleep(10)
            after.append("not reached")
        assert after == []
        assert scope.cancelled_caught and scope.cancel_called

    run(main)


def test_cancel_is_delivered_only_at_blocking_points(run):
    def main():
        with zio.CancelScope() as scope:
            scope.cancel()
            x = sum(range(100))  # no blocking call: nothing raised
        assert x == 4950
        assert scope.cancel_called and not scope.cancelled_caught

    run(main)


def test_cancellation_is_level_triggered(run):
    def main():
        r, w = os.pipe()
        caught = []
        other = zio.spawn(zio.sleep, 10)
        with zio.CancelScope() as scope:
            scope.cancel()
            for call in (
                zio.checkpoint,
                lambda: zio.sleep(0),
                lambda: zio.sleep(1),
                lambda: zio.sleep_until(zio.current_time() + 1),
                other.join,
                lambda: zio.wait_readable(r),
                lambda: zio.to_thread(print, "never"),
                zio.sleep_forever,
            ):
                try:
                    call()
                except zio.Cancelled as exc:
                    caught.append(exc)
        assert len(caught) == 8
        assert all(exc.scope is scope for exc in caught)
        assert not scope.cancelled_caught  # every Cancelled was swallowed inside
        other.cancel()
        os.close(r)
        os.close(w)
        assert zio.current_loop().watched_fds() == {}

    run(main)


def test_cancel_message_names_reason_and_task(run):
    def main():
        with zio.CancelScope() as scope:
            scope.cancel("the reason")
            with pytest.raises(zio.Cancelled) as info:
                zio.sleep(1)
            assert "the reason" in str(info.value) and "'main'" in str(info.value)
        assert not scope.cancelled_caught

    run(main)


def test_cancel_is_idempotent(run):
    def main():
        with zio.CancelScope() as scope:
            scope.cancel("first")
            scope.cancel("second")
            with pytest.raises(zio.Cancelled, match="first"):
                zio.checkpoint()

    run(main)


def test_cancel_wakes_a_parked_task_promptly(run):
    def main():
        with zio.CancelScope() as scope:
            zio.spawn(lambda: (zio.sleep(0.01), scope.cancel()))
            start = time.monotonic()
            zio.sleep(10)
        assert scope.cancelled_caught
        assert time.monotonic() - start < 2

    run(main)


def test_nested_scopes_absorb_only_their_own_cancel(run):
    def main():
        with zio.CancelScope() as outer:
            with zio.CancelScope() as inner:
                outer.cancel()
                zio.sleep(1)
            pytest.fail("the inner scope swallowed the outer cancel")
        assert outer.cancelled_caught and not inner.cancelled_caught
        assert not inner.cancel_called

    run(main)


def test_outermost_cancelled_scope_gets_the_cancel(run):
    def main():
        with zio.CancelScope() as outer:
            with zio.CancelScope() as inner:
                inner.cancel()
                outer.cancel()
                zio.sleep(1)
        assert outer.cancelled_caught and not inner.cancelled_caught

    run(main)


def test_inner_cancel_leaves_outer_running(run):
    def main():
        with zio.CancelScope() as outer:
            with zio.CancelScope() as inner:
                inner.cancel()
                zio.sleep(1)
            zio.sleep(0)  # outer is fine
        assert inner.cancelled_caught and not outer.cancelled_caught

    run(main)


def test_shield_blocks_outer_cancellation(run):
    def main():
        log = []
        with zio.CancelScope() as outer:
            outer.cancel()
            with zio.CancelScope(shield=True) as shield:
                zio.sleep(0.001)
                zio.checkpoint()
                log.append("shielded sleep completed")
            log.append("left the shield")
            zio.sleep(0)
            log.append("not reached")
        assert log == ["shielded sleep completed", "left the shield"]
        assert outer.cancelled_caught and not shield.cancelled_caught

    run(main)


def test_shield_does_not_block_its_own_or_inner_cancellation(run):
    def main():
        with zio.CancelScope() as outer:
            outer.cancel()
            with zio.CancelScope(shield=True) as shield:
                with zio.move_on_after(0.001) as inner:
                    zio.sleep(10)
                assert inner.cancelled_caught
                shield.cancel()
                zio.sleep(10)
            assert shield.cancelled_caught
        assert not outer.cancelled_caught  # no blocking call after the shield

    run(main)


def test_dropping_a_shield_redelivers_a_pending_cancel_at_once(run):
    def main():
        with zio.CancelScope() as outer:
            with zio.CancelScope(shield=True) as shield:

                def unshield():
                    outer.cancel()
                    zio.sleep(0.01)
                    shield.shield = False

                zio.spawn(unshield)
                start = time.monotonic()
                zio.sleep(10)  # parked behind the shield when the cancel comes
        assert outer.cancelled_caught
        assert time.monotonic() - start < 2

    run(main)


def test_raising_a_shield_protects_from_then_on(run):
    def main():
        with zio.CancelScope() as outer:
            with zio.CancelScope() as scope:
                scope.shield = True
                outer.cancel()
                zio.sleep(0.001)  # completes
                assert scope.shield
        assert not outer.cancelled_caught

    run(main)


def test_move_on_after(run):
    def main():
        start = zio.current_time()
        with zio.move_on_after(0.02) as scope:
            zio.sleep(10)
        elapsed = zio.current_time() - start
        assert scope.cancelled_caught
        assert 0.02 <= elapsed < 2
        with zio.move_on_after(10) as scope:
            zio.sleep(0.001)
        assert not scope.cancelled_caught and not scope.cancel_called

    run(main)


def test_move_on_after_zero_cancels_at_the_first_checkpoint(run):
    def main():
        with zio.move_on_after(0) as scope:
            zio.checkpoint()
            pytest.fail("not cancelled")
        assert scope.cancelled_caught

    run(main)


def test_move_on_at(run):
    def main():
        with zio.move_on_at(zio.current_time() + 0.01) as scope:
            zio.sleep(10)
        assert scope.cancelled_caught
        with zio.move_on_at(zio.current_time() - 1) as scope:
            zio.sleep(10)
        assert scope.cancelled_caught

    run(main)


@pytest.mark.parametrize("bad", [-1, math.nan])
def test_timeouts_reject_bad_lengths(run, bad):
    def main():
        with pytest.raises(ValueError):
            zio.move_on_after(bad)
        with pytest.raises(ValueError):
            zio.fail_after(bad)

    run(main)


def test_fail_after_raises_timeout_error(run):
    def main():
        with pytest.raises(TimeoutError):
            with zio.fail_after(0.01):
                zio.sleep(10)
        with zio.fail_after(10) as scope:
            zio.sleep(0.001)
        assert not scope.cancelled_caught

    run(main)


def test_fail_at(run):
    def main():
        with pytest.raises(TimeoutError):
            with zio.fail_at(zio.current_time() + 0.01):
                zio.sleep(10)

    run(main)


def test_fail_after_raises_only_for_its_own_deadline(run):
    def main():
        with zio.move_on_after(0.01) as outer:
            with zio.fail_after(10):
                zio.sleep(10)  # the outer deadline fires: no TimeoutError here
        assert outer.cancelled_caught

        with zio.CancelScope() as outer:
            with zio.fail_after(10) as inner:
                outer.cancel()
                zio.sleep(1)
        assert outer.cancelled_caught and not inner.cancelled_caught

    run(main)


def test_fail_after_cancelled_explicitly_is_not_a_timeout(run):
    """Only the scope's own deadline makes a TimeoutError; cancel() is absorbed silently."""

    def main():
        with zio.fail_after(10) as scope:
            scope.cancel()
            zio.sleep(1)
        assert scope.cancelled_caught
        with pytest.raises(TimeoutError):
            with zio.fail_after(10) as scope:
                scope.deadline = zio.current_time() - 1  # moving the deadline is a timeout
                zio.sleep(1)
        with pytest.raises(TimeoutError):
            with zio.fail_after(0):
                zio.checkpoint()

    run(main)


def test_timeout_error_does_not_leak_when_body_finishes_in_time(run):
    def main():
        with zio.fail_after(0.05):
            pass
        zio.sleep(0.06)  # the deadline passes after the scope was left

    run(main)


def test_deadline_setter(run):
    def main():
        with zio.CancelScope() as scope:
            assert scope.deadline == math.inf
            scope.deadline = zio.current_time() + 0.01
            zio.sleep(10)
        assert scope.cancelled_caught

        with zio.move_on_after(0.01) as scope:
            scope.deadline = zio.current_time() + 10  # extend
            zio.sleep(0.03)
        assert not scope.cancelled_caught

        with zio.move_on_after(10) as scope:
            scope.deadline = math.inf  # remove
            zio.sleep(0.001)
        assert not scope.cancel_called

        with zio.CancelScope() as scope:
            scope.deadline = zio.current_time() - 1  # already past: cancels now
            assert scope.cancel_called
            zio.checkpoint()
        assert scope.cancelled_caught

        with pytest.raises(ValueError):
            zio.CancelScope().deadline = math.nan

    run(main)


def test_deadline_shortened_while_parked(run):
    def main():
        with zio.CancelScope() as scope:
            zio.spawn(lambda: setattr(scope, "deadline", zio.current_time() + 0.01))
            start = zio.current_time()
            zio.sleep(10)
        assert scope.cancelled_caught
        assert zio.current_time() - start < 2

    run(main)


def test_deadline_set_before_entering(run):
    def main():
        scope = zio.CancelScope()
        scope.deadline = zio.current_time() + 0.01
        with scope:
            zio.sleep(10)
        assert scope.cancelled_caught

    run(main)


def test_current_effective_deadline(run):
    def main():
        assert zio.current_effective_deadline() == math.inf
        now = zio.current_time()
        with zio.move_on_at(now + 10):
            assert zio.current_effective_deadline() == now + 10
            with zio.move_on_at(now + 5):
                assert zio.current_effective_deadline() == now + 5
                with zio.move_on_at(now + 20):
                    assert zio.current_effective_deadline() == now + 5
            with zio.CancelScope(shield=True):
                assert zio.current_effective_deadline() == math.inf
            with zio.CancelScope() as scope:
                scope.cancel()
                assert zio.current_effective_deadline() == -math.inf

    run(main)


def test_children_see_the_groups_deadline(run):
    def main():
        now = zio.current_time()
        with zio.move_on_at(now + 7):
            with zio.Group() as g:
                t = g.spawn(zio.current_effective_deadline)
        assert t.result() == now + 7

    run(main)


def test_scope_can_be_entered_only_once(run):
    def main():
        scope = zio.CancelScope()
        with scope:
            pass
        with pytest.raises(RuntimeError, match="only be entered once"):
            with scope:
                pass

    run(main)


def test_scopes_exited_out_of_order_are_an_error(run):
    def main():
        outer = zio.CancelScope()
        inner = zio.CancelScope()
        outer.__enter__()
        inner.__enter__()
        with pytest.raises(RuntimeError, match="out of order"):
            outer.__exit__(None, None, None)
        # The task is back in a consistent state: the abandoned inner scope no
        # longer governs it.
        zio.sleep(0)

    run(main)


def test_scope_exited_from_another_task_is_an_error(run):
    def main():
        scope = zio.CancelScope()
        scope.__enter__()
        t = zio.spawn(scope.__exit__, None, None, None)
        with pytest.raises(RuntimeError, match="exited from task"):
            t.join()

    run(main)


def test_task_finishing_with_an_open_scope_is_reported(run):
    hooked = []
    old = zio.set_task_excepthook(hooked.append)
    try:

        def leaky():
            zio.CancelScope().__enter__()
            return "returned"

        def main():
            assert zio.spawn(leaky).join() == "returned"

        run(main)
    finally:
        zio.set_task_excepthook(old)
    assert len(hooked) == 1
    assert "still open" in str(hooked[0].exc_value)


def test_cancel_from_a_callback_outside_any_task(run):
    def main():
        with zio.CancelScope() as scope:
            zio.current_loop().call_later(0.01, scope.cancel)
            zio.sleep(10)
        assert scope.cancelled_caught

    run(main)


# -- wakeups racing cancels ----------------------------------------------------


def test_wakeup_that_races_a_cancel_wins(run):
    """Unparked with a value and cancelled in the same iteration: the value, then Cancelled."""

    def main():
        hub = zio.current_hub()
        log = []

        def waiter():
            log.append(("got", hub.park(lambda: True, "a test wait")))
            try:
                zio.checkpoint()
            except zio.Cancelled:
                log.append("cancelled at the next checkpoint")
                raise

        t = zio.spawn(waiter)
        zio.sleep(0)
        assert t.waiting_for == "a test wait"
        hub.unpark(t, "the value")
        t.cancel()
        with pytest.raises(zio.Cancelled):
            t.join()
        assert log == [("got", "the value"), "cancelled at the next checkpoint"]

    run(main)


def test_failed_abort_lets_the_operation_complete(run):
    """abort() returning False means "already done": the task waits for its unpark."""

    def main():
        hub = zio.current_hub()
        log = []

        def waiter():
            log.append(hub.park(lambda: False, "an unabortable wait"))
            try:
                zio.checkpoint()
            except zio.Cancelled:
                log.append("cancelled later")
                raise

        t = zio.spawn(waiter)
        zio.sleep(0)
        t.cancel()
        zio.sleep(0.001)
        assert not t.done()  # still parked: the abort failed
        hub.unpark(t, "completed")
        with pytest.raises(zio.Cancelled):
            t.join()
        assert log == ["completed", "cancelled later"]

    run(main)


def test_join_that_races_a_cancel_returns_the_result(run):
    def main():
        hub = zio.current_hub()
        gate = []

        def target():
            gate.append(zio.current_task())
            hub.park(lambda: True, "gate")
            return "result"

        log = []

        def joiner(t):
            log.append(t.join())
            zio.checkpoint()

        t = zio.spawn(target)
        j = zio.spawn(joiner, t)
        zio.sleep(0)
        # Finish the target (which unparks the joiner) and cancel the joiner
        # before it runs again.
        hub.unpark(t)
        while not t.done():
            hub.checkpoint()
        if not j.done():
            j.cancel()
        with pytest.raises(zio.Cancelled):
            j.join()
        assert log == ["result"]

    run(main)


def test_the_hubs_count_of_cancelled_scopes_follows_every_path(run):
    """Hub._cancelled_scopes (which lets park and checkpoint skip the scope walk) is exact.

    It must be positive whenever an open scope is cancelled (else a cancel
    would be missed) and back to zero once every cancelled scope has exited
    (else every wait pays for the walk).
    """
    from zio._core._state import get_hub

    def main():
        hub = get_hub()
        base = hub._cancelled_scopes
        with zio.CancelScope() as outer:
            outer.cancel()
            assert hub._cancelled_scopes == base + 1
            outer.cancel()  # idempotent: counted once
            assert hub._cancelled_scopes == base + 1
            with zio.CancelScope(shield=True) as inner:
                inner.cancel()
                assert hub._cancelled_scopes == base + 2
                zio.checkpoint()  # the shielded scope's own cancel fires
            assert inner.cancelled_caught
            assert hub._cancelled_scopes == base + 1
            zio.checkpoint()  # now the outer cancel fires
        assert outer.cancelled_caught
        assert hub._cancelled_scopes == base

        early = zio.CancelScope()
        early.cancel()  # before entering: counted when entered
        assert hub._cancelled_scopes == base
        with early:
            assert hub._cancelled_scopes == base + 1
            zio.checkpoint()
        assert hub._cancelled_scopes == base

        with zio.move_on_after(0):  # expired before it was entered
            assert hub._cancelled_scopes == base + 1
            zio.sleep(1)
        with zio.move_on_after(0.001):  # expires while parked
            zio.sleep(1)
        assert hub._cancelled_scopes == base

        late = zio.CancelScope()
        with late:
            pass
        late.cancel()  # after exiting: nothing to count
        assert hub._cancelled_scopes == base

        task = zio.spawn(zio.sleep_forever)
        zio.sleep(0)
        task.cancel()
        try:
            task.join()
        except zio.Cancelled:
            pass
        assert hub._cancelled_scopes == base

        with zio.Group() as group:
            group.spawn(zio.sleep_forever)
            group.spawn(zio.sleep_forever)
            zio.sleep(0)
            group.cancel()
        assert hub._cancelled_scopes == base
        return base

    assert run(main) == 0
