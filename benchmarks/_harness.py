"""Shared benchmark harness: each measurement runs in a fresh interpreter.

A scenario is a function in a benchmark module that prints one JSON object
(its measurements) on stdout.  The harness runs every (library, scenario)
pair several times, interleaved so machine noise hits both libraries alike,
and reports medians and the zio/gevent ratio.

The server benchmarks (bench_echo, bench_http) share the second half:
:func:`started_server`, :func:`cpu_times`, :func:`run_rounds` and
:func:`print_server_tables`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Iterator

__all__ = [
    "PATCH_PRELUDES",
    "cpu_times",
    "emit",
    "main",
    "pair_rows",
    "print_server_tables",
    "print_table",
    "run_matrix",
    "run_rounds",
    "server_rows",
    "started_server",
]


#: The first line of a server program under each library: unpatched (real
#: threads), gevent's monkey-patching, zio's patching.
PATCH_PRELUDES = {
    "threads": "",
    "gevent": "from gevent import monkey; monkey.patch_all()",
    "zio": "import zio.patch; zio.patch.all()",
}


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


# -- server benchmarks: a fresh server process per measurement, driven by a load generator --------


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds used so far by process ``pid`` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


@contextlib.contextmanager
def started_server(
    name: str, command: list[str], root: str, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start ``command`` (a server that prints its port, then serves); yield ``(process, port)``; kill it after.

    It runs in ``root`` with ``root`` on PYTHONPATH (and ``extra_env``).  Its stderr goes to a
    file, not a pipe: socketserver prints a traceback for every connection
    the load generator resets, and a full pipe would block the server (the
    whole process, under gevent).
    """
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(extra_env or {})
    errlog = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errlog, text=True, env=env, cwd=root)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            proc.wait(5)
            errlog.seek(0)
            raise RuntimeError(f"{name} did not start: {line!r} {errlog.read()}")
        yield proc, line.strip()
    finally:
        proc.kill()
        proc.communicate()
        errlog.close()


def run_rounds(
    repeats: int,
    conn_counts: list[int],
    servers: list[str],
    measure: Callable[[str, int], dict[str, float]],
    name_width: int,
    before_round: Callable[[], None] | None = None,
) -> dict[tuple[str, int], dict[str, float]]:
    """``measure(server, conns)`` for every server and connection count, ``repeats`` interleaved rounds.

    Prints a progress line per run on stderr (needs ``rps``, ``p99_us`` and
    ``cpu_us``); returns the median of every metric by ``(server, conns)``.
    """
    samples: dict[tuple[str, int], list[dict[str, float]]] = {}
    for round_no in range(repeats):
        if before_round is not None:
            before_round()
        for conns in conn_counts:
            for server in servers:
                m = measure(server, conns)
                samples.setdefault((server, conns), []).append(m)
                print(
                    f"round {round_no + 1} {server:{name_width}s} conns={conns:<5d} "
                    f"{m['rps']:>10,.0f} req/s  p99 {m['p99_us'] / 1000:7.2f} ms  cpu {m['cpu_us']:6.1f} us/req",
                    file=sys.stderr,
                    flush=True,
                )
                time.sleep(0.2)
    return {key: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for key, runs in samples.items()}


def server_rows(
    med: dict[tuple[str, int], dict[str, float]], conn_counts: list[int], servers: list[str]
) -> Iterator[tuple[int, str, dict[str, float]]]:
    """``(conns, server, medians)`` for every server measured at every connection count."""
    for conns in conn_counts:
        for server in servers:
            m = med.get((server, conns))
            if m:
                yield conns, server, m


def pair_rows(
    med: dict[tuple[str, int], dict[str, float]], conn_counts: list[int], pairs: list[tuple[str, str]]
) -> Iterator[tuple[int, str, str, dict[str, float], dict[str, float]]]:
    """``(conns, ours, theirs, our medians, their medians)`` for every pair measured at every count."""
    for conns in conn_counts:
        for ours, theirs in pairs:
            a, b = med.get((ours, conns)), med.get((theirs, conns))
            if a and b:
                yield conns, ours, theirs, a, b


def print_server_tables(
    med: dict[tuple[str, int], dict[str, float]],
    conn_counts: list[int],
    servers: list[str],
    pairs: list[tuple[str, str]],
) -> None:
    """The two markdown tables: each server's medians, then each pair's ratios."""
    print("| conns | server | req/s | p99 (ms) | server CPU per request (us) |")
    print("|---:|---|---:|---:|---:|")
    for conns, server, m in server_rows(med, conn_counts, servers):
        print(f"| {conns} | {server} | {m['rps']:,.0f} | {m['p99_us'] / 1000:.2f} | {m['cpu_us']:.1f} |")
    print("\n| conns | comparison | req/s ratio | p99 ratio (lower is better) | CPU/request ratio (lower is better) |")
    print("|---:|---|---:|---:|---:|")
    for conns, ours, theirs, a, b in pair_rows(med, conn_counts, pairs):
        p99 = a["p99_us"] / b["p99_us"] if b["p99_us"] else float("nan")
        print(
            f"| {conns} | {ours} / {theirs} | {a['rps'] / b['rps']:.2f} | {p99:.2f} | "
            f"{a['cpu_us'] / b['cpu_us']:.2f} |"
        )
