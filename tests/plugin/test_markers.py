"""@pytest.mark.zio tests, fixtures, backends, leftover fibers, clocks: one in-process pytester run."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SUITE = r'''
import socket
import time

import pytest
import zio
from zio.testing import Sequencer, wait_all_tasks_blocked


@pytest.fixture
def echo_server():
    # A plain fixture function using zio: its server fiber runs while the test does.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)

    def serve():
        while True:
            zio.wait_readable(listener)
            conn, _ = listener.accept()
            with conn:
                conn.setblocking(False)
                zio.wait_readable(conn)
                conn.send(conn.recv(100).upper())

    task = zio.spawn(serve)
    yield listener.getsockname()
    task.cancel()
    try:
        task.join()
    except zio.Cancelled:
        pass
    zio.notify_closing(listener)
    listener.close()


@pytest.mark.zio
def test_fixture_server_runs_beside_the_test(echo_server, zio_backend):
    assert zio.current_task().name.startswith("test:test_fixture_server_runs_beside_the_test[zio-")
    assert zio.current_hub().loop.name == zio_backend
    client = socket.create_connection(echo_server)
    client.setblocking(False)
    client.send(b"hello")
    zio.wait_readable(client)
    assert client.recv(100) == b"HELLO"
    client.close()


@pytest.mark.zio
def test_each_test_gets_a_fresh_hub():
    hub = zio.current_hub()
    assert hub.tasks == {zio.current_task()}
    assert getattr(pytest, "_zio_seen_hub", None) is not hub
    pytest._zio_seen_hub = hub


def _napper():
    zio.sleep_forever()


@pytest.mark.zio
def test_leaves_a_fiber_behind():
    task = zio.spawn(_napper)
    task.name = "forgotten-napper"


@pytest.mark.zio
def test_autojump_hour(autojump_clock):
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        with zio.fail_after(3600):
            zio.sleep_forever()
    assert zio.current_time() == 3600
    assert time.monotonic() - start < 1.0


@pytest.mark.zio
def test_mock_clock_jump(mock_clock):
    woke = []
    with zio.Group() as g:
        g.spawn(lambda: (zio.sleep(60), woke.append(zio.current_time())))
        wait_all_tasks_blocked()
        mock_clock.jump(60)
    assert woke == [60.0]


@pytest.mark.zio
def test_sequencer_orders_tasks():
    seq = Sequencer()
    log = []

    def first():
        with seq(1):
            log.append(1)

    def second():
        with seq(0):
            log.append(0)
        with seq(2):
            log.append(2)

    with zio.Group() as g:
        g.spawn(first)
        g.spawn(second)
    assert log == [0, 1, 2]


def test_unmarked_tests_do_not_get_a_hub():
    from zio._core import _state

    assert _state.peek_hub() is None


@pytest.mark.zio
def test_clock_needs_nothing_else(autojump_clock):
    assert zio.current_hub().clock is autojump_clock
'''


def test_marked_tests_run_on_fresh_hubs_per_backend(zio_pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    zio_pytester.makepyfile(test_suite=SUITE)
    result = zio_pytester.runpytest(*plugin_args, "--zio-backend=epoll,select", "-p", "no:cacheprovider", "-v")
    # 7 zio tests x 2 backends + 1 plain test; the leftover fiber fails at teardown.
    result.assert_outcomes(passed=15, errors=2)
    text = result.stdout.str()
    for backend in ("epoll", "select"):
        assert f"test_suite.py::test_autojump_hour[zio-{backend}] PASSED" in text
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaves_a_fiber_behind[[]zio-epoll[]]*",
            "*the test left 1 fiber(s) running*",
            "*'forgotten-napper': parked on zio.sleep_forever()*",
        ]
    )
    assert "_napper" in text  # where it is parked: the user's function


def test_auto_mode_and_bad_settings(zio_pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    zio_pytester.makeini("[pytest]\nzio_mode = auto\n")
    zio_pytester.makepyfile(
        test_auto="""
        import zio

        def test_runs_in_a_task():
            assert zio.current_task().name == "test:test_runs_in_a_task"

        async def test_async_is_refused():
            pass
        """
    )
    result = zio_pytester.runpytest(*plugin_args, "-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*is an async def test: zio tests are plain functions*"])
    bad = zio_pytester.runpytest(*plugin_args, "--zio-backend=nonesuch")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*unknown backend(s) nonesuch*"])
