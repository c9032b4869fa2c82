"""Sequencer: forced interleavings."""

from __future__ import annotations

import pytest

import zio
from zio.testing import Sequencer, wait_all_tasks_blocked


def test_blocks_run_in_position_order(run):
    seq = Sequencer()
    log = []

    def a():
        with seq(2):
            log.append("a2")
        with seq(3):
            zio.sleep(0.001)  # blocking inside a block holds the sequence
            log.append("a3")

    def b():
        with seq(0):
            log.append("b0")
        with seq(1):
            log.append("b1")
        with seq(4):
            log.append("b4")

    def main():
        with zio.Group() as g:
            g.spawn(a)
            g.spawn(b)

    run(main)
    assert log == ["b0", "b1", "a2", "a3", "b4"]


def test_position_reuse_and_bad_positions_are_errors(run):
    def main():
        seq = Sequencer()
        with seq(0):
            pass
        with pytest.raises(RuntimeError, match="already used"):
            with seq(0):
                pass
        with pytest.raises(ValueError):
            with seq(-1):
                pass

    run(main)


def test_cancelled_waiter_breaks_the_sequence(run):
    seq = Sequencer()
    errors = []

    def later():
        try:
            with seq(2):
                pass
        except RuntimeError as exc:
            errors.append(str(exc))

    def main():
        with zio.Group() as g:
            g.spawn(later)
            with zio.move_on_after(0.01):
                with seq(1):  # position 0 never comes
                    pass
            wait_all_tasks_blocked()
        assert errors and "broken" in errors[0]
        with pytest.raises(RuntimeError, match="broken"):
            with seq(0):
                pass

    run(main)
