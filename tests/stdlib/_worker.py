"""Run one CPython stdlib test module in this (fresh) process and report every test as JSON.

Usage (run_stdlib.py starts it; not meant to be run by hand, but it can be)::

    python tests/stdlib/_worker.py MODE MODULE EVENTS_FILE SKIP_FILE RESOURCES STALL_SECONDS

MODE is ``zio``, ``gevent`` or ``plain``.  The patch is applied before
anything else is imported, as ``python -m zio.patch`` would do.  One JSON
object per line is appended to EVENTS_FILE: ``start`` when a test starts,
``end`` with its outcome, ``done`` when the whole suite has run, so the
parent can tell which test was running if the process hangs or dies.
SKIP_FILE lists test ids (one per line) to leave out: the parent uses it to
resume a module after a hang or crash without re-running what already ran.
"""

import sys


def _patch(mode: str) -> None:
    if mode == "zio":
        import zio.patch

        zio.patch.all()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    elif mode != "plain":
        raise SystemExit(f"unknown mode {mode!r}")


def _normalize_signals() -> None:
    # A runner started in the background of a non-interactive shell passes
    # SIGINT down ignored, and Python then installs no KeyboardInterrupt
    # handler: the tests expect the interpreter's usual one.
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    _normalize_signals()
    # Patch first, before the imports below create any lock, socket or thread.
    _patch(sys.argv[1])

import faulthandler  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import unittest  # noqa: E402

OUTCOMES = ("ok", "fail", "error", "skip", "xfail", "xpass")


class EventWriter:
    """Appends one JSON object per line to the events file (only from the process that opened it).

    Forked children inherit the file; a child that runs test code must not
    report into the parent's stream, hence the pid check.
    """

    def __init__(self, path: str) -> None:
        self._pid = os.getpid()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, **event: object) -> None:
        """Write one event; a single write() of a whole line, so lines never interleave."""
        if os.getpid() != self._pid:
            return
        data = (json.dumps(event) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


def _format(err: object) -> str:
    if isinstance(err, tuple) and len(err) == 3:
        text = "".join(traceback.format_exception(*err))
    else:
        text = str(err)
    return text[-3000:]


class JsonResult(unittest.TestResult):
    """A TestResult that reports each test's outcome as it happens.

    A test's outcome is the worst of its own and its subtests' outcomes.
    Errors outside any test (``setUpClass``, ``setUpModule``) are reported
    under the description unittest gives them, e.g. ``setUpClass (test.test_x.Cls)``.
    """

    def __init__(self, writer: EventWriter, stall: float) -> None:
        super().__init__()
        self._writer = writer
        self._stall = stall
        self._current: dict[str, tuple[str, str]] = {}
        self._started: dict[str, float] = {}

    @staticmethod
    def _id(test: unittest.TestCase) -> str:
        return test.id() if hasattr(test, "_testMethodName") else str(test)

    def _record(self, test: object, outcome: str, detail: str = "") -> None:
        tid = self._id(test)  # type: ignore[arg-type]
        if tid not in self._started:
            if outcome == "skip" and hasattr(test, "_testMethodName"):
                # A skipped test method: Python 3.12+ calls addSkip and
                # stopTest without startTest.  Start it here; stopTest ends it.
                self._started[tid] = time.monotonic()
                self._writer.emit(e="start", id=tid)
                self._current[tid] = (outcome, detail)
                return
            # Not a started test (a class or module fixture): report at once.
            self._writer.emit(e="end", id=tid, outcome=outcome, detail=detail, seconds=0.0, fixture=True)
            return
        rank = {"ok": 0, "xfail": 0, "skip": 1, "xpass": 2, "fail": 3, "error": 4}
        previous = self._current.get(tid)
        if previous is None or rank[outcome] > rank[previous[0]]:
            self._current[tid] = (outcome, detail)

    def startTest(self, test: unittest.TestCase) -> None:  # noqa: N802 - unittest API
        super().startTest(test)
        tid = self._id(test)
        self._started[tid] = time.monotonic()
        self._writer.emit(e="start", id=tid)
        if self._stall > 5:
            # Dump every thread's stack shortly before the parent declares a hang.
            faulthandler.dump_traceback_later(self._stall - 3, exit=False)

    def stopTest(self, test: unittest.TestCase) -> None:  # noqa: N802 - unittest API
        faulthandler.cancel_dump_traceback_later()
        tid = self._id(test)
        outcome, detail = self._current.pop(tid, ("ok", ""))
        started = self._started.pop(tid, time.monotonic())
        self._writer.emit(e="end", id=tid, outcome=outcome, detail=detail, seconds=round(time.monotonic() - started, 3))
        super().stopTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802 - unittest API
        super().addSuccess(test)
        self._record(test, "ok")

    def addFailure(self, test: unittest.TestCase, err: object) -> None:  # noqa: N802 - unittest API
        super().addFailure(test, err)
        self._record(test, "fail", _format(err))

    def addError(self, test: unittest.TestCase, err: object) -> None:  # noqa: N802 - unittest API
        super().addError(test, err)
        self._record(test, "error", _format(err))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:  # noqa: N802 - unittest API
        super().addSkip(test, reason)
        self._record(test, "skip", reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: object) -> None:  # noqa: N802 - unittest API
        super().addExpectedFailure(test, err)
        self._record(test, "xfail")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802 - unittest API
        super().addUnexpectedSuccess(test)
        self._record(test, "xpass", "unexpected success")

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: object) -> None:  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "fail" if issubclass(err[0], test.failureException) else "error"  # type: ignore[index]
            self._record(test, kind, f"{subtest}\n{_format(err)}")


