"""What must keep working after patching: multiprocessing, process pools, asyncio."""

from __future__ import annotations

from ._patched import run_patched

_MP_PROGRAM = """
import json, multiprocessing as mp, threading, time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
def square(x):
    return x * x
def put_many(q):
    for i in range(100):
        q.put(i)
    q.put(None)
def set_later(ev, delay):
    time.sleep(delay)
    ev.set()
INITIALIZED = False
def init_worker():
    global INITIALIZED
    INITIALIZED = True
def was_initialized(_):
    return INITIALIZED
if __name__ == "__main__":
    method_at_start = mp.get_start_method(allow_none=True)
    ticks = []
    stop = threading.Event()
    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)
    threading.Thread(target=ticker, daemon=True).start()
    # multiprocessing.Queue fed by a child process: the child's feeder thread
    # and the parent's get(timeout) (gevent#936).
    q = mp.Queue()
    p = mp.Process(target=put_many, args=(q,))
    p.start()
    items = []
    while (item := q.get(timeout=10)) is not None:
        items.append(item)
    p.join(10)
    # A bounded queue: put() waits on a semaphore that the consumer process releases.
    bq = mp.Queue(maxsize=1)
    consumer = mp.Process(target=put_many, args=(bq,))
    consumer.start()
    got = [bq.get(timeout=10) for _ in range(101)]
    consumer.join(10)
    # multiprocessing.Event set by a "thread" (a fiber) of this process (gevent#2017),
    # and one set by another process while fibers keep running.
    ev = mp.Event()
    threading.Thread(target=set_later, args=(ev, 0.1)).start()
    t0 = time.monotonic()
    same_process = ev.wait(10)
    same_process_wait = time.monotonic() - t0
    ev2 = mp.Event()
    setter = mp.Process(target=set_later, args=(ev2, 0.3))
    setter.start()
    ticks_before = len(ticks)
    cross_process = ev2.wait(10)
    ticks_during = len(ticks) - ticks_before
    setter.join(10)
    lock = mp.Lock()
    lock.acquire()
    threading.Thread(target=lambda: (time.sleep(0.05), lock.release())).start()
    lock_ok = lock.acquire(timeout=10)
    # Pool, with an initializer (gevent#1876) and apply_async.
    with mp.Pool(2, initializer=init_worker) as pool:
        pooled = pool.map(square, range(20))
        initialized = pool.map(was_initialized, range(8))
        async_result = pool.apply_async(square, (7,)).get(timeout=10)
    with ProcessPoolExecutor(2) as ex:
        executed = list(ex.map(square, range(10)))
    # ThreadPoolExecutor: its workers are fibers; 20 sleeps of 0.2 s overlap.
    with ThreadPoolExecutor(20) as tex:
        t0 = time.monotonic()
        slept = list(tex.map(lambda i: (time.sleep(0.2), i)[1], range(20)))
        tpe_elapsed = time.monotonic() - t0
    stop.set()
    print(json.dumps({"items": items == list(range(100)), "exit": p.exitcode, "bounded": got[:-1] == list(range(100)),
                      "same_process": same_process, "same_process_wait": same_process_wait,
                      "cross_process": cross_process, "ticks_during": ticks_during, "lock": lock_ok,
                      "pooled": pooled, "initialized": initialized, "async": async_result, "executed": executed,
                      "slept": slept, "tpe_elapsed": tpe_elapsed,
                      "method_at_start": method_at_start, "method": mp.get_start_method()}))
"""


def test_multiprocessing_queue_pool_process_event_and_executors(tmp_path) -> None:
    r = run_patched(_MP_PROGRAM, tmp_path, timeout=90).check()
    assert r["items"] and r["exit"] == 0 and r["bounded"]
    # Set by a fiber of the waiting process: only possible if the wait let it run.
    assert r["same_process"] and r["same_process_wait"] < 5
    # A 0.3 s cross-process wait during which the 5 ms ticker fiber kept going.
    assert r["cross_process"] and r["ticks_during"] >= 10
    assert r["lock"]
    assert r["pooled"] == [i * i for i in range(20)] and r["async"] == 49
    assert r["initialized"] == [True] * 8
    assert r["executed"] == [i * i for i in range(10)]
    assert r["slept"] == list(range(20)) and r["tpe_elapsed"] < 2.0
    # Patching does not choose a start method; the default is the platform's.
    unpatched = run_patched(
        "import json, multiprocessing as mp; print(json.dumps(mp.get_start_method()))", tmp_path, patched=False
    ).check()
    assert r["method_at_start"] is None and r["method"] == unpatched


def test_asyncio_still_runs_after_patching(tmp_path) -> None:
    r = run_patched(
        """
        import asyncio, json, sys, time
        async def handle(reader, writer):
            data = await reader.readline()
            await asyncio.sleep(0.05)
            writer.write(data.upper()); await writer.drain(); writer.close()
        async def client(port, i):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"msg{i}\\n".encode()); await writer.drain()
            line = await reader.readline(); writer.close()
            return line.decode().strip()
        def blocking():
            time.sleep(0.05)
            return "from executor"
        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            t0 = time.monotonic()
            replies = await asyncio.gather(*(client(port, i) for i in range(20)))
            elapsed = time.monotonic() - t0
            in_thread = await asyncio.get_running_loop().run_in_executor(None, blocking)
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "print('sub')",
                                                        stdout=asyncio.subprocess.PIPE)
            out, _ = await proc.communicate()
            await asyncio.wait_for(asyncio.sleep(0.01), 1)
            server.close(); await server.wait_closed()
            return {"replies": replies == [f"MSG{i}" for i in range(20)], "elapsed": elapsed,
                    "executor": in_thread, "sub": out.decode().strip(), "rc": proc.returncode}
        print(json.dumps(asyncio.run(main())))
        """,
        tmp_path,
    ).check()
    assert r["replies"] and r["executor"] == "from executor"
    assert r["sub"] == "sub" and r["rc"] == 0
    assert r["elapsed"] < 1.0


