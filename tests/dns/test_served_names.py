"""The DNS resolver against dnsmasq: what it answers matches the records served."""

from __future__ import annotations

import socket

import dns.message
import dns.query
import pytest
from _dns_dnsmasq import BIG, BIG_COUNT

import zio
from zio.dns import DNSResolver

STREAM = socket.SOCK_STREAM


def addresses(result) -> list[str]:
    return [entry[4][0] for entry in result]


def test_dual_stack_name(run, resolver: DNSResolver) -> None:
    result = run(resolver.getaddrinfo, "h.zio.test", 80, 0, STREAM)
    assert sorted(addresses(result)) == ["10.0.0.2", "fd00::2"]
    for family, kind, proto, canon, sockaddr in result:
        assert kind == socket.SOCK_STREAM and proto == socket.IPPROTO_TCP and canon == ""
        assert isinstance(family, socket.AddressFamily) and isinstance(kind, socket.SocketKind)
        assert sockaddr[1] == 80
        assert len(sockaddr) == (2 if family == socket.AF_INET else 4)


def test_family_filters(run, resolver: DNSResolver) -> None:
    assert addresses(run(resolver.getaddrinfo, "h.zio.test", 80, socket.AF_INET, STREAM)) == ["10.0.0.2"]
    assert addresses(run(resolver.getaddrinfo, "h.zio.test", 80, socket.AF_INET6, STREAM)) == ["fd00::2"]


def test_all_socket_types_like_libc(run, resolver: DNSResolver) -> None:
    result = run(resolver.getaddrinfo, "v4.zio.test", 80)
    # A service name gives what libc gives for it on a numeric host (the services file decides).
    assert run(resolver.getaddrinfo, "v4.zio.test", "http") == socket.getaddrinfo("10.0.0.4", "http")
    assert [(e[1], e[2]) for e in result] == [
        (socket.SOCK_STREAM, socket.IPPROTO_TCP),
        (socket.SOCK_DGRAM, socket.IPPROTO_UDP),
        (socket.SOCK_RAW, 0),
    ]
    assert {e[4] for e in result} == {("10.0.0.4", 80)}


def test_nodata_is_eai_nodata(run, resolver: DNSResolver) -> None:
    with pytest.raises(socket.gaierror) as info:
        run(resolver.getaddrinfo, "v4.zio.test", 80, socket.AF_INET6)
    assert info.value.errno == socket.EAI_NODATA
    assert info.value.args == (socket.EAI_NODATA, "No address associated with hostname")
    with pytest.raises(socket.gaierror) as info:
        run(resolver.getaddrinfo, "txt.zio.test", 80)
    assert info.value.errno == socket.EAI_NODATA


def test_nxdomain_is_eai_noname(run, resolver: DNSResolver) -> None:
    with pytest.raises(socket.gaierror) as info:
        run(resolver.getaddrinfo, "missing.zio.test", 80)
    assert info.value.args == (socket.EAI_NONAME, "Name or service not known")
    assert any("NXDOMAIN" in note for note in getattr(info.value, "__notes__", []))


