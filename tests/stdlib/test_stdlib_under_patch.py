"""CI slice of CPython's own test suite under ``zio.patch.all()`` (the full run is run_stdlib.py).

Each module runs in fresh interpreters through the same runner people use
by hand (``tests/stdlib/run_stdlib.py``); a failure or error not listed in
``known_failures/<module>.txt``, any hang and any crash fails the test.
The modules here are the fast ones (a few seconds each); the default list
(issue 5's twelve and test_ssl) and the extra one take minutes and are
documented in docs/stdlib-tests.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_stdlib  # noqa: E402

FAST_MODULES = [
    "test_select",
    "test_selectors",
    "test_timeout",
    "test_threading_local",
    "test_time",
    "test_thread",
    "test_queue",
    # From run_stdlib.EXTRA_MODULES: protocols and programs on the patched primitives.
    "test_httplib",
    "test_httpservers",
    "test_urllib2_localnet",
    "test_wsgiref",
    "test_smtplib",
    "test_pty",
    "test_threadsignals",
    "test_fork1",
    # asyncio run inside a patched process: signals, child processes, loops in threads.
    "test.test_asyncio.test_unix_events",
    "test.test_asyncio.test_subprocess",
    "test.test_asyncio.test_events",
]


def _describe(run: run_stdlib.ModuleRun, verdict: run_stdlib.Verdict) -> str:
    lines = [f"{run.module} under zio: run {run.run}, failed {run.failed}, errors {run.errors}, log {run.log}"]
    for tid in verdict.unexpected:
        lines.append(f"unexpected {run.outcomes[tid]}: {tid}\n{run.details.get(tid, '')}")
    for tid, what in verdict.broken:
        lines.append(f"{what}: {tid}")
    return "\n".join(lines)


@pytest.mark.parametrize("module", FAST_MODULES)
def test_stdlib_module_under_zio_patch(module: str, tmp_path: Path) -> None:
    """No unexpected failure, no hang, no crash; the module really ran tests."""
    run = run_stdlib.run_module(module, "zio", timeout=240, stall=60, log_dir=tmp_path)
    verdict = run_stdlib.classify(run, run_stdlib.load_known(module))
    assert run.run > 0, _describe(run, verdict)
    assert run.passed > 0, _describe(run, verdict)
    assert verdict.ok, _describe(run, verdict)


def test_runner_reports_failures_hangs_and_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner itself: outcomes, a hung test and a crash pinned and resumed past, known failures."""
    pkg = tmp_path / "probepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "test_probe.py").write_text(
        "import os, time, unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_a_ok(self): pass\n"
        "    def test_b_fail(self): self.fail('boom')\n"
        "    def test_c_error(self): raise RuntimeError('bad')\n"
        "    @unittest.skip('nope')\n"
        "    def test_d_skip(self): pass\n"
        "    def test_e_hang(self): time.sleep(3600)\n"
        "    def test_f_crash(self): os._exit(3)\n"
        "    def test_g_ok(self): pass\n"
    )
    known_dir = tmp_path / "known"
    known_dir.mkdir()
    (known_dir / "probepkg.test_probe.txt").write_text("T.test_b_fail  # a reason\nT.test_a_ok  # passes now\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    run = run_stdlib.run_module("probepkg.test_probe", "plain", timeout=120, stall=2, log_dir=tmp_path / "logs")
    prefix = "probepkg.test_probe.T."
    assert run.outcomes[prefix + "test_a_ok"] == "ok"
    assert run.outcomes[prefix + "test_b_fail"] == "fail"
    assert run.outcomes[prefix + "test_c_error"] == "error"
    assert run.outcomes[prefix + "test_d_skip"] == "skip"
    assert run.outcomes[prefix + "test_g_ok"] == "ok"  # ran after the hang and the crash
    assert (prefix + "test_e_hang", "hang") in run.broken
    assert (prefix + "test_f_crash", "crash") in run.broken
    assert (run.run, run.failed, run.errors, run.skipped) == (5, 1, 1, 1)
    verdict = run_stdlib.classify(run, run_stdlib.load_known("probepkg.test_probe", known_dir))
    assert verdict.unexpected == [prefix + "test_c_error"]
    assert verdict.expected == [prefix + "test_b_fail"]
    assert verdict.stale == [prefix + "test_a_ok"]
    assert not verdict.ok


def test_known_failures_limited_to_python_versions(tmp_path: Path) -> None:
    """A ``[>=3.12]``-style prefix keeps a known-failures line to the versions it names."""
    (tmp_path / "test_mod.txt").write_text(
        "# comment\n"
        "T.test_all  # every version\n"
        "[>=3.12] T.test_new  # 3.12 and later\n"
        "[<3.12] T.test_old  # before 3.12\n"
        "[>=3.11, <3.13] T.test_mid  # 3.11 and 3.12\n"
        "[==3.13] T.test_13\n"
    )

    def names(version: tuple[int, int]) -> set[str]:
        known = run_stdlib.load_known("test_mod", tmp_path, version=version)
        return {p.rsplit(".", 1)[1] for p in known}

    assert names((3, 10)) == {"test_all", "test_old"}
    assert names((3, 11)) == {"test_all", "test_old", "test_mid"}
    assert names((3, 12)) == {"test_all", "test_new", "test_mid"}
    assert names((3, 13)) == {"test_all", "test_new", "test_13"}
    known = run_stdlib.load_known("test_mod", tmp_path, version=(3, 12))
    assert known["test.test_mod.T.test_new"] == "3.12 and later"
    with pytest.raises(ValueError):
        run_stdlib.version_matches("~3.12", (3, 12))
    assert run_stdlib.python_version(sys.executable) == sys.version_info[:2]
