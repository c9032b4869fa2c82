"""zio.green.ssl: real TLS over loopback with trustme certificates, on every backend."""

from __future__ import annotations

import os
import ssl as stdssl
import subprocess
import sys
import textwrap

import pytest
import trustme

import zio
import zio.green.socket as gs
import zio.green.ssl as gssl


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ctx(ca: trustme.CA) -> gssl.SSLContext:
    ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


@pytest.fixture(scope="module")
def client_ctx(ca: trustme.CA) -> gssl.SSLContext:
    ctx = gssl.create_default_context()
    ca.configure_trust(ctx)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _serve_once(srv, server_ctx, handler):
    def run_it():
        conn, _ = srv.accept()
        try:
            tls = server_ctx.wrap_socket(conn, server_side=True)
        except (stdssl.SSLError, OSError):
            conn.close()
            return
        with tls:
            handler(tls)

    return run_it


def test_module_surface() -> None:
    assert isinstance(gssl.create_default_context(), gssl.SSLContext)
    assert issubclass(gssl.SSLSocket, stdssl.SSLSocket) and issubclass(gssl.SSLSocket, gs.socket)
    for name in ("CERT_REQUIRED", "SSLError", "PROTOCOL_TLS_CLIENT", "HAS_SNI", "DER_cert_to_PEM_cert"):
        assert getattr(gssl, name) is getattr(stdssl, name)
    assert hasattr(gssl, "wrap_socket") == hasattr(stdssl, "wrap_socket")


def test_echo_and_metadata(run, server_ctx, client_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))

        def echo(tls):
            while data := tls.recv(65536):
                tls.sendall(data)

        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, echo))
            raw = gs.create_connection(srv.getsockname())
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert isinstance(tls, gssl.SSLSocket) and isinstance(tls, stdssl.SSLSocket)
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                assert tls.selected_alpn_protocol() == "http/1.1"
                cert = tls.getpeercert()
                assert ("DNS", "localhost") in cert["subjectAltName"]
                payload = os.urandom(1 << 20)

                def reader(out):
                    while len(out) < len(payload):
                        out.extend(tls.recv(65536))

                got = bytearray()
                with zio.Group() as inner:
                    inner.spawn(reader, got)
                    tls.sendall(payload)
                assert bytes(got) == payload
                buf = bytearray(5)
                tls.write(b"hello")
                n = tls.recv_into(buf)
                assert bytes(buf[:n]) == b"hello"[:n]
        srv.close()

    run(main)


def test_hostname_mismatch_is_rejected(run, server_ctx, client_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, lambda tls: None))
            raw = gs.create_connection(srv.getsockname())
            with pytest.raises(stdssl.SSLCertVerificationError, match="Hostname mismatch"):
                client_ctx.wrap_socket(raw, server_hostname="evil.example")
        srv.close()

    run(main)


def test_untrusted_ca_is_rejected(run, server_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        other = gssl.create_default_context()
        trustme.CA().configure_trust(other)
        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, lambda tls: None))
            raw = gs.create_connection(srv.getsockname())
            with pytest.raises(stdssl.SSLCertVerificationError, match="certificate verify failed"):
                other.wrap_socket(raw, server_hostname="localhost")
        srv.close()

    run(main)


def test_handshake_in_nonblocking_mode_and_manual(run, server_ctx, client_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, lambda tls: tls.sendall(tls.recv(10))))
            raw = gs.create_connection(srv.getsockname())
            raw.setblocking(False)
            tls = client_ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
            with pytest.raises(stdssl.SSLWantReadError):
                tls.do_handshake()
            tls.do_handshake(block=True)
            tls.setblocking(True)
            tls.sendall(b"ping")
            assert tls.recv(10) == b"ping"
            tls.close()
        srv.close()

    run(main)


def test_read_timeout_message(run, server_ctx, client_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        done = zio.CancelScope()

        def idle(tls):
            with done:
                zio.sleep_forever()

        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, idle))
            tls = client_ctx.wrap_socket(gs.create_connection(srv.getsockname()), server_hostname="localhost")
            tls.settimeout(0.05)
            with pytest.raises(TimeoutError, match="The read operation timed out"):
                tls.recv(10)
            tls.setblocking(False)
            with pytest.raises(stdssl.SSLWantReadError):
                tls.recv(10)
            tls.close()
            done.cancel()
        srv.close()

    run(main)


