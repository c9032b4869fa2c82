"""Time slicing of patched threads (zio._core.preempt): code written for threads may busy-wait.

Each program runs in a fresh patched interpreter (``_patched.run_patched``).
Without slicing, the busy-waiting programs here never finish (gevent hangs
on them), so the subprocess timeout is the hang check.
"""

from __future__ import annotations

import sys

import pytest

from zio._core import preempt

from ._patched import run_patched

BACKENDS = ["epoll", "poll", "select"]

PING_PONG = """
    import json, threading, time
    import zio.patch
    # Two "threads" that never block: each spins until the other has moved.
    turn = [0]
    def player(me, rounds):
        for _ in range(rounds):
            while turn[0] % 2 != me:
                pass
            turn[0] += 1
    t = threading.Thread(target=player, args=(1, 10))
    t.start()
    player(0, 10)
    t.join()
    print(json.dumps({"turns": turn[0], "slice": zio.patch.get_time_slice()}))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_busy_waiting_threads_take_turns(tmp_path, backend) -> None:
    r = run_patched(PING_PONG, tmp_path, timeout=60, env={"ZIO_BACKEND": backend}).check()
    assert r == {"turns": 20, "slice": preempt.DEFAULT_TIME_SLICE}


@pytest.mark.parametrize("backend", BACKENDS)
def test_busy_main_thread_lets_timers_and_threads_run(tmp_path, backend) -> None:
    # The main program spins on a flag that a thread sets after a (patched,
    # timer-based) sleep: the hub must get to poll its timers.
    r = run_patched(
        """
        import json, threading, time
        flag = []
        def setter():
            time.sleep(0.05)
            flag.append("set")
        t = threading.Thread(target=setter)
        t.start()
        spins = 0
        while not flag:
            spins += 1
        t.join()
        print(json.dumps({"flag": flag, "spun": spins > 0}))
        """,
        tmp_path,
        timeout=60,
        env={"ZIO_BACKEND": backend},
    ).check()
    assert r == {"flag": ["set"], "spun": True}


COMPUTE_WHILE_TICKING = """
    import json, threading, time
    # One thread computes for 0.3 s of CPU without blocking; another wakes
    # every 10 ms.  How often did the second one run while the first computed?
    ticks = []
    done = []
    def ticker():
        while not done:
            ticks.append(time.monotonic())
            time.sleep(0.01)
    def compute():
        # 0.3 s of CPU (not of wall time): as many slices on a loaded machine.
        start, cpu = time.monotonic(), time.process_time()
        while time.process_time() - cpu < 0.3:
            pass
        done.append((start, time.monotonic()))
    t1 = threading.Thread(target=ticker)
    t1.start()
    time.sleep(0.03)
    t2 = threading.Thread(target=compute)
    t2.start()
    t2.join()
    t1.join()
    start, end = done[0]
    print(json.dumps({"during": sum(start < t < end for t in ticks)}))
