"""Cost of the hub's clock seam on the default (real-clock) path.

Usage: ``python benchmarks/bench_clock_seam.py [--repeats 7]``

zio.testing's MockClock plugs into ``Loop.set_clock`` and the hub's idle
hooks; without a mock clock those hooks must cost nothing measurable.  Each
scenario runs in a fresh interpreter; medians are printed.  There is no gevent
column: this measures zio against itself before/after a change (run it on both
commits).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

N_SLEEP0 = 200_000
N_SCOPES = 200_000
N_TIMERS = 50_000


def _child(name: str) -> None:
    import zio

    def sleep0() -> float:
        t0 = time.perf_counter()
        for _ in range(N_SLEEP0):
            zio.sleep(0)
        return (time.perf_counter() - t0) / N_SLEEP0 * 1e6

    def scopes() -> float:
        # A timer armed and cancelled per scope: call_at + cancel.
        t0 = time.perf_counter()
        for _ in range(N_SCOPES):
            with zio.move_on_after(10):
                pass
        return (time.perf_counter() - t0) / N_SCOPES * 1e6

    def timers() -> float:
        # Each sleep is a timer that really fires through run_once/pop_due.
        t0 = time.perf_counter()
        for _ in range(N_TIMERS):
            zio.sleep(1e-9)
        return (time.perf_counter() - t0) / N_TIMERS * 1e6

    fn = {"sleep0": sleep0, "scopes": scopes, "timers": timers}[name]
    print(json.dumps(zio.run(fn)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    print(f"median of {args.repeats} fresh-process runs, python {sys.version.split()[0]}")
    for name in ("sleep0", "scopes", "timers"):
        values = []
        for _ in range(args.repeats):
            cmd = [sys.executable, __file__, "--child", name]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            values.append(json.loads(out.stdout))
        print(f"{name:8s} {statistics.median(values):7.3f} us/op   (min {min(values):.3f})")


if __name__ == "__main__":
    main()
