"""Real database servers on loopback for the library tests: redis-server and PostgreSQL.

Each helper is a context manager that starts a private, throwaway server on
127.0.0.1 and a free port, waits until it answers, yields how to reach it and
stops it.  The test modules wrap them in session fixtures (one server per
xdist worker).

A missing server binary is a test *failure* with install advice, never a
skip: CI installs the servers (.ci/run), so a skip there would hide that
these tests did not run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

#: How long a server may take to start on a loaded CI machine.
START_TIMEOUT = 60.0


def _free_port() -> int:
    # Another process may take the port before the server binds it; the
    # start loops below retry on a fresh port when the server cannot bind.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(what: str, advice: str) -> None:
    pytest.fail(f"{what} not found: {advice} (CI installs it in .ci/run)", pytrace=False)


def require_module(name: str, requirement: str) -> None:
    """Import ``name`` or fail the test saying which test-extra requirement is missing."""
    try:
        __import__(name)
    except ImportError as exc:
        pytest.fail(
            f"{name} is not importable ({exc}): install the test extra (pip install -e '.[test]', "
            f"which has {requirement!r})",
            pytrace=False,
        )


def _stop(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


# -- redis ------------------------------------------------------------------


def redis_binary() -> str:
    """The redis-server executable (``ZIO_TEST_REDIS_SERVER`` overrides); fails the test if absent."""
    override = os.environ.get("ZIO_TEST_REDIS_SERVER")
    candidates = [override] if override else [shutil.which("redis-server"), "/usr/bin/redis-server"]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    where = f"ZIO_TEST_REDIS_SERVER={override!r} is not an executable; " if override else ""
    _missing("redis-server", f"{where}install it, e.g. `apt-get install redis-server`")
    raise AssertionError("unreachable")


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[int]:
    """Run a private redis-server (no persistence) on 127.0.0.1; yield its port."""
    binary = redis_binary()
    with tempfile.TemporaryDirectory(prefix="zio-redis-") as tmp:
        log = Path(tmp) / "redis.log"
        for _attempt in range(5):
            port = _free_port()
            proc = subprocess.Popen(
                [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                 "--daemonize", "no", "--dir", tmp, "--logfile", str(log), "--maxclients", "1000"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )  # fmt: skip
            deadline = time.monotonic() + START_TIMEOUT
            # Polling is the only way to learn that a separate server is up.
            while proc.poll() is None and not _redis_ping(port) and time.monotonic() < deadline:
                time.sleep(0.02)
            if proc.poll() is None and _redis_ping(port):
                break
            _stop(proc, signal.SIGTERM)
        else:
            pytest.fail(f"redis-server did not start; last log:\n{_log_tail(log)}", pytrace=False)
        try:
            yield port
        finally:
            _stop(proc, signal.SIGTERM)


# -- PostgreSQL ---------------------------------------------------------------


def postgres_bindir() -> Path:
    """The PostgreSQL server bin dir (``ZIO_TEST_PG_BINDIR`` overrides); fails the test if absent.

    Debian/Ubuntu's ``postgresql`` package puts ``initdb`` and ``postgres``
    in /usr/lib/postgresql/<major>/bin, off PATH; the newest major wins.
    """
    override = os.environ.get("ZIO_TEST_PG_BINDIR")
    if override:
        candidates = [override]
    else:
        found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
        found.sort(key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0, reverse=True)
        candidates = [str(Path(p).parent) for p in found]
        initdb = shutil.which("initdb")
        if initdb:
            candidates.append(str(Path(initdb).parent))
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "postgres").is_file():
            return Path(c)
    where = f"ZIO_TEST_PG_BINDIR={override!r} has no initdb and postgres; " if override else ""
    _missing("PostgreSQL server (initdb, postgres)", f"{where}install it, e.g. `apt-get install postgresql`")
    raise AssertionError("unreachable")


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as, or None to run as ourselves.

    PostgreSQL refuses to run as root; tests running as root (containers, CI)
    use the ``postgres`` account the package creates, else ``nobody``.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    pytest.fail("running as root and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")
    raise AssertionError("unreachable")


def _run_as(user: tuple[int, int] | None) -> dict:
    if user is None:
        return {}
    return {"user": user[0], "group": user[1], "extra_groups": []}


def _pg_ready(port: int, user: str) -> bool:
    """Whether the server completes a startup handshake (trust auth) on ``port``."""
    # A tiny v3 StartupMessage; the server answers 'R' (AuthenticationOk) once
    # it accepts connections, or 'E' ("the database system is starting up").
    params = b"user\0" + user.encode() + b"\0database\0postgres\0\0"
    body = (196608).to_bytes(4, "big") + params
    msg = (len(body) + 4).to_bytes(4, "big") + body
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(msg)
            reply = s.recv(1)
            with contextlib.suppress(OSError):
                s.sendall(b"X\0\0\0\4")  # Terminate
            return reply == b"R"
    except OSError:
        return False


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Run a private PostgreSQL cluster (fsync off) on 127.0.0.1; yield a libpq conninfo string."""
    bindir = postgres_bindir()
    user = _server_user()
    # Under /tmp rather than $TMPDIR: the server user must be able to reach
    # it (a TMPDIR under /root is not), and the unix socket path inside it
    # must stay under the 107-byte limit.
    base = "/tmp" if os.access("/tmp", os.W_OK | os.X_OK) else None
    tmp = tempfile.mkdtemp(prefix="zio-pg-", dir=base)
    try:
        if user is not None:
            os.chown(tmp, *user)
        data = Path(tmp) / "data"
        log = Path(tmp) / "postgres.log"
        init = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            cwd=tmp, capture_output=True, text=True, timeout=120, **_run_as(user),
        )  # fmt: skip
        if init.returncode != 0:
            pytest.fail(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}", pytrace=False)
        proc = None
        for _attempt in range(5):
            port = _free_port()
            with open(log, "ab") as logf:
                proc = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                     "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={tmp}",
                     "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                     "-c", "max_connections=120", "-c", "shared_buffers=16MB", "-c", "logging_collector=off"],
                    cwd=tmp, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                    start_new_session=True, **_run_as(user),
                )  # fmt: skip
            deadline = time.monotonic() + START_TIMEOUT
            # Polling is the only way to learn that a separate server is up.
            while proc.poll() is None and not _pg_ready(port, "postgres") and time.monotonic() < deadline:
                time.sleep(0.05)
            if proc.poll() is None and _pg_ready(port, "postgres"):
                break
            _stop(proc, signal.SIGINT)
        else:
            pytest.fail(f"PostgreSQL did not start; last log:\n{_log_tail(log)}", pytrace=False)
        try:
            yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"
        finally:
            _stop(proc, signal.SIGINT)  # "fast" shutdown: disconnect clients, no checkpoint wait
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
