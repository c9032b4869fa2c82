"""Signal handlers through signal.set_wakeup_fd: delivered in the loop, wake a blocked poll."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from zio.loop import WrongThreadError

from ._util import run_until
from .test_threadsafe import wait_until_polling


@pytest.fixture(autouse=True)
def _restore_sigusr():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGUSR1, signal.SIGUSR2)}
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    assert signal.set_wakeup_fd(wakeup) == wakeup, "the loop did not restore the wakeup fd"


def test_signal_handler_runs_in_the_loop(loop):
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, "usr1")
    os.kill(os.getpid(), signal.SIGUSR1)
    run_until(loop, lambda: got)
    assert got == ["usr1"]
    loop.run_once(0)
    assert got == ["usr1"]  # once per signal


def test_signal_wakes_a_blocked_poll(loop):
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, 1)
    main = threading.get_ident()

    def sender():
        wait_until_polling(main)
        os.kill(os.getpid(), signal.SIGUSR1)

    t = threading.Thread(target=sender)
    t.start()
    run_until(loop, lambda: got, timeout=5)
    t.join()


def test_two_signals_two_handlers(loop):
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, "one")
    loop.add_signal_handler(signal.SIGUSR2, got.append, "two")
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR2)
    run_until(loop, lambda: len(got) == 2)
    assert sorted(got) == ["one", "two"]


def test_replacing_and_removing_restores_the_original_handler(loop):
    def original(signum, frame):
        pass

    signal.signal(signal.SIGUSR1, original)
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, "a")
    loop.add_signal_handler(signal.SIGUSR1, got.append, "b")  # replaces
    os.kill(os.getpid(), signal.SIGUSR1)
    run_until(loop, lambda: got)
    assert got == ["b"]
    assert loop.has_external_sources()
    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert loop.remove_signal_handler(signal.SIGUSR1) is False
    assert signal.getsignal(signal.SIGUSR1) is original
    assert not loop.has_external_sources()


def test_close_restores_handlers(loop):
    previous = signal.getsignal(signal.SIGUSR2)
    loop.add_signal_handler(signal.SIGUSR2, print)
    loop.close()
    assert signal.getsignal(signal.SIGUSR2) is previous


def test_signal_handler_errors_are_reported(loop):
    def bad():
        raise RuntimeError("in signal handler")

    loop.add_signal_handler(signal.SIGUSR1, bad)
    os.kill(os.getpid(), signal.SIGUSR1)
    run_until(loop, lambda: loop.errors)
    assert isinstance(loop.errors[0][0], RuntimeError)


def test_signal_handlers_need_the_main_thread(loop):
    caught = []

    def other():
        try:
            loop.add_signal_handler(signal.SIGUSR1, print)
        except WrongThreadError as exc:
            caught.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(caught) == 1 and "main thread" in str(caught[0])


@pytest.fixture
def foreign_wakeup_fd(sockpair):
    """A socket pair standing in for another event loop's wakeup channel (asyncio uses one)."""
    yield sockpair
    signal.set_wakeup_fd(-1)


def _current_wakeup_fd() -> int:
    current = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(current)
    return current


def test_a_wakeup_fd_held_by_someone_else_is_left_alone(loop, foreign_wakeup_fd):
    # Another loop reads its wakeup fd to learn which signals arrived: taking
    # it away would make that loop deaf.  Ours still runs its callbacks.
    theirs, write_end = foreign_wakeup_fd
    signal.set_wakeup_fd(write_end.fileno())
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, "ours")
    assert _current_wakeup_fd() == write_end.fileno()
    os.kill(os.getpid(), signal.SIGUSR1)
    run_until(loop, lambda: got)
    assert got == ["ours"]
    assert theirs.recv(16) == bytes([signal.SIGUSR1])  # the other loop heard it too
    loop.remove_signal_handler(signal.SIGUSR1)
    assert _current_wakeup_fd() == write_end.fileno()


def test_a_wakeup_fd_taken_over_later_stays_with_its_new_owner(loop, foreign_wakeup_fd):
    # The other loop took the wakeup fd after ours: removing our handler must
    # neither take it back nor reinstate anything of ours.
    theirs, write_end = foreign_wakeup_fd
    got = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, "ours")
    ours = _current_wakeup_fd()
    assert ours != -1
    signal.set_wakeup_fd(write_end.fileno())
    os.kill(os.getpid(), signal.SIGUSR1)
    run_until(loop, lambda: got)  # still delivered, without the wakeup fd
    assert got == ["ours"]
    assert theirs.recv(16) == bytes([signal.SIGUSR1])
    loop.remove_signal_handler(signal.SIGUSR1)
    assert _current_wakeup_fd() == write_end.fileno()
