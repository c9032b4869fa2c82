"""Patched-process regressions for stdlib behaviours that CPython's own suite checks (tests/stdlib).

Each program runs in a fresh interpreter under ``python -m zio.patch``; the
CPython test each one mirrors is named in its docstring.
"""

from __future__ import annotations

import sys

import pytest

from ._patched import run_patched


def test_sockets_from_stdlib_functions_are_the_patched_class(tmp_path) -> None:
    """test_socket BasicSocketPairTest.testDefaults, testFromFd, test_SocketType_is_socketobject,
    NetworkConnectionNoServer.test_create_connection_timeout (a swapped ``socket.socket`` is used)."""
    result = run_patched(
        """
        import json, socket, _socket
        a, b = socket.socketpair()
        srv = socket.create_server(("127.0.0.1", 0))
        cli = socket.create_connection(srv.getsockname())
        conn, _ = srv.accept()
        dup = socket.fromfd(conn.fileno(), conn.family, conn.type)
        made = [a, b, srv, cli, conn, dup]
        report = {
            "all_patched": all(isinstance(s, socket.socket) for s in made),
            "sockettype": socket.SocketType is _socket.socket,
            "reprs": sorted({repr(s).split(" fd=")[0] for s in made}),
            "qualname": type(a).__qualname__,
        }

        class Timeouts(socket.socket):
            def connect(self, address):
                raise TimeoutError("timed out")

        real = socket.socket
        socket.socket = Timeouts
        try:
            socket.create_connection(("127.0.0.1", 9))
        except TimeoutError:
            report["mock_seen"] = True
        finally:
            socket.socket = real
        for s in made:
            s.close()
        print(json.dumps(report))
        """,
        tmp_path,
    ).check()
    assert result == {
        "all_patched": True,
        "sockettype": True,
        "mock_seen": True,
        "reprs": ["<socket.socket"],  # as the stdlib's, not <socket.patched_socket_class.<locals>.socket
        "qualname": "socket",
    }


@pytest.mark.skipif(sys.version_info < (3, 11), reason="subprocess._fork_exec and _USE_VFORK are new in 3.11")
def test_subprocess_sees_module_attributes_replaced_at_run_time(tmp_path) -> None:
    """test_subprocess test__use_vfork / test_exception_errpipe_*: mocks of ``subprocess._fork_exec``."""
    result = run_patched(
        """
        import json, subprocess, sys
        from unittest import mock
        report = {}
        # 3.13 may use posix_spawn for this call; CPython's test turns it off too.
        no_spawn = mock.patch.object(subprocess, "_USE_POSIX_SPAWN", False)
        with no_spawn, mock.patch("subprocess._fork_exec", side_effect=RuntimeError("mocked")) as fe:
            try:
                subprocess.run([sys.executable, "-c", "pass"])
            except RuntimeError as exc:
                report["mocked"] = str(exc)
            report["vfork_arg"] = fe.call_args.args[-1]
            with mock.patch.object(subprocess, "_USE_VFORK", False):
                try:
                    subprocess.run([sys.executable, "-c", "pass"])
                except RuntimeError:
                    pass
                report["vfork_arg_off"] = fe.call_args.args[-1]
        report["real"] = subprocess.run([sys.executable, "-c", "print(7)"], capture_output=True).stdout.decode()
        print(json.dumps(report))
        """,
        tmp_path,
    ).check()
    assert result == {"mocked": "mocked", "vfork_arg": True, "vfork_arg_off": False, "real": "7\n"}


def test_popen_binary_bufsize_one_warns_and_bad_args_are_quiet(tmp_path) -> None:
    """test_subprocess test_bufsize_equal_one_binary_mode and test_invalid_args (no __del__ noise)."""
    result = run_patched(
        """
        import gc, io, json, subprocess, sys, warnings
        report = {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            p = subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE, bufsize=1)
            p.stdin.close()
            p.wait()
        report["warned"] = any("line buffering" in str(w.message) for w in caught)
        err = io.StringIO()
        sys.stderr, old = err, sys.stderr
        try:
            try:
                subprocess.Popen(invalid_arg_name=1)  # __init__ never runs; __del__ must cope
            except TypeError:
                pass
            gc.collect()
        finally:
            sys.stderr = old
        report["stderr"] = err.getvalue()
        print(json.dumps(report))
        """,
        tmp_path,
    ).check()
    assert result == {"warned": True, "stderr": ""}


def test_signal_functions_module_and_raise_signal_runs_the_handler(tmp_path) -> None:
    """test_signal GenericTests.test_functions_module_attr and RaiseSignalTest.test_handler
    (the handler runs before raise_signal returns, once)."""
    result = run_patched(
        """
        import json, signal
        calls = []
        old = signal.signal(signal.SIGUSR1, lambda signum, frame: calls.append(signum))
        signal.raise_signal(signal.SIGUSR1)
        synchronous = list(calls)
        import time
        time.sleep(0.05)  # the loop reads the wakeup byte: the handler must not run twice
        signal.signal(signal.SIGUSR1, old)
        modules = {n: getattr(signal, n).__module__ for n in ("signal", "getsignal", "pause")}
        print(json.dumps({"sync": synchronous, "after": calls, "modules": modules}))
        """,
        tmp_path,
    ).check()
    usr1 = result["sync"][0] if result["sync"] else None
    assert result["sync"] == [usr1] and usr1 is not None
    assert result["after"] == [usr1]
    assert set(result["modules"].values()) == {"signal"}


def test_signal_handler_interrupts_a_busy_main_task(tmp_path) -> None:
    """test_signal ItimerTest (virtual/prof timers in CPU loops), and alarm-based timeouts of CPU-bound code."""
    result = run_patched(
        """
        import json, signal, time
        hits = []
        signal.signal(signal.SIGALRM, lambda s, f: hits.append(f is not None))
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        deadline = time.monotonic() + 10
        while not hits and time.monotonic() < deadline:
            pass  # no blocking call: only a handler run in the main task can end this loop

        class Expired(Exception):
            pass

        def expire(signum, frame):
            raise Expired()

        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        interrupted = False
        try:
            # Not "while time.monotonic() < deadline: pass": on CPython 3.11-3.13 an
            # exception a signal handler raises at that loop's backward jump can skip
            # the enclosing try (python/cpython#108214, #130279), zio or not.
            while True:
                if time.monotonic() >= deadline:
                    break
        except Expired:
            interrupted = True
        print(json.dumps({"hits": hits, "interrupted": interrupted}))
        """,
        tmp_path,
    ).check()
    assert result == {"hits": [True], "interrupted": True}


def test_ssl_context_created_before_patching_wraps_cooperatively(tmp_path) -> None:
    """A context made at import time, before zio.patch.all(), must not hand out blocking SSL sockets."""
    result = run_patched(
        """
        import json, socket, ssl
        early = ssl.create_default_context()      # e.g. a library's module-level context
        import zio.patch
        zio.patch.all()
        import zio.green.ssl as gssl
        late = ssl.create_default_context()
        report = {}
        for name, ctx in (("early", early), ("late", late)):
            t = ctx.wrap_socket(socket.socket(), server_hostname="localhost", do_handshake_on_connect=False)
            report[name] = [isinstance(t, gssl.SSLSocket), isinstance(t, ssl.SSLSocket)]
            t.close()
        print(json.dumps(report))
        """,
        tmp_path,
        patched=False,
    ).check()
    assert result == {"early": [True, True], "late": [True, True]}
