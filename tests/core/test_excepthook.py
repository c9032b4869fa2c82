"""Errors nobody retrieves are reported through the task excepthook, never dropped."""

from __future__ import annotations

import gc

import pytest

import zio


@pytest.fixture
def hooked():
    got = []
    old = zio.set_task_excepthook(got.append)
    yield got
    zio.set_task_excepthook(old)


def _fail(msg):
    raise ValueError(msg)


def test_unjoined_task_error_reaches_the_hook_with_the_task_name(run, hooked):
    def main():
        t = zio.spawn(_fail, "nobody joins me")
        t.name = "orphan"
        zio.sleep(0.001)
        assert t.done()

    run(main)
    # No gc.collect(): the report must not wait for the cycle collector.
    assert len(hooked) == 1
    args = hooked[0]
    assert args.exc_type is ValueError
    assert str(args.exc_value) == "nobody joins me"
    assert args.exc_traceback is not None
    assert args.task.name == "orphan"


def test_joined_or_inspected_errors_are_not_reported(run, hooked):
    def main():
        a = zio.spawn(_fail, "joined")
        b = zio.spawn(_fail, "inspected")
        with pytest.raises(ValueError):
            a.join()
        zio.sleep(0.001)
        assert isinstance(b.exception(), ValueError)

    run(main)
    gc.collect()
    assert hooked == []


def test_cancelled_tasks_are_not_errors(run, hooked):
    def main():
        t = zio.spawn(zio.sleep, 10)
        zio.sleep(0)
        t.cancel()
        zio.sleep(0.001)
        assert t.cancelled()

    run(main)
    gc.collect()
    assert hooked == []


def test_default_hook_prints_name_and_traceback(run, capsys):
    def main():
        t = zio.spawn(_fail, "printed")
        t.name = "loud-task"
        zio.sleep(0.001)

    run(main)
    gc.collect()
    err = capsys.readouterr().err
    assert "Exception in zio task 'loud-task'" in err
    assert "ValueError: printed" in err
    assert "_fail" in err  # the traceback


def test_broken_hook_still_shows_the_original_error(run, capsys):
    def broken(args):
        raise RuntimeError("hook is broken")

    old = zio.set_task_excepthook(broken)
    try:

        def main():
            zio.spawn(_fail, "original")
            zio.sleep(0.001)

        run(main)
        gc.collect()
    finally:
        zio.set_task_excepthook(old)
    err = capsys.readouterr().err
    assert "hook is broken" in err and "ValueError: original" in err


def test_set_and_get_hook(hooked):
    assert zio.get_task_excepthook() == hooked.append
    previous = zio.set_task_excepthook(None)
    try:
        assert previous == hooked.append
        assert zio.get_task_excepthook().__name__ == "default_task_excepthook"
    finally:
        zio.set_task_excepthook(previous)


def test_loop_callback_errors_go_to_the_hook(run, hooked):
    def bad_callback():
        raise KeyError("in a loop callback")

    def main():
        zio.current_loop().call_soon(bad_callback)
        zio.sleep(0.001)

    run(main)
    assert len(hooked) == 1
    assert isinstance(hooked[0].exc_value, KeyError)
    assert "bad_callback" in hooked[0].task.name
