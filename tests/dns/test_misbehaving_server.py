"""Replies that do not answer our question are rejected; broken servers give clear errors."""

from __future__ import annotations

import os
import socket

import pytest
from _dns_badserver import BAD, GOOD, TCP_GOOD, BadServer, bad_config

import zio
from zio.dns import DNSResolver

A_ONLY = socket.AF_INET


def lookup(resolver: DNSResolver, name: str, family: int = A_ONLY) -> list[str]:
    return [e[4][0] for e in resolver.getaddrinfo(name, 80, family, socket.SOCK_STREAM)]


def notes(exc: BaseException) -> str:
    return "\n".join(getattr(exc, "__notes__", []))


@pytest.mark.parametrize("mode", ["wrongid", "wrongq", "garbage", "rightidjunk", "wrongsrc", "query"])
def test_bad_reply_is_ignored_and_the_good_one_accepted(run, bad_server: BadServer, mode: str) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=2.0))
    assert run(lookup, resolver, f"{mode}.bad.test") == [GOOD]
    assert BAD not in run(lookup, resolver, f"{mode}.bad.test")


@pytest.mark.parametrize(
    "mode, expected",
    [("onlygarbage", "ignored a bad reply"), ("onlywrongid", "ignored a reply from"), ("silent", "no reply within")],
)
def test_no_good_reply_is_eai_again_with_the_reason(run, bad_server: BadServer, mode: str, expected: str) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=0.2))
    with pytest.raises(socket.gaierror) as info:
        run(lookup, resolver, f"{mode}.bad.test")
    assert info.value.args == (socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert expected in notes(info.value)


@pytest.mark.parametrize("flags", [0, socket.NI_NAMEREQD])
def test_getnameinfo_with_failed_servers_is_eai_again(run, bad_server: BadServer, flags: int) -> None:
    # glibc: TRY_AGAIN from the reverse lookup is EAI_AGAIN whatever the
    # flags; only NXDOMAIN falls back to the numeric form.  (The server
    # answers nothing to a question whose first label is not a behaviour.)
    resolver = DNSResolver(bad_config(bad_server, timeout=0.2))
    with pytest.raises(socket.gaierror) as info:
        run(resolver.getnameinfo, ("10.0.0.99", 80), flags)
    assert info.value.errno == socket.EAI_AGAIN


def test_truncated_then_tcp(run, bad_server: BadServer) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=2.0))
    assert run(lookup, resolver, "tcok.bad.test") == [TCP_GOOD]
    transports = [q.transport for q in bad_server.queries("tcok")]
    assert transports == ["udp", "tcp"]


def test_malformed_tcp_reply_is_a_clear_error(run, bad_server: BadServer) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=2.0))
    with pytest.raises(socket.gaierror) as info:
        run(lookup, resolver, "tcjunk.bad.test")
    assert info.value.errno == socket.EAI_AGAIN
    assert "TCP after a truncated reply" in notes(info.value)


@pytest.mark.parametrize("mode", ["servfail", "refused"])
def test_server_error_rcodes(run, bad_server: BadServer, mode: str) -> None:
    resolver = DNSResolver(bad_config(bad_server, attempts=2))
    with pytest.raises(socket.gaierror) as info:
        run(lookup, resolver, f"{mode}.bad.test.")
    assert info.value.errno == socket.EAI_AGAIN
    assert mode.upper() in notes(info.value)
    assert len(bad_server.queries(mode)) == 2  # one per attempt


def test_server_error_moves_on_to_the_next_server(run, bad_server: BadServer, dnsmasq) -> None:
    # The bad server refuses; dnsmasq (second) knows the name.
    resolver = DNSResolver(bad_config(bad_server, nameservers=[bad_server.server, dnsmasq.server]))
    assert run(lookup, resolver, "refused.zio.test.") == ["10.0.0.10"]
    assert len(bad_server.queries("refused")) == 1


