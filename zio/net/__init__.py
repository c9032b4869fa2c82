"""zio's native networking API: small, typed, structured.

::

    import zio, zio.net

    def handle(stream: zio.net.Stream) -> None:
        while data := stream.recv():
            stream.sendall(data)

    def main() -> None:
        with zio.net.listen_tcp("127.0.0.1", 0) as listener:
            print("listening on", listener.address)
            listener.serve(handle)

    zio.run(main)

Streams (:class:`Stream`) come from :func:`connect_tcp` (happy eyeballs
across address families), :func:`connect_unix` or :meth:`Listener.accept`;
listeners from :func:`listen_tcp` / :func:`listen_unix` (backlog: the
system maximum); datagram sockets from :func:`bind_udp` /
:func:`connect_udp`.  Timeouts are cancel scopes (``zio.fail_after``).
"""

from ._common import IncompleteReadError, LimitOverrunError, default_backlog
from .listener import Listener
from .stream import Stream
from .tcp import connect_tcp, listen_tcp
from .udp import DatagramSocket, bind_udp, connect_udp
from .unix import connect_unix, listen_unix

__all__ = [
    "DatagramSocket",
    "IncompleteReadError",
    "LimitOverrunError",
    "Listener",
    "Stream",
    "bind_udp",
    "connect_tcp",
    "connect_udp",
    "connect_unix",
    "default_backlog",
    "listen_tcp",
    "listen_unix",
]
