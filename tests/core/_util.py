"""Helpers shared by the runtime tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(code: str, *, backend: str, timeout: float = 20.0, **popen: object) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (only its main thread exists) with ``$ZIO_BACKEND=backend``."""
    env = dict(os.environ, ZIO_BACKEND=backend, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )
