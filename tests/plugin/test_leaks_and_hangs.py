"""Leak checks and time limits, in a subprocess (the time limit sends signals)."""

from __future__ import annotations

import time

import pytest

pytest_plugins = ["pytester"]

SUITE = r'''
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import zio

_kept = []


@pytest.mark.zio_leaks
def test_leaks_a_socket():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    _kept.append(sock)


@pytest.mark.zio_leaks
def test_leaks_a_thread():
    stop = threading.Event()
    _kept.append(stop)
    threading.Thread(target=stop.wait, name="forgotten-worker", daemon=True).start()


@pytest.mark.zio_leaks
def test_leaks_a_child_process():
    _kept.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))


@pytest.mark.zio_leaks
def test_cleans_up_after_itself():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.fixture(scope="module")
def module_server():
    # Held by a module-scoped fixture: not the leak of the test that set it up.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


@pytest.mark.zio_leaks
def test_module_fixture_resources_are_not_leaks(module_server):
    assert module_server.getsockname()[1]


def _stuck_forever():
    zio.sleep_forever()


@pytest.mark.zio
@pytest.mark.zio_timeout(0.3)
def test_waits_forever_on_the_hub():
    with zio.Group() as g:
        g.spawn(_stuck_forever).name = "stuck-helper"
        zio.sleep(3600)


@pytest.mark.zio
@pytest.mark.zio_timeout(0.3)
def test_blocks_the_hub():
    time.sleep(3600)  # a real blocking call inside a fiber: nothing else can run


@pytest.mark.zio_timeout(0.3)
def test_plain_test_blocks():
    threading.Event().wait()


def test_after_the_hangs_the_process_still_works():
    assert zio.run(lambda: 42) == 42
'''


def test_leaks_are_named_and_hangs_become_failures(zio_pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    zio_pytester.makepyfile(test_suite=SUITE)
    start = time.monotonic()
    result = zio_pytester.runpytest_subprocess(*plugin_args, "-p", "no:cacheprovider", "-rfE", timeout=60)
    elapsed = time.monotonic() - start
    result.assert_outcomes(passed=6, failed=3, errors=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "*test_leaks_a_socket leaked 1 resource(s)*",
            "*leaked fd: fd * -> socket:*AF_INET/SOCK_STREAM local=127.0.0.1:* LISTEN*",
            "*leaked thread: thread * 'forgotten-worker'*",
            "*leaked child process: pid * *time.sleep(60)*",
        ]
    )
    # The parked hang: every fiber with where it waits, failed cooperatively.
    result.stdout.fnmatch_lines(
        [
            "*test_waits_forever_on_the_hub exceeded its time limit of 0.3 s*",
            "Fibers:",
            "*'test:test_waits_forever_on_the_hub': parked on *",
            "*in test_waits_forever_on_the_hub",
            "*zio.sleep(3600)",
            "*'stuck-helper': parked on zio.sleep_forever()*",
            "*in _stuck_forever",
        ]
    )
    # The blocked hub: interrupted with the thread's stack showing the culprit.
    result.stdout.fnmatch_lines(
        [
            "*test_blocks_the_hub exceeded its time limit of 0.3 s*",
            "Threads:",
            "*'MainThread':",
            "*in test_blocks_the_hub",
            "*time.sleep(3600)*",
            "*the hub's thread was blocked; interrupted it with a signal*",
        ]
    )
    assert "test_plain_test_blocks exceeded its time limit" in out
    assert "cleans_up_after_itself" not in out.split("short test summary")[1]
    # Three hangs of 0.3 s plus grace periods, not hours.
    assert elapsed < 30


def test_suite_wide_options(zio_pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    zio_pytester.makepyfile(
        test_opts="""
        import socket, time
        _kept = []

        def test_leaky():
            _kept.append(socket.socket())

        def test_slow():
            time.sleep(3600)
        """
    )
    result = zio_pytester.runpytest_subprocess(
        *plugin_args, "--zio-leaks", "--zio-timeout=0.3", "-p", "no:cacheprovider", timeout=60
    )
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines_random(["*test_leaky leaked 1 resource(s)*", "*test_slow exceeded its time limit*"])
