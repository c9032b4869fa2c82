"""Deadlock detection: a wait nothing can end raises DeadlockError saying what was awaited.

Each case runs in a fresh interpreter: a pytest-xdist worker has other threads,
and a live other thread makes a deadlock uncertain (it might still wake
someone), which is exactly the rule one of these tests checks.
"""

from __future__ import annotations

from ._util import run_script


def test_join_of_a_task_that_waits_forever(backend):
    proc = run_script(
        """
        import zio

        def stuck():
            zio.sleep_forever()

        def main():
            t = zio.spawn(stuck)
            t.name = "the-stuck-one"
            try:
                t.join()
            except zio.DeadlockError as exc:
                print("DEADLOCK:", exc)
                t.cancel()

        zio.run(main)
        print("finished")
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "DEADLOCK: zio: deadlock: task 'main' waits for join() of task 'the-stuck-one'" in out
    assert "sleep_forever" in out  # what the joined task waits for
    assert "nothing can ever wake it" in out
    assert "Other parked tasks:" in out
    assert out.rstrip().endswith("finished")


def test_deadlock_error_reaches_zio_run_caller(backend):
    proc = run_script(
        """
        import zio

        def main():
            zio.sleep_forever()

        try:
            zio.run(main)
        except zio.DeadlockError as exc:
            print("caught:", exc)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "caught: zio: deadlock: task 'main' waits for zio.sleep_forever()" in proc.stdout


def test_idle_thread_pool_workers_do_not_hide_a_deadlock(backend):
    proc = run_script(
        """
        import zio

        def main():
            assert zio.to_thread(sum, [1, 2]) == 3   # leaves an idle pool worker behind
            zio.sleep_forever()

        try:
            zio.run(main)
        except zio.DeadlockError:
            print("detected")
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "detected" in proc.stdout


def test_a_live_other_thread_suppresses_detection(backend):
    """Another thread may still wake us (here: it cancels the scope), so no DeadlockError."""
    proc = run_script(
        """
        import threading, time
        import zio

        def main():
            with zio.CancelScope() as scope:
                t = threading.Thread(target=lambda: (time.sleep(0.2), scope.cancel()))
                t.start()
                zio.sleep_forever()
            t.join()
            print("woken by the thread:", scope.cancelled_caught)

        zio.run(main)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "woken by the thread: True" in proc.stdout
    assert "deadlock" not in proc.stdout + proc.stderr


def test_a_python_signal_handler_suppresses_detection(backend):
    proc = run_script(
        """
        import os, signal, threading
        import zio

        hits = []
        signal.signal(signal.SIGUSR1, lambda s, f: hits.append(s))

        def main():
            with zio.move_on_after(0.2):
                zio.sleep_forever()   # a timer exists: not a deadlock either way
            hub = zio.current_hub()
            from zio._core.deadlock import certainly_stuck
            print("stuck?", certainly_stuck(hub))

        zio.run(main)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "stuck? False" in proc.stdout


def test_waiting_on_an_fd_is_not_a_deadlock(backend):
    proc = run_script(
        """
        import os
        import zio

        def main():
            r, w = os.pipe()
            def writer():
                zio.sleep(0.05)
                os.write(w, b"x")
            zio.spawn(writer)
            with zio.fail_after(5):
                zio.wait_readable(r)
            print("readable")

        zio.run(main)
        """,
        backend=backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "readable" in proc.stdout
