"""redis-py, unmodified, against a real redis-server under zio.patch.

The server runs outside the patched program (one per xdist worker); every
client "thread" in the program is a fiber in one OS thread.
"""

from __future__ import annotations

import pytest

from . import _servers
from ._patched import run_patched

pytestmark = pytest.mark.skipif(
    not __import__("zio.patch").patch.available("socket"), reason="zio.green.socket is not available"
)


@pytest.fixture(scope="session")
def redis_port():
    """Port of a private redis-server on 127.0.0.1 (fails, not skips, if redis-server is missing)."""
    _servers.require_module("redis", "redis>=5")
    with _servers.redis_server() as port:
        yield port


PRELUDE = """
import json, os, threading, time
import redis
PORT = int(os.environ["REDIS_PORT"])
NATIVES = set()
def client(db=0):
    return redis.Redis(host="127.0.0.1", port=PORT, db=db, socket_timeout=10, decode_responses=True)
"""


def test_redis_commands_pipeline_and_pubsub(tmp_path, redis_port) -> None:
    r = run_patched(
        PRELUDE
        + """
r = client(1)
r.flushdb()
r.set("greeting", "hello")
got = r.get("greeting")
incr = [r.incr("counter") for _ in range(5)][-1]
# A transactional pipeline: all or nothing, results in order.
with r.pipeline(transaction=True) as pipe:
    pipe.set("a", 1).incrby("a", 41).lpush("list", "x", "y").lrange("list", 0, -1)
    piped = pipe.execute()
# WATCH: a concurrent change aborts the transaction.
with r.pipeline() as pipe:
    pipe.watch("a")
    client(1).set("a", 0)  # another connection changes the watched key
    pipe.multi(); pipe.set("a", 100)
    try:
        pipe.execute(); watch_aborted = False
    except redis.WatchError:
        watch_aborted = True
# Errors come back as exceptions and the connection stays usable.
try:
    r.lpush("greeting", "x"); wrong_type = None
except redis.ResponseError as exc:
    wrong_type = str(exc).split()[0]

# socket_timeout works through the green socket: a BLPOP longer than it times out.
from redis.backoff import NoBackoff
from redis.retry import Retry
impatient = redis.Redis(host="127.0.0.1", port=PORT, db=1, socket_timeout=0.2, retry=Retry(NoBackoff(), 0))
t0 = time.monotonic()
try:
    impatient.blpop(["never"], timeout=5); socket_timeout_after = None
except redis.TimeoutError:
    socket_timeout_after = time.monotonic() - t0
impatient.close()

# Pub/sub: a subscriber thread blocks in listen() while this thread publishes.
received, subscribed, done = [], threading.Event(), threading.Event()
def subscriber():
    NATIVES.add(threading.get_native_id())
    p = client(1).pubsub()
    p.subscribe("news")
    for msg in p.listen():
        if msg["type"] == "subscribe":
            subscribed.set()
        elif msg["type"] == "message":
            if msg["data"] == "stop":
                break
            received.append(msg["data"])
    p.close()
    done.set()
t = threading.Thread(target=subscriber); t.start()
assert subscribed.wait(10)
NATIVES.add(threading.get_native_id())
# While the subscriber is parked in listen(), this fiber keeps making round trips.
round_trips = sum(1 for i in range(50) if r.ping())
listeners = [r.publish("news", f"m{i}") for i in range(20)]
r.publish("news", "stop")
t.join(10)
print(json.dumps({"got": got, "incr": incr, "piped": piped, "watch_aborted": watch_aborted,
                  "final_a": r.get("a"), "wrong_type": wrong_type, "received": received,
                  "socket_timeout_after": socket_timeout_after, "listeners": listeners,
                  "round_trips": round_trips, "done": done.is_set(),
                  "os_threads": len(NATIVES)}))
""",
        tmp_path,
        env={"REDIS_PORT": str(redis_port)},
    ).check()
    assert r["got"] == "hello" and r["incr"] == 5
    assert r["piped"] == [True, 42, 2, ["y", "x"]]
    assert r["watch_aborted"] and r["final_a"] == "0"
    assert r["wrong_type"] == "WRONGTYPE"
    assert 0.2 <= r["socket_timeout_after"] < 2.0, r  # not the 5 s of the BLPOP
    assert r["received"] == [f"m{i}" for i in range(20)]
    assert r["listeners"] == [1] * 20  # the subscriber was subscribed for every publish
    assert r["round_trips"] == 50 and r["done"]
    assert r["os_threads"] == 1


def test_hundred_blocking_redis_clients_in_one_os_thread(tmp_path, redis_port) -> None:
    # BLPOP blocks per connection on the server (unlike DEBUG SLEEP, which
    # stalls the whole server), so 100 clients can wait at once only if the
    # client side is concurrent.
    r = run_patched(
        PRELUDE
        + """
from concurrent.futures import ThreadPoolExecutor
pool = redis.BlockingConnectionPool(host="127.0.0.1", port=PORT, db=2, max_connections=100,
                                    socket_timeout=10, decode_responses=True)
r = redis.Redis(connection_pool=pool)
r.flushdb()
def timed_out_pop(i):
    NATIVES.add(threading.get_native_id())
    return r.blpop([f"empty:{i}"], timeout=0.2)
t0 = time.monotonic()
with ThreadPoolExecutor(max_workers=100) as ex:
    timeouts = list(ex.map(timed_out_pop, range(100)))
timeout_phase = time.monotonic() - t0

# Phase 2: 100 clients blocked at the server at the same time, then served.
def served_pop(i):
    NATIVES.add(threading.get_native_id())
    return r.blpop([f"job:{i}"], timeout=10)
t0 = time.monotonic()
ex = ThreadPoolExecutor(max_workers=100)
futures = [ex.submit(served_pop, i) for i in range(100)]
watcher = client(2)
blocked = 0
deadline = time.monotonic() + 5
while blocked < 100 and time.monotonic() < deadline:
    blocked = watcher.info("clients")["blocked_clients"]  # the server's own count of parked BLPOPs
    time.sleep(0.01)
NATIVES.add(threading.get_native_id())
for i in range(100):
    watcher.rpush(f"job:{i}", f"payload{i}")
served = [f.result(timeout=10) for f in futures]
ex.shutdown()
served_phase = time.monotonic() - t0
print(json.dumps({"timeouts": timeouts, "timeout_phase": timeout_phase, "blocked": blocked,
                  "served": served, "served_phase": served_phase, "os_threads": len(NATIVES)}))
""",
        tmp_path,
        env={"REDIS_PORT": str(redis_port)},
    ).check()
    assert r["timeouts"] == [None] * 100
    # Serially these 100 timeouts take 20 s; concurrently 0.3-0.8 s here (redis
    # checks BLPOP timeouts 10 times a second; the 2-core machine is shared).
    assert 0.2 <= r["timeout_phase"] < 3.0, r["timeout_phase"]
    assert r["blocked"] == 100
    assert r["served"] == [[f"job:{i}", f"payload{i}"] for i in range(100)]
    assert r["served_phase"] < 5, r["served_phase"]
    assert r["os_threads"] == 1
