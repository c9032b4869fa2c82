"""A TCP echo server written against the plain stdlib (socketserver + threads).

    python examples/echo_stdlib.py [HOST] [PORT]

The server code below is ordinary blocking Python.  Run as a script, it
applies zio's patching layer first (``zio.patch.all()``), so every "thread"
is a fiber and every socket call cooperative; imported, it leaves the choice
to the importer (benchmarks/bench_echo.py runs the same code under
gevent.monkey and with real threads).
"""

from __future__ import annotations

import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    """Send back every byte until the client closes its side."""

    def handle(self) -> None:
        sock = self.request
        while data := sock.recv(65536):
            sock.sendall(data)


class EchoServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """One thread (under zio: one fiber) per connection."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 4096


def main(host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve forever on ``(host, port)``, printing the bound port first."""
    with EchoServer((host, port), EchoHandler) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    import zio.patch

    zio.patch.all()
    args = sys.argv[1:]
    try:
        main(args[0] if args else "127.0.0.1", int(args[1]) if len(args) > 1 else 0)
    except KeyboardInterrupt:
        pass