def test_v4_mapped(run, resolver: DNSResolver) -> None:
    mapped = run(resolver.getaddrinfo, "v4.zio.test", 80, socket.AF_INET6, STREAM, 0, socket.AI_V4MAPPED)
    assert mapped == [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:10.0.0.4", 80, 0, 0))]
    # With an AAAA record, V4MAPPED alone gives only the IPv6 address; AI_ALL adds the mapped ones.
    only6 = run(resolver.getaddrinfo, "h.zio.test", 80, socket.AF_INET6, STREAM, 0, socket.AI_V4MAPPED)
    assert addresses(only6) == ["fd00::2"]
    both = run(resolver.getaddrinfo, "h.zio.test", 80, socket.AF_INET6, STREAM, 0, socket.AI_V4MAPPED | socket.AI_ALL)
    assert sorted(addresses(both)) == ["::ffff:10.0.0.2", "fd00::2"]


def test_canonname_follows_cname_chain(run, resolver: DNSResolver) -> None:
    result = run(resolver.getaddrinfo, "alias2.zio.test", 80, socket.AF_INET, STREAM, 0, socket.AI_CANONNAME)
    assert result == [(socket.AF_INET, socket.SOCK_STREAM, 6, "h.zio.test", ("10.0.0.2", 80))]
    assert run(resolver.gethostbyname_ex, "alias2.zio.test") == (
        "h.zio.test",
        ["alias2.zio.test", "alias.zio.test"],
        ["10.0.0.2"],
    )


def test_search_list_and_ndots(run, dns_config) -> None:
    resolver = DNSResolver(dns_config)
    assert run(resolver.gethostbyname, "h") == "10.0.0.2"  # 0 dots < ndots 1: search domain first
    assert run(resolver.gethostbyname_ex, "h")[0] == "h.zio.test"
    # "ndots.example" exists both as given and under the search domain:
    # with ndots=1 the name as given wins, with ndots=2 the search domain does.
    assert run(resolver.gethostbyname, "ndots.example") == "10.0.0.8"
    assert run(DNSResolver(dns_config.replace(ndots=2)).gethostbyname, "ndots.example") == "10.0.0.9"
    # A trailing dot: only as given, never searched.
    with pytest.raises(socket.gaierror) as info:
        run(resolver.gethostbyname, "h.")
    assert info.value.errno == socket.EAI_NONAME
    # No search list: the short name is asked as given, and does not exist.
    with pytest.raises(socket.gaierror):
        run(DNSResolver(dns_config.replace(search=())).gethostbyname, "h")
    # h.sub has a dot (>= ndots): tried as given (NXDOMAIN), then searched.
    assert run(resolver.gethostbyname, "h.sub") == "10.0.0.7"


def test_no_tld_query(run, dns_config) -> None:
    resolver = DNSResolver(dns_config.replace(search=(), no_tld_query=True))
    with pytest.raises(socket.gaierror) as info:
        run(resolver.gethostbyname, "h")
    assert info.value.errno == socket.EAI_NONAME


def test_truncated_udp_falls_back_to_tcp(run, dnsmasq, resolver: DNSResolver) -> None:
    # Check the premise: over UDP the answer does not fit and comes back truncated.
    query = dns.message.make_query("big.zio.test", "A", use_edns=False)
    wire = dns.query.udp(query, dnsmasq.host, port=dnsmasq.port, timeout=2, ignore_trailing=True)
    assert wire.flags & dns.flags.TC
    result = run(resolver.getaddrinfo, "big.zio.test", 80, socket.AF_INET, STREAM)
    assert len(result) == BIG_COUNT
    assert sorted(addresses(result)) == sorted(BIG)


def test_edns0_and_use_vc(run, dns_config) -> None:
    for changes in ({"edns0": True}, {"use_vc": True}, {"single_request": True}):
        resolver = DNSResolver(dns_config.replace(**changes))
        result = run(resolver.getaddrinfo, "big.zio.test", None, socket.AF_INET, STREAM)
        assert sorted(addresses(result)) == sorted(BIG), changes
        assert sorted(addresses(run(resolver.getaddrinfo, "h.zio.test", 1, 0, STREAM))) == ["10.0.0.2", "fd00::2"]


def test_no_aaaa_option(run, dns_config) -> None:
    resolver = DNSResolver(dns_config.replace(no_aaaa=True))
    assert addresses(run(resolver.getaddrinfo, "h.zio.test", 80, 0, STREAM)) == ["10.0.0.2"]


def test_reverse_lookups(run, resolver: DNSResolver) -> None:
    assert run(resolver.gethostbyaddr, "10.0.0.2") == ("h.zio.test", [], ["10.0.0.2"])
    assert run(resolver.gethostbyaddr, "fd00::6") == ("v6.zio.test", [], ["fd00::6"])
    # A name is resolved first, then its address looked up (as CPython does).
    assert run(resolver.gethostbyaddr, "v4.zio.test") == ("v4.zio.test", [], ["10.0.0.4"])
    # v4-mapped addresses are looked up as IPv4 (glibc does the same).
    assert run(resolver.gethostbyaddr, "::ffff:10.0.0.2")[0] == "h.zio.test"
    with pytest.raises(socket.herror) as info:
        run(resolver.gethostbyaddr, "10.9.9.9")
    assert info.value.args == (1, "Unknown host")


def test_getnameinfo(run, resolver: DNSResolver) -> None:
    assert run(resolver.getnameinfo, ("10.0.0.2", 80), 0) == ("h.zio.test", "http")
    assert run(resolver.getnameinfo, ("10.0.0.2", 80), socket.NI_NUMERICSERV) == ("h.zio.test", "80")
    numeric = socket.NI_NUMERICHOST | socket.NI_DGRAM
    assert run(resolver.getnameinfo, ("10.0.0.2", 53), numeric) == ("10.0.0.2", "domain")
    assert run(resolver.getnameinfo, ("fd00::2", 80, 0, 0), 0) == ("h.zio.test", "http")
    # Unknown address: the numeric form, or EAI_NONAME with NI_NAMEREQD.
    assert run(resolver.getnameinfo, ("10.9.9.9", 80), 0) == ("10.9.9.9", "http")
    with pytest.raises(socket.gaierror) as info:
        run(resolver.getnameinfo, ("10.9.9.9", 80), socket.NI_NAMEREQD)
    assert info.value.args == (socket.EAI_NONAME, "Name or service not known")


def test_getfqdn(run, resolver: DNSResolver) -> None:
    assert run(resolver.getfqdn, "10.0.0.2") == "h.zio.test"
    assert run(resolver.getfqdn, "alias.zio.test") == "h.zio.test"
    assert run(resolver.getfqdn, "nothing.zio.test") == "nothing.zio.test"


def test_hosts_file_wins_over_dns(run, dns_config, tmp_path) -> None:
    hosts = tmp_path / "hosts.override"
    hosts.write_text("# comment\n192.0.2.55  h.zio.test  hostalias  # trailing comment\n2001:db8::5 H.ZIO.TEST\n")
    resolver = DNSResolver(dns_config.replace(hosts_path=str(hosts)))
    assert sorted(addresses(run(resolver.getaddrinfo, "h.zio.test", 80, 0, STREAM))) == ["192.0.2.55", "2001:db8::5"]
    assert run(resolver.gethostbyname_ex, "hostalias") == ("h.zio.test", ["hostalias"], ["192.0.2.55"])
    assert run(resolver.gethostbyaddr, "192.0.2.55") == ("h.zio.test", ["hostalias"], ["192.0.2.55"])
    canon = run(resolver.getaddrinfo, "HostAlias", 80, socket.AF_INET, STREAM, 0, socket.AI_CANONNAME)
    assert canon == [(socket.AF_INET, socket.SOCK_STREAM, 6, "h.zio.test", ("192.0.2.55", 80))]
    # The hosts file has no IPv6 address for hostalias: DNS is asked (as glibc's files-then-dns does).
    with pytest.raises(socket.gaierror):
        run(resolver.getaddrinfo, "hostalias", 80, socket.AF_INET6)
    # The file is re-read when it changes.
    hosts.write_text("192.0.2.56 h.zio.test\n")
    assert run(resolver.gethostbyname, "h.zio.test") == "192.0.2.56"


def test_many_lookups_in_parallel(run, resolver: DNSResolver) -> None:
    names = ["h.zio.test", "v4.zio.test", "v6.zio.test", "alias.zio.test", "h"] * 40
    results: dict[int, list] = {}

    def one(i: int, name: str) -> None:
        results[i] = addresses(resolver.getaddrinfo(name, 80, 0, STREAM))

    def main() -> None:
        with zio.Group() as group:
            for i, name in enumerate(names):
                group.spawn(one, i, name)

    run(main)
    assert len(results) == len(names)
    for i, name in enumerate(names):
        expected = {"v4.zio.test": ["10.0.0.4"], "v6.zio.test": ["fd00::6"]}.get(name, ["10.0.0.2", "fd00::2"])
        assert sorted(results[i]) == expected
