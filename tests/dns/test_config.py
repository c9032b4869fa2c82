"""resolv.conf and hosts-file parsing, and resolver selection."""

from __future__ import annotations

import socket

import pytest

import zio
import zio.dns
from zio.dns import (
    DNSResolver,
    HostsFile,
    ResolvConfError,
    ResolverConfig,
    ThreadResolver,
    default_resolver,
    load_resolv_conf,
    parse_resolv_conf,
    set_resolver,
)

FULL = """
# comment
; another comment
nameserver 192.0.2.1
nameserver   2001:db8::1
nameserver fe80::1%eth0
nameserver 192.0.2.4
nameserver not-an-address
domain ignored.example
search a.example b.example.
options ndots:3 timeout:2 attempts:4 rotate edns0 use-vc single-request no-aaaa no-tld-query trust-ad bogus:7
"""


def test_parse_everything() -> None:
    config = parse_resolv_conf(FULL, environ={})
    assert config.nameservers == (("192.0.2.1", 53), ("2001:db8::1", 53), ("fe80::1%eth0", 53))  # at most 3
    assert config.search == ("a.example", "b.example")  # the last of domain/search wins
    assert (config.ndots, config.timeout, config.attempts) == (3, 2.0, 4)
    assert config.rotate and config.edns0 and config.use_vc and config.single_request
    assert config.no_aaaa and config.no_tld_query


def test_defaults_and_limits() -> None:
    config = parse_resolv_conf("nameserver 127.0.0.1\noptions ndots:99 timeout:0 attempts:100\n", environ={})
    assert (config.ndots, config.timeout, config.attempts) == (15, 1.0, 5)  # glibc's caps
    plain = parse_resolv_conf("nameserver 127.0.0.1\n", environ={})
    assert (plain.ndots, plain.timeout, plain.attempts, plain.rotate) == (1, 5.0, 2, False)
    assert parse_resolv_conf("nameserver 127.0.0.1\nsearch x.example\ndomain d.example\n", environ={}).search == (
        "d.example",
    )
    assert parse_resolv_conf("nameserver 127.0.0.1\noptions ndots:x timeout:\n", environ={}).ndots == 1


def test_environment_overrides() -> None:
    env = {"LOCALDOMAIN": "env1.example env2.example", "RES_OPTIONS": "ndots:4 rotate"}
    config = parse_resolv_conf("nameserver 127.0.0.1\nsearch file.example\n", environ=env)
    assert config.search == ("env1.example", "env2.example")
    assert config.ndots == 4 and config.rotate


def test_no_nameserver_is_an_error() -> None:
    with pytest.raises(ResolvConfError, match="no usable 'nameserver'"):
        parse_resolv_conf("search example.com\nnameserver bogus\n", environ={})


def test_config_object_validation() -> None:
    config = ResolverConfig(nameservers=["127.0.0.1", ("::1", 5353)])
    assert config.nameservers == (("127.0.0.1", 53), ("::1", 5353))
    with pytest.raises(ValueError, match="numeric"):
        ResolverConfig(nameservers=["dns.example"])
    with pytest.raises(ValueError, match="port"):
        ResolverConfig(nameservers=[("127.0.0.1", 0)])
    with pytest.raises(ResolvConfError):
        ResolverConfig(nameservers=[])
    with pytest.raises(ValueError, match="timeout"):
        ResolverConfig(timeout=0)
    with pytest.raises(ValueError, match="attempts"):
        ResolverConfig(attempts=0)
    assert config.replace(ndots=2).ndots == 2 and config.ndots == 1


def test_load_rereads_a_changed_file(tmp_path) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text("nameserver 192.0.2.1\n")
    assert load_resolv_conf(str(path)).nameservers == (("192.0.2.1", 53),)
    path.write_text("nameserver 192.0.2.2\nnameserver 192.0.2.3\n")
    assert load_resolv_conf(str(path)).nameservers == (("192.0.2.2", 53), ("192.0.2.3", 53))
    with pytest.raises(ResolvConfError, match="cannot read"):
        load_resolv_conf(str(tmp_path / "missing"))


def test_hosts_file_parsing() -> None:
    hosts = HostsFile(
        "127.0.0.1 localhost\n"
        "::1 localhost ip6-localhost  # comment\n"
        "192.0.2.1 Web.Example web  www\n"
        "192.0.2.2 web.example\n"
        "not-an-ip name\n"
        "192.0.2.9\n"
        "fe80::1%eth0 scoped\n"
        "10.1 short\n"
    )
    assert [e.address for e in hosts.lookup("short")] == ["10.0.0.1"]
    assert [e.address for e in hosts.lookup("LOCALHOST")] == ["127.0.0.1", "::1"]
    assert [e.address for e in hosts.lookup("WEB.example")] == ["192.0.2.1", "192.0.2.2"]
    assert hosts.lookup("web.example.") == []  # glibc: "localhost." is not in /etc/hosts either
    assert hosts.lookup("www")[0].names == ("Web.Example", "web", "www")
    assert hosts.lookup("name") == [] and hosts.lookup("scoped") == []
    assert hosts.reverse(socket.AF_INET, socket.inet_aton("192.0.2.1")).names[0] == "Web.Example"
    loop6 = socket.inet_pton(socket.AF_INET6, "::1")
    assert hosts.reverse(socket.AF_INET6, loop6).names == ("localhost", "ip6-localhost")
    assert hosts.reverse(socket.AF_INET, socket.inet_aton("192.0.2.77")) is None


