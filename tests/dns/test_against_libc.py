"""Both resolvers give libc's answers and libc's errors, question for question.

libc here is the stdlib's own :mod:`socket` functions, unpatched.  Only
questions libc can answer without the network are compared with it (numeric
hosts, names in /etc/hosts, argument errors): libc cannot be pointed at the
test's dnsmasq.  Served names are checked against dnsmasq's records in
test_served_names.py.
"""

from __future__ import annotations

import socket

import pytest

import zio
from zio.dns import DNSResolver, ResolverConfig, ThreadResolver, load_hosts

S = socket


def outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - the exception is the result being compared
        return ("error", type(exc), exc.args)


@pytest.fixture(scope="module")
def resolvers(request) -> dict:
    dnsmasq = request.getfixturevalue("dnsmasq")
    # The system hosts file, but DNS questions go to dnsmasq (never out to the network).
    config = ResolverConfig(nameservers=[dnsmasq.server], search=[], timeout=2.0, hosts_path="/etc/hosts")
    return {"dns": DNSResolver(config), "thread": ThreadResolver()}


def compare(resolvers: dict, method: str, *args) -> None:
    expected = outcome(getattr(socket, method), *args)

    def main() -> dict:
        return {name: outcome(getattr(r, method), *args) for name, r in resolvers.items()}

    got = zio.run(main)
    for name, result in got.items():
        assert result == expected, f"{name} resolver: {method}{args!r}"


def _hosts_names() -> list[str]:
    hosts = load_hosts("/etc/hosts")
    names = ["localhost", socket.gethostname()]
    return [n for n in names if any(e.family == socket.AF_INET for e in hosts.lookup(n))]


HOSTS_NAMES = _hosts_names()
NUMERIC = ["127.0.0.1", "127.1", "0x7f.0.0.1", "::1", "::ffff:127.0.0.1", "fe80::1%1", "0.0.0.0", "::"]
PORTS = [80, "80", "http", "domain", "no-such-service", None, 0, b"443", -1, 70000]
FLAGS = [
    0,
    S.AI_PASSIVE,
    S.AI_CANONNAME,
    S.AI_NUMERICHOST,
    S.AI_NUMERICSERV,
    S.AI_ADDRCONFIG,
    S.AI_V4MAPPED,
    S.AI_V4MAPPED | S.AI_ALL,
    S.AI_CANONNAME | S.AI_ADDRCONFIG,
    0xFFFF,
]
FAMILIES = [0, S.AF_INET, S.AF_INET6, S.AF_UNIX]
TYPES = [0, S.SOCK_STREAM, S.SOCK_DGRAM, S.SOCK_RAW, S.SOCK_SEQPACKET]


@pytest.mark.parametrize("host", NUMERIC + [None])
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("flags", FLAGS)
def test_getaddrinfo_numeric(resolvers, host, family, flags) -> None:
    compare(resolvers, "getaddrinfo", host, 80, family, S.SOCK_STREAM, 0, flags)


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("kind", TYPES)
def test_getaddrinfo_ports_and_types(resolvers, port, kind) -> None:
    compare(resolvers, "getaddrinfo", "127.0.0.1", port, 0, kind)
    for name in HOSTS_NAMES:
        compare(resolvers, "getaddrinfo", name, port, 0, kind)


@pytest.mark.skipif(not HOSTS_NAMES, reason="/etc/hosts names no IPv4 host")
@pytest.mark.parametrize("flags", [f for f in FLAGS if not f & S.AI_NUMERICHOST])
@pytest.mark.parametrize("family", [0, S.AF_INET])
def test_getaddrinfo_hosts_file_names(resolvers, family, flags) -> None:
    for name in HOSTS_NAMES:
        compare(resolvers, "getaddrinfo", name, 443, family, 0, 0, flags)
        compare(resolvers, "getaddrinfo", name.upper(), None, family, S.SOCK_DGRAM, 0, flags)


@pytest.mark.parametrize(
    "args",
    [
        (None, None),
        ("", 80),
        ("127.0.0.1", 80, 0, S.SOCK_STREAM, S.IPPROTO_UDP),
        ("127.0.0.1", 80, 0, 0, S.IPPROTO_UDP),
        ("127.0.0.1", 1.5),
        (12, 80),
        ("localhost", 80, "x"),
        ("not a name at all!", "no-such-service"),
        ("name.invalid", "http", 0, 0, 0, S.AI_NUMERICSERV),
        ("name.invalid", 80, 0, 0, 0, S.AI_NUMERICHOST),
        ("a..b", 80),
    ],
)
def test_getaddrinfo_argument_errors(resolvers, args) -> None:
    compare(resolvers, "getaddrinfo", *args)


@pytest.mark.parametrize(
    "host", HOSTS_NAMES + ["127.0.0.1", "127.1", "", "<broadcast>", "255.255.255.255", "::1", 12, b"127.0.0.1"]
)
def test_gethostbyname(resolvers, host) -> None:
    compare(resolvers, "gethostbyname", host)


@pytest.mark.parametrize("host", HOSTS_NAMES + ["127.0.0.1", "127.1", "0.0.0.0", None])
def test_gethostbyname_ex(resolvers, host) -> None:
    compare(resolvers, "gethostbyname_ex", host)


@pytest.mark.parametrize("host", HOSTS_NAMES + ["127.0.0.1", 5])
def test_gethostbyaddr(resolvers, host) -> None:
    compare(resolvers, "gethostbyaddr", host)


@pytest.mark.parametrize(
    "sockaddr, flags",
    [
        (("127.0.0.1", 80), 0),
        (("127.0.0.1", 80), S.NI_NUMERICHOST),
        (("127.0.0.1", 53), S.NI_NUMERICSERV | S.NI_DGRAM),
        (("127.0.0.1", 53), S.NI_DGRAM),
        (("127.0.0.1", 80), S.NI_NAMEREQD),
        (("127.0.0.1", 80), S.NI_NOFQDN),
        (("::1", 80, 0, 0), S.NI_NUMERICHOST),
        (("localhost", 80), 0),
        (("127.0.0.1", 80, 0, 0), 0),
        (("127.0.0.1",), 0),
        ("127.0.0.1", 0),
        (("127.0.0.1", "80"), 0),
    ],
)
def test_getnameinfo(resolvers, sockaddr, flags) -> None:
    compare(resolvers, "getnameinfo", sockaddr, flags)


@pytest.mark.parametrize("name", ["", "localhost", "127.0.0.1", "  localhost "])
def test_getfqdn(resolvers, name) -> None:
    compare(resolvers, "getfqdn", name)


def test_unknown_name_is_libcs_eai_noname(resolvers) -> None:
    # libc's own EAI_NONAME (no network needed to provoke it) ...
    with pytest.raises(socket.gaierror) as libc:
        socket.getaddrinfo("nothing.zio.test", 80, 0, 0, 0, socket.AI_NUMERICHOST)
    # ... is what the DNS resolver raises for a name dnsmasq says does not exist.
    with pytest.raises(socket.gaierror) as ours:
        zio.run(resolvers["dns"].getaddrinfo, "nothing.zio.test", 80)
    assert type(ours.value) is type(libc.value)
    assert ours.value.args == libc.value.args
    assert ours.value.errno == socket.EAI_NONAME
