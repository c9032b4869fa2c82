"""subprocess, os (waitpid, pipes, fork) and signal under zio.patch."""

from __future__ import annotations

import pytest

from ._patched import run_patched


def test_subprocesses_run_concurrently_and_keep_their_api(tmp_path) -> None:
    r = run_patched(
        """
        import json, subprocess, sys, threading, time
        outs = {}
        def job(i):
            outs[i] = subprocess.run(["sh", "-c", f"sleep 0.3; echo {i}"], capture_output=True, text=True).stdout
        t0 = time.monotonic()
        threads = [threading.Thread(target=job, args=(i,)) for i in range(10)]
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.monotonic() - t0
        try:
            subprocess.run(["sleep", "5"], timeout=0.2)
        except subprocess.TimeoutExpired as exc:
            timeout_cmd = exc.cmd
        try:
            subprocess.check_output([sys.executable, "-c", "import sys; print('partial'); sys.exit(3)"])
        except subprocess.CalledProcessError as exc:
            failed = [exc.returncode, exc.output.decode().strip()]
        p = subprocess.Popen(["sh", "-c", "for i in 1 2 3; do echo l$i; sleep 0.02; done"],
                             stdout=subprocess.PIPE, text=True)
        lines = [line.strip() for line in p.stdout]
        code = p.wait()
        cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out, _ = cat.communicate(b"z" * 300000, timeout=10)
        p2 = subprocess.Popen(["sleep", "5"])
        try:
            p2.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            waited_timeout = True
        p2.kill()
        print(json.dumps({"outs": [outs[i].strip() for i in range(10)], "elapsed": elapsed,
                          "timeout_cmd": timeout_cmd, "failed": failed, "lines": lines, "code": code,
                          "cat": len(out), "waited_timeout": waited_timeout, "killed": p2.wait(),
                          "popen": subprocess.Popen.__module__}))
        """,
        tmp_path,
    ).check()
    assert r["outs"] == [str(i) for i in range(10)]
    assert r["elapsed"] < 1.5, r
    assert r["timeout_cmd"] == ["sleep", "5"]
    assert r["failed"] == [3, "partial"]
    assert r["lines"] == ["l1", "l2", "l3"] and r["code"] == 0
    assert r["cat"] == 300000 and r["waited_timeout"] and r["killed"] == -9
    assert r["popen"] == "zio.green.subprocess"


def test_a_pipe_passed_on_to_another_child_is_blocking_there(tmp_path) -> None:
    # Green pipes are non-blocking in the parent; O_NONBLOCK lives in the file
    # description, which a child given the pipe shares.  A shell pipeline
    # (stdin=p1.stdout) used to hand the second child a non-blocking stdin,
    # which reads EAGAIN as end of file (CPython's test_pipe_cloexec_real_tools,
    # intermittently): the child must get a blocking description of its own.
    r = run_patched(
        """
        import json, os, subprocess, sys, time
        py = [sys.executable, "-c"]
        report = "import os, sys; sys.stderr.write(repr([os.get_blocking(0), os.get_blocking(1)]))"
        # The hub and its loop fds must exist before counting: a sleep parks on
        # the hub and creates it (a child that exits at once may be reaped
        # without ever parking).
        subprocess.run(["true"])
        time.sleep(0.001)
        fds_before = len(os.listdir("/proc/self/fd"))
        p1 = subprocess.Popen(py + ["import sys, time; time.sleep(0.3); print('late line')"],
                              stdout=subprocess.PIPE)
        p2 = subprocess.Popen(py + ["import sys; sys.stdout.write(sys.stdin.read().upper())"],
                              stdin=p1.stdout, stdout=subprocess.PIPE)
        p1.stdout.close()
        pipeline = p2.communicate()[0].decode()
        p1.wait()
        # both directions, and stderr=STDOUT onto a green pipe's write end
        sink = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        src = subprocess.Popen(py + ["import time; time.sleep(0.2)"], stdout=subprocess.PIPE)
        child = subprocess.Popen(py + [report], stdin=src.stdout, stdout=sink.stdin, stderr=subprocess.PIPE)
        child_flags = child.communicate()[1].decode()
        both = subprocess.Popen(py + ["import os; print(os.get_blocking(1), os.get_blocking(2))"],
                                stdout=sink.stdin, stderr=subprocess.STDOUT)
        both.wait(); src.wait()
        sink.stdin.close()
        sink_out = sink.stdout.read().decode().split()
        sink.wait()
        parent_nonblocking = [os.get_blocking(f.fileno()) for f in (src.stdout, sink.stdout)]
        src.stdout.close(); sink.stdout.close()
        print(json.dumps({"pipeline": pipeline, "child_flags": child_flags, "sink_out": sink_out,
                          "parent": parent_nonblocking, "fds_leaked": len(os.listdir("/proc/self/fd")) - fds_before}))
        """,
        tmp_path,
    ).check()
    assert r["pipeline"] == "LATE LINE\n"
    assert r["child_flags"] == "[True, True]"
    assert r["sink_out"] == ["True", "True"]
    assert r["parent"] == [False, False]  # the parent's own ends stay green
    assert r["fds_leaked"] == 0


