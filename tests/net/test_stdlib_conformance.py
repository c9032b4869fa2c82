"""Regression tests for stdlib behaviours of the green network modules that CPython's own suite checks.

Each test here pins a difference found by running ``tests/stdlib/run_stdlib.py``
under zio (the CPython test it mirrors is named in the docstring).
"""

from __future__ import annotations

import select as stdselect
import sys

import pytest

import zio.green.select as gselect
import zio.green.socket as gs


def test_select_reads_a_list_mutated_by_fileno(run) -> None:
    """test_select.test_select_mutated: fileno() calls that shrink the list are seen, as in C."""

    def main():
        def check(select_fn):
            a: list = []

            class F:
                def fileno(self):
                    del a[-1]
                    return sys.__stdout__.fileno()

            a[:] = [F()] * 10
            return select_fn([], a, [], 0), a[:]

        (r, w, x), rest = check(gselect.select)
        (sr, sw, sx), srest = check(stdselect.select)
        assert len(rest) == len(srest) == 5
        assert (r, len(w), x) == (sr, len(sw), sx) == ([], 5, [])

    run(main)


def test_select_calls_fileno_once_per_object_even_when_waiting(run) -> None:
    """The slow path (nothing ready at first) must not call fileno() again on every re-check."""

    def main():
        a, b = gs.socketpair()
        calls = []

        class Wrapped:
            def fileno(self):
                calls.append(1)
                return a.fileno()

        w = Wrapped()
        assert gselect.select([w], [], [], 0.02) == ([], [], [])
        assert len(calls) == 1
        b.send(b"x")
        assert gselect.select([w], [], [], 1) == ([w], [], [])
        assert len(calls) == 2
        with pytest.raises(TypeError, match="arguments 1-3 must be sequences"):
            gselect.select(3, [], [], 0)
        a.close(), b.close()

    run(main)


def test_poll_type_is_not_instantiable(run) -> None:
    """test_select.test_disallow_instantiation: ``type(select.poll())()`` raises like CPython."""

    def main():
        p = gselect.poll()
        tp = type(p)
        assert (tp.__module__, tp.__name__) == ("select", "poll")
        with pytest.raises(TypeError, match=r"cannot create 'select\.poll' instances"):
            tp()
        with pytest.raises(TypeError, match=r"cannot create 'select\.poll' instances"):
            type(stdselect.poll())()
        assert p.poll(0) == []

    run(main)
