"""zio.sync benchmarks: zio vs gevent, same run, fresh process per measurement.

Usage: ``python benchmarks/bench_sync.py [--repeats 5] [--only SCENARIO ...]``

Scenarios (from issue 3); every workload is written twice, once per library,
with the same shape, and checks its own result:

* ``chan0_pingpong`` / ``chan1_pingpong``: two fibers bounce an item through
  a pair of channels, ``zio.Channel(0)`` vs ``gevent.queue.Channel()``
  (rendezvous) and ``zio.Channel(1)`` vs ``gevent.queue.Queue(1)``; µs per
  round trip (two handoffs, two switches).
* ``queue_pingpong``: the same through a pair of ``zio.Queue()`` vs
  ``gevent.queue.Queue()``.
* ``lock`` / ``rlock``: 100 fibers each acquire one lock 1,000 times and
  ``sleep(0)`` while holding it, so the other 99 queue up behind the holder;
  ``zio.Lock`` vs ``gevent.lock.Semaphore(1)`` and ``zio.RLock`` vs
  ``gevent.lock.RLock``; µs per acquisition.  The code is the same but the
  work is not: zio's locks are FIFO-fair, so every release hands the lock to
  the longest waiter and the releaser parks on its next acquire (a park, a
  wakeup and a switch per acquisition; order 0,1,2,0,1,2...), while gevent's
  let the releaser take the lock straight back, so each fiber does its 1,000
  acquisitions in a row (order 0,0,0...,1,1,1...).
* ``mpmc``: 1,000,000 items through a bounded channel of capacity 64 with 4
  producers and 4 consumers, ``zio.Channel(64)`` vs
  ``gevent.queue.Queue(64)``; ms in total and µs per item.
* ``mpmc_floor``: a bound, not a zio measurement.  The zio column is the
  same 1,000,000 items through a pure-Python bounded buffer with no
  scheduler at all: a deque behind a ``_thread`` lock (the least a channel
  usable across threads must take), one Python method call to put and one
  to take each item, producers and consumers taking turns in 64-item
  batches.  The gevent column is gevent's ``mpmc`` again.  Its ratio is the
  lowest zio/gevent ratio any pure-Python channel could reach on ``mpmc``.
* ``event_pingpong``: two fibers take turns through two events
  (``a.set(); b.wait(); b.clear()`` against ``a.wait(); a.clear(); b.set()``),
  ``zio.Event`` vs ``gevent.event.Event``; µs per round trip.
* ``semaphore_pingpong``: the same through two semaphores starting at 0
  (``a.release(); b.acquire()`` against ``a.acquire(); b.release()``),
  ``zio.Semaphore`` vs ``gevent.lock.Semaphore``; µs per round trip.
* ``condition_pingpong``: two fibers take turns on one condition variable
  (set the turn, ``notify()``, ``wait()`` until it comes back), with
  ``zio.Condition(zio.Lock())`` vs ``threading.Condition(threading.Lock())``
  after ``gevent.monkey.patch_all()`` (gevent has no Condition of its own:
  this is how gevent programs get one); µs per round trip.

Each row is reported as wall time and as the process's CPU time per
operation; on a shared machine the CPU time is the steadier of the two.

``--instructions`` reports user-space instructions per operation instead
(needs valgrind): each scenario runs under ``valgrind --tool=callgrind`` with
N1 and N2 operations (``$ZIO_BENCH_OPS``: round trips, lock acquisitions or
mpmc items), and the difference divided by N2 - N1 is the cost of one
operation with start-up cancelled out.  Unlike times, these counts do not
move with machine noise, so they are the number to compare before and after
a change; instructions are not time, though (gevent's C code retires fewer
instructions per µs than the interpreter), so the ratios differ from the CPU
time ratios.  ``python benchmarks/bench_sync.py --instructions [--only ...]``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import emit  # noqa: E402
from _harness import main as harness_main  # noqa: E402

N_PINGPONG = 100_000
N_LOCK_FIBERS = 100
N_LOCK_ACQUIRES = 1_000
N_MPMC = 1_000_000
if os.environ.get("ZIO_BENCH_OPS"):  # --instructions: every row does this many operations
    N_PINGPONG = N_MPMC = int(os.environ["ZIO_BENCH_OPS"])
    N_LOCK_ACQUIRES = N_PINGPONG // N_LOCK_FIBERS
MPMC_CAPACITY = 64
MPMC_PRODUCERS = 4
MPMC_CONSUMERS = 4


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark self-check failed: {what}")


# -- zio --------------------------------------------------------------------
def python_floor_mpmc() -> None:
    """``mpmc_floor``: the mpmc item count through the cheapest pure-Python bounded buffer (no fibers)."""
    import _thread
    from collections import deque

    class Buffer:
        __slots__ = ("items", "guard", "capacity")

        def __init__(self, capacity: int) -> None:
            self.items: deque = deque()
            self.guard = _thread.allocate_lock()
            self.capacity = capacity

        def put(self, item: int) -> bool:
            guard = self.guard
            guard.acquire()
            try:
                if len(self.items) < self.capacity:
                    self.items.append(item)
                    return True
                return False
            finally:
                guard.release()

        def take(self) -> int:
            guard = self.guard
            guard.acquire()
            try:
                return self.items.popleft()
            finally:
                guard.release()

    buf = Buffer(MPMC_CAPACITY)
    put, take = buf.put, buf.take
    total = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for base in range(0, N_MPMC, MPMC_CAPACITY):
        for i in range(base, min(base + MPMC_CAPACITY, N_MPMC)):
            put(i)
        for _ in range(min(MPMC_CAPACITY, N_MPMC - base)):
            total += take()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    _check(total == N_MPMC * (N_MPMC - 1) // 2, "mpmc_floor items")
    emit(ms=elapsed * 1e3, us_per_op=elapsed / N_MPMC * 1e6, cpu_us_per_op=cpu / N_MPMC * 1e6)


def zio_scenario(name: str) -> None:
    if name == "mpmc_floor":
        python_floor_mpmc()
        return
    import zio

    def pingpong(make: object) -> None:
        there, back = make(), make()  # type: ignore[operator]
        send, receive = there.send, back.receive
        reply, listen = back.send, there.receive

        def pong() -> None:
            for _ in range(N_PINGPONG):
                reply(listen())

        p = zio.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(N_PINGPONG):
            send(i)
            _check(receive() == i, "ping-pong order")
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def contended(lock: object) -> None:
        held = [0]
        sleep = zio.sleep

        def worker() -> None:
            for _ in range(N_LOCK_ACQUIRES):
                with lock:  # type: ignore[attr-defined]
                    held[0] += 1
                    sleep(0)  # everyone else queues up behind the holder

        t0, c0 = time.perf_counter(), time.process_time()
        with zio.Group() as g:
            for _ in range(N_LOCK_FIBERS):
                g.spawn(worker)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        _check(held[0] == N_LOCK_FIBERS * N_LOCK_ACQUIRES, "lock acquisitions")
        n = N_LOCK_FIBERS * N_LOCK_ACQUIRES
        emit(us_per_op=elapsed / n * 1e6, cpu_us_per_op=cpu / n * 1e6)

    def mpmc() -> None:
        ch = zio.Channel(MPMC_CAPACITY)
        per = N_MPMC // MPMC_PRODUCERS
        totals = []

        def producer(base: int) -> None:
            send = ch.send
            for i in range(base, base + per):
                send(i)

        def consumer() -> None:
            total = 0
            for item in ch:
                total += item
            totals.append(total)

        t0, c0 = time.perf_counter(), time.process_time()
        with zio.Group() as g:
            for _ in range(MPMC_CONSUMERS):
                g.spawn(consumer)
            with zio.Group() as producers:
                for k in range(MPMC_PRODUCERS):
                    producers.spawn(producer, k * per)
            ch.close()  # consumers drain the buffer, then the stream ends
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = per * MPMC_PRODUCERS
        _check(sum(totals) == n * (n - 1) // 2 and len(totals) == MPMC_CONSUMERS, "mpmc items")
        emit(ms=elapsed * 1e3, us_per_op=elapsed / n * 1e6, cpu_us_per_op=cpu / n * 1e6)

    def event_pingpong(a: object, b: object) -> None:
        def pong() -> None:
            for _ in range(N_PINGPONG):
                a.wait()  # type: ignore[attr-defined]
                a.clear()  # type: ignore[attr-defined]
                b.set()  # type: ignore[attr-defined]

        p = zio.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            a.set()  # type: ignore[attr-defined]
            b.wait()  # type: ignore[attr-defined]
            b.clear()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def semaphore_pingpong(a: object, b: object) -> None:
        def pong() -> None:
            for _ in range(N_PINGPONG):
                a.acquire()  # type: ignore[attr-defined]
                b.release()  # type: ignore[attr-defined]

        p = zio.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            a.release()  # type: ignore[attr-defined]
            b.acquire()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def condition_pingpong(cond: object) -> None:
        turn = [0]  # whose turn: 0 ping, 1 pong

        def pong() -> None:
            for _ in range(N_PINGPONG):
                with cond:  # type: ignore[attr-defined]
                    while turn[0] != 1:
                        cond.wait()  # type: ignore[attr-defined]
                    turn[0] = 0
                    cond.notify()  # type: ignore[attr-defined]

        p = zio.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            with cond:  # type: ignore[attr-defined]
                turn[0] = 1
                cond.notify()  # type: ignore[attr-defined]
                while turn[0] != 0:
                    cond.wait()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    fns = {
        "chan0_pingpong": lambda: pingpong(lambda: zio.Channel(0)),
        "chan1_pingpong": lambda: pingpong(lambda: zio.Channel(1)),
        "queue_pingpong": lambda: pingpong(_ZioQueueAdapter),
        "lock": lambda: contended(zio.Lock()),
        "rlock": lambda: contended(zio.RLock()),
        "mpmc": mpmc,
        "event_pingpong": lambda: event_pingpong(zio.Event(), zio.Event()),
        "semaphore_pingpong": lambda: semaphore_pingpong(zio.Semaphore(0), zio.Semaphore(0)),
        "condition_pingpong": lambda: condition_pingpong(zio.Condition(zio.Lock())),
    }
    zio.run(fns[name])


class _ZioQueueAdapter:
    """Queue with the send/receive names the ping-pong uses (bound methods: no extra frame)."""

    def __init__(self) -> None:
        import zio

        q = zio.Queue()
        self.send = q.put
        self.receive = q.get


class _GeventQueueAdapter:
    def __init__(self, q: object) -> None:
        self.send = q.put  # type: ignore[attr-defined]
        self.receive = q.get  # type: ignore[attr-defined]


# -- gevent -----------------------------------------------------------------
def gevent_scenario(name: str) -> None:
    import gevent
    import gevent.event
    import gevent.lock
    import gevent.queue

    def pingpong(make: object) -> None:
        there, back = make(), make()  # type: ignore[operator]
        send, receive = there.send, back.receive
        reply, listen = back.send, there.receive

        def pong() -> None:
            for _ in range(N_PINGPONG):
                reply(listen())

        p = gevent.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(N_PINGPONG):
            send(i)
            _check(receive() == i, "ping-pong order")
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def contended(lock: object) -> None:
        held = [0]
        sleep = gevent.sleep

        def worker() -> None:
            for _ in range(N_LOCK_ACQUIRES):
                with lock:  # type: ignore[attr-defined]
                    held[0] += 1
                    sleep(0)

        t0, c0 = time.perf_counter(), time.process_time()
        gevent.joinall([gevent.spawn(worker) for _ in range(N_LOCK_FIBERS)], raise_error=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        _check(held[0] == N_LOCK_FIBERS * N_LOCK_ACQUIRES, "lock acquisitions")
        n = N_LOCK_FIBERS * N_LOCK_ACQUIRES
        emit(us_per_op=elapsed / n * 1e6, cpu_us_per_op=cpu / n * 1e6)

    def mpmc() -> None:
        q = gevent.queue.Queue(MPMC_CAPACITY)
        per = N_MPMC // MPMC_PRODUCERS
        totals = []
        end = object()

        def producer(base: int) -> None:
            put = q.put
            for i in range(base, base + per):
                put(i)

        def consumer() -> None:
            total = 0
            get = q.get
            while True:
                item = get()
                if item is end:
                    break
                total += item
            totals.append(total)

        t0, c0 = time.perf_counter(), time.process_time()
        consumers = [gevent.spawn(consumer) for _ in range(MPMC_CONSUMERS)]
        gevent.joinall([gevent.spawn(producer, k * per) for k in range(MPMC_PRODUCERS)], raise_error=True)
        for _ in range(MPMC_CONSUMERS):
            q.put(end)  # gevent's queue has no close: one end marker per consumer
        gevent.joinall(consumers, raise_error=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = per * MPMC_PRODUCERS
        _check(sum(totals) == n * (n - 1) // 2 and len(totals) == MPMC_CONSUMERS, "mpmc items")
        emit(ms=elapsed * 1e3, us_per_op=elapsed / n * 1e6, cpu_us_per_op=cpu / n * 1e6)

    def event_pingpong(a: object, b: object) -> None:
        def pong() -> None:
            for _ in range(N_PINGPONG):
                a.wait()  # type: ignore[attr-defined]
                a.clear()  # type: ignore[attr-defined]
                b.set()  # type: ignore[attr-defined]

        p = gevent.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            a.set()  # type: ignore[attr-defined]
            b.wait()  # type: ignore[attr-defined]
            b.clear()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def semaphore_pingpong(a: object, b: object) -> None:
        def pong() -> None:
            for _ in range(N_PINGPONG):
                a.acquire()  # type: ignore[attr-defined]
                b.release()  # type: ignore[attr-defined]

        p = gevent.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            a.release()  # type: ignore[attr-defined]
            b.acquire()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    def condition_pingpong(cond: object) -> None:
        turn = [0]  # whose turn: 0 ping, 1 pong

        def pong() -> None:
            for _ in range(N_PINGPONG):
                with cond:  # type: ignore[attr-defined]
                    while turn[0] != 1:
                        cond.wait()  # type: ignore[attr-defined]
                    turn[0] = 0
                    cond.notify()  # type: ignore[attr-defined]

        p = gevent.spawn(pong)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(N_PINGPONG):
            with cond:  # type: ignore[attr-defined]
                turn[0] = 1
                cond.notify()  # type: ignore[attr-defined]
                while turn[0] != 0:
                    cond.wait()  # type: ignore[attr-defined]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        p.join()
        emit(us_per_op=elapsed / N_PINGPONG * 1e6, cpu_us_per_op=cpu / N_PINGPONG * 1e6)

    fns = {
        "chan0_pingpong": lambda: pingpong(lambda: _GeventQueueAdapter(gevent.queue.Channel())),
        "chan1_pingpong": lambda: pingpong(lambda: _GeventQueueAdapter(gevent.queue.Queue(1))),
        "queue_pingpong": lambda: pingpong(lambda: _GeventQueueAdapter(gevent.queue.Queue())),
        "lock": lambda: contended(gevent.lock.Semaphore(1)),
        "rlock": lambda: contended(gevent.lock.RLock()),
        "mpmc": mpmc,
        "mpmc_floor": mpmc,  # the bound's other column: gevent's real mpmc
        "event_pingpong": lambda: event_pingpong(gevent.event.Event(), gevent.event.Event()),
        "semaphore_pingpong": lambda: semaphore_pingpong(gevent.lock.Semaphore(0), gevent.lock.Semaphore(0)),
        "condition_pingpong": lambda: condition_pingpong(_gevent_condition()),
    }
    fns[name]()


def _gevent_condition() -> object:
    """threading.Condition on gevent's locks: what a gevent program uses (gevent has no Condition)."""
    import gevent.monkey

    gevent.monkey.patch_all()
    import threading

    return threading.Condition(threading.Lock())


