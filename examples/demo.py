"""zio in one screen: 10,000 concurrent fibers sleeping and echoing over loopback.

Each fiber sleeps a random 0-200 ms, connects to an echo server (also a zio
fiber per connection, written with the native ``zio.net`` API), sends three
lines with a 100 ms pause while holding the connection open, checks every
echo, and closes.  Everything runs in one OS thread.

Run: python examples/demo.py [--fibers 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import zio
import zio.net
from zio.sync import CapacityLimiter


def echo(stream: zio.net.Stream) -> None:
    """Server side of one connection: send every line back."""
    with stream:
        while line := stream.readline():
            stream.sendall(line)


def client(i: int, port: int, limiter: CapacityLimiter, stats: dict) -> None:
    """Sleep, connect, send three lines and check each echo."""
    delay = random.uniform(0, 0.2)
    zio.sleep(delay)
    stats["slept"] += delay
    with limiter, zio.net.connect_tcp("127.0.0.1", port) as stream:
        stats["open"] += 1
        stats["peak_open"] = max(stats["peak_open"], stats["open"])
        for k in range(3):
            message = f"fiber {i} says hello #{k}\n".encode()
            stream.sendall(message)
            if stream.readline() != message:
                raise AssertionError(f"fiber {i}: echo mismatch")
            stats["echoed"] += 1
            if k == 0:
                zio.sleep(0.1)  # hold the connection open while others arrive
                stats["slept"] += 0.1
        stats["open"] -= 1


def main(fibers: int) -> None:
    # Each open connection costs two fds here (client and server side).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limiter = CapacityLimiter(max(16, min(fibers, (hard - 100) // 2)))
    stats = {"slept": 0.0, "echoed": 0, "open": 0, "peak_open": 0}
    started = time.perf_counter()
    with zio.net.listen_tcp("127.0.0.1", 0) as listener, zio.Group() as server:
        server.spawn(listener.serve, echo)
        with zio.Group() as clients:
            for i in range(fibers):
                clients.spawn(client, i, listener.port, limiter, stats)
        server.cancel()
    elapsed = time.perf_counter() - started
    print(f"{fibers:,} client fibers (+ one server fiber per connection) in one OS thread")
    print(f"  echoed {stats['echoed']:,} lines over {fibers:,} loopback TCP connections")
    print(f"  peak concurrently open connections: {stats['peak_open']:,}")
    print(f"  total time slept across fibers: {stats['slept']:,.1f} s")
    print(f"  wall time: {elapsed:.2f} s  (backend: {zio.current_loop().name})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fibers", type=int, default=10_000)
    zio.run(main, parser.parse_args().fibers)
