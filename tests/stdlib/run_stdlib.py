"""Run CPython's own stdlib test modules unpatched, under gevent's and under zio's patching.

    python tests/stdlib/run_stdlib.py [--modules default|extra|all|test_socket,...] [--modes plain,gevent,zio]
                                      [--jobs N] [--timeout S] [--stall S] [--json FILE]

Each (module, mode) pair runs in fresh interpreters (``_worker.py``) with a
hard timeout.  The worker reports every test as a JSON event, so a hang or a
crash is pinned on one test: that test is counted as hung/crashed, the
process group is killed, and the module is resumed in a new process without
the tests that already ran.  The table printed at the end gives, per module
and mode, run / failed / errors / skipped / hung-or-crashed.

Known zio failures live in ``tests/stdlib/known_failures/<module>.txt``, one
``test id  # reason`` per line (the ``test.<module>.`` prefix may be left
out; ``*`` wildcards allowed; a leading ``[>=3.12]`` limits a line to some
Python versions).  The exit status is 1 if zio mode has a
failure or error not listed there, or any hang or crash; a listed entry
whose tests now all pass is reported as stale.  See docs/stdlib-tests.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "_worker.py"
KNOWN_DIR = HERE / "known_failures"

MODULES = (
    "test_socket",
    "test_select",
    "test_selectors",
    "test_threading",
    "test_thread",
    "test_threading_local",
    "test_queue",
    "test_time",
    "test_subprocess",
    "test_signal",
    "test_timeout",
    "test_socketserver",
    "test_ssl",  # beyond the twelve of issue 5: the TLS drop-in
)
#: More modules (``--modules extra``; ``all`` is both lists): stdlib protocols and programs
#: built on the patched primitives -- HTTP, SMTP, FTP, POP3, IMAP, XML-RPC, logging's
#: network handlers, os and fork, pty, signals beside threads, multiprocessing's
#: __main__ handling, and asyncio run inside a patched process.
EXTRA_MODULES = (
    "test_httplib",
    "test_httpservers",
    "test_urllib2",
    "test_urllib2_localnet",
    "test_wsgiref",
    "test_smtplib",
    "test_ftplib",
    "test_poplib",
    "test_imaplib",
    "test_xmlrpc",
    "test_logging",
    "test_os",
    "test_fork1",
    "test_pty",
    "test_threadsignals",
    "test_threadedtempfile",
    "test_multiprocessing_main_handling",
    "test_asyncio",
)
MODULE_SETS = {"default": MODULES, "extra": EXTRA_MODULES, "all": MODULES + EXTRA_MODULES}
MODES = ("plain", "gevent", "zio")
#: regrtest resources enabled by default: everything but URL fetching, sound, GUIs and huge files
#: ("network" must be on for test_timeout; its internet tests skip themselves when offline).
DEFAULT_RESOURCES = "network,cpu,decimal,subprocess,walltime,curses,tzdata"
BAD = ("fail", "error", "xpass")
#: How many fresh processes one (module, mode) may take to get past hangs and crashes.
MAX_ATTEMPTS = 12


@dataclass
class ModuleRun:
    """The outcome of one module in one mode: every test's outcome plus hangs and crashes."""

    module: str
    mode: str
    outcomes: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    fixtures: set[str] = field(default_factory=set)
    #: seconds per test id (for finding slow tests)
    durations: dict[str, float] = field(default_factory=dict)
    #: (test id or "<where>", "hang" | "crash")
    broken: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 0
    log: str = ""

    def count(self, *outcomes: str) -> int:
        """How many tests (fixtures included) ended with one of ``outcomes``."""
        return sum(1 for o in self.outcomes.values() if o in outcomes)

    @property
    def run(self) -> int:
        """Tests that ran to an outcome (unittest's testsRun, without hung/crashed ones)."""
        return sum(1 for tid in self.outcomes if tid not in self.fixtures)

    @property
    def failed(self) -> int:
        """Failures, including unexpected successes."""
        return self.count("fail", "xpass")

    @property
    def errors(self) -> int:
        """Errors, including class/module fixture errors."""
        return self.count("error")

    @property
    def skipped(self) -> int:
        """Skipped tests."""
        return self.count("skip")

    @property
    def passed(self) -> int:
        """Tests that passed (expected failures included, as unittest counts them)."""
        return self.count("ok", "xfail")

    def bad_ids(self) -> list[str]:
        """Ids of tests that failed, errored or unexpectedly passed."""
        return [tid for tid, o in self.outcomes.items() if o in BAD]

    def as_json(self) -> dict:
        """A JSON-able summary with every non-passing test."""
        return {
            "module": self.module,
            "mode": self.mode,
            "run": self.run,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "hung_or_crashed": len(self.broken),
            "broken": self.broken,
            "bad": {tid: self.outcomes[tid] for tid in self.bad_ids()},
            "seconds": round(self.seconds, 1),
            "attempts": self.attempts,
        }


