"""KeyboardInterrupt during zio.run reaches the main task at its blocking point.

Each case is a fresh interpreter that gets a real SIGINT from this test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ._util import ROOT


def _wait_until_blocked(pid: int, timeout: float = 10.0) -> None:
    """Wait until every thread of ``pid`` sleeps in the kernel (the hub is in its poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:
                continue
        if states and all(s == "S" for s in states):
            return
        time.sleep(0.005)
    raise AssertionError("the child never blocked")


def interrupt(code: str, backend: str, *, wait_blocked: bool = True) -> subprocess.CompletedProcess:
    """Start ``code``; when it prints "ready", send SIGINT; return the finished process."""
    env = dict(os.environ, ZIO_BACKEND=backend, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")
        if wait_blocked:
            _wait_until_blocked(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, line + out, err)


def test_interrupt_reaches_main_parked_in_sleep(backend):
    proc = interrupt(
        """
        import zio

        def main():
            print("ready", flush=True)
            try:
                zio.sleep(30)
            except KeyboardInterrupt:
                print("KeyboardInterrupt in main")
                return "handled"

        print(zio.run(main))
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["KeyboardInterrupt in main", "handled"]


def test_unhandled_interrupt_ends_the_program(backend):
    proc = interrupt(
        """
        import zio

        def child():
            try:
                zio.sleep(30)
            finally:
                print("child cleaned up", flush=True)

        def main():
            zio.spawn(child)
            print("ready", flush=True)
            zio.sleep(30)

        zio.run(main)
        """,
        backend,
    )
    # Python re-raises SIGINT on an uncaught KeyboardInterrupt: killed by SIGINT.
    assert proc.returncode in (-signal.SIGINT, 128 + signal.SIGINT, 1), proc
    assert "KeyboardInterrupt" in proc.stderr
    assert "child cleaned up" in proc.stdout  # leftovers were cancelled, not abandoned


def test_interrupt_while_main_is_cpu_busy(backend):
    proc = interrupt(
        """
        import zio

        def main():
            n = 0
            try:
                print("ready", flush=True)
                while True:  # user code, no checkpoint
                    n += 1
            except KeyboardInterrupt:
                print("interrupted the busy loop")

        zio.run(main)
        """,
        backend,
        wait_blocked=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "interrupted the busy loop" in proc.stdout


def test_interrupt_while_another_task_runs_goes_to_main(backend):
    proc = interrupt(
        """
        import zio

        def spinner():
            while True:
                zio.sleep(0)   # busy, but with checkpoints

        def main():
            t = zio.spawn(spinner)
            try:
                print("ready", flush=True)
                t.join()
            except KeyboardInterrupt:
                print("main got it; spinner done:", t.done())

        zio.run(main)
        print("run returned")
        """,
        backend,
        wait_blocked=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "main got it; spinner done: False" in proc.stdout
    assert "run returned" in proc.stdout
    assert "Exception in zio task" not in proc.stderr  # the spinner was cancelled, not failed


def test_interrupt_passes_shields(backend):
    """A shield stops cancellation, not the user's Ctrl-C."""
    proc = interrupt(
        """
        import zio

        def main():
            with zio.CancelScope(shield=True):
                print("ready", flush=True)
                try:
                    zio.sleep(30)
                except KeyboardInterrupt:
                    print("interrupted inside shield")

        zio.run(main)
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "interrupted inside shield" in proc.stdout


def test_interrupt_during_group_exit_reaches_main(backend):
    proc = interrupt(
        """
        import zio

        def main():
            try:
                with zio.Group() as g:
                    g.spawn(zio.sleep, 30)
                    print("ready", flush=True)
            except BaseException as exc:
                kinds = [type(e).__name__ for e in getattr(exc, "exceptions", [exc])]
                print("caught", type(exc).__name__, kinds)

        zio.run(main)
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    # trio's rule: an interrupt that arrives while the body waits for the
    # children joins the group's errors (the children are cancelled first).
    assert "caught BaseExceptionGroup ['KeyboardInterrupt']" in proc.stdout


def test_interrupt_owed_when_main_returns_is_not_lost(backend):
    """Ctrl-C during a wait that cannot be aborted, then main returns: zio.run raises it."""
    proc = interrupt(
        """
        import time
        import zio

        def main():
            print("ready", flush=True)
            zio.to_thread(time.sleep, 0.3)  # not abandonable: completes first
            print("main returned", flush=True)

        try:
            zio.run(main)
        except KeyboardInterrupt:
            print("zio.run raised KeyboardInterrupt")
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "main returned" in proc.stdout
    assert "zio.run raised KeyboardInterrupt" in proc.stdout


@pytest.mark.parametrize("where", ["to_thread", "wait_readable"])
def test_interrupt_in_other_blocking_calls(backend, where):
    call = {
        "to_thread": "zio.to_thread(time.sleep, 0.3)",
        "wait_readable": "zio.wait_readable(os.pipe()[0])",
    }[where]
    proc = interrupt(
        f"""
        import os, time
        import zio

        def main():
            print("ready", flush=True)
            try:
                {call}
                zio.sleep(30)
            except KeyboardInterrupt:
                print("interrupted")

        zio.run(main)
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert "interrupted" in proc.stdout