def test_foreign_children_are_never_reaped(tmp_path) -> None:
    # A child zio did not spawn stays the caller's to wait for, even while
    # zio waits for its own children.
    r = run_patched(
        """
        import json, os, subprocess, time
        foreign = os.posix_spawn("/bin/sh", ["sh", "-c", "exit 5"], os.environ)
        ours = subprocess.Popen(["sleep", "0.3"])
        ours.wait()
        time.sleep(0.1)
        pid, status = os.waitpid(foreign, 0)
        print(json.dumps({"pid_ok": pid == foreign, "code": os.waitstatus_to_exitcode(status)}))
        """,
        tmp_path,
    ).check()
    assert r == {"pid_ok": True, "code": 5}


def test_waitpid_and_pipe_io_park_only_the_fiber(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, threading, time
        ticks = []
        def ticker():
            for _ in range(5):
                ticks.append(time.monotonic()); time.sleep(0.05)
        threading.Thread(target=ticker).start()
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            time.sleep(0.3)
            os.write(wfd, b"from child")
            os._exit(4)
        t0 = time.monotonic()
        data = os.read(rfd, 100)            # blocking pipe: parks this fiber
        got_pid, status = os.waitpid(pid, 0)
        elapsed = time.monotonic() - t0
        big = b"y" * 200000
        def reader(out=[]):
            while sum(map(len, out)) < len(big):
                out.append(os.read(r2, 65536))
            reader.result = b"".join(out)
        r2, w2 = os.pipe()
        t = threading.Thread(target=reader); t.start()
        written = os.write(w2, big)          # bigger than the pipe: needs the reader fiber to run
        t.join()
        print(json.dumps({"data": data.decode(), "code": os.waitstatus_to_exitcode(status),
                          "ticks_during_wait": sum(1 for x in ticks if t0 < x < t0 + elapsed),
                          "written": written, "read_back": reader.result == big}))
        """,
        tmp_path,
    ).check()
    assert r["data"] == "from child" and r["code"] == 4
    assert r["ticks_during_wait"] >= 3, r
    assert r["written"] == 200000 and r["read_back"]


def test_os_read_and_write_wait_on_fds_that_are_blocking_for_the_program(tmp_path) -> None:
    # A child's pipe and a blocking-mode socket: zio keeps their fds
    # non-blocking, but plain Python's would block, and os.read on them
    # waited for data there.  Under zio it raised BlockingIOError.
    code = """
        import json, os, socket, subprocess, threading, time
        ticks = []
        def ticker():
            for _ in range(4):
                ticks.append(time.monotonic()); time.sleep(0.05)
        threading.Thread(target=ticker).start()
        p = subprocess.Popen(["sh", "-c", "sleep 0.3; echo from child"], stdout=subprocess.PIPE)
        t0 = time.monotonic()
        from_pipe = os.read(p.stdout.fileno(), 100)
        elapsed = time.monotonic() - t0
        p.wait()
        p.stdout.close()
        a, b = socket.socketpair()
        threading.Timer(0.05, b.sendall, (b"late",)).start()
        from_socket = os.read(a.fileno(), 10)
        big = b"y" * (1 << 20)                # far more than the socket buffers hold
        received = []
        def drain():
            while sum(map(len, received)) < len(big):
                received.append(b.recv(65536))
        t = threading.Thread(target=drain); t.start()
        written = os.write(a.fileno(), big)
        t.join()
        modes = {}
        for name, timeout in (("non-blocking", 0.0), ("timeout", 5.0)):
            a.settimeout(timeout)
            try:
                os.read(a.fileno(), 10)
                modes[name] = "read"
            except BlockingIOError:
                modes[name] = "BlockingIOError"
        quiet = subprocess.Popen(["sleep", "5"], stdout=subprocess.PIPE)
        os.set_blocking(quiet.stdout.fileno(), False)  # the program's own choice (asyncio does this)
        try:
            os.read(quiet.stdout.fileno(), 10)
            modes["pipe set non-blocking"] = "read"
        except BlockingIOError:
            modes["pipe set non-blocking"] = "BlockingIOError"
        quiet.kill(); quiet.wait(); quiet.stdout.close()
        print(json.dumps({"pipe": from_pipe.decode(), "socket": from_socket.decode(),
                          "ticks_during_wait": sum(1 for x in ticks if t0 < x < t0 + elapsed),
                          "written": written, "read_back": b"".join(received) == big, "modes": modes}))
    """
    expected = {"pipe": "from child\n", "socket": "late", "written": 1 << 20, "read_back": True,
                "modes": {"non-blocking": "BlockingIOError", "timeout": "BlockingIOError",
                          "pipe set non-blocking": "BlockingIOError"}}
    plain = run_patched(code, tmp_path, patched=False).check()
    patched = run_patched(code, tmp_path).check()
    for result in (plain, patched):
        assert {k: v for k, v in result.items() if k != "ticks_during_wait"} == expected, result
    assert patched["ticks_during_wait"] >= 3, patched  # the wait parked only the fiber


def test_fork_child_gets_a_fresh_hub_and_no_parent_fibers(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, threading, time
        marker = os.path.join(os.getcwd(), "ran-in-child")
        def parent_fiber():
            time.sleep(0.2)
            if os.getpid() != parent_pid:
                open(marker, "w").close()   # must never happen
        parent_pid = os.getpid()
        threading.Thread(target=parent_fiber).start()
        time.sleep(0)                        # let it start and park
        pid = os.fork()
        if pid == 0:
            # the child can use fibers and sleep on its own hub
            results = []
            def child_worker(i):
                time.sleep(0.05); results.append(i)
            ts = [threading.Thread(target=child_worker, args=(i,)) for i in range(5)]
            for t in ts: t.start()
            for t in ts: t.join()
            time.sleep(0.4)                  # longer than the parent fiber's sleep
            os._exit(10 + len(results))
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"child_code": os.waitstatus_to_exitcode(status),
                          "parent_fiber_ran_in_child": os.path.exists(marker)}))
        """,
        tmp_path,
    ).check()
    assert r == {"child_code": 15, "parent_fiber_ran_in_child": False}


