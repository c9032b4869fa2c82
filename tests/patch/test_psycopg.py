"""psycopg 3 (C and pure-Python implementations), unmodified, against a real PostgreSQL under zio.patch.

psycopg waits for its socket with its own functions: the C implementation's
``wait_c`` calls poll(2) in C, which zio.patch redirects to psycopg's own
``select.poll``-based wait (see zio/patch/_libraries.py); the pure-Python
implementation waits through ``select``/``selectors`` and is cooperative as
soon as they are patched.  The server runs outside the patched program (one
per xdist worker).
"""

from __future__ import annotations

import pytest

from . import _servers
from ._patched import run_patched

pytestmark = pytest.mark.skipif(
    not (__import__("zio.patch").patch.available("socket") and __import__("zio.patch").patch.available("select")),
    reason="zio.green.socket / zio.green.select are not available",
)

#: PSYCOPG_IMPL values: "binary" (the C implementation from psycopg[binary]) and "python" (ctypes + libpq).
IMPLS = ["binary", "python"]


@pytest.fixture(scope="session")
def pg_dsn():
    """libpq conninfo of a private PostgreSQL on 127.0.0.1 (fails, not skips, if PostgreSQL is missing)."""
    _servers.require_module("psycopg", "psycopg[binary]>=3.1")
    with _servers.postgres_server() as dsn:
        yield dsn


def _env(dsn: str, impl: str) -> dict[str, str]:
    return {"PG_DSN": dsn, "PSYCOPG_IMPL": impl}


PRELUDE = """
import json, os, threading, time
import psycopg
from psycopg import errors
DSN = os.environ["PG_DSN"]
NATIVES = set()
def info():
    return {"impl": psycopg.pq.__impl__, "wait": psycopg.waiting.wait.__name__, "os_threads": len(NATIVES)}
"""


@pytest.mark.parametrize("impl", IMPLS)
def test_psycopg_queries_transactions_copy_errors_notify(tmp_path, pg_dsn, impl: str) -> None:
    r = run_patched(
        PRELUDE
        + """
conn = psycopg.connect(DSN)
conn.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, name text NOT NULL)")
with conn.cursor() as cur:
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, f"n{i}") for i in range(10)])
    cur.execute("SELECT count(*), sum(id), max(name) FROM t WHERE id >= %(lo)s", {"lo": 0})
    counts = list(cur.fetchone())
conn.commit()

# A transaction block rolls back when its body raises.
try:
    with conn.transaction():
        conn.execute("INSERT INTO t VALUES (100, 'gone')")
        raise RuntimeError("undo")
except RuntimeError:
    pass
after_rollback = conn.execute("SELECT count(*) FROM t").fetchone()[0]

# Server errors map to their classes; the connection recovers after rollback.
codes = []
for sql in ("SELECT 1/0", "INSERT INTO t VALUES (1, 'dup')", "SELECT * FROM missing_table"):
    try:
        conn.execute(sql)
    except (errors.DivisionByZero, errors.UniqueViolation, errors.UndefinedTable) as exc:
        codes.append([type(exc).__name__, exc.sqlstate])
    conn.rollback()

# COPY both ways.
with conn.cursor() as cur:
    with cur.copy("COPY t (id, name) FROM STDIN") as copy:
        for i in range(1000, 3000):
            copy.write_row((i, f"c{i}"))
    conn.commit()
    with cur.copy("COPY (SELECT id, name FROM t WHERE id >= 1000 ORDER BY id) TO STDOUT") as copy:
        copy.set_types(["int4", "text"])
        copied = list(copy.rows())

# A server-side (named) cursor streams in batches.
with conn.cursor(name="big") as cur:
    cur.itersize = 100
    cur.execute("SELECT generate_series(1, 5000)")
    streamed = sum(row[0] for row in cur)
conn.commit()

# Pipeline mode.
with conn.pipeline():
    curs = [conn.execute("SELECT %s::int * 2", (i,)) for i in range(20)]
piped = [c.fetchone()[0] for c in curs]
conn.commit()

# statement_timeout: the server cancels the query.
try:
    with conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 100")
        conn.execute("SELECT pg_sleep(5)")
    timed_out = None
except errors.QueryCanceled as exc:
    timed_out = exc.sqlstate

# LISTEN/NOTIFY: a listener thread blocks in notifies() while this one notifies.
listening, received = threading.Event(), []
def listener():
    NATIVES.add(threading.get_native_id())
    with psycopg.connect(DSN, autocommit=True) as lconn:
        lconn.execute("LISTEN news")
        listening.set()
        for note in lconn.notifies(timeout=20):
            if note.payload == "stop":
                break
            received.append(note.payload)
t = threading.Thread(target=listener); t.start()
assert listening.wait(20)
NATIVES.add(threading.get_native_id())
with psycopg.connect(DSN, autocommit=True) as nconn:
    for i in range(10):
        nconn.execute("SELECT pg_notify('news', %s)", (f"m{i}",))
    # While the listener is parked, this thread keeps doing round trips.
    round_trips = sum(nconn.execute("SELECT 1").fetchone()[0] for _ in range(50))
    nconn.execute("SELECT pg_notify('news', 'stop')")
t.join(20)

# Cancel a running query from another thread (psycopg >= 3.2 cancels without blocking).
victim = psycopg.connect(DSN, autocommit=True)
cancelled = []
def long_query():
    NATIVES.add(threading.get_native_id())
    try:
        victim.execute("SELECT pg_sleep(10)")
    except errors.QueryCanceled as exc:
        cancelled.append(exc.sqlstate)
q = threading.Thread(target=long_query); q.start()
watch = psycopg.connect(DSN, autocommit=True)
deadline = time.monotonic() + 10
while time.monotonic() < deadline and not watch.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(10)'"
        ).fetchone()[0]:
    time.sleep(0.01)
t0 = time.monotonic()
getattr(victim, "cancel_safe", victim.cancel)()
q.join(10)
cancel_seconds = time.monotonic() - t0
conn.close(); victim.close(); watch.close()
print(json.dumps({"counts": counts, "after_rollback": after_rollback, "codes": codes,
                  "copied": [len(copied), list(copied[0]), list(copied[-1])], "streamed": streamed,
                  "piped": piped, "timed_out": timed_out, "received": received, "round_trips": round_trips,
                  "listener_done": not t.is_alive(), "cancelled": cancelled, "cancel_seconds": cancel_seconds,
                  **info()}))
""",
        tmp_path,
        env=_env(pg_dsn, impl),
    ).check()
    assert r["impl"] == impl
    assert r["wait"] != "wait_c"  # the C wait would block the whole OS thread
    assert r["counts"] == [10, 45, "n9"]
    assert r["after_rollback"] == 10
    assert r["codes"] == [["DivisionByZero", "22012"], ["UniqueViolation", "23505"], ["UndefinedTable", "42P01"]]
    assert r["copied"] == [2000, [1000, "c1000"], [2999, "c2999"]]
    assert r["streamed"] == 5000 * 5001 // 2
    assert r["piped"] == [2 * i for i in range(20)]
    assert r["timed_out"] == "57014"
    assert r["received"] == [f"m{i}" for i in range(10)] and r["round_trips"] == 50 and r["listener_done"]
    assert r["cancelled"] == ["57014"] and r["cancel_seconds"] < 5
    assert r["os_threads"] == 1


