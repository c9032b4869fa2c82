"""A TCP echo server on zio's native API (zio.net).

    python examples/echo_native.py [HOST] [PORT]

Prints the bound port (PORT 0, the default, picks a free one) and serves
until interrupted.  Each connection is a fiber; errors in one connection
are logged and do not stop the server.
"""

from __future__ import annotations

import sys

import zio
import zio.net


def echo(stream: zio.net.Stream) -> None:
    """Send back every byte until the client closes its side."""
    while data := stream.recv():
        stream.sendall(data)


def main(host: str = "127.0.0.1", port: int = 0) -> None:
    """Listen on ``(host, port)`` and echo on every connection, forever."""
    with zio.net.listen_tcp(host, port) as listener:
        print(listener.port, flush=True)
        listener.serve(echo)


if __name__ == "__main__":
    args = sys.argv[1:]
    try:
        zio.run(main, args[0] if args else "127.0.0.1", int(args[1]) if len(args) > 1 else 0)
    except KeyboardInterrupt:
        pass
