"""A small line-based chat server written with plain blocking stdlib code.

Nothing here knows about zio: one thread per client, blocking sockets,
``time.sleep``.  Run under ``zio.patch.all()`` (the test suite does, through
the pytest plugin's ``zio_patch = true``) every "thread" is a fiber and every
blocking call parks only its own fiber.
"""

from __future__ import annotations

import socket
import socketserver
import threading


class ChatServer(socketserver.ThreadingTCPServer):
    """Broadcasts every line a client sends to every other connected client."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        super().__init__(address, _Client)
        self.clients: set[socket.socket] = set()
        self.lock = threading.Lock()

    def broadcast(self, sender: socket.socket, line: bytes) -> None:
        with self.lock:
            others = [c for c in self.clients if c is not sender]
        for client in others:
            try:
                client.sendall(line)
            except OSError:
                pass  # that client is leaving; its own handler cleans up

    def start(self) -> threading.Thread:
        """Serve in a background thread; returns it (join it after :meth:`shutdown`)."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="chat-server")
        thread.start()
        return thread


class _Client(socketserver.StreamRequestHandler):
    server: ChatServer

    def handle(self) -> None:
        with self.server.lock:
            self.server.clients.add(self.request)
        # Tell the client it is registered: from now on it receives broadcasts.
        self.wfile.write(b"* welcome\n")
        try:
            for line in self.rfile:
                self.server.broadcast(self.request, line)
        finally:
            with self.server.lock:
                self.server.clients.discard(self.request)
