"""zio.monitor_blocking: a fiber that keeps its hub's thread busy is reported, idle hubs are not."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

import zio

THRESHOLD = 0.05
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Recorder:
    """Collects reports (in the monitor's thread) and wakes a fiber when a stall has ended."""

    def __init__(self) -> None:
        self.reports: list[zio.BlockingReport] = []
        self.ended = zio.Event()  # set from the monitor's plain OS thread

    def __call__(self, report: zio.BlockingReport) -> None:
        self.reports.append(report)
        if report.ended:
            self.ended.set()


def spin_without_yielding(seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def test_busy_fiber_is_reported_with_its_stack_and_the_stall_end(backend: str) -> None:
    rec = Recorder()

    def main() -> zio.Task:
        with zio.monitor_blocking(THRESHOLD, callback=rec), zio.Group() as g:
            busy = g.spawn(spin_without_yielding, 0.4)

            def waiter() -> None:
                # Keeps a timer pending (work waiting on the hub), then waits
                # for the end report, which comes once the hub is idle again.
                with zio.fail_after(10):
                    rec.ended.wait()

            g.spawn(waiter)
        return busy

    busy = zio.run(main, backend=backend)
    stalls = [r for r in rec.reports if not r.ended]
    ends = [r for r in rec.reports if r.ended]
    assert len(stalls) == 1 and len(ends) == 1, rec.reports
    stall, end = stalls[0], ends[0]
    assert stall.task is busy and end.task is busy
    assert "spin_without_yielding" in stall.stack
    assert stall.blocked_for >= THRESHOLD
    assert stall.thread_id == end.thread_id
    assert THRESHOLD <= stall.blocked_for <= end.blocked_for
    assert "spin_without_yielding" in stall.message() and "has not switched" in stall.message()
    assert "free again" in end.message() and end.stack == ""


def test_a_call_that_blocks_the_os_thread_is_reported(backend: str) -> None:
    # time.sleep is the real one here (nothing is patched): the fiber blocks its thread.
    rec = Recorder()

    def blocks_the_thread() -> None:
        time.sleep(0.3)

    def main() -> None:
        with zio.monitor_blocking(THRESHOLD, callback=rec), zio.Group() as g:
            g.spawn(blocks_the_thread)

            def waiter() -> None:
                with zio.fail_after(10):
                    rec.ended.wait()

            g.spawn(waiter)

    zio.run(main, backend=backend)
    stalls = [r for r in rec.reports if not r.ended]
    assert len(stalls) == 1, rec.reports
    assert "blocks_the_thread" in stalls[0].stack
    assert stalls[0].task_name.startswith("task ")


def test_idle_and_cooperative_hubs_are_not_reported(backend: str) -> None:
    rec = Recorder()

    def main() -> None:
        with zio.monitor_blocking(THRESHOLD, callback=rec), zio.Group() as g:
            # Once the cooperative tasks are done, the hub sits idle in its
            # poll for 5 thresholds, with this timer pending.
            g.spawn(zio.sleep, 8 * THRESHOLD)

            def cooperative() -> None:
                # Busy, but switching at every checkpoint (another task is runnable).
                deadline = time.perf_counter() + 3 * THRESHOLD
                while time.perf_counter() < deadline:
                    zio.checkpoint()

            g.spawn(cooperative)
            g.spawn(cooperative)

    zio.run(main, backend=backend)
    assert rec.reports == []


def test_a_busy_thread_that_delays_nobody_is_not_reported(backend: str) -> None:
    # The only task computes, with no other task, fd or timer waiting on the hub.
    rec = Recorder()

    def main() -> None:
        with zio.monitor_blocking(THRESHOLD, callback=rec):
            spin_without_yielding(6 * THRESHOLD)

    zio.run(main, backend=backend)
    assert rec.reports == []


def test_stop_ends_the_monitor_thread() -> None:
    import threading

    rec = Recorder()
    before = threading.active_count()
    monitor = zio.monitor_blocking(THRESHOLD, callback=rec)
    monitor.stop()
    monitor.stop()  # idempotent
    assert threading.active_count() == before

    def main() -> None:
        with zio.Group() as g:
            g.spawn(spin_without_yielding, 4 * THRESHOLD)
            g.spawn(zio.sleep, 0.01)

    zio.run(main)
    assert rec.reports == []


def test_a_failing_callback_is_logged_and_the_monitor_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[zio.BlockingReport] = []
    ended = zio.Event()

    def callback(report: zio.BlockingReport) -> None:
        calls.append(report)
        if report.ended:
            ended.set()
        raise RuntimeError("callback bug")

    def main() -> None:
        with zio.monitor_blocking(THRESHOLD, callback=callback), zio.Group() as g:
            g.spawn(spin_without_yielding, 0.3)

            def waiter() -> None:
                with zio.fail_after(10):
                    ended.wait()

            g.spawn(waiter)

    with caplog.at_level("ERROR", logger="zio.monitor"):
        zio.run(main)
    assert [r.ended for r in calls] == [False, True]
    assert sum("callback failed" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_threshold_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        zio.monitor_blocking(bad)


def test_environment_variable_turns_it_on_for_the_process() -> None:
    script = textwrap.dedent(
        """
        import time
        import zio

        def hog():
            deadline = time.perf_counter() + 0.4
            while time.perf_counter() < deadline:
                pass

        def main():
            with zio.Group() as g:
                g.spawn(hog)
                g.spawn(zio.sleep, 0.6)

        zio.run(main)
        """
    )
    env = dict(os.environ, ZIO_MONITOR_BLOCKING="0.05", PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "has not switched for" in result.stderr and "in hog" in result.stderr
    assert "free again" in result.stderr

    env["ZIO_MONITOR_BLOCKING"] = "soon"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0
    assert "ignoring ZIO_MONITOR_BLOCKING='soon'" in result.stderr
    assert "has not switched" not in result.stderr


def test_the_callback_may_stop_its_own_monitor() -> None:
    reports: list[zio.BlockingReport] = []
    monitor: list[zio.BlockingMonitor] = []

    def callback(report: zio.BlockingReport) -> None:
        reports.append(report)
        monitor[0].stop()  # from the monitor's own thread: must not wait for itself

    def main() -> None:
        monitor.append(zio.monitor_blocking(THRESHOLD, callback=callback))
        with zio.Group() as g:
            g.spawn(spin_without_yielding, 0.3)
            g.spawn(zio.sleep, 0.5)
        monitor[0].stop()

    zio.run(main)
    assert [r.ended for r in reports] == [False]


def test_threads_as_fibers_under_zio_patch() -> None:
    # The gevent-era question "which thread is hogging the hub?", answered.
    # A patched thread that computes is time-sliced (zio._core.preempt), so
    # the hog here is what slicing cannot interrupt: a call that blocks the
    # OS thread itself (a C library, here the unpatched time.sleep).
    script = textwrap.dedent(
        """
        import zio.patch
        zio.patch.all()
        import threading, time
        import zio

        blocking_sleep = zio.patch.get_original("time", "sleep")

        def call_a_blocking_library():
            blocking_sleep(0.4)

        reports = []
        with zio.monitor_blocking(0.05, callback=reports.append):
            t = threading.Thread(target=call_a_blocking_library, name="blocker")
            t.start()
            time.sleep(0.7)  # the patched sleep: the main thread waits on a timer
            t.join()
        stalls = [r for r in reports if not r.ended]
        assert len(stalls) == 1, reports
        assert "call_a_blocking_library" in stalls[0].stack, stalls[0].stack
        assert any(r.ended for r in reports), reports
        print("ok", stalls[0].task_name)
        """
    )
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("ZIO_MONITOR_BLOCKING", None)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok task "), result.stdout