"""


def test_a_computing_thread_shares_the_hub(tmp_path) -> None:
    r = run_patched(COMPUTE_WHILE_TICKING, tmp_path, timeout=60).check()
    # Unsliced it would be 0; sliced every 10-20 ms over 0.3 s it is ~15-30.
    assert r["during"] >= 5, r


def test_zio_time_slice_zero_turns_slicing_off(tmp_path) -> None:
    r = run_patched(
        COMPUTE_WHILE_TICKING.replace(
            'print(json.dumps({"during"',
            'import zio.patch\n    print(json.dumps({"slice": zio.patch.get_time_slice(), "during"',
        ),
        tmp_path,
        timeout=60,
        env={"ZIO_TIME_SLICE": "0"},
    ).check()
    assert r == {"slice": None, "during": 0}


def test_invalid_zio_time_slice_warns_and_uses_the_default(tmp_path) -> None:
    run = run_patched(
        """
        import json, zio.patch
        print(json.dumps({"slice": zio.patch.get_time_slice()}))
        """,
        tmp_path,
        env={"ZIO_TIME_SLICE": "soon"},
    )
    assert run.returncode == 0, run.stderr
    assert run.result == {"slice": preempt.DEFAULT_TIME_SLICE}
    assert "ZIO_TIME_SLICE='soon'" in run.stderr


def test_native_tasks_are_never_preempted(tmp_path) -> None:
    # zio.spawn'ed code may rely on running undisturbed between blocking calls.
    r = run_patched(
        """
        import json, threading, time
        import zio
        log = []
        stop = []
        def chatty_thread():
            while not stop:
                log.append(1)
                time.sleep(0.002)
        def native_spinner():
            before = len(log)
            start = time.monotonic()
            while time.monotonic() - start < 0.2:
                pass
            return len(log) - before
        t = threading.Thread(target=chatty_thread)
        t.start()
        time.sleep(0.02)
        task = zio.spawn(native_spinner)
        grew = task.join()
        stop.append(1)
        t.join()
        print(json.dumps({"grew_during_native_spin": grew, "thread_ran": len(log) > 0}))
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r == {"grew_during_native_spin": 0, "thread_ran": True}


def test_keyboard_interrupt_reaches_a_busy_main_thread(tmp_path) -> None:
    # SIGINT sent by a thread while the main program spins: the main program
    # is in the run queue at that moment and gets the interrupt on its return.
    r = run_patched(
        """
        import json, os, signal, threading, time
        def interrupter():
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
        t = threading.Thread(target=interrupter)
        t.start()
        start = time.monotonic()
        try:
            while True:
                pass
        except KeyboardInterrupt:
            caught = time.monotonic() - start
        t.join()
        print(json.dumps({"caught_within_5s": caught < 5}))
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r == {"caught_within_5s": True}


def test_sigurg_stays_the_programs(tmp_path) -> None:
    # Slicing borrows SIGURG; the program does not see it, a real SIGURG is
    # harmless, and once the program installs its own handler, slicing steps
    # aside: the handler gets exactly the program's signals, no ticks.
    r = run_patched(
        """
        import json, os, signal, threading, time
        import zio.patch
        def compute(seconds):
            start = time.process_time()
            while time.process_time() - start < seconds:
                pass
        sleeper = threading.Thread(target=time.sleep, args=(0.05,))
        sleeper.start()   # slicing is on from the first thread
        compute(0.05)
        os.kill(os.getpid(), signal.SIGURG)   # a real one: ignored, as by default
        sleeper.join()
        out = {"handler_seen": signal.getsignal(signal.SIGURG) == signal.SIG_DFL}
        got = []
        signal.signal(signal.SIGURG, lambda signum, frame: got.append(signum))
        out["slice_after_takeover"] = zio.patch.get_time_slice()
        busy = threading.Thread(target=compute, args=(0.1,))
        busy.start(); compute(0.1); busy.join()   # would tick a dozen times
        out["calls_without_a_signal"] = len(got)
        os.kill(os.getpid(), signal.SIGURG)
        time.sleep(0.05)   # the handler fiber runs
        out["calls_after_one_signal"] = len(got)
        print(json.dumps(out))
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r == {
        "handler_seen": True,
        "slice_after_takeover": None,
        "calls_without_a_signal": 0,
        "calls_after_one_signal": 1,
    }


def test_a_forked_child_slices_its_own_threads(tmp_path) -> None:
    r = run_patched(
        PING_PONG.replace(
            "t = threading.Thread(target=player, args=(1, 10))",
            "import os\n"
            "    warm = threading.Thread(target=time.sleep, args=(0.05,)); warm.start(); warm.join()\n"
            "    pid = os.fork()\n"
            "    if pid:\n"
            "        _, status = os.waitpid(pid, 0)\n"
            "        print(json.dumps({'child_exit': os.waitstatus_to_exitcode(status)})); raise SystemExit\n"
            "    t = threading.Thread(target=player, args=(1, 10))",
        ).replace(
            'print(json.dumps({"turns": turn[0], "slice": zio.patch.get_time_slice()}))',
            "os._exit(0 if turn[0] == 20 else 1)",
        ),
        tmp_path,
        timeout=60,
    ).check()
    assert r == {"child_exit": 0}


# -- which code may be preempted ---------------------------------------------------


def _define(module_name: str, source: str, function: str):
    """A function whose frames look like ``module_name``'s (its globals' ``__name__``)."""
    namespace = {"__name__": module_name}
    exec(compile(source, f"<{module_name}>", "exec"), namespace)  # noqa: S102 - builds test frames
    return namespace[function]


CALL = "def call(inner):\n    return inner()\n"


@pytest.fixture
def entry():
    """A fake thread entry point (as zio.green.thread's fiber main is one), registered for the test."""
    function = _define("zio.green.fake_entry", CALL, "call")
    preempt.add_entry_point(function.__code__)
    yield function
    preempt._entry_points.pop(id(function.__code__), None)


def _probe_under(entry, module_names):
    """preemptible() of the innermost frame of: entry -> module_names[-1] -> ... -> module_names[0]."""
    inner = lambda: preempt.preemptible(sys._getframe())  # noqa: E731 - the probed frame
    for name in module_names:
        call, below = _define(name, CALL, "call"), inner
        inner = lambda call=call, below=below: call(below)  # noqa: E731
    return entry(inner)


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ((), True),  # the thread's own code
        (("requests.sessions", "__main__"), True),  # library code called by it
        (("__main__", "zio.sync.lock"), False),  # user code called back from inside zio
        (("zio._core.hub",), False),  # zio's own code
        (("mymodule", "importlib._bootstrap"), False),  # a module body being imported
        (("socket",), False),  # SocketIO, called by C buffered I/O under its lock
        (("queue",), False),  # a Queue's methods: its lock may be a real one (made before patching)
        (("__main__", "threading"), False),  # a Condition's methods, or a callback from one
    ],
)
def test_preemptible_frames(entry, chain, expected) -> None:
    assert _probe_under(entry, chain) is expected


