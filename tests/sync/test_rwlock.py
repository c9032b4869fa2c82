"""RwLock: shared readers, exclusive writer, FIFO with writer preference."""

from __future__ import annotations

import pytest

import zio
from zio.sync import RwLock

from ._util import wait_until


def test_readers_share_writer_excludes(run):
    def main():
        rw = RwLock()
        assert rw.acquire_read() and rw.try_acquire_read()  # re-entrant read

        def other_reader():
            with rw.read():
                return rw.statistics().readers

        assert zio.spawn(other_reader).join() == 2
        rw.release_read()
        rw.release_read()
        with rw.write():
            assert rw.statistics().writer is zio.current_task()

            def blocked():
                return rw.try_acquire_read(), rw.acquire_write(timeout=0.01)

            assert zio.spawn(blocked).join() == (False, False)
        assert rw.statistics() == (None, 0, 0, 0)

    run(main)


def test_waiting_writer_blocks_new_readers_and_order_is_fifo(run):
    def main():
        rw = RwLock()
        order = []

        def reader(i):
            with rw.read():
                order.append(f"r{i}")

        def writer():
            with rw.write():
                order.append("w")

        rw.acquire_read()
        with zio.Group() as g:
            g.spawn(writer)
            wait_until(lambda: rw.statistics().tasks_waiting_write == 1)
            g.spawn(reader, 1)
            g.spawn(reader, 2)
            wait_until(lambda: rw.statistics().tasks_waiting_read == 2)
            rw.release_read()
        assert order == ["w", "r1", "r2"]

    run(main)


def test_cancelled_writer_lets_queued_readers_in(run):
    def main():
        rw = RwLock()
        rw.acquire_read()
        with zio.Group() as g:
            w = g.spawn(rw.acquire_write)
            wait_until(lambda: rw.statistics().tasks_waiting_write == 1)
            r = g.spawn(lambda: (rw.acquire_read(), rw.release_read()))
            wait_until(lambda: rw.statistics().tasks_waiting_read == 1)
            w.cancel()
            wait_until(r.done)
        assert w.cancelled() and r.result() == (True, None)
        rw.release_read()

    run(main)


def test_misuse_is_an_error(run):
    def main():
        rw = RwLock()
        with pytest.raises(RuntimeError):
            rw.release_read()
        with pytest.raises(RuntimeError):
            rw.release_write()
        with rw.read():
            with pytest.raises(RuntimeError, match="upgrade"):
                rw.acquire_write()
        with rw.write():
            with pytest.raises(RuntimeError):
                rw.acquire_write()
            with pytest.raises(RuntimeError):
                rw.acquire_read()

    run(main)
