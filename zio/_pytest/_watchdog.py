"""The per-test time limit: a real watchdog thread that turns a hang into a failure.

When a test overruns its limit the watchdog (a real OS thread, so it runs even
when the hub's thread is stuck) takes a dump of every fiber's stack (each
greenlet's saved ``gr_frame``) and every thread's stack, then tries, in order:

1. **Cooperative**: through the hub's thread-safe wakeup, abort the wait of
   the parked test task (or the thread's root task, e.g. a fixture) with a
   ``Failed`` carrying the dump.  This works whenever the hub is responsive:
   the test is merely waiting for something that never comes.
2. **Interrupt**: if the test has not finished after a short grace period,
   something is blocking the hub's thread (a real blocking call, a busy
   loop).  The watchdog sends a signal to that thread with
   ``pthread_kill``; the plugin's handler raises the ``Failed`` in whatever
   code runs there, and a blocking system call returns with EINTR first.
3. **Exit**: if even that does not end the test (C code that ignores
   signals), the dump goes to stderr and the process exits with status 3;
   under xdist the controller reports the crashed worker and carries on.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from . import _real

__all__ = ["Watchdog", "INTERRUPT_SIGNAL"]

#: The signal used for step 2: a real-time signal nobody else uses where available.
INTERRUPT_SIGNAL: int = (
    signal.SIGRTMIN + 2 if hasattr(signal, "SIGRTMIN") else signal.SIGUSR2  # type: ignore[attr-defined]
)

#: Seconds between the cooperative attempt and the interrupt, and between the interrupt and exit.
COOPERATIVE_GRACE = 0.5
INTERRUPT_GRACE = 5.0

_real_signal = _real.original("signal", "signal")
_real_pthread_kill = getattr(signal, "pthread_kill", None)


class _Arm:
    """One armed time limit (one test)."""

    def __init__(self, nodeid: str, seconds: float, thread_ident: int) -> None:
        self.nodeid = nodeid
        self.seconds = seconds
        self.deadline = _real.monotonic() + seconds
        self.thread_ident = thread_ident
        self.hub: Any = None
        self.done = False
        self.fired = False
        self.interrupting = False
        self.raised = False
        self.message = ""


class Watchdog:
    """Arms one time limit at a time (tests run one at a time per process)."""

    def __init__(self) -> None:
        self._changed = _real.RealEvent()
        self._current: _Arm | None = None
        self._thread_ident: int | None = None
        self._handler_installed = False
        self._previous_handler: Any = None

    # -- main thread ------------------------------------------------------
    def install_signal_handler(self) -> None:
        """Install the interrupt handler (main thread only; a no-op elsewhere)."""
        if self._handler_installed or _real_pthread_kill is None:
            return
        try:
            self._previous_handler = _real_signal(INTERRUPT_SIGNAL, self._on_signal)
        except ValueError:
            return  # not the main thread: the interrupt step is skipped
        self._handler_installed = True

    def uninstall_signal_handler(self) -> None:
        if self._handler_installed:
            self._handler_installed = False
            try:
                _real_signal(INTERRUPT_SIGNAL, self._previous_handler or signal.SIG_DFL)
            except (ValueError, TypeError):
                pass

    def arm(self, nodeid: str, seconds: float) -> _Arm:
        """Start the clock for a test; returns the handle :meth:`disarm` takes."""
        arm = _Arm(nodeid, seconds, _real.get_ident())
        self._current = arm
        if self._thread_ident is None:
            self._thread_ident = -1
            _real.start_new_thread(self._run, ())
        self._changed.set()
        return arm

    def extend(self, arm: _Arm, seconds: float) -> None:
        """Give the test ``seconds`` more (the plugin's own checks do not count against its limit)."""
        if not arm.fired:
            arm.deadline += seconds
            self._changed.set()

    def disarm(self, arm: _Arm) -> None:
        arm.done = True
        if self._current is arm:
            self._current = None
        self._changed.set()

    def _on_signal(self, signum: int, frame: Any) -> None:
        arm = self._current
        if arm is not None and arm.interrupting and not arm.done and not arm.raised:
            arm.raised = True
            raise _failure(arm.message + "\n\n(zio: the hub's thread was blocked; interrupted it with a signal)")
        previous = self._previous_handler
        if callable(previous):
            previous(signum, frame)

    # -- watchdog thread --------------------------------------------------
    def _run(self) -> None:
        self._thread_ident = _real.get_ident()
        changed = self._changed
        while True:
            arm = self._current
            if arm is None or arm.done or arm.fired:
                changed.wait()
                changed.clear()
                continue
            remaining = arm.deadline - _real.monotonic()
            if remaining > 0:
                changed.wait(remaining)
                changed.clear()
                continue
            try:
                self._expire(arm)
            except Exception as exc:  # noqa: BLE001 - the watchdog must survive anything
                _write_stderr(f"zio watchdog: failed to handle the time limit of {arm.nodeid}: {exc!r}\n")

    def _wait_done(self, arm: _Arm, seconds: float) -> bool:
        deadline = _real.monotonic() + seconds
        while not arm.done:
            remaining = deadline - _real.monotonic()
            if remaining <= 0:
                return False
            self._changed.wait(remaining)
            self._changed.clear()
        return True

    def _expire(self, arm: _Arm) -> None:
        arm.fired = True
        arm.message = self._build_message(arm)
        hub = arm.hub
        if hub is not None and not hub.closed:
            try:
                hub.loop.call_soon_threadsafe(_abort_parked_test, hub, arm)
            except Exception:  # noqa: BLE001 - loop closed meanwhile
                pass
        if self._wait_done(arm, COOPERATIVE_GRACE):
            return
        if self._handler_installed and _real_pthread_kill is not None:
            arm.interrupting = True
            try:
                _real_pthread_kill(arm.thread_ident, INTERRUPT_SIGNAL)
            except (OSError, ProcessLookupError):
                pass
            if self._wait_done(arm, INTERRUPT_GRACE):
                return
        _write_stderr(
            f"\n{arm.message}\n\nzio: {arm.nodeid} could not be interrupted; "
            "exiting the process so the run does not hang (status 3)\n"
        )
        os._exit(3)

    def _build_message(self, arm: _Arm) -> str:
        from ..testing._dump import format_tasks, format_threads

        parts = [
            f"zio: {arm.nodeid} exceeded its time limit of {arm.seconds:g} s "
            "(--zio-timeout / zio_timeout ini / @pytest.mark.zio_timeout)."
        ]
        for _attempt in range(3):
            # Another thread mutates these structures while we read them:
            # a "changed size during iteration" just means try again.
            try:
                fibers = format_tasks(arm.hub) if arm.hub is not None else "(no zio hub in this test)"
                threads = format_threads(exclude={_real.get_ident()})
                break
            except RuntimeError:
                fibers = threads = "(could not take a consistent dump)"
        parts.append("Fibers:\n" + fibers)
        parts.append("Threads:\n" + threads)
        return "\n\n".join(parts)


def _abort_parked_test(hub: Any, arm: _Arm) -> None:
    """Runs in the hub: wake the test's parked task with the failure."""
    if arm.done:
        return
    for task in (hub.main_task, hub.root_task):
        if task is not None and getattr(task, "_parked", False):
            if hub.try_abort(task, _failure(arm.message)):
                return


def _failure(message: str) -> BaseException:
    import pytest

    return pytest.fail.Exception(message, pytrace=False)


def _write_stderr(text: str) -> None:
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        sys.__stderr__.write(text) if sys.__stderr__ else None