def test_hosts_names_and_aliases_through_the_resolver(tmp_path) -> None:
    path = tmp_path / "hosts"
    path.write_text("192.0.2.1 web.example web\n192.0.2.2 web.example mirror\n2001:db8::1 web.example\n")
    # An unreachable nameserver: anything that is not answered from the file would fail.
    resolver = DNSResolver(ResolverConfig(nameservers=["127.0.0.1"], hosts_path=str(path), timeout=0.2, attempts=1))
    # Every line naming the host contributes (glibc's "multi on"); only lines naming it.
    expected = ("web.example", ["web", "mirror"], ["192.0.2.1", "192.0.2.2"])
    assert zio.run(resolver.gethostbyname_ex, "web.example") == expected
    assert zio.run(resolver.gethostbyname_ex, "web") == ("web.example", ["web"], ["192.0.2.1"])
    assert zio.run(resolver.gethostbyaddr, "192.0.2.2") == ("web.example", ["mirror"], ["192.0.2.2"])
    result = zio.run(resolver.getaddrinfo, "web.example", 80, socket.AF_INET6, socket.SOCK_STREAM)
    assert [r[4] for r in result] == [("2001:db8::1", 80, 0, 0)]
    # glibc's files source compares names exactly (but for case): with a
    # trailing dot the name is not the file's, and goes to the (unreachable) servers.
    assert zio.run(resolver.gethostbyname, "WEB.example") == "192.0.2.1"
    with pytest.raises(socket.gaierror) as info:
        zio.run(resolver.gethostbyname, "web.example.")
    assert info.value.errno == socket.EAI_AGAIN


def test_selection_rules(tmp_path) -> None:
    assert isinstance(default_resolver({"ZIO_RESOLVER": "thread"}), ThreadResolver)
    assert isinstance(default_resolver({"ZIO_RESOLVER": " DNS "}), DNSResolver)
    with pytest.raises(ValueError, match="ZIO_RESOLVER='bind'"):
        default_resolver({"ZIO_RESOLVER": "bind"})
    missing = str(tmp_path / "missing")
    fallback = default_resolver({}, resolv_conf=missing)
    assert isinstance(fallback, ThreadResolver) and "cannot read" in fallback.reason
    empty = tmp_path / "empty.conf"
    empty.write_text("search example.com\n")
    assert isinstance(default_resolver({}, resolv_conf=str(empty)), ThreadResolver)
    good = tmp_path / "good.conf"
    good.write_text("nameserver 127.0.0.1\n")
    assert isinstance(default_resolver({}, resolv_conf=str(good)), DNSResolver)


def test_set_resolver_and_module_functions(dnsmasq) -> None:
    config = ResolverConfig(nameservers=[dnsmasq.server], search=["zio.test"], hosts_path=None)
    previous = set_resolver(DNSResolver(config))
    try:
        assert zio.run(zio.dns.gethostbyname, "v4") == "10.0.0.4"
        assert zio.run(zio.dns.gethostbyname_ex, "v4.zio.test") == ("v4.zio.test", [], ["10.0.0.4"])
        assert zio.run(zio.dns.gethostbyaddr, "10.0.0.4") == ("v4.zio.test", [], ["10.0.0.4"])
        assert zio.run(zio.dns.getnameinfo, ("10.0.0.4", 22), socket.NI_NUMERICSERV) == ("v4.zio.test", "22")
        assert zio.run(zio.dns.getfqdn, "10.0.0.4") == "v4.zio.test"
        assert zio.run(zio.dns.getaddrinfo, "v4", 1)[0][4] == ("10.0.0.4", 1)
        set_resolver("thread")
        assert isinstance(zio.dns.get_resolver(), ThreadResolver)
        with pytest.raises(TypeError):
            set_resolver(42)  # type: ignore[arg-type]
    finally:
        set_resolver(previous)


def test_thread_resolver_calls_the_real_libc(monkeypatch) -> None:
    # What patching does to the socket module must not reach the thread resolver.
    def broken(*args, **kwargs):
        raise AssertionError("the thread resolver called the (patched) socket module")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        monkeypatch.setattr(socket, name, broken)
    resolver = ThreadResolver()

    def main() -> None:
        assert resolver.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4] == ("127.0.0.1", 80)
        assert resolver.gethostbyname("localhost") == "127.0.0.1"
        assert resolver.gethostbyname_ex("localhost")[2] == ["127.0.0.1"]
        assert resolver.gethostbyaddr("127.0.0.1")[2] == ["127.0.0.1"]
        assert resolver.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST) == ("127.0.0.1", "http")

    zio.run(main)
