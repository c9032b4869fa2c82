"""Patched threading: threads are fibers in one OS thread, with the full threading API."""

from __future__ import annotations

from ._patched import run_patched


def test_hundred_sleeping_threads_run_concurrently_in_one_os_thread(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, threading, time
        natives = set()
        def work():
            natives.add(threading.get_native_id())
            time.sleep(0.1)
        t0 = time.monotonic()
        threads = [threading.Thread(target=work) for _ in range(100)]
        for t in threads: t.start()
        peak_os_threads = len(os.listdir("/proc/self/task"))
        for t in threads: t.join()
        print(json.dumps({"elapsed": time.monotonic() - t0, "natives": len(natives),
                          "os_threads": peak_os_threads, "alive": sum(t.is_alive() for t in threads),
                          "count": threading.active_count()}))
        """,
        tmp_path,
    ).check()
    assert r["elapsed"] < 0.6, r
    assert r["natives"] == 1 and r["os_threads"] == 1
    assert r["alive"] == 0 and r["count"] == 1


def test_threading_api_on_fibers(tmp_path) -> None:
    r = run_patched(
        """
        import json, threading, time
        out = {}
        # identity
        out["main_is_main"] = threading.current_thread() is threading.main_thread()
        idents = []
        def who():  # alive at the same time: idents of dead threads may be reused
            idents.append((threading.get_ident(), threading.current_thread().name))
            time.sleep(0.05)
        ts = [threading.Thread(target=who, name=f"w{i}") for i in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        fiber_idents = {i for i, _ in idents}
        out["distinct_idents"] = len(fiber_idents) == 3 and threading.get_ident() not in fiber_idents
        out["names"] = sorted(n for _, n in idents)
        # locals
        loc = threading.local(); loc.v = "main"
        seen = []
        def look():
            seen.append(getattr(loc, "v", None)); loc.v = "fiber"
        t = threading.Thread(target=look); t.start(); t.join()
        out["local"] = [seen[0], loc.v]
        # Condition / Event / Semaphore / Barrier / RLock
        cond = threading.Condition(); items = []
        def consumer():
            with cond:
                cond.wait_for(lambda: items)
                items.append("consumed")
        c = threading.Thread(target=consumer); c.start()
        with cond:
            items.append("x"); cond.notify()
        c.join(2)
        out["condition"] = items
        barrier = threading.Barrier(3); order = []
        def at_barrier(i):
            order.append(barrier.wait())
        bs = [threading.Thread(target=at_barrier, args=(i,)) for i in range(3)]
        for b in bs: b.start()
        for b in bs: b.join()
        out["barrier"] = sorted(order)
        rl = threading.RLock()
        with rl:
            with rl:
                out["rlock_owned"] = rl._is_owned()
        sem = threading.BoundedSemaphore(1); sem.acquire()
        out["sem_timeout"] = sem.acquire(timeout=0.05)
        sem.release()
        try:
            sem.release()
        except ValueError:
            out["bounded"] = True
        ev = threading.Event()
        threading.Timer(0.05, ev.set).start()
        out["timer_event"] = ev.wait(2)
        lock = threading.Lock(); lock.acquire()
        t0 = time.monotonic(); got = lock.acquire(timeout=0.1)
        out["lock_timeout"] = [got, round(time.monotonic() - t0, 1)]
        try:
            threading.Lock().release()
        except RuntimeError as e:
            out["release_unlocked"] = str(e)
        out["enumerate"] = len(threading.enumerate())
        print(json.dumps(out))
        """,
        tmp_path,
    ).check()
    assert r["main_is_main"] and r["distinct_idents"]
    assert r["names"] == ["w0", "w1", "w2"]
    assert r["local"] == [None, "main"]
    assert r["condition"] == ["x", "consumed"]
    assert r["barrier"] == [0, 1, 2]
    assert r["rlock_owned"] and r["bounded"] and r["timer_event"]
    assert r["sem_timeout"] is False
    assert r["lock_timeout"] == [False, 0.1]
    assert r["release_unlocked"] == "release unlocked lock"
    assert r["enumerate"] == 1


def test_excepthook_and_clean_shutdown_waits_for_non_daemon_threads(tmp_path) -> None:
    run = run_patched(
        """
        import threading, time
        def boom():
            raise ValueError("from a fiber thread")
        threading.Thread(target=boom, name="boomer").start()
        def late():
            time.sleep(0.2)
            print("late thread finished")
        threading.Thread(target=late).start()
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        print("main returns")
        """,
        tmp_path,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines == ["main returns", "late thread finished"], run.stdout
    assert "Exception in thread boomer" in run.stderr and "ValueError: from a fiber thread" in run.stderr
    assert "KeyError" not in run.stderr


def test_thread_pool_executor_and_queues(tmp_path) -> None:
    r = run_patched(
        """
        import json, queue, threading, time
        from concurrent.futures import ThreadPoolExecutor, as_completed
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=50) as ex:
            futs = [ex.submit(lambda i: (time.sleep(0.1), i * i)[1], i) for i in range(100)]
            total = sum(f.result() for f in as_completed(futs))
        pool_elapsed = time.monotonic() - t0
        sq = queue.SimpleQueue(); q = queue.Queue(maxsize=2); lq = queue.LifoQueue(); pq = queue.PriorityQueue()
        def producer():
            for i in range(5):
                sq.put(i); q.put(i)
        threading.Thread(target=producer).start()
        got = [[], []]
        for _ in range(5):  # q holds 2 at most: the producer blocks until we take
            got[0].append(sq.get(timeout=2)); got[1].append(q.get(timeout=2))
        try:
            sq.get(timeout=0.05)
        except queue.Empty:
            empty_ok = True
        for i in (3, 1, 2):
            lq.put(i); pq.put(i)
        print(json.dumps({"total": total, "pool_elapsed": pool_elapsed, "got": got, "empty_ok": empty_ok,
                          "lifo": [lq.get() for _ in range(3)], "prio": [pq.get() for _ in range(3)],
                          "sq_type": type(sq).__module__}))
        """,
        tmp_path,
    ).check()
    assert r["total"] == sum(i * i for i in range(100))
    assert r["pool_elapsed"] < 0.6, r
    assert r["got"] == [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]
    assert r["empty_ok"] and r["lifo"] == [2, 1, 3] and r["prio"] == [1, 2, 3]
    assert r["sq_type"] == "zio.green.queue"


def test_dummy_threads_of_plain_fibers_do_not_leak(tmp_path) -> None:
    r = run_patched(
        """
        import gc, json, threading, zio
        def body():
            return threading.current_thread().name
        def main():
            with zio.Group() as g:
                for _ in range(200):
                    g.spawn(body)
        zio.run(main)
        gc.collect()
        print(json.dumps({"active": len(threading._active)}))
        """,
        tmp_path,
    ).check()
    assert r["active"] <= 2, r


def test_fiber_local_is_per_fiber_with_subclass_init(tmp_path) -> None:
    r = run_patched(
        """
        import json, threading
        class Ctx(threading.local):
            def __init__(self, start):
                self.items = [start]
            @property
            def size(self):
                return len(self.items)
        ctx = Ctx("x")
        ctx.items.append("main")
        seen = {}
        def worker(n):
            ctx.items.append(n)
            seen[n] = (list(ctx.items), ctx.size)
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        try:
            threading.local("arg")
        except TypeError as e:
            err = str(e)
        print(json.dumps({"seen": {str(k): v for k, v in seen.items()}, "main": ctx.items, "err": err}))
        """,
        tmp_path,
    ).check()
    assert r["main"] == ["x", "main"]
    assert r["seen"] == {"0": [["x", 0], 2], "1": [["x", 1], 2], "2": [["x", 2], 2]}
    assert "not supported" in r["err"]


def test_waiting_for_a_real_thread_that_is_starting_is_no_deadlock(tmp_path) -> None:
    # Thread.start() waits for the new thread to set its _started Event.  A real
    # thread has no Python frame until it runs, so the deadlock check must count
    # threads being started (before that fix, most runs of 300 starts failed with
    # a DeadlockError in 'root:MainThread', as multiprocessing.Queue's feeder
    # thread did in forked children).
    r = run_patched(
        """
        import json, os, threading
        class Real(threading.Thread):
            zio_real_thread = True
        def start_and_join_many():
            for _ in range(300):
                t = Real(target=lambda: None)
                t.start()
                t.join()
            return True
        ok = start_and_join_many()
        pid = os.fork()
        if pid == 0:
            start_and_join_many()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"parent": ok, "child_status": status}))
        """,
        tmp_path,
    ).check()
    assert r == {"parent": True, "child_status": 0}


def test_c_api_details_the_stdlib_tests_rely_on(tmp_path) -> None:
    # Found by CPython's test_thread / test_threading / test_queue under patching.
    r = run_patched(
        """
        import _thread, importlib, json, sys, threading
        class Holder:
            locktype = _thread.allocate_lock   # a C function does not bind as a method
            ident = _thread.get_ident
        h = Holder()
        lock = h.locktype()
        errors = []
        for make in (threading.Lock, threading.RLock, _thread.allocate_lock):
            free = make()
            try:
                free.acquire(False, 1)          # invalid even when the lock is free
            except ValueError:
                errors.append("ValueError")
        rlock = threading.RLock()
        rlock.acquire()
        try:
            rlock.acquire(False, 1)             # ... and when the caller owns it
        except ValueError:
            errors.append("ValueError")
        try:
            class MyLock(_thread.LockType):     # the C lock type is final
                pass
        except TypeError:
            errors.append("final")
        _thread.RLock("ignored", like="C")      # the C RLock ignores arguments
        # A fresh copy of _queue (a new C module) must not bring back the blocking C type.
        patched_module = sys.modules.pop("_queue")
        fresh = importlib.import_module("_queue")   # what test.support.import_fresh_module does
        sys.modules["_queue"] = patched_module
        assert fresh is not patched_module
        q = fresh.SimpleQueue()
        got = []
        def consumer():
            got.append(q.get(timeout=5))
        t = threading.Thread(target=consumer)
        t.start()                                # runs the consumer until it parks in get()
        q.put("item")
        t.join()
        try:
            q.get(block=False)
        except fresh.Empty:
            empty = "fresh.Empty"
        print(json.dumps({"lock": type(lock).__name__, "ident": h.ident() == threading.get_ident(),
                          "errors": errors, "got": got, "empty": empty}))
        """,
        tmp_path,
    ).check()
    assert r == {
        "lock": "LockType",
        "ident": True,
        "errors": ["ValueError"] * 4 + ["final"],
        "got": ["item"],
        "empty": "fresh.Empty",
    }


def test_joining_a_real_thread_lets_fibers_run(tmp_path) -> None:
    # The real thread waits for an Event that a fiber sets; the main fiber joins
    # it.  Joining through the interpreter's own sentinel lock would block the
    # OS thread, the fiber would never run, and the join would hang.
    r = run_patched(
        """
        import json, threading, time
        class Real(threading.Thread):
            zio_real_thread = True
        ev = threading.Event()
        real = Real(target=ev.wait, args=(10,))
        real.start()
        def setter():
            time.sleep(0.1)
            ev.set()
        threading.Thread(target=setter).start()
        t0 = time.monotonic()
        real.join(5)
        print(json.dumps({"alive": real.is_alive(), "set": ev.is_set(), "elapsed": time.monotonic() - t0}))
        """,
        tmp_path,
    ).check()
    assert r["set"] and not r["alive"]
    assert r["elapsed"] < 3


def test_a_fiber_polling_a_queue_in_a_loop_lets_the_producer_run(tmp_path) -> None:
    # get(False) never blocks, so without periodic yields in the lock the spinning
    # main fiber would starve the producer forever (CPython 3.13's test_queue
    # shutdown tests poll like this).
    r = run_patched(
        """
        import json, queue, threading, time
        q = queue.Queue()
        def producer():
            time.sleep(0.05)
            q.put("item")
        threading.Thread(target=producer).start()
        t0 = time.monotonic()
        while True:
            try:
                item = q.get(False)
                break
            except queue.Empty:
                pass
        print(json.dumps({"item": item, "elapsed": time.monotonic() - t0}))
        """,
        tmp_path,
        timeout=30,
    ).check()
    assert r["item"] == "item"
    assert r["elapsed"] < 2.0


def test_simple_queue_put_reentered_inside_its_own_critical_section(tmp_path) -> None:
    # CPython's test_queue test_reentrancy (bpo-14976) hung on 3.12: a __del__
    # run by the GC inside put()'s critical section put() again and blocked on
    # the queue's own mutex.  Made deterministic here: a waiter whose hub's
    # `closed` check (read by put under the mutex) puts again.
    r = run_patched(
        """
        import gc, itertools, json, queue, threading
        from zio.green._locks import _Waiter
        q = queue.SimpleQueue()
        class PutsWhenChecked:
            @property
            def closed(self):
                q.put("reentrant")
                return True                     # a closed hub: put skips this waiter
        # No getter waiting: both items are queued, nothing deadlocks.
        q._getters.append(_Waiter(PutsWhenChecked(), None))
        q.put("outer")
        alone = [q.get_nowait(), q.get_nowait()]
        # Two getters parked: the outer put wakes the first, the owed wakeup the second.
        got = []
        getters = [threading.Thread(target=lambda: got.append(q.get(timeout=10))) for _ in range(2)]
        for t in getters:
            t.start()                           # runs until it parks in get()
        q._getters.appendleft(_Waiter(PutsWhenChecked(), None))
        q.put("outer")
        for t in getters:
            t.join()
        # The stdlib test's own pattern, with the GC made frequent.
        gc.set_threshold(5)
        counter = itertools.count()
        class Circular:
            def __init__(self):
                self.me = self
            def __del__(self):
                q.put(next(counter))
        results = []
        while not results or results[-1] < 3000:
            o = Circular()
            q.put(next(counter))
            del o
            results.append(q.get())
        print(json.dumps({"alone": alone, "got": sorted(got), "ordered": results == list(range(len(results)))}))
        """,
        tmp_path,
        timeout=30,
    ).check()
    assert r == {"alone": ["outer", "reentrant"], "got": ["outer", "reentrant"], "ordered": True}


def test_thread_start_does_not_wait_behind_busy_fibers(tmp_path) -> None:
    """Thread.start() returns once the new thread ran up to its first block, before other fibers run.

    Thread.start() waits for the new thread to signal that it runs.  Queued
    behind every runnable fiber, that signal took a whole pass of the run
    queue, and resuming the starter another: a busy ThreadingTCPServer then
    accepted ~150 connections a second.
    """
    r = run_patched(
        """
        import json, threading, time
        log = []
        stop = []
        def busy(i):
            while not stop:
                log.append(i)
                time.sleep(0)
        busies = [threading.Thread(target=busy, args=(i,)) for i in range(20)]
        for t in busies: t.start()
        time.sleep(0)
        release = threading.Event()
        def child():
            log.append("child")
            release.wait()
        mark = len(log)
        c = threading.Thread(target=child)
        c.start()
        between = log[mark:]
        alive = c.is_alive()
        stop.append(True); release.set()
        for t in busies + [c]: t.join()
        print(json.dumps({"between": between, "alive": alive, "busy_turns": len(log) - 1}))
        """,
        tmp_path,
    ).check()
    assert r["between"] == ["child"], r
    assert r["alive"] is True
    assert r["busy_turns"] >= 40  # the busy threads did run, before and after


def test_busy_threading_server_accepts_waiting_connections_at_once(tmp_path) -> None:
    """A ThreadingTCPServer serving busy connections accepts a queue of new ones without a pass each.

    200 connections wait in the listen queue (the accepting thread is held at
    a gate while another process connects them) while 100 connections keep
    the server busy.  Between the first and the last of the 200 accepts the
    busy handlers used to run twice per accept (~40,000 echoes): the
    starting thread waited a pass for the new handler, then another to
    resume.  Now the acceptor resumes right after each new handler first
    blocks, and the busy handlers barely run before the queue is drained.
    """
    r = run_patched(
        """
        import json, socket, socketserver, subprocess, sys, threading
        turns = [0]
        warm = threading.Event()
        gate = threading.Event(); gate.set()
        accepted_at = []
        class Echo(socketserver.BaseRequestHandler):
            def handle(self):
                while data := self.request.recv(100):
                    turns[0] += 1
                    if turns[0] == 1000:
                        warm.set()
                    self.request.sendall(data)
        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            request_queue_size = 1024
            def verify_request(self, request, client_address):
                gate.wait()
                accepted_at.append(turns[0])
                return True
        server = Server(("127.0.0.1", 0), Echo)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stop = []
        def client(sock):
            while not stop:
                sock.sendall(b"x")
                sock.recv(1)
        busy = [socket.create_connection(server.server_address) for _ in range(100)]
        workers = [threading.Thread(target=client, args=(s,)) for s in busy]
        for w in workers: w.start()
        warm.wait()  # the busy connections are being served
        gate.clear()
        first = len(accepted_at)
        burst = subprocess.Popen([sys.executable, "-c", BURST, str(server.server_address[1])],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert burst.stdout.readline().strip() == "connected"
        gate.set()
        burst.stdin.write("go\\n"); burst.stdin.flush()
        assert burst.stdout.readline().strip() == "echoed"
        burst.wait()
        stop.append(True)
        for w in workers: w.join()
        server.shutdown()
        got = accepted_at[first:]
        print(json.dumps({"accepted": len(got), "echoes_meanwhile": got[-1] - got[0]}))
        """.replace("BURST", repr(_BURST_CLIENT)),
        tmp_path,
    ).check()
    assert r["accepted"] == 200, r
    assert r["echoes_meanwhile"] < 2000, r


# Runs unpatched in its own process: connects 200 sockets (they wait in the
# server's listen queue), then on "go" sends a byte on each and reads it back.
_BURST_CLIENT = """
import socket, sys
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
print("connected", flush=True)
sys.stdin.readline()
for s in socks:
    s.sendall(b"y")
for s in socks:
    assert s.recv(1) == b"y"
print("echoed", flush=True)
"""
