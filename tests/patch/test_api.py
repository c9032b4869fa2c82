"""zio.patch's own API: targets, REPLACES lists, originals, idempotence, flags, the CLI, late patching."""

from __future__ import annotations

import importlib
import sys

import pytest

import zio.patch
from zio.patch import TARGETS

from ._patched import run_patched


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_module_states_what_it_replaces(target: str) -> None:
    module = importlib.import_module(f"zio.patch.targets.{target}")
    assert module.__doc__, f"target {target} needs a docstring"
    replaces = module.REPLACES
    assert isinstance(replaces, dict) and replaces
    for module_name, names in replaces.items():
        assert names and all(isinstance(n, str) for n in names), (target, module_name)
    assert callable(module.apply)


def test_unknown_flag_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="unknown target.*sockets"):
        zio.patch.all(sockets=False)


def test_unknown_target_in_available() -> None:
    with pytest.raises(ValueError, match="unknown zio.patch target"):
        zio.patch.available("nope")


def test_get_original_unpatched_is_the_live_attribute() -> None:
    import time

    assert zio.patch.get_original("time", "monotonic") is time.monotonic
    with pytest.raises(AttributeError):
        zio.patch.get_original("time", "no_such_name")


def test_not_patched_in_the_test_process() -> None:
    # The pytest process must never be patched by these tests.
    assert not zio.patch.is_patched("threading")
    assert not zio.patch.is_patched("socket")


def test_patch_all_replaces_what_each_target_lists(tmp_path) -> None:
    result = run_patched(
        """
        import importlib, json, sys
        import zio.patch
        from zio.patch import TARGETS, get_original, is_patched
        report = {}
        for target in TARGETS:
            if not zio.patch.available(target):
                report[target] = "unavailable"
                continue
            mod = importlib.import_module("zio.patch.targets." + target)
            bad = []
            for module_name, names in mod.REPLACES.items():
                live = importlib.import_module(module_name)
                for name in names:
                    if not hasattr(live, name) and module_name != "queue":
                        continue  # e.g. select.epoll on a platform without it
                    try:
                        orig = get_original(module_name, name)
                    except AttributeError:
                        continue  # added by zio (did not exist before)
                    if module_name == "queue" and name != "SimpleQueue":
                        continue  # left alone when threads are patched (see targets/queue.py)
                    if getattr(live, name) is orig and module_name != "threading":
                        bad.append(f"{module_name}.{name}")
                    if not is_patched(module_name):
                        bad.append(f"{module_name} not reported patched")
            report[target] = bad
        print(json.dumps(report))
        """,
        tmp_path,
    )
    report = result.check()
    for target, bad in report.items():
        assert bad in ([], "unavailable"), (target, bad)
    assert report["thread"] == [] and report["time"] == [] and report["queue"] == []


def test_idempotent_and_flags(tmp_path) -> None:
    result = run_patched(
        """
        import json, threading, time
        import zio.patch
        zio.patch.all(thread=False, socket=False)
        first_sleep = time.sleep
        zio.patch.all(thread=False, socket=False)   # again: nothing changes
        same = time.sleep is first_sleep
        thread_left_alone = not zio.patch.is_patched("threading")
        lock_type = type(threading.Lock()).__module__
        zio.patch.thread()                      # a later call adds a target
        print(json.dumps({
            "same": same,
            "thread_left_alone": thread_left_alone,
            "lock_before": lock_type,
            "lock_after": type(threading.Lock()).__module__,
            "orig_sleep_is_builtin": type(zio.patch.get_original("time", "sleep")).__name__,
        }))
        """,
        tmp_path,
        patched=False,
    )
    r = result.check()
    assert r["same"] and r["thread_left_alone"]
    assert r["lock_before"] == "_thread"
    assert r["lock_after"].startswith("zio.green")
    assert r["orig_sleep_is_builtin"] == "builtin_function_or_method"


def test_cli_script_arguments_and_main(tmp_path) -> None:
    result = run_patched(
        """
        import json, sys, time, zio.patch
        print(json.dumps({"argv": sys.argv[1:], "name": __name__,
                          "patched": zio.patch.is_patched("time"), "sleep": time.sleep.__module__}))
        """,
        tmp_path,
        args=("a", "--b"),
    )
    r = result.check()
    assert r == {"argv": ["a", "--b"], "name": "__main__", "patched": True, "sleep": "zio.green.time"}


def test_cli_module_mode_and_no_flag(tmp_path) -> None:
    (tmp_path / "mymod.py").write_text(
        "import json, sys, threading, zio.patch\n"
        "print(json.dumps({'argv': sys.argv[1:], 'thread': zio.patch.is_patched('threading'),"
        " 'time': zio.patch.is_patched('time')}))\n"
    )
    import subprocess

    from ._patched import ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "zio.patch", "--no-thread", "-m", "mymod", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    import json

    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"argv": ["x"], "thread": False, "time": True}