def worker_env() -> dict[str, str]:
    """The environment for workers: zio importable from this checkout, no inherited warning filters."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONWARNINGS", None)
    env.pop("ZIO_RESOLVER", None)
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


def run_module(
    module: str,
    mode: str,
    *,
    python: str = sys.executable,
    timeout: float = 900.0,
    stall: float = 60.0,
    resources: str = DEFAULT_RESOURCES,
    log_dir: Path | None = None,
) -> ModuleRun:
    """Run ``test.<module>`` in ``mode``, resuming after hangs/crashes; return the outcomes.

    ``timeout`` bounds the whole module (all attempts), ``stall`` one test:
    a worker that reports nothing for ``stall`` seconds is declared hung.
    """
    result = ModuleRun(module, mode)
    own_logs = log_dir is None
    log_dir = Path(tempfile.mkdtemp(prefix="zio-stdlib-")) if log_dir is None else log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{mode}-{module}.log"
    result.log = str(log_path)
    started = time.monotonic()
    deadline = started + timeout
    skip: set[str] = set()
    env = worker_env()
    with open(log_path, "wb") as log:
        while result.attempts < MAX_ATTEMPTS:
            result.attempts += 1
            cwd = tempfile.mkdtemp(prefix=f"{mode}-{module}-")
            events_path = Path(cwd) / "events.jsonl"
            skip_path = Path(cwd) / "skip.txt"
            skip_path.write_text("".join(f"{tid}\n" for tid in sorted(skip)), encoding="utf-8")
            log.write(f"\n===== attempt {result.attempts} (skipping {len(skip)} tests) =====\n".encode())
            log.flush()
            cmd = [python, str(WORKER), mode, module, str(events_path), str(skip_path), resources, str(stall)]
            proc = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
            before = len(result.outcomes)
            current: str | None = None
            done = False
            killed = False
            offset = 0
            last_progress = time.monotonic()
            pending = b""
            while True:
                exited = proc.poll() is not None
                try:
                    with open(events_path, "rb") as f:
                        f.seek(offset)
                        chunk = f.read()
                except FileNotFoundError:
                    chunk = b""
                if chunk:
                    offset += len(chunk)
                    last_progress = time.monotonic()
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        event = json.loads(line)
                        kind = event["e"]
                        if kind == "start":
                            current = event["id"]
                        elif kind == "end":
                            tid = event["id"]
                            result.outcomes[tid] = event["outcome"]
                            if event.get("fixture"):
                                result.fixtures.add(tid)
                            else:
                                result.durations[tid] = event.get("seconds", 0.0)
                            if event.get("detail") and event["outcome"] in BAD:
                                result.details[tid] = event["detail"]
                            if tid == current:
                                current = None
                        elif kind == "done":
                            done = True
                if exited:
                    break
                now = time.monotonic()
                if now - last_progress > stall or now > deadline:
                    killed = True
                    _kill_group(proc)
                    continue  # read what it wrote last, then stop
                time.sleep(0.2)
            rc = proc.returncode
            _kill_group(proc)  # children the tests left behind in the session
            shutil.rmtree(cwd, ignore_errors=True)
            if done:
                if killed:
                    result.broken.append(("<interpreter shutdown>", "hang"))
                elif rc != 0:
                    result.broken.append((f"<interpreter shutdown: exit status {rc}>", "crash"))
                break
            what = "hang" if killed else "crash"
            if current is not None:
                result.broken.append((current, what))
                skip |= set(result.outcomes) | {current}
            else:
                result.broken.append((f"<between tests, exit status {rc}>", what))
                skip |= set(result.outcomes)
                if len(result.outcomes) == before:
                    break  # no progress at all: resuming would do the same again
            if time.monotonic() >= deadline:
                result.broken.append(("<module timeout>", "hang"))
                break
    result.seconds = time.monotonic() - started
    summary = result.as_json()
    summary["details"] = result.details
    summary["slowest"] = sorted(result.durations.items(), key=lambda kv: -kv[1])[:20]
    (log_dir / f"{mode}-{module}.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if own_logs and not result.broken and not result.bad_ids():
        shutil.rmtree(log_dir, ignore_errors=True)
    return result


# -- known failures ---------------------------------------------------------------------
_VERSION_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
}


def version_matches(spec: str, version: tuple[int, int]) -> bool:
    """Whether ``version`` satisfies ``spec``: comma-separated ``OP X.Y`` (OP: < <= > >= ==)."""
    for cond in spec.split(","):
        cond = cond.strip()
        op = cond[:2] if cond[:2] in _VERSION_OPS else cond[:1]
        if op not in _VERSION_OPS:
            raise ValueError(f"bad version condition {cond!r} (want e.g. '>=3.12')")
        major, minor = (int(x) for x in cond[len(op) :].strip().split("."))
        if not _VERSION_OPS[op](version, (major, minor)):
            return False
    return True


def python_version(python: str) -> tuple[int, int]:
    """``(major, minor)`` of the interpreter at ``python``."""
    if python == sys.executable:
        return sys.version_info[:2]
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout
    major, minor = out.split()
    return int(major), int(minor)


def load_known(module: str, directory: Path = KNOWN_DIR, version: tuple[int, int] | None = None) -> dict[str, str]:
    """``{pattern: reason}`` from ``known_failures/<module>.txt`` (patterns are full test ids).

    A line that starts with ``[>=3.12]`` (or ``[<3.12]``, ``[==3.13]``,
    ``[>=3.11,<3.13]``...) applies only when the tested Python's version
    (``version``, default this interpreter's) matches.
    """
    version = sys.version_info[:2] if version is None else version
    path = directory / f"{module}.txt"
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            spec, _, line = line[1:].partition("]")
            if not version_matches(spec, version):
                continue
            line = line.strip()
        pattern, _, reason = line.partition("#")
        pattern = pattern.strip()
        prefix = module if "." in module else f"test.{module}"
        if not pattern.startswith(prefix + ".") and "(" not in pattern:
            pattern = f"{prefix}.{pattern}"
        known[pattern] = reason.strip()
    return known


@dataclass
class Verdict:
    """How zio's outcomes compare with the known-failures list of the module."""

    unexpected: list[str]
    expected: list[str]
    stale: list[str]
    #: hangs and crashes not listed (a listed one is in ``expected``)
    broken: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        """No unexpected failure, hang or crash."""
        return not self.unexpected and not self.broken


def classify(run: ModuleRun, known: dict[str, str]) -> Verdict:
    """Split ``run``'s bad tests into unexpected and known; find stale known entries."""

    def matches(pattern: str, tid: str) -> bool:
        return tid == pattern or fnmatch.fnmatchcase(tid, pattern)

    unexpected, expected = [], []
    for tid in run.bad_ids():
        (expected if any(matches(p, tid) for p in known) else unexpected).append(tid)
    stale = []
    for pattern in known:
        seen = [o for tid, o in run.outcomes.items() if matches(pattern, tid)]
        hung = any(matches(pattern, tid) for tid, _ in run.broken)
        if hung or any(o in BAD for o in seen):
            continue
        if not seen or any(o in ("ok", "xfail") for o in seen):
            stale.append(pattern)  # passes now (or no longer exists)
    broken = []
    for tid, what in run.broken:
        if any(matches(p, tid) for p in known):
            expected.append(tid)  # e.g. a test that hangs unpatched too (an environment limit)
        else:
            broken.append((tid, what))
    return Verdict(unexpected, expected, stale, broken)


# -- the command --------------------------------------------------------------------------
def _cell(run: ModuleRun | None) -> str:
    if run is None:
        return "-"
    return f"{run.run:5d} {run.failed:4d} {run.errors:4d} {run.skipped:4d} {len(run.broken):4d}"


def format_table(results: dict[tuple[str, str], ModuleRun], modules: list[str], modes: list[str]) -> str:
    """The side-by-side table: per module, per mode run / fail / err / skip / hang."""
    width = 26
    head1 = f"{'module':22s}" + "".join(f" | {mode:^{width}s}" for mode in modes)
    head2 = f"{'':22s}" + "".join(f" | {'run':>5s} {'fail':>4s} {'err':>4s} {'skip':>4s} {'hang':>4s}" for _ in modes)
    lines = [head1, head2, "-" * len(head2)]
    totals = {mode: [0, 0, 0, 0, 0] for mode in modes}
    for module in modules:
        row = f"{module:22s}"
        for mode in modes:
            run = results.get((module, mode))
            row += f" | {_cell(run):>{width}s}"
            if run is not None:
                for i, v in enumerate((run.run, run.failed, run.errors, run.skipped, len(run.broken))):
                    totals[mode][i] += v
        lines.append(row)
    lines.append("-" * len(head2))
    lines.append(
        f"{'total':22s}"
        + "".join(f" | {t[0]:5d} {t[1]:4d} {t[2]:4d} {t[3]:4d} {t[4]:4d}" for t in (totals[m] for m in modes))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modules",
        default="default",
        help="comma-separated test modules; 'default' (issue 5's twelve and test_ssl), 'extra' or 'all' name lists",
    )
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: plain, gevent, zio")
    parser.add_argument("--jobs", type=int, default=1, help="(module, mode) runs in parallel (default 1)")
    parser.add_argument("--timeout", type=float, default=900.0, help="hard limit per module and mode, seconds")
    parser.add_argument("--stall", type=float, default=60.0, help="a test silent this long is a hang, seconds")
    parser.add_argument("--resources", default=DEFAULT_RESOURCES, help="regrtest resources to enable")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run the tests with")
    parser.add_argument("--log-dir", default=None, help="keep worker output here (default: a temp dir)")
    parser.add_argument("--json", default=None, help="write the per-module results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every non-passing test")
    args = parser.parse_args(argv)

    modules: list[str] = []
    for name in (m.strip() for m in args.modules.split(",")):
        for module in MODULE_SETS.get(name, (name,) if name else ()):
            if module not in modules:
                modules.append(module)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}")
    log_dir = Path(args.log_dir) if args.log_dir else Path(tempfile.mkdtemp(prefix="zio-stdlib-"))
    version = python_version(args.python)
    print(f"python: {args.python} ({version[0]}.{version[1]})\nlogs: {log_dir}", flush=True)

    jobs = [(module, mode) for module in modules for mode in modes]
    results: dict[tuple[str, str], ModuleRun] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            pool.submit(
                run_module,
                module,
                mode,
                python=args.python,
                timeout=args.timeout,
                stall=args.stall,
                resources=args.resources,
                log_dir=log_dir,
            ): (module, mode)
            for module, mode in jobs
        }
        for future in concurrent.futures.as_completed(futures):
            run = future.result()
            results[(run.module, run.mode)] = run
            broken = f" HUNG/CRASHED: {run.broken}" if run.broken else ""
            print(
                f"{run.mode:6s} {run.module:22s} run {run.run:4d} fail {run.failed:3d} err {run.errors:3d} "
                f"skip {run.skipped:4d} in {run.seconds:6.1f}s{broken}",
                flush=True,
            )

    print()
    print(format_table(results, modules, modes))
    status = 0
    if "zio" in modes:
        print()
        for module in modules:
            run = results[(module, "zio")]
            verdict = classify(run, load_known(module, version=version))
            plain = results.get((module, "plain"))
            for tid in verdict.unexpected:
                also = " (fails unpatched too)" if plain is not None and plain.outcomes.get(tid) in BAD else ""
                print(f"UNEXPECTED zio {run.outcomes[tid]}: {tid}{also}")
                if args.verbose:
                    print("    " + run.details.get(tid, "").replace("\n", "\n    "))
            for tid, what in verdict.broken:
                print(f"{what.upper()} zio: {module}: {tid}  (log: {run.log})")
            for pattern in verdict.stale:
                print(f"STALE known failure (passes now or no such test): {pattern}")
            if not verdict.ok:
                status = 1
        print("zio: OK (no unexpected failure, hang or crash)" if status == 0 else "zio: FAILED")
    if args.verbose:
        for (module, mode), run in sorted(results.items()):
            if mode == "zio":
                continue
            for tid in run.bad_ids():
                print(f"{mode} {run.outcomes[tid]}: {tid}")
            for tid, what in run.broken:
                print(f"{mode} {what}: {module}: {tid}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_json() for r in results.values()], indent=1), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
