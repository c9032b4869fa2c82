"""Ordinary blocking tests.  With zio_patch = true they run on zio's fibers, also under pytest -n auto."""

import socket
import threading


def connect(address):
    conn = socket.create_connection(address)
    reader = conn.makefile("rb")
    assert reader.readline() == b"* welcome\n"  # registered for broadcasts
    return conn, reader


def test_a_line_reaches_the_other_client(chat_server):
    alice, alice_in = connect(chat_server)
    bob, bob_in = connect(chat_server)
    with alice, bob, alice_in, bob_in:
        alice.sendall(b"ping\n")
        assert bob_in.readline() == b"ping\n"


def test_hundred_clients_in_one_process(chat_server):
    # 100 client "threads": cheap fibers under zio.patch.
    errors = []

    def client(i):
        try:
            conn, conn_in = connect(chat_server)
            with conn, conn_in:
                conn.sendall(b"hello %d\n" % i)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_runs_patched():
    import zio.patch

    assert zio.patch.is_patched("socket")
    assert zio.patch.is_patched("threading")


def test_the_one_line_took_effect():
    # Not needed in a real suite: shows that zio_patch = true patched this worker.
    import zio.patch

    assert zio.patch.is_patched("socket") and zio.patch.is_patched("threading")