def test_nxdomain_is_final(run, bad_server: BadServer, dnsmasq) -> None:
    resolver = DNSResolver(bad_config(bad_server, nameservers=[bad_server.server, dnsmasq.server], attempts=2))
    with pytest.raises(socket.gaierror) as info:
        run(lookup, resolver, "nxdomain.bad.test.")
    assert info.value.errno == socket.EAI_NONAME
    assert len(bad_server.queries("nxdomain")) == 1


def test_next_server_after_silence_and_refusal(run, bad_server: BadServer, dnsmasq) -> None:
    # Port with nothing listening (ICMP port unreachable), then a silent server, then dnsmasq.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    resolver = DNSResolver(
        bad_config(bad_server, nameservers=[("127.0.0.1", closed_port), dnsmasq.server], timeout=1.0)
    )
    assert run(lookup, resolver, "h.zio.test.") == ["10.0.0.2"]


def test_attempts_and_timeouts(run, bad_server: BadServer) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=0.1, attempts=3))

    def main() -> float:
        start = zio.current_time()
        with pytest.raises(socket.gaierror):
            lookup(resolver, "silent.bad.test.")
        return zio.current_time() - start

    elapsed = run(main)
    assert len(bad_server.queries("silent")) == 3
    # 0.1 + 0.2 + 0.4 (the wait doubles each round, as glibc does).
    assert 0.65 <= elapsed < 3


def test_rotate(run, dnsmasq) -> None:
    servers = [BadServer(), BadServer()]
    try:
        config = bad_config(servers[0], nameservers=[s.server for s in servers], rotate=True)
        resolver = DNSResolver(config)
        for i in range(4):
            assert run(lookup, resolver, f"ok.{i}.bad.test.") == [GOOD]
        firsts = [len(s.queries("ok")) for s in servers]
        assert firsts == [2, 2]
        # Without rotate, the first server gets everything.
        plain = DNSResolver(config.replace(rotate=False))
        for i in range(3):
            run(lookup, plain, f"ok.{i}.bad.test.")
        assert len(servers[0].queries("ok")) == 5
    finally:
        for s in servers:
            s.close()


def test_a_and_aaaa_are_asked_in_parallel(run, bad_server: BadServer) -> None:
    # The server holds the A answer until the AAAA question arrives: sequential asking would time out.
    resolver = DNSResolver(bad_config(bad_server, timeout=2.0))
    assert sorted(run(lookup, resolver, "pair.bad.test.", 0)) == [GOOD, "fd00::9"]
    # single-request asks one after the other, so the held A question times out
    # (and, as in glibc, the AAAA answer alone is a success).
    sequential = DNSResolver(bad_config(bad_server, timeout=0.2, single_request=True))
    assert run(lookup, sequential, "pair.bad.test.", 0) == ["fd00::9"]


def test_query_ids_and_source_ports_vary(run, bad_server: BadServer) -> None:
    resolver = DNSResolver(bad_config(bad_server))
    for i in range(20):
        run(lookup, resolver, f"ok.{i}.bad.test.")
    seen = bad_server.queries("ok")
    assert len(seen) == 20
    assert len({s.id for s in seen}) >= 18  # random 16-bit ids: collisions are rare
    assert len({s.port for s in seen}) >= 18  # a fresh socket (ephemeral port) per query


def _open_fds() -> dict[str, str]:
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass  # the directory's own fd, gone already
    return fds


def test_cancel_scope_ends_a_lookup_and_leaks_nothing(run, bad_server: BadServer) -> None:
    resolver = DNSResolver(bad_config(bad_server, timeout=5.0, attempts=5))

    def main() -> None:
        with zio.move_on_after(0.01):  # warm up: whatever is opened once per process is open now
            lookup(resolver, "silent.bad.test.", 0)
        before = _open_fds()
        start = zio.current_time()
        with zio.move_on_after(0.1) as scope:
            lookup(resolver, "silent.bad.test.", 0)
        assert scope.cancelled_caught
        assert zio.current_time() - start < 2
        assert _open_fds() == before
        with pytest.raises(TimeoutError):
            with zio.fail_after(0.1):
                lookup(resolver, "silent.bad.test.", 0)
        assert _open_fds() == before
        # The resolver still works afterwards.
        assert lookup(resolver, "ok.after.bad.test.") == [GOOD]

    run(main)
