"""Core runtime benchmarks: zio vs gevent, same run, fresh process per measurement.

Usage: ``python benchmarks/bench_core.py [--repeats 5]``

Scenarios (from issue 2); every time is per operation, lower is better:

``spawn_join``
    Spawn 100k tasks running a no-op, then join each: µs per task.
``ping_pong``
    Kernel cost of one round trip between two fibers, 100k round trips (µs
    per round trip = two wake-ups and two fiber switches).  zio: the
    low-level ``hub.unpark(peer)`` + ``hub.park()`` pair every zio primitive
    is built on (a task-to-task switch, no hub in between).  gevent: its
    lowest-level equivalent, the one ``gevent.event.Event`` uses internally:
    ``hub.loop.run_callback(peer.switch)`` + ``hub.switch()``.
``ping_pong_event``
    The same round trip through the public primitive a user would reach for
    first: two events, ``a.set(); b.wait(); b.clear()`` against
    ``a.wait(); a.clear(); b.set()``.  ``zio.Event`` vs ``gevent.event.Event``
    (whose ``set`` schedules the waiters' wake-up through the loop).
``ping_pong_channel``
    The same round trip as a message exchange: each side sends into an
    unbounded queue and receives from the other.  ``zio.Channel(math.inf)``
    vs ``gevent.queue.Queue()``.
``sleep0``
    100k ``sleep(0)`` calls in one fiber (nothing else runnable): µs each.
``timers``
    10k fibers each sleeping a random 0-10 ms: wall time of the batch and
    how late each sleeper woke (p50/p99 of actual minus requested).
``idle_rss``
    Resident memory per idle fiber with 100k fibers parked forever
    (``zio.sleep_forever`` vs gevent ``Event().wait``), from ``/proc/self/statm``
    before and after.
"""

from __future__ import annotations

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import emit  # noqa: E402
from _harness import main as harness_main  # noqa: E402

N_SPAWN = 100_000
N_PINGPONG = 100_000
N_PINGPONG_PRIMITIVE = 50_000
N_SLEEP0 = 100_000
N_TIMERS = 10_000
N_IDLE = 100_000


# CPU time of this process, not wall time: these loops never sleep (the
# loops poll with a zero timeout), so on a quiet machine the two agree, and
# on a shared one CPU time is not inflated by waiting for a core.
_clock = time.process_time


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- zio --------------------------------------------------------------------
def zio_scenario(name: str) -> None:
    import zio
    from zio._core._state import get_hub

    def spawn_join() -> None:
        def noop() -> None:
            pass

        t0 = _clock()
        tasks = [zio.spawn(noop) for _ in range(N_SPAWN)]
        for t in tasks:
            t.join()
        emit(us_per_op=(_clock() - t0) / N_SPAWN * 1e6)

    def ping_pong() -> None:
        hub = get_hub()
        state: dict = {}

        def pong() -> None:
            me = hub.current_task()
            state["pong"] = me
            for _ in range(N_PINGPONG):
                hub.park(None, "ping")
                hub.unpark(state["ping"])

        def ping() -> None:
            me = hub.current_task()
            state["ping"] = me
            t0 = _clock()
            for _ in range(N_PINGPONG):
                hub.unpark(state["pong"])
                hub.park(None, "pong")
            emit(us_per_op=(_clock() - t0) / N_PINGPONG * 1e6)

        p = zio.spawn(pong)
        zio.sleep(0)
        q = zio.spawn(ping)
        q.join()
        p.join()

    def ping_pong_event() -> None:
        a, b = zio.Event(), zio.Event()

        def pong() -> None:
            for _ in range(N_PINGPONG_PRIMITIVE):
                a.wait()
                a.clear()
                b.set()

        def ping() -> None:
            t0 = _clock()
            for _ in range(N_PINGPONG_PRIMITIVE):
                a.set()
                b.wait()
                b.clear()
            emit(us_per_op=(_clock() - t0) / N_PINGPONG_PRIMITIVE * 1e6)

        with zio.Group() as g:
            g.spawn(pong)
            g.spawn(ping)

    def ping_pong_channel() -> None:
        import math

        there, back = zio.Channel(math.inf), zio.Channel(math.inf)

        def pong() -> None:
            for _ in range(N_PINGPONG_PRIMITIVE):
                back.send(there.receive())

        def ping() -> None:
            t0 = _clock()
            for i in range(N_PINGPONG_PRIMITIVE):
                there.send(i)
                back.receive()
            emit(us_per_op=(_clock() - t0) / N_PINGPONG_PRIMITIVE * 1e6)

        with zio.Group() as g:
            g.spawn(pong)
            g.spawn(ping)

    def sleep0() -> None:
        t0 = _clock()
        for _ in range(N_SLEEP0):
            zio.sleep(0)
        emit(us_per_op=(_clock() - t0) / N_SLEEP0 * 1e6)

    def timers() -> None:
        rng = random.Random(1)
        late: list[float] = []

        def sleeper(delay: float) -> None:
            start = time.monotonic()
            zio.sleep(delay)
            late.append((time.monotonic() - start - delay) * 1e3)

        t0 = time.perf_counter()
        with zio.Group() as g:
            for _ in range(N_TIMERS):
                g.spawn(sleeper, rng.uniform(0, 0.010))
        emit(
            wall_ms=(time.perf_counter() - t0) * 1e3,
            late_p50_ms=_percentile(late, 0.5),
            late_p99_ms=_percentile(late, 0.99),
        )

    def idle_rss() -> None:
        import gc

        gc.collect()
        before = _rss()
        tasks = [zio.spawn(zio.sleep_forever) for _ in range(N_IDLE)]
        zio.sleep(0)
        zio.sleep(0)
        after = _rss()
        emit(bytes_per_fiber=(after - before) / N_IDLE)
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                t.join()
            except zio.Cancelled:
                pass

    fns = {
        "spawn_join": spawn_join,
        "ping_pong": ping_pong,
        "ping_pong_event": ping_pong_event,
        "ping_pong_channel": ping_pong_channel,
        "sleep0": sleep0,
        "timers": timers,
        "idle_rss": idle_rss,
    }
    zio.run(fns[name])