def test_fork_from_a_fiber_exits_the_child_when_the_fiber_ends(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, threading, time
        result = {}
        def forker():
            pid = os.fork()
            if pid == 0:
                time.sleep(0.05)
                print("child fiber done", flush=True)
                return                        # like a forked thread returning
            result["status"] = os.waitpid(pid, 0)[1]
        t = threading.Thread(target=forker); t.start(); t.join()
        print(json.dumps({"code": os.waitstatus_to_exitcode(result["status"])}))
        """,
        tmp_path,
    )
    assert r.check() == {"code": 0}
    assert r.stdout.count("child fiber done") == 1
    assert r.stdout.count('{"code"') == 1  # the child never ran the parent's main line


def test_signal_handlers_run_in_fibers_and_alarm_interrupts_sleep(tmp_path) -> None:
    r = run_patched(
        """
        import json, logging, os, signal, threading, time
        got = []
        lock = threading.Lock()
        def handler(signum, frame):
            with lock:                        # may block: it runs in a fiber
                time.sleep(0.01)
                got.append(signum)
        previous = signal.signal(signal.SIGUSR1, handler)
        for _ in range(3):
            os.kill(os.getpid(), signal.SIGUSR1)
            time.sleep(0.05)
        class Alarm(Exception):
            pass
        def on_alarm(signum, frame):
            raise Alarm()
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        t0 = time.monotonic()
        try:
            time.sleep(5)
            interrupted = False
        except Alarm:
            interrupted = True
        elapsed = time.monotonic() - t0
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        signal.pause()                        # returns after the handler ran
        print(json.dumps({"got": got, "getsignal": signal.getsignal(signal.SIGUSR1) is handler,
                          "previous_default": previous == signal.SIG_DFL, "interrupted": interrupted,
                          "elapsed": elapsed, "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler}))
        """,
        tmp_path,
    ).check()
    assert r["got"] == [10, 10, 10, 10]
    assert r["getsignal"] and r["previous_default"] and r["sigint"]
    assert r["interrupted"] and r["elapsed"] < 1.0


def test_a_handler_run_in_a_fiber_is_in_the_main_thread(tmp_path) -> None:
    # CPython runs every Python signal handler in the main thread.  A signal
    # sent while another thread runs is handled in a fiber under zio: that
    # fiber must be the main thread for the handler's code too.
    r = run_patched(
        """
        import _thread, json, os, signal, threading
        main_ident = threading.get_ident()
        seen = {}
        rlock = threading.RLock()
        state = threading.local()
        state.name = "main's"
        def handler(signum, frame):
            seen["ident"] = _thread.get_ident() == main_ident
            seen["current_is_main"] = threading.current_thread() is threading.main_thread()
            seen["local"] = getattr(state, "name", None)
            # The main thread holds this RLock while it waits: in its own thread, the handler re-enters it.
            seen["rlock"] = rlock.acquire(timeout=1)
            if seen["rlock"]:
                rlock.release()
        signal.signal(signal.SIGUSR1, handler)
        def sender():
            os.kill(os.getpid(), signal.SIGUSR1)   # the handler is due while this thread runs
            seen["sender_is_main"] = threading.current_thread() is threading.main_thread()
        with rlock:
            t = threading.Thread(target=sender)
            t.start()
            t.join()
            while "ident" not in seen:
                signal.pause()
        after = {"ident": _thread.get_ident() == main_ident, "current": threading.current_thread().name}
        print(json.dumps({"seen": seen, "after": after}))
        """,
        tmp_path,
    ).check()
    assert r["seen"] == {
        "ident": True,
        "current_is_main": True,
        "local": "main's",
        "rlock": True,
        "sender_is_main": False,
    }
    assert r["after"] == {"ident": True, "current": "MainThread"}


def test_a_thread_waiting_in_sigwait_lets_the_others_run(tmp_path) -> None:
    # The "signal thread" pattern: block the signals, wait for them in a
    # thread.  As a fiber, the real sigwait blocked the OS thread: the main
    # thread never ran again and the program hung.
    code = """
        import json, os, signal, threading, time
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
        got, ticks = [], []
        def waiter():
            got.append(repr(signal.sigwait({signal.SIGUSR1})))
            info = signal.sigwaitinfo({signal.SIGUSR2})
            got.append([info.si_signo, info.si_pid == os.getpid()])
        t = threading.Thread(target=waiter)
        t.start()
        for _ in range(3):
            ticks.append(time.monotonic())
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)
        t.join()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2})
        timed_out = signal.sigtimedwait({signal.SIGUSR2}, 0.05)   # not blocked: still just a wait
        mask = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
        print(json.dumps({"got": got, "ticks": len(ticks), "timed_out": timed_out,
                          "mask_after": mask, "usr1": int(signal.SIGUSR1), "usr2": int(signal.SIGUSR2)}))
    """
    plain = run_patched(code, tmp_path, patched=False).check()
    patched = run_patched(code, tmp_path, timeout=30).check()
    assert patched == plain
    assert patched["got"] == [f"<Signals.SIGUSR1: {plain['usr1']}>", [plain["usr2"], True]]
    assert patched["ticks"] == 3 and patched["timed_out"] is None and patched["mask_after"] == [plain["usr1"]]


def test_a_cancelled_sigwait_took_no_signal(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, signal
        import zio
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        with zio.move_on_after(0.05) as scope:
            signal.sigwait({signal.SIGUSR1})
        os.kill(os.getpid(), signal.SIGUSR1)   # after the cancelled wait: still pending
        info = signal.sigtimedwait({signal.SIGUSR1}, 0)
        print(json.dumps({"cancelled": scope.cancelled_caught, "pending": info.si_signo == signal.SIGUSR1}))
        """,
        tmp_path,
        timeout=30,
    ).check()
    assert r == {"cancelled": True, "pending": True}


