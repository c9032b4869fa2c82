"""examples/demo.py (the README's first command) runs and reports what it did."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_runs_and_echoes_every_line() -> None:
    fibers = 500
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "demo.py"), "--fibers", str(fibers)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    assert proc.returncode == 0, proc.stderr
    echoed = re.search(r"echoed ([\d,]+) lines over ([\d,]+) loopback", proc.stdout)
    assert echoed, proc.stdout
    assert int(echoed[1].replace(",", "")) == 3 * fibers
    assert int(echoed[2].replace(",", "")) == fibers
    peak = re.search(r"peak concurrently open connections: ([\d,]+)", proc.stdout)
    # Connections are held open 100 ms while arrivals spread over 200 ms:
    # with real concurrency, many overlap (serially it would be 1).
    assert peak and int(peak[1].replace(",", "")) > fibers // 10, proc.stdout