# -- gevent -----------------------------------------------------------------
def gevent_scenario(name: str) -> None:
    import gevent

    def spawn_join() -> None:
        def noop() -> None:
            pass

        t0 = _clock()
        tasks = [gevent.spawn(noop) for _ in range(N_SPAWN)]
        for t in tasks:
            t.join()
        emit(us_per_op=(_clock() - t0) / N_SPAWN * 1e6)

    def ping_pong() -> None:
        # gevent's lowest-level park/unpark pair, the one its Event uses:
        # schedule the peer's switch on the loop, then switch to the hub.
        hub = gevent.get_hub()
        run_callback = hub.loop.run_callback
        state: dict = {}

        def pong() -> None:
            for _ in range(N_PINGPONG):
                hub.switch()
                run_callback(state["ping"].switch)

        def ping() -> None:
            t0 = _clock()
            for _ in range(N_PINGPONG):
                run_callback(state["pong"].switch)
                hub.switch()
            emit(us_per_op=(_clock() - t0) / N_PINGPONG * 1e6)

        p = state["pong"] = gevent.spawn(pong)
        gevent.sleep(0)
        q = state["ping"] = gevent.spawn(ping)
        gevent.joinall([p, q])

    def ping_pong_event() -> None:
        from gevent.event import Event

        a, b = Event(), Event()

        def pong() -> None:
            for _ in range(N_PINGPONG_PRIMITIVE):
                a.wait()
                a.clear()
                b.set()

        def ping() -> None:
            t0 = _clock()
            for _ in range(N_PINGPONG_PRIMITIVE):
                a.set()
                b.wait()
                b.clear()
            emit(us_per_op=(_clock() - t0) / N_PINGPONG_PRIMITIVE * 1e6)

        gevent.joinall([gevent.spawn(pong), gevent.spawn(ping)], raise_error=True)

    def ping_pong_channel() -> None:
        from gevent.queue import Queue

        there, back = Queue(), Queue()

        def pong() -> None:
            for _ in range(N_PINGPONG_PRIMITIVE):
                back.put(there.get())

        def ping() -> None:
            t0 = _clock()
            for i in range(N_PINGPONG_PRIMITIVE):
                there.put(i)
                back.get()
            emit(us_per_op=(_clock() - t0) / N_PINGPONG_PRIMITIVE * 1e6)

        gevent.joinall([gevent.spawn(pong), gevent.spawn(ping)], raise_error=True)

    def sleep0() -> None:
        t0 = _clock()
        for _ in range(N_SLEEP0):
            gevent.sleep(0)
        emit(us_per_op=(_clock() - t0) / N_SLEEP0 * 1e6)

    def timers() -> None:
        rng = random.Random(1)
        late: list[float] = []

        def sleeper(delay: float) -> None:
            start = time.monotonic()
            gevent.sleep(delay)
            late.append((time.monotonic() - start - delay) * 1e3)

        t0 = time.perf_counter()
        gevent.joinall([gevent.spawn(sleeper, rng.uniform(0, 0.010)) for _ in range(N_TIMERS)])
        emit(
            wall_ms=(time.perf_counter() - t0) * 1e3,
            late_p50_ms=_percentile(late, 0.5),
            late_p99_ms=_percentile(late, 0.99),
        )

    def idle_rss() -> None:
        import gc

        from gevent.event import Event

        gc.collect()
        ev = Event()
        before = _rss()
        tasks = [gevent.spawn(ev.wait) for _ in range(N_IDLE)]
        gevent.sleep(0)
        gevent.sleep(0)
        after = _rss()
        emit(bytes_per_fiber=(after - before) / N_IDLE)
        ev.set()
        gevent.joinall(tasks)

    fns = {
        "spawn_join": spawn_join,
        "ping_pong": ping_pong,
        "ping_pong_event": ping_pong_event,
        "ping_pong_channel": ping_pong_channel,
        "sleep0": sleep0,
        "timers": timers,
        "idle_rss": idle_rss,
    }
    fns[name]()


SCENARIOS = ["spawn_join", "ping_pong", "ping_pong_event", "ping_pong_channel", "sleep0", "timers", "idle_rss"]
METRICS = {
    "us_per_op": "µs",
    "wall_ms": "ms",
    "late_p50_ms": "ms",
    "late_p99_ms": "ms",
    "bytes_per_fiber": "B",
}



if __name__ == "__main__":
    harness_main(__file__, __doc__, SCENARIOS, METRICS, zio_scenario, gevent_scenario)
