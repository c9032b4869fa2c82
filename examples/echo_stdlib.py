"""A TCP echo server written against the plain stdlib (socketserver + threads).

    python examples/echo_stdlib.py [HOST] [PORT]

The server code below is ordinary blocking Python; run under zio's patching
layer (``zio.patch.all()``, applied at startup), every "thread" is a fiber
and every socket call cooperative.  Where ``zio.patch`` is unavailable,
:func:`_cooperative_socketserver` installs the three pieces socketserver
needs by hand (see its docstring); the server code is the same either way.
"""

from __future__ import annotations

import socketserver
import sys


def _cooperative_socketserver() -> None:
    """Make socketserver cooperative with zio: patching when available, else a minimal stand-in.

    The stand-in points socketserver's module globals at zio's drop-ins:
    ``socket`` -> zio.green.socket, its poll selector -> zio.green.selectors,
    and ``threading.Thread`` (for ThreadingMixIn) -> a fiber-backed Thread.
    """
    import zio

    try:
        import zio.patch as patch
    except ImportError:
        patch = None
    if patch is not None and hasattr(patch, "all"):
        patch.all()
        return
    import types

    import zio.green.selectors
    import zio.green.socket

    class FiberThread:
        """Just enough of threading.Thread for socketserver.ThreadingMixIn."""

        def __init__(self, target=None, args=(), kwargs=None, daemon=None, name=None):
            self._call = (target, args, kwargs or {})
            self.daemon = daemon
            self._task = None

        def start(self) -> None:
            target, args, kwargs = self._call
            self._task = zio.spawn(target, *args, **kwargs)

        def join(self, timeout=None) -> None:
            if self._task is not None:
                self._task.join(timeout)

        def is_alive(self) -> bool:
            return self._task is not None and not self._task.done()

    socketserver.socket = zio.green.socket
    socketserver.selectors = zio.green.selectors
    socketserver._ServerSelector = zio.green.selectors.PollSelector
    fake_threading = types.SimpleNamespace(**vars(socketserver.threading))
    fake_threading.Thread = FiberThread
    socketserver.threading = fake_threading


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
    _cooperative_socketserver()
    args = sys.argv[1:]
    try:
        main(args[0] if args else "127.0.0.1", int(args[1]) if len(args) > 1 else 0)
    except KeyboardInterrupt:
        pass
