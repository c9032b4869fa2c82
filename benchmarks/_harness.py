"""Shared benchmark harness: each measurement runs in a fresh interpreter.

A scenario is a function in a benchmark module that prints one JSON object
(its measurements) on stdout.  The harness runs every (library, scenario)
pair several times, interleaved so machine noise hits both libraries alike,
and reports medians and the zio/gevent ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

__all__ = ["run_matrix", "print_table", "emit"]


def emit(**values: Any) -> None:
    """Called inside a scenario process: report measurements to the harness."""
    print("BENCH " + json.dumps(values), flush=True)


def _run_once(module: str, library: str, scenario: str, timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run(
        [sys.executable, module, "--child", library, scenario],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"{library}/{scenario} produced no result:\n{proc.stdout}\n{proc.stderr}")


def run_matrix(
    module: str, libraries: list[str], scenarios: list[str], repeats: int, timeout: float = 300.0
) -> dict[tuple[str, str], dict[str, float]]:
    """Run each scenario ``repeats`` times per library; return the median of every metric."""
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(repeats):
        for scenario in scenarios:
            for library in libraries:
                samples.setdefault((library, scenario), []).append(_run_once(module, library, scenario, timeout))
    medians: dict[tuple[str, str], dict[str, float]] = {}
    for key, runs in samples.items():
        medians[key] = {metric: statistics.median(r[metric] for r in runs) for metric in runs[0]}
    return medians


def print_table(
    medians: dict[tuple[str, str], dict[str, float]],
    scenarios: list[str],
    metrics: dict[str, str],
    baseline: str = "gevent",
    subject: str = "zio",
    lower_is_better: bool = True,
) -> str:
    """Render a markdown table: one row per (scenario, metric) with both values and the ratio."""
    lines = [
        f"| scenario | metric | {subject} | {baseline} | {subject}/{baseline} |",
        "|---|---|---:|---:|---:|",
    ]
    for scenario in scenarios:
        for metric, unit in metrics.items():
            a = medians.get((subject, scenario), {}).get(metric)
            b = medians.get((baseline, scenario), {}).get(metric)
            if a is None or b is None:
                continue
            ratio = a / b if b else float("nan")
            lines.append(f"| {scenario} | {metric} ({unit}) | {a:,.3f} | {b:,.3f} | {ratio:.2f} |")
    table = "\n".join(lines)
    print(table)
    return table
