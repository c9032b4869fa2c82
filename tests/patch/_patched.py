"""Run a snippet of ordinary blocking code in a fresh, fully patched interpreter.

Patching is process-wide and irreversible, so the pytest process itself is
never patched: each test writes its program to a file and runs it with
``python -m zio.patch``.  The program reports by printing one JSON object on
its last line of stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class PatchedRun:
    """The outcome of :func:`run_patched`: exit code, output and the reported JSON."""

    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        self.result: Any = None
        if lines:
            try:
                self.result = json.loads(lines[-1])
            except ValueError:
                pass

    def check(self) -> Any:
        """Assert a clean exit (status 0, no traceback); return the reported JSON."""
        assert self.returncode == 0, f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        assert "Traceback" not in self.stderr, self.stderr
        assert self.result is not None, f"no JSON result\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        return self.result


def run_patched(
    code: str,
    tmp_path: Path,
    *,
    timeout: float = 60,
    patch_args: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
    patched: bool = True,
    env: dict[str, str] | None = None,
) -> PatchedRun:
    """Run ``code`` as a script under ``python -m zio.patch`` (or plainly with ``patched=False``)."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(code))
    prefix = [sys.executable, "-m", "zio.patch", *patch_args] if patched else [sys.executable]
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    full_env.pop("PYTHONWARNINGS", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [*prefix, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(tmp_path),
        env=full_env,
    )
    return PatchedRun(proc)