SCENARIOS = [
    "chan0_pingpong",
    "chan1_pingpong",
    "queue_pingpong",
    "lock",
    "rlock",
    "mpmc",
    "mpmc_floor",
    "event_pingpong",
    "semaphore_pingpong",
    "condition_pingpong",
]
METRICS = {"us_per_op": "µs", "cpu_us_per_op": "µs", "ms": "ms"}


def _instructions(library: str, scenario: str, ops: int) -> int:
    """Instructions callgrind counts for one child run doing ``ops`` operations."""
    env = dict(os.environ, ZIO_BENCH_OPS=str(ops), PYTHONHASHSEED="0")
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
        + ["--child", library, scenario],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode or not found:
        raise RuntimeError(f"{library}/{scenario} under callgrind failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def instructions_main(argv: list[str]) -> None:
    """``--instructions [--only SCENARIO ...] [--ops N1 N2]``: instructions per operation, zio vs gevent."""
    import argparse

    parser = argparse.ArgumentParser(description="instructions per operation (callgrind), zio vs gevent")
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--only", nargs="*", default=SCENARIOS, choices=SCENARIOS)
    parser.add_argument("--ops", nargs=2, type=int, default=[2000, 4000], metavar=("N1", "N2"))
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind")
    n1, n2 = args.ops
    print("| scenario | zio | gevent | zio/gevent |\n|---|---:|---:|---:|")
    for scenario in args.only:
        per_op = {
            lib: (_instructions(lib, scenario, n2) - _instructions(lib, scenario, n1)) / (n2 - n1)
            for lib in ("zio", "gevent")
        }
        ratio = per_op["zio"] / per_op["gevent"]
        print(f"| {scenario} | {per_op['zio']:,.0f} | {per_op['gevent']:,.0f} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    if "--instructions" in sys.argv:
        instructions_main(sys.argv[1:])
    else:
        harness_main(__file__, __doc__, SCENARIOS, METRICS, zio_scenario, gevent_scenario)