def test_a_thread_that_signals_then_wakes_the_main_thread_is_seen_in_that_order(tmp_path) -> None:
    # CPython runs the handler before the main thread's next bytecode, so the
    # main thread, woken by the signalling thread right after, sees its effect
    # (test_threadsignals relies on it).  Queued through the loop, the handler
    # ran after the main thread had resumed whenever the hub did not poll in
    # between: a timing-dependent failure (seen once in CI on 3.13).
    r = run_patched(
        """
        import _thread, json, signal, threading
        seen = []
        signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(threading.get_ident()))
        done = _thread.allocate_lock()
        def signal_then_release():
            signal.raise_signal(signal.SIGUSR1)
            done.release()
        misses = 0
        for i in range(200):
            done.acquire()
            _thread.start_new_thread(signal_then_release, ())
            done.acquire()          # released by the thread right after its signal
            misses += len(seen) != i + 1
            done.release()
        print(json.dumps({"misses": misses, "handled": len(seen),
                          "in_main": set(seen) == {threading.main_thread().ident}}))
        """,
        tmp_path,
        timeout=60,
    ).check()
    assert r == {"misses": 0, "handled": 200, "in_main": True}


def test_a_signal_goes_to_the_handler_installed_when_it_arrived(tmp_path) -> None:
    # CPython runs a handler at the next bytecode of the main thread, before
    # the program can install another.  zio runs it in a fiber a little later:
    # a handler replaced meanwhile must not get the earlier signal.
    r = run_patched(
        """
        import json, os, signal, threading
        got = []
        handled = threading.Event()
        def first(signum, frame):
            got.append("first"); handled.set()
        def second(signum, frame):
            got.append("second"); handled.set()
        signal.signal(signal.SIGUSR1, first)
        t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGUSR1))
        t.start()                                 # the signal arrives while the thread runs
        signal.signal(signal.SIGUSR1, second)     # before the handler's fiber got to run
        t.join()
        handled.wait(10)
        print(json.dumps(got))
        """,
        tmp_path,
    ).check()
    assert r == ["first"]