CONCURRENCY = """
from concurrent.futures import ThreadPoolExecutor
N = 50
ex = ThreadPoolExecutor(max_workers=N)
def connect(i):
    NATIVES.add(threading.get_native_id())
    return psycopg.connect(DSN, autocommit=True)
t0 = time.monotonic()
conns = list(ex.map(connect, range(N)))
connect_phase = time.monotonic() - t0

def nap(conn):
    NATIVES.add(threading.get_native_id())
    return conn.execute("SELECT pg_sleep(0.2), pg_backend_pid()").fetchone()[1]
t0 = time.monotonic()
pids = list(ex.map(nap, conns))
sleep_phase = time.monotonic() - t0

# All N sessions blocked at the server at once: they wait for an advisory
# lock this connection holds, and the server's lock table shows them waiting.
holder = psycopg.connect(DSN, autocommit=True)
holder.execute("SELECT pg_advisory_lock(4242)")
def wait_for_lock(conn):
    NATIVES.add(threading.get_native_id())
    conn.execute("SELECT pg_advisory_lock_shared(4242)")
    conn.execute("SELECT pg_advisory_unlock_shared(4242)")
    return True
futures = [ex.submit(wait_for_lock, c) for c in conns]
waiting = 0
deadline = time.monotonic() + 10
while waiting < N and time.monotonic() < deadline:
    waiting = holder.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted").fetchone()[0]
    time.sleep(0.01)
NATIVES.add(threading.get_native_id())
holder.execute("SELECT pg_advisory_unlock(4242)")
released = all(f.result(timeout=10) for f in futures)
ex.shutdown()
for c in conns + [holder]:
    c.close()
print(json.dumps({"connect_phase": connect_phase, "sleep_phase": sleep_phase, "distinct_backends": len(set(pids)),
                  "waiting": waiting, "released": released, **info()}))
"""


@pytest.mark.parametrize("impl", IMPLS)
def test_fifty_concurrent_pg_sleeps_in_one_os_thread(tmp_path, pg_dsn, impl: str) -> None:
    r = run_patched(PRELUDE + CONCURRENCY, tmp_path, env=_env(pg_dsn, impl)).check()
    assert r["impl"] == impl and r["wait"] != "wait_c"
    assert r["distinct_backends"] == 50
    # Serially the 50 sleeps take 10 s.
    assert 0.2 <= r["sleep_phase"] < 2.0, r
    assert r["waiting"] == 50 and r["released"]
    assert r["os_threads"] == 1


