"""Low-level event-loop access: drive a "C library" that hands you fds and timers.

Libraries such as pycurl (multi-socket API) or psycopg2 (wait callback) say
"tell me when fd N is readable" and "call me back in T seconds".  zio's loop
layer gives a running hub exactly that: persistent fd watchers, one-shot
timers and thread-safe callbacks.  Here a pipe stands in for the library's
socket, a worker thread for its background thread.

Run: python examples/loop_integration.py
"""

from __future__ import annotations

import os
import threading

import zio


def main() -> None:
    loop = zio.current_loop()
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    received: list[bytes] = []
    finished = zio.current_task()
    done = {"flag": False}

    def on_readable(error: OSError | None) -> None:
        # Runs inside the hub: must not block.  error is set if the fd went bad.
        if error is not None:
            print("fd failed:", error)
            return
        data = os.read(read_fd, 4096)
        received.append(data)
        if b"stop" in data:
            loop.remove_reader(read_fd)
            done["flag"] = True

    loop.add_reader(read_fd, on_readable)

    # A timer: the library's "call me back in 50 ms".
    loop.call_later(0.05, os.write, write_fd, b"timer fired;")

    # A foreign thread reporting back into the hub, safely.
    def worker() -> None:
        loop.call_soon_threadsafe(os.write, write_fd, b"thread says hi;stop")

    timer = loop.call_later(0.1, lambda: threading.Thread(target=worker).start())
    while not done["flag"]:
        zio.sleep(0.01)
    timer.cancel()
    os.close(read_fd)
    os.close(write_fd)
    print(f"task {finished.name!r} received: {b''.join(received).decode()}")


if __name__ == "__main__":
    zio.run(main)