def test_a_threads_bootstrap_frames_do_not_forbid(entry) -> None:
    # Every patched thread's own code runs below threading.Thread's
    # _bootstrap, _bootstrap_inner and run (or Timer.run): those frames must
    # not make it unpreemptible, or no thread would ever be sliced.
    import threading

    seen = []
    thread = threading.Thread(target=lambda: seen.append(preempt.preemptible(sys._getframe())))
    entry(thread.run)  # the real Thread.run frame between the entry point and the target
    assert seen == [True]
    bootstrap = {threading.Thread._bootstrap, threading.Thread._bootstrap_inner, threading.Timer.run}
    assert {id(f.__code__) for f in bootstrap} <= preempt._TRANSPARENT


def test_a_queue_made_before_patching_is_not_preempted_holding_its_real_lock(tmp_path) -> None:
    # The Queue's mutex is a real lock (made before zio.patch.all()).  A
    # producer that never blocks is preempted after a slice; inside put() it
    # held that lock, and the consumer's get() then blocked the whole OS
    # thread: the program hung for good.
    r = run_patched(
        """
        import json, queue, threading, time
        early = queue.Queue()
        import zio.patch
        zio.patch.all()
        real_lock = type(zio.patch.get_original("_thread", "allocate_lock")())
        N = 300_000
        def produce():
            for i in range(N):
                early.put(i)
        got = []
        def consume():
            for _ in range(N):
                got.append(early.get())
        threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps({"real_mutex": isinstance(early.mutex, real_lock), "got": len(got),
                          "in_order": got == list(range(N)), "sliced": zio.patch.get_time_slice() is not None}))
        """,
        tmp_path,
        patched=False,
        timeout=40,
    ).check()
    assert r == {"real_mutex": True, "got": 300_000, "in_order": True, "sliced": True}