def test_psycopg_imported_before_late_patching_is_fixed(tmp_path, pg_dsn) -> None:
    # psycopg chose wait_c at import; patching afterwards must still make it cooperative.
    r = run_patched(
        "import psycopg.waiting\nWAIT_BEFORE = psycopg.waiting.wait.__name__\n"
        "import zio.patch\nzio.patch.all()\n"
        + PRELUDE
        + CONCURRENCY.replace("print(json.dumps({", 'print(json.dumps({"wait_before": WAIT_BEFORE, '),
        tmp_path,
        env=_env(pg_dsn, "binary"),
        patched=False,
    ).check()
    assert r["wait_before"] == "wait_c" and r["wait"] == "wait_poll"
    assert 0.2 <= r["sleep_phase"] < 2.0, r
    assert r["os_threads"] == 1


def test_psycopg2_with_its_select_wait_callback(tmp_path, pg_dsn) -> None:
    # psycopg2 blocks inside libpq unless a wait callback is registered; its
    # own psycopg2.extras.wait_select waits with select.select, which zio patches.
    _servers.require_module("psycopg2", "psycopg2-binary>=2.9")
    r = run_patched(
        """
        import json, os, threading, time
        from concurrent.futures import ThreadPoolExecutor
        import psycopg2, psycopg2.extensions, psycopg2.extras, psycopg2.errors
        psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)
        DSN = os.environ["PG_DSN"]
        NATIVES = set()
        conn = psycopg2.connect(DSN)
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE t (id int PRIMARY KEY)")
        cur.executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(10)])
        conn.commit()
        cur.execute("SELECT sum(id) FROM t")
        total = cur.fetchone()[0]
        try:
            cur.execute("INSERT INTO t VALUES (1)")
            dup = None
        except psycopg2.errors.UniqueViolation as exc:
            dup = exc.pgcode
        conn.rollback()
        conn.close()
        def nap(i):
            NATIVES.add(threading.get_native_id())
            c = psycopg2.connect(DSN)
            c.autocommit = True
            with c.cursor() as k:
                k.execute("SELECT pg_sleep(0.2), pg_backend_pid()")
                pid = k.fetchone()[1]
            c.close()
            return pid
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=50) as ex:
            pids = list(ex.map(nap, range(50)))
        elapsed = time.monotonic() - t0
        print(json.dumps({"total": total, "dup": dup, "backends": len(set(pids)), "elapsed": elapsed,
                          "os_threads": len(NATIVES)}))
        """,
        tmp_path,
        env={"PG_DSN": pg_dsn},
    ).check()
    assert r["total"] == 45 and r["dup"] == "23505"
    assert r["backends"] == 50
    # Serially: 10 s of sleeps plus 50 connection setups.
    assert r["elapsed"] < 3.0, r
    assert r["os_threads"] == 1


def test_psycopg_pool_shares_ten_connections_among_a_hundred_threads(tmp_path, pg_dsn) -> None:
    # psycopg_pool runs its own background threads (fibers here) to open,
    # check and return connections, with Condition-based waiting for clients.
    _servers.require_module("psycopg_pool", "psycopg-pool>=3.2")
    r = run_patched(
        PRELUDE
        + """
import psycopg_pool
from concurrent.futures import ThreadPoolExecutor
pool = psycopg_pool.ConnectionPool(DSN, min_size=10, max_size=10, open=True, kwargs={"autocommit": True})
pool.wait(timeout=20)
def job(i):
    NATIVES.add(threading.get_native_id())
    with pool.connection() as conn:
        return conn.execute("SELECT pg_sleep(0.1), %s::int, pg_backend_pid()", (i,)).fetchone()[1:]
t0 = time.monotonic()
with ThreadPoolExecutor(max_workers=100) as ex:
    out = list(ex.map(job, range(100)))
elapsed = time.monotonic() - t0
stats = pool.get_stats()
pool.close()
print(json.dumps({"values": [v for v, _ in out], "backends": len({pid for _, pid in out}), "elapsed": elapsed,
                  "queued": stats.get("requests_queued"), "closed": pool.closed, **info()}))
""",
        tmp_path,
        env=_env(pg_dsn, "binary"),
    ).check()
    assert r["values"] == list(range(100))
    assert r["backends"] == 10 and r["queued"] == 90 and r["closed"]
    # Ten rounds of ten 0.1 s queries: at least 1 s with the pool's limit
    # honoured, 10 s if the queries ran one at a time.
    assert 0.95 <= r["elapsed"] < 3.0, r
    assert r["os_threads"] == 1
