"""Unmodified stdlib HTTP code (http.server, urllib.request, http.client, xmlrpc) under zio.patch.

Every server and client runs in one patched interpreter: the point is that
ordinary thread-per-request code becomes concurrent in one OS thread.
"""

from __future__ import annotations

import pytest

from ._patched import run_patched

pytestmark = pytest.mark.skipif(
    not __import__("zio.patch").patch.available("socket"), reason="zio.green.socket is not available"
)

SERVER = """
import http.server, json, os, threading, time
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay = float(os.environ.get("DELAY", "0.1"))
    natives = set()
    def do_GET(self):
        Handler.natives.add(threading.get_native_id())
        time.sleep(self.delay)
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}"
"""


def test_hundred_concurrent_urllib_requests_in_one_os_thread(tmp_path) -> None:
    r = run_patched(
        SERVER
        + """
import os, urllib.request
from concurrent.futures import ThreadPoolExecutor
def fetch(i):
    Handler.natives.add(threading.get_native_id())
    with urllib.request.urlopen(f"{BASE}/item/{i}", timeout=10) as resp:
        return json.loads(resp.read())["path"]
t0 = time.monotonic()
with ThreadPoolExecutor(max_workers=100) as ex:
    paths = list(ex.map(fetch, range(100)))
elapsed = time.monotonic() - t0
print(json.dumps({"elapsed": elapsed, "ok": paths == [f"/item/{i}" for i in range(100)],
                  "app_os_threads": len(Handler.natives)}))
""",
        tmp_path,
        env={"DELAY": "0.1"},
    ).check()
    assert r["ok"]
    # Sequentially 10 s; concurrently one delay plus the CPU of 100 requests
    # on both ends (~0.3-0.5 s here): well under 1 s, as the issue asks.
    assert r["elapsed"] < 1.0, r
    assert r["app_os_threads"] == 1  # every handler and client ran in the main OS thread


def test_burst_of_clients_does_not_hit_the_syn_retransmit_cliff(tmp_path) -> None:
    # socketserver listens with a backlog of 5; 50 clients connecting in one
    # burst would overflow it and wait ~1 s for SYN retransmission.
    r = run_patched(
        SERVER
        + """
import urllib.request
results = []
def fetch(i):
    results.append(urllib.request.urlopen(f"{BASE}/{i}", timeout=10).status)
t0 = time.monotonic()
threads = [threading.Thread(target=fetch, args=(i,)) for i in range(50)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"elapsed": time.monotonic() - t0, "statuses": sorted(set(results)), "n": len(results)}))
""",
        tmp_path,
        env={"DELAY": "0.2"},
    ).check()
    assert r["n"] == 50 and r["statuses"] == [200]
    assert r["elapsed"] < 1.0, r


def test_http_client_keepalive_and_post(tmp_path) -> None:
    r = run_patched(
        SERVER
        + """
import http.client
conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
paths = []
for i in range(3):  # one connection, three requests (HTTP/1.1 keep-alive)
    conn.request("GET", f"/k{i}")
    paths.append(json.loads(conn.getresponse().read())["path"])
conn.request("POST", "/echo", body=b"x" * 100000)
echoed = len(conn.getresponse().read())
conn.close()
print(json.dumps({"paths": paths, "echoed": echoed}))
""",
        tmp_path,
        env={"DELAY": "0"},
    ).check()
    assert r == {"paths": ["/k0", "/k1", "/k2"], "echoed": 100000}


def test_urllib_timeout_is_honoured(tmp_path) -> None:
    r = run_patched(
        SERVER
        + """
import socket, urllib.request, urllib.error
t0 = time.monotonic()
try:
    urllib.request.urlopen(f"{BASE}/slow", timeout=0.2)
except (TimeoutError, socket.timeout, urllib.error.URLError) as exc:
    kind = type(exc).__name__
print(json.dumps({"kind": kind, "elapsed": time.monotonic() - t0}))
""",
        tmp_path,
        env={"DELAY": "3"},
    ).check()
    assert r["kind"] in ("TimeoutError", "timeout", "URLError")
    assert 0.15 < r["elapsed"] < 1.5, r


def test_xmlrpc_threaded_server_serves_concurrently(tmp_path) -> None:
    r = run_patched(
        """
import json, socketserver, threading, time
from concurrent.futures import ThreadPoolExecutor
from xmlrpc.server import SimpleXMLRPCServer, SimpleXMLRPCRequestHandler
from xmlrpc.client import ServerProxy
class Server(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
class Quiet(SimpleXMLRPCRequestHandler):
    def log_message(self, *a): pass
server = Server(("127.0.0.1", 0), requestHandler=Quiet, allow_none=True)
def slow_add(a, b):
    time.sleep(0.1)
    return a + b
server.register_function(slow_add)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/"
t0 = time.monotonic()
with ThreadPoolExecutor(20) as ex:
    sums = list(ex.map(lambda i: ServerProxy(url).slow_add(i, i), range(20)))
print(json.dumps({"sums": sums, "elapsed": time.monotonic() - t0}))
""",
        tmp_path,
    ).check()
    assert r["sums"] == [2 * i for i in range(20)]
    assert r["elapsed"] < 0.8, r


def test_threading_tcp_server_echo_many_clients(tmp_path) -> None:
    r = run_patched(
        """
import json, socket, socketserver, threading, time
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            time.sleep(0.05)
            self.wfile.write(line.upper())
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
replies = {}
def client(i):
    with socket.create_connection(server.server_address, timeout=5) as s:
        f = s.makefile("rwb")
        got = []
        for j in range(3):
            f.write(f"c{i}m{j}\\n".encode()); f.flush()
            got.append(f.readline().decode().strip())
        replies[i] = got
t0 = time.monotonic()
threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - t0
ok = all(replies[i] == [f"C{i}M{j}" for j in range(3)] for i in range(100))
server.shutdown(); server.server_close()
print(json.dumps({"ok": ok, "n": len(replies), "elapsed": elapsed}))
""",
        tmp_path,
    ).check()
    assert r["ok"] and r["n"] == 100
    assert r["elapsed"] < 1.0, r  # 100 clients x 3 round trips of 50 ms each, sequentially 15 s


def test_smtplib_against_a_local_smtp_server(tmp_path) -> None:
    r = run_patched(
        """
import json, smtplib, socketserver, threading, time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
received = []
class SMTPHandler(socketserver.StreamRequestHandler):
    # Just enough of RFC 5321 for smtplib.send_message.
    def reply(self, line):
        self.wfile.write(line.encode() + b"\\r\\n")
    def handle(self):
        self.reply("220 localhost ready")
        data_mode, lines = False, []
        for raw in self.rfile:
            line = raw.decode().rstrip("\\r\\n")
            if data_mode:
                if line == ".":
                    data_mode = False
                    time.sleep(0.1)  # a slow mail store
                    received.append("\\n".join(lines)); lines = []
                    self.reply("250 queued")
                else:
                    lines.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "DATA":
                data_mode = True
                self.reply("354 go ahead")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
def send(i):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", f"hello {i}"
    msg.set_content("body")
    with smtplib.SMTP(*server.server_address, timeout=5) as smtp:
        smtp.send_message(msg)
t0 = time.monotonic()
with ThreadPoolExecutor(20) as ex:
    list(ex.map(send, range(20)))
elapsed = time.monotonic() - t0
subjects = sorted(int(m.split("Subject: hello ")[1].split("\\n")[0]) for m in received)
print(json.dumps({"subjects": subjects, "elapsed": elapsed}))
""",
        tmp_path,
    ).check()
    assert r["subjects"] == list(range(20))
    assert r["elapsed"] < 1.0, r