def test_without_an_entry_point_zio_frames_forbid(entry) -> None:
    # A native task's stack ends in zio._core.task, which is no entry point.
    worker = _define("zio._core.fake_task", CALL, "call")
    assert worker(lambda: preempt.preemptible(sys._getframe())) is False
    assert preempt.preemptible(None) is False


def test_set_time_slice_validates() -> None:
    with pytest.raises(ValueError):
        preempt.set_time_slice(-1)
    with pytest.raises(ValueError):
        preempt.set_time_slice(float("nan"))


def test_no_real_lock_left_at_module_level_outside_zio(tmp_path) -> None:
    # A real lock belongs to the OS thread that every fiber shares: a fiber
    # preempted while holding one would leave the next fiber that takes it
    # blocking the whole thread.  threading's own module locks (made when it
    # was imported, before patching) are replaced.
    r = run_patched(
        """
        import json, sys, threading
        import zio.patch
        real = (type(zio.patch.get_original("_thread", "allocate_lock")()),
                type(zio.patch.get_original("_thread", "RLock")()))
        found = sorted(
            f"{name}.{attr}"
            for name, module in list(sys.modules.items())
            if not (name == "zio" or name.startswith("zio."))
            for attr, value in list(getattr(module, "__dict__", {}).items())
            if isinstance(value, real)
        )
        print(json.dumps({"real_locks": found, "limbo_lock": type(threading._active_limbo_lock).__module__}))
        """,
        tmp_path,
    ).check()
    assert r == {"real_locks": [], "limbo_lock": "zio.green._locks"}


def test_exec_from_a_sliced_process_passes_no_timer_on(tmp_path) -> None:
    # The new program (here a Python that counts SIGURGs while it computes
    # for 0.2 s of CPU) must not get ticks: POSIX timers die with exec.
    r = run_patched(
        """
        import json, os, sys, threading, time
        t = threading.Thread(target=time.sleep, args=(0.01,))
        t.start(); t.join()   # slicing runs from here on
        child = "import signal, time\\n" \\
                "got = []\\n" \\
                "signal.signal(signal.SIGURG, lambda s, f: got.append(s))\\n" \\
                "start = time.process_time()\\n" \\
                "while time.process_time() - start < 0.2: pass\\n" \\
                "print('{\\"ticks\\": %d}' % len(got))"
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-c", child])
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r == {"ticks": 0}


def test_a_timer_that_cannot_be_made_leaves_threads_running_unsliced(tmp_path) -> None:
    run = run_patched(
        """
        import json, threading, warnings
        import zio.patch
        from zio._core import _cputimer
        def refuse(self, signum):
            raise OSError(11, "timer_create: Resource temporarily unavailable")
        _cputimer.ThreadCPUTimer.__init__ = refuse
        ran = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t = threading.Thread(target=ran.append, args=("ran",))
            t.start(); t.join()
        print(json.dumps({"ran": ran, "slice": zio.patch.get_time_slice(),
                          "warned": [str(w.message) for w in caught if w.category is RuntimeWarning]}))
        """,
        tmp_path,
    )
    r = run.check()
    assert r["ran"] == ["ran"] and r["slice"] is None
    assert r["warned"] == [
        "zio: time slicing of patched threads is off: [Errno 11] timer_create: Resource temporarily unavailable"
    ]


def test_a_program_that_already_handles_sigurg_keeps_it(tmp_path) -> None:
    # Ticks could not be told from the program's own SIGURGs: no slicing, a warning.
    run = run_patched(
        """
        import json, os, signal, time
        got = []
        signal.signal(signal.SIGURG, lambda signum, frame: got.append(signum))
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import zio.patch
            zio.patch.all()
        os.kill(os.getpid(), signal.SIGURG)
        time.sleep(0.01)
        print(json.dumps({"slice": zio.patch.get_time_slice(), "calls": len(got),
                          "warned": any("not time-sliced" in str(w.message) for w in caught)}))
        """,
        tmp_path,
        patched=False,
    )
    assert run.check() == {"slice": None, "calls": 1, "warned": True}