@pytest.mark.parametrize("reset_sigint", [False, True], ids=["as-started", "default_int_handler-set-again"])
def test_interrupt_main_from_a_thread_raises_in_the_main_thread(tmp_path, reset_sigint) -> None:
    # CPython's test_threading InterruptMainTests.test_interrupt_main_subthread:
    # the thread's interrupt_main() lands while the main thread is still in
    # start() or join(), which must raise KeyboardInterrupt, even though the
    # thread has finished by the time join() is called.  Setting SIGINT back
    # to default_int_handler (test runners and CLIs do) keeps zio's delivery.
    r = run_patched(
        f"""
        import _thread, json, signal, threading
        if {reset_sigint}:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        outcomes = []
        for _ in range(20):
            t = threading.Thread(target=_thread.interrupt_main)
            try:
                t.start()
                t.join()
                outcomes.append("not raised")
            except KeyboardInterrupt:
                outcomes.append("raised")
            t.join()
        print(json.dumps(outcomes))
        """,
        tmp_path,
    ).check()
    assert r == ["raised"] * 20


def test_ctrl_c_reaches_the_main_line_as_keyboardinterrupt(tmp_path) -> None:
    r = run_patched(
        """
        import json, os, signal, threading, time
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            time.sleep(5)
            outcome = "not interrupted"
        except KeyboardInterrupt:
            outcome = "KeyboardInterrupt"
        print(json.dumps({"outcome": outcome}))
        """,
        tmp_path,
    ).check()
    assert r == {"outcome": "KeyboardInterrupt"}
