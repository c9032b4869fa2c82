"""requests / urllib3, unmodified, over HTTP and HTTPS (trustme certificates) under zio.patch."""

from __future__ import annotations

import pytest

from ._patched import run_patched

pytest.importorskip("requests")
pytest.importorskip("trustme")
pytestmark = pytest.mark.skipif(
    not (__import__("zio.patch").patch.available("socket") and __import__("zio.patch").patch.available("ssl")),
    reason="zio.green.socket / zio.green.ssl are not available",
)

PROGRAM = """
import http.server, json, ssl, threading, time
import trustme
import requests, urllib3
USE_TLS = {tls}
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    natives = set()
    def do_GET(self):
        Handler.natives.add(threading.get_native_id())
        time.sleep(0.1)
        body = json.dumps({{"path": self.path}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
ca = trustme.CA()
if USE_TLS:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
scheme = "https" if USE_TLS else "http"
base = f"{{scheme}}://localhost:{{server.server_address[1]}}"
with ca.cert_pem.tempfile() as ca_file:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=100)
    session.mount(scheme + "://", adapter)
    def fetch(i):
        Handler.natives.add(threading.get_native_id())
        r = session.get(f"{{base}}/r/{{i}}", timeout=10, verify=ca_file)
        r.raise_for_status()
        return r.json()["path"]
    t0 = time.monotonic()
    threads, out = [], {{}}
    for i in range(100):
        t = threading.Thread(target=lambda i=i: out.__setitem__(i, fetch(i)))
        t.start(); threads.append(t)
    for t in threads: t.join()
    elapsed = time.monotonic() - t0
    # urllib3 directly, with its own pool and the CA
    pool = urllib3.PoolManager(ca_certs=ca_file, maxsize=10)
    direct = pool.request("GET", f"{{base}}/direct", timeout=5).json()["path"]
    # verification still fails without the CA
    try:
        requests.get(f"{{base}}/x", timeout=5)
        verify_failed = not USE_TLS
    except requests.exceptions.SSLError:
        verify_failed = True
print(json.dumps({{"ok": [out[i] for i in range(100)] == [f"/r/{{i}}" for i in range(100)],
                  "elapsed": elapsed, "direct": direct, "verify_failed": verify_failed,
                  "app_os_threads": len(Handler.natives)}}))
"""


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_requests_hundred_concurrent_requests(tmp_path, tls: bool) -> None:
    r = run_patched(PROGRAM.format(tls=tls), tmp_path, timeout=90).check()
    assert r["ok"] and r["direct"] == "/direct" and r["verify_failed"]
    assert r["app_os_threads"] == 1
    # Sequentially this takes 10 s; the issue asks for well under 1 s (0.3 s
    # here).  TLS handshakes cost CPU (about 5 ms for both ends of each, 0.5 s
    # in all here), so HTTPS gets more room on a loaded 2-core machine.
    assert r["elapsed"] < (2.0 if tls else 1.0), r