def test_cli_usage_errors(tmp_path) -> None:
    import subprocess

    from ._patched import ROOT

    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "zio.patch"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode != 0 and "usage" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "zio.patch", "--no-bogus", "x.py"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode != 0 and "unknown option" in proc.stderr


def test_late_patch_rebinds_early_imports_and_warns(tmp_path) -> None:
    (tmp_path / "early.py").write_text(
        "from time import sleep\nfrom threading import get_ident\n"
        "import queue, threading\nLOCK = threading.Lock()\nJOBS = queue.Queue()\nNOT_A_LOCK = 5\n"
    )
    result = run_patched(
        """
        import json, logging, tempfile, threading, warnings
        import early                       # bound the blocking names first
        logging.basicConfig()
        stop = threading.Event()
        t = threading.Thread(target=stop.wait, name="early-real-thread", daemon=True)
        t.start()                          # a real thread, started before patching
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import zio.patch
            zio.patch.all()
        stop.set()
        import zio.green.time, zio.green.thread
        print(json.dumps({
            "sleep_rebound": early.sleep is zio.green.time.sleep,
            "ident_rebound": early.get_ident is zio.green.thread.get_ident,
            "logging_lock": type(logging._lock).__module__,
            "handler_lock": type(logging.getLogger().handlers[0].lock).__module__,
            "warnings": [str(w.message) for w in caught if w.category.__name__ == "ZioPatchWarning"],
            "fixed": zio.patch.fixed_references.get("time", []),
            "fixed_locks": zio.patch.fixed_references.get("thread", []),
            "tempfile_lock": type(tempfile._once_lock).__module__,
        }))
        """,
        tmp_path,
        patched=False,
    )
    r = result.check()
    assert r["sleep_rebound"] and r["ident_rebound"]
    assert r["logging_lock"].startswith("zio.green") and r["handler_lock"].startswith("zio.green")
    assert "early.sleep" in r["fixed"]
    joined = "\n".join(r["warnings"])
    assert "early-real-thread" in joined and "python -m zio.patch" in joined
    # Module-level locks made before patching: the program's are named (they
    # cannot be swapped safely), the stdlib's are replaced by green ones.
    assert "3 module-level lock(s)" in joined and "(__main__.stop, early.JOBS, early.LOCK)" in joined, joined
    assert "tempfile._once_lock" in r["fixed_locks"] and r["tempfile_lock"].startswith("zio.green")


def test_selectors_made_before_patching_are_fixed_up(tmp_path) -> None:
    # Unfixed, an early selector's select() blocked the whole OS thread: no
    # other thread ran during its timeout.
    result = run_patched(
        """
        import json, selectors, socket
        made = [selectors.DefaultSelector(), selectors.PollSelector(), selectors.SelectSelector()]
        closed = [selectors.DefaultSelector(), selectors.PollSelector()]
        for sel in closed:
            sel.close()                    # already closed when patching: must not break it
        a, b = socket.socketpair()
        for sel in made:
            sel.register(a, selectors.EVENT_READ, "a")
        import zio.patch
        zio.patch.all()
        import threading, time
        report = {}
        for sel in made:
            ticks = []
            stop = threading.Event()
            def ticker():
                while not stop.is_set():
                    ticks.append(time.monotonic())
                    time.sleep(0.01)
            t = threading.Thread(target=ticker)
            t.start()
            t0 = time.monotonic()
            timed_out = sel.select(0.2)
            t1 = time.monotonic()
            stop.set()
            t.join()
            report[type(sel).__name__] = {
                "class": type(sel).__module__, "timed_out": timed_out,
                "ticks_during": sum(1 for x in ticks if t0 < x < t1),
            }
        b.send(b"x")
        for sel in made:
            report[type(sel).__name__]["ready"] = [(key.data, events) for key, events in sel.select(1)]
            sel.close()
        print(json.dumps(report))
        """,
        tmp_path,
        patched=False,
    )
    r = result.check()
    assert set(r) == {"EpollSelector", "PollSelector", "SelectSelector"}
    for name, seen in r.items():
        assert seen["class"] == "zio.green.selectors" and seen["timed_out"] == [], (name, seen)
        assert seen["ticks_during"] >= 5, (name, seen)  # the other thread ran during the 0.2 s wait
        assert seen["ready"] == [["a", 1]], (name, seen)  # registrations made before patching kept


def test_zio_thread_pool_stays_real_threads(tmp_path) -> None:
    result = run_patched(
        """
        import json, threading, zio
        main_native = threading.get_native_id()
        native = zio.run(zio.to_thread, threading.get_native_id)
        print(json.dumps({"different_os_thread": native != main_native}))
        """,
        tmp_path,
    )
    assert result.check() == {"different_os_thread": True}
