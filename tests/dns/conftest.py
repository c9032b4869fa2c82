"""Fixtures for the resolver tests: a real dnsmasq, a misbehaving server, resolvers pointed at them."""

from __future__ import annotations

import pytest
from _dns_badserver import BadServer
from _dns_dnsmasq import ZONE, Dnsmasq, start_dnsmasq

from zio.dns import DNSResolver, ResolverConfig


@pytest.fixture(scope="session")
def dnsmasq() -> Dnsmasq:
    """dnsmasq on 127.0.0.1 and a random port, serving ``zio.test`` (one per xdist worker)."""
    server = start_dnsmasq()
    yield server
    server.stop()


@pytest.fixture
def bad_server() -> BadServer:
    """The misbehaving server of ``_badserver.py``."""
    server = BadServer()
    yield server
    server.close()
    assert not server.errors, server.errors


@pytest.fixture
def dns_config(dnsmasq: Dnsmasq, tmp_path) -> ResolverConfig:
    """A config asking dnsmasq, searching the test zone, with an empty hosts file."""
    hosts = tmp_path / "hosts"
    hosts.write_text("")
    return ResolverConfig(nameservers=[dnsmasq.server], search=[ZONE], timeout=2.0, hosts_path=str(hosts))


@pytest.fixture
def resolver(dns_config: ResolverConfig) -> DNSResolver:
    """A :class:`DNSResolver` on ``dns_config``."""
    return DNSResolver(dns_config)
