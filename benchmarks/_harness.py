"""Shared benchmark harness: each measurement runs in a fresh interpreter.

A scenario is a function in a benchmark module that prints one JSON object
(its measurements) on stdout.  The harness runs every (library, scenario)
pair several times, interleaved so machine noise hits both libraries alike,
and reports medians and the zio/gevent ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Any, Callable

__all__ = ["run_matrix", "print_table", "emit", "main"]


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


def main(
    module: str,
    doc: str | None,
    scenarios: list[str],
    metrics: dict[str, str],
    zio_scenario: Callable[[str], None],
    gevent_scenario: Callable[[str], None],
) -> None:
    """The command line every zio-vs-gevent benchmark module shares.

    ``--repeats N`` and ``--only SCENARIO ...`` choose what to measure; the
    harness re-runs ``module`` with ``--child LIBRARY SCENARIO`` for each
    sample, which runs one scenario in that fresh interpreter.
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("LIBRARY", "SCENARIO"))
    parser.add_argument("--only", nargs="*", default=scenarios, choices=scenarios)
    args = parser.parse_args()
    if args.child:
        library, scenario = args.child
        (zio_scenario if library == "zio" else gevent_scenario)(scenario)
        return
    medians = run_matrix(os.path.abspath(module), ["zio", "gevent"], args.only, args.repeats)
    print(f"\nmedian of {args.repeats} fresh-process runs, python {sys.version.split()[0]}\n")
    print_table(medians, args.only, metrics)
