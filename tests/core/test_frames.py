"""zio._core._frames.current_frames: sys._current_frames() with collection off (python/cpython#106883)."""

from __future__ import annotations

import gc
import sys
import threading

from zio._core import _frames


def test_frames_of_every_thread_and_collection_state_restored() -> None:
    started, release = threading.Event(), threading.Event()

    def body() -> None:
        started.set()
        release.wait()

    t = threading.Thread(target=body)
    t.start()
    started.wait()
    try:
        assert gc.isenabled()
        frames = _frames.current_frames()
        assert threading.get_ident() in frames and t.ident in frames
        assert gc.isenabled()  # switched back on
        gc.disable()
        try:
            _frames.current_frames()
            assert not gc.isenabled()  # left off when it was off
        finally:
            gc.enable()
    finally:
        release.set()
        t.join()


def test_collection_is_off_while_the_frames_are_gathered(monkeypatch) -> None:
    # The deadlock needs a collection *inside* the call: observe the state
    # the call runs in.
    seen = []

    def spy():
        seen.append(gc.isenabled())
        return {}

    monkeypatch.setattr(sys, "_current_frames", spy)
    assert _frames.current_frames() == {}
    assert seen == [False] and gc.isenabled()
