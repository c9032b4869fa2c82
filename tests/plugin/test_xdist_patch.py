"""``pytest -n 2 --zio-patch`` on a generated suite doing real loopback network I/O.

This is the gevent + xdist hang: execnet's I/O threads must stay real OS
threads in the controller and in every worker while everything the tests
use is patched.  It runs against the real patching layer (zio.patch.all()).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = r'''
import socket
import threading

import zio.patch

# Imported after the plugin applied the patch: the conftest sees the patched stdlib.
assert zio.patch.is_patched("socket"), "conftest imported before zio.patch.all()"
assert zio.patch.is_patched("threading") or zio.patch.is_patched("_thread")
PATCHED_SOCKET = socket.socket
'''

SUITE = r'''
import socket
import socketserver
import threading
import time

import pytest
import conftest


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            if data.startswith(b"slow:"):
                time.sleep(0.2)  # patched: parks this fiber only
            self.request.sendall(data)


@pytest.fixture
def server():
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv.server_address
    srv.shutdown()
    srv.server_close()
    thread.join()


def roundtrip(address, payload):
    with socket.create_connection(address) as conn:
        conn.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = conn.recv(65536)
            assert chunk, "server closed early"
            got += chunk
    return got


@pytest.mark.parametrize("n", range(22))
def test_echo(server, n):
    assert socket.socket is conftest.PATCHED_SOCKET
    payload = bytes([n]) * (1000 * (n + 1))
    assert roundtrip(server, payload) == payload


def test_many_concurrent_clients_are_concurrent(server):
    # 20 "threads" (fibers under the patch) each wait 0.2 s at the server:
    # concurrently that is ~0.2 s, serially it would be 4 s.
    results = []
    start = time.monotonic()
    threads = [
        threading.Thread(target=lambda i=i: results.append(roundtrip(server, b"slow:%d" % i))) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert sorted(results) == sorted(b"slow:%d" % i for i in range(20))
    assert elapsed < 2.0, elapsed


def test_urllib_against_a_local_http_server():
    import http.server
    import urllib.request

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"hello from " + self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = "http://%s:%d/zio" % httpd.server_address
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"hello from /zio"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
'''


def test_xdist_workers_run_a_patched_network_suite(zio_pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    zio_pytester.makeconftest(CONFTEST)
    zio_pytester.makepyfile(test_network=SUITE)
    result = zio_pytester.runpytest_subprocess(
        *plugin_args, "-n", "2", "--zio-patch", "-p", "no:cacheprovider", "-q", timeout=90
    )
    result.assert_outcomes(passed=24)
    # Both workers really ran tests.
    assert result.ret == 0


def test_patch_from_the_ini_file_and_a_clear_error_without_it(
    zio_pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    zio_pytester.makeini("[pytest]\nzio_patch = true\n")
    zio_pytester.makeconftest(CONFTEST)
    zio_pytester.makepyfile(
        test_one="""
        import socket, threading, zio.patch

        def test_patched():
            assert zio.patch.is_patched("socket")
            a, b = socket.socketpair()
            t = threading.Thread(target=lambda: b.sendall(b"ping"))
            t.start()
            assert a.recv(4) == b"ping"
            t.join()
            a.close(); b.close()
        """
    )
    result = zio_pytester.runpytest_subprocess(*plugin_args, "-p", "no:cacheprovider", "-q", timeout=60)
    result.assert_outcomes(passed=1)


def test_apply_patch_without_a_patch_layer_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from zio import pytest_plugin

    monkeypatch.setitem(__import__("sys").modules, "zio.patch", types.ModuleType("zio.patch"))
    with pytest.raises(pytest.UsageError, match=r"needs zio\.patch\.all\(\)"):
        pytest_plugin.apply_patch()
