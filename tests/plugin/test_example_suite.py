"""The examples/test_suite_example project passes under pytest -n 2 with its one line of zio configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_suite_example"


def test_example_suite_passes_patched_under_xdist() -> None:
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)  # a nested run is its own controller
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider", "--zio-timeout=60"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout, proc.stdout