def test_unwrap_and_plaintext_afterwards(run, server_ctx, client_ctx) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        results = []

        def server():
            conn, _ = srv.accept()
            tls = server_ctx.wrap_socket(conn, server_side=True)
            assert tls.recv(10) == b"tls"
            plain = tls.unwrap()
            results.append(plain.recv(10))
            plain.close()

        with zio.Group() as g:
            g.spawn(server)
            tls = client_ctx.wrap_socket(gs.create_connection(srv.getsockname()), server_hostname="localhost")
            tls.sendall(b"tls")
            plain = tls.unwrap()
            plain.sendall(b"plain")
            plain.close()
        assert results == [b"plain"]
        srv.close()

    run(main)


def test_sendfile_falls_back_to_send(run, server_ctx, client_ctx, tmp_path) -> None:
    payload = os.urandom(300_000)
    path = tmp_path / "f"
    path.write_bytes(payload)

    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        got = bytearray()

        def collect(tls):
            while len(got) < len(payload):
                got.extend(tls.recv(65536))
            tls.sendall(b"k")  # the client must read before closing, or its close would be a reset

        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, collect))
            tls = client_ctx.wrap_socket(gs.create_connection(srv.getsockname()), server_hostname="localhost")
            with open(path, "rb") as f:
                assert tls.sendfile(f) == len(payload)
            assert tls.recv(1) == b"k"
            tls.close()
        assert bytes(got) == payload
        srv.close()

    run(main)


def test_ssl_listener_accept(run, server_ctx, client_ctx) -> None:
    def main():
        srv = server_ctx.wrap_socket(gs.create_server(("127.0.0.1", 0)), server_side=True)
        with zio.Group() as g:

            def client():
                with client_ctx.wrap_socket(gs.create_connection(srv.getsockname()), server_hostname="localhost") as t:
                    t.sendall(b"hi")

            g.spawn(client)
            conn, _ = srv.accept()
            assert isinstance(conn, gssl.SSLSocket)
            assert conn.recv(10) == b"hi"
            conn.close()
        srv.close()

    run(main)


def test_get_server_certificate(run, server_ctx, ca) -> None:
    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, lambda tls: None))
            pem = gssl.get_server_certificate(srv.getsockname())
        assert pem.startswith("-----BEGIN CERTIFICATE-----")
        srv.close()

    run(main)


def test_contexts_survive_patching_without_recursion(tmp_path) -> None:
    """The gevent bug: contexts made before ssl.SSLContext is swapped recurse forever. Not here."""
    code = textwrap.dedent(
        """
        import ssl, trustme, zio
        import zio.green.socket as gs, zio.green.ssl as gssl

        ca = trustme.CA()
        early = ssl.create_default_context()          # created before "patching"
        class Custom(ssl.SSLContext):                 # a library subclass (truststore style)
            pass
        custom = Custom(ssl.PROTOCOL_TLS_CLIENT)

        original = ssl.SSLContext
        ssl.SSLContext = gssl.SSLContext              # what a patcher does
        ssl.SSLSocket = gssl.SSLSocket
        original.sslsocket_class = gssl.SSLSocket

        late = ssl.create_default_context()
        for ctx in (early, custom, late):
            ctx.options |= ssl.OP_NO_COMPRESSION
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.maximum_version = ssl.TLSVersion.TLSv1_3
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.verify_flags |= ssl.VERIFY_X509_STRICT
            ctx._msg_callback = lambda *a: None
            ctx._msg_callback = None
            assert isinstance(ctx, ssl.SSLContext)
            ca.configure_trust(ctx)

        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost").configure_cert(server)

        def main():
            srv = gs.create_server(("127.0.0.1", 0))
            def serve():
                for _ in range(3):
                    conn, _ = srv.accept()
                    with server.wrap_socket(conn, server_side=True) as t:
                        t.sendall(t.recv(10))
            with zio.Group() as g:
                g.spawn(serve)
                for ctx in (early, custom, late):
                    raw = gs.create_connection(srv.getsockname())
                    with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                        assert type(t) is gssl.SSLSocket, type(t)
                        t.sendall(b"ok")
                        assert t.recv(10) == b"ok"
            print("PASS")

        zio.run(main)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "PASS" in proc.stdout, proc.stderr[-3000:]


def test_module_level_wrap_socket_where_python_has_it(run, server_ctx) -> None:
    if not hasattr(stdssl, "wrap_socket"):
        assert not hasattr(gssl, "wrap_socket")  # removed in 3.12, and so here
        return

    def main():
        srv = gs.create_server(("127.0.0.1", 0))
        with zio.Group() as g:
            g.spawn(_serve_once(srv, server_ctx, lambda tls: tls.sendall(b"legacy")))
            with pytest.warns(DeprecationWarning):
                tls = gssl.wrap_socket(gs.create_connection(srv.getsockname()))
            assert isinstance(tls, gssl.SSLSocket)
            assert tls.recv(10) == b"legacy"
            tls.close()
        srv.close()

    run(main)