def test_asyncio_signal_handlers_and_patched_ones_both_work(tmp_path) -> None:
    # asyncio learns which signals arrived by reading its own signal wakeup
    # fd; zio's loop may not take that fd away from it, and must not put back
    # one that asyncio has closed since (CPython would then report a failed
    # write, or write signal numbers into whatever file reused the number).
    r = run_patched(
        """
        import asyncio, json, os, signal, threading
        got = []
        def green(signum, frame):
            got.append("zio handler")
        async def with_asyncio_handler(green_after):
            loop = asyncio.get_running_loop()
            fired = asyncio.Event()
            loop.add_signal_handler(signal.SIGUSR1, fired.set)
            if green_after:
                signal.signal(signal.SIGUSR2, green)   # asyncio's loop first, then zio's handler
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.wait_for(fired.wait(), 10)
            got.append("asyncio handler")
            os.kill(os.getpid(), signal.SIGUSR2)       # zio's, while asyncio holds the wakeup fd
            loop.remove_signal_handler(signal.SIGUSR1)
        signal.signal(signal.SIGUSR2, green)           # zio's handler first, then asyncio's loop
        asyncio.run(with_asyncio_handler(False))
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        asyncio.run(with_asyncio_handler(True))
        fired = threading.Event()
        signal.signal(signal.SIGUSR1, lambda signum, frame: fired.set())
        threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGUSR1)).start()  # from another thread
        got.append(fired.wait(10))
        print(json.dumps(got))
        """,
        tmp_path,
    )
    assert "signal wakeup fd" not in r.stderr, r.stderr
    assert r.check() == ["asyncio handler", "zio handler", "asyncio handler", "zio handler", True]


def test_asyncio_loops_in_several_threads_each_see_their_own(tmp_path) -> None:
    # asyncio keeps its running loop per OS thread; patched threads share one.
    # asyncio.run in a thread while the main thread runs a loop (to_thread,
    # asgiref's async_to_sync) must work, and loops running in several threads
    # at once must each see their own loop and tasks, in Python and in C code.
    r = run_patched(
        """
        import asyncio, json, threading
        async def worker(n, barrier):
            loop = asyncio.get_running_loop()
            me = asyncio.current_task()
            seen = []
            for _ in range(20):
                await asyncio.wait_for(asyncio.sleep(0.001), 5)    # Python and C code reading the loop
                fut = asyncio.Future()                              # C: a future made without a loop
                loop.call_soon(fut.set_result, None)
                await fut
                seen.append(asyncio.get_running_loop() is loop and asyncio.current_task() is me
                            and fut.get_loop() is loop)
            barrier.wait(10)                                         # all loops were running at once
            return n if all(seen) else -n
        def in_thread(n, barrier, out):
            out[n] = asyncio.run(worker(n, barrier))
        async def main():
            outer = asyncio.get_running_loop()
            nested = await asyncio.to_thread(asyncio.run, worker(0, threading.Barrier(1)))
            out = {}
            barrier = threading.Barrier(3)
            threads = [threading.Thread(target=in_thread, args=(n, barrier, out)) for n in (1, 2, 3)]
            for t in threads:
                t.start()
            await asyncio.to_thread(lambda: [t.join() for t in threads])
            return {"nested": nested, "threads": sorted(out.values()),
                    "outer": asyncio.get_running_loop() is outer}
        result = asyncio.run(main())
        try:
            asyncio.get_running_loop()
            result["after"] = "a loop"
        except RuntimeError:
            result["after"] = "none"
        print(json.dumps(result))
        """,
        tmp_path,
    ).check()
    assert r == {"nested": 0, "threads": [1, 2, 3], "outer": True, "after": "none"}


def test_multiprocessing_manager_proxies_from_processes_and_fibers(tmp_path) -> None:
    # A manager's connections are sockets handed over with detach(); they must come
    # back blocking (reads on them are then cooperative), and a proxy call that
    # waits on the server must let the fiber that unblocks it run.
    r = run_patched(
        """
        import json, multiprocessing as mp, threading, time
        def work(d, lock, i):
            with lock:
                d[i] = i * i
        if __name__ == "__main__":
            with mp.Manager() as m:
                d, lock, q = m.dict(), m.Lock(), m.Queue()
                procs = [mp.Process(target=work, args=(d, lock, i)) for i in range(3)]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join(10)
                fibers = [threading.Thread(target=work, args=(d, lock, 10 + i)) for i in range(3)]
                for t in fibers:
                    t.start()
                for t in fibers:
                    t.join()
                threading.Thread(target=lambda: (time.sleep(0.1), q.put("late"))).start()
                got = q.get(timeout=5)
                print(json.dumps({"d": sorted(d.items()), "got": got}))
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r["d"] == [[i, i * i] for i in (0, 1, 2, 10, 11, 12)]
    assert r["got"] == "late"