def _without(suite: unittest.TestSuite, skip: set[str]) -> unittest.TestSuite:
    """A copy of ``suite`` without the tests whose id is in ``skip``."""
    kept = unittest.TestSuite()
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            inner = _without(test, skip)
            if inner.countTestCases():
                kept.addTest(inner)
        elif test.id() not in skip:
            kept.addTest(test)
    return kept


def main(argv: list[str]) -> int:
    """Load ``test.<module>``, run it with :class:`JsonResult`, report ``done``."""
    _mode, module, events_path, skip_path, resources, stall = argv
    writer = EventWriter(events_path)
    faulthandler.enable(all_threads=True)

    from test import support

    support.verbose = 0
    support.use_resources = [r for r in resources.split(",") if r]
    support.record_original_stdout(sys.stdout)
    unittest.BaseTestSuite._cleanup = False  # as regrtest: keep tests for their ids

    skip: set[str] = set()
    if skip_path and os.path.exists(skip_path):
        with open(skip_path, encoding="utf-8") as f:
            skip = {line.strip() for line in f if line.strip()}

    try:
        # A bare name is a CPython test module; a dotted one is imported as is.
        mod = __import__(module if "." in module else f"test.{module}", fromlist=["*"])
        loader = unittest.TestLoader()
        suite = loader.loadTestsFromModule(mod)
        for error in loader.errors:
            writer.emit(
                e="end", id=f"load ({module})", outcome="error", detail=error[-3000:], seconds=0.0, fixture=True
            )
    except unittest.SkipTest as exc:
        writer.emit(e="end", id=f"import ({module})", outcome="skip", detail=str(exc), seconds=0.0, fixture=True)
        writer.emit(e="done")
        return 0
    except Exception:  # noqa: BLE001 - reported as an error of the module
        writer.emit(
            e="end",
            id=f"import ({module})",
            outcome="error",
            detail=traceback.format_exc()[-3000:],
            seconds=0.0,
            fixture=True,
        )
        writer.emit(e="done")
        return 0
    if skip:
        suite = _without(suite, skip)
    result = JsonResult(writer, float(stall))
    suite.run(result)
    # The suite is over; anything after this (interpreter shutdown) that hangs is reported as such.
    writer.emit(e="done", testsRun=result.testsRun)
    try:
        support.reap_children()
    except Exception:  # noqa: BLE001 - best effort, as regrtest
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
