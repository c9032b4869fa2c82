"""The asynchronous resolver: hosts file, then DNS over zio sockets.

Everything that needs no network is asked of libc itself (numeric hosts,
services, argument and flag checks, which families are configured for
``AI_ADDRCONFIG``), so those answers and errors are libc's by construction;
only the name lookup (``/etc/hosts``, then the nameservers of resolv.conf,
following nsswitch's usual ``files dns`` order) is done here.
"""

from __future__ import annotations

import _socket
import time
from typing import Any

from .._core import _state
from . import _libc
from ._libc import HOST_NOT_FOUND, NO_DATA, NO_RECOVERY, TRY_AGAIN
from .base import Resolver
from .config import DEFAULT_RESOLV_CONF, ResolvConfError, ResolverConfig, load_resolv_conf
from .engine import AAAA, A, LookupFailed, QueryEngine
from .hosts import load_hosts
from .sorting import sort_addresses

__all__ = ["DNSResolver"]

AF_INET = _socket.AF_INET
AF_INET6 = _socket.AF_INET6
AF_UNSPEC = _socket.AF_UNSPEC
AI_NUMERICHOST = _socket.AI_NUMERICHOST
AI_CANONNAME = _socket.AI_CANONNAME
AI_ADDRCONFIG = _socket.AI_ADDRCONFIG
AI_V4MAPPED = _socket.AI_V4MAPPED
AI_ALL = _socket.AI_ALL

_GAI_FOR_HERRNO = {HOST_NOT_FOUND: "EAI_NONAME", NO_DATA: "EAI_NODATA", TRY_AGAIN: "EAI_AGAIN", NO_RECOVERY: "EAI_FAIL"}
# Flags already applied by the name lookup; the per-address libc call must not see them again.
_LOOKUP_FLAGS = AI_CANONNAME | AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL
# How long the "which families are configured" answer is reused (glibc asks netlink every call).
_ADDRCONFIG_TTL = 1.0


def _map_v4(address: str) -> str:
    return "::ffff:" + address


def _host_text(host: Any) -> str:
    """The name as libc gets it from CPython: str through the idna codec, bytes as they are."""
    if isinstance(host, str):
        return host.encode("idna").decode("ascii")
    return bytes(host).decode("latin-1")


def _unmapped(family: int, packed: bytes) -> tuple[int, bytes]:
    # glibc looks up v4-mapped IPv6 addresses as the IPv4 address they carry.
    if family == AF_INET6 and packed[:12] == b"\0" * 10 + b"\xff\xff":
        return AF_INET, packed[12:]
    return family, packed


class DNSResolver(Resolver):
    """Resolves names from the hosts file and by asking DNS servers, in fibers.

    ``config`` fixes the configuration (e.g. a nameserver on another port);
    without it ``resolv_conf`` is read (again whenever it changes), and if it
    is unusable glibc's default of a nameserver on 127.0.0.1 applies.
    """

    name = "dns"

    def __init__(self, config: ResolverConfig | None = None, *, resolv_conf: str = DEFAULT_RESOLV_CONF) -> None:
        self._config = config
        self._resolv_conf = resolv_conf
        self._addrconfig: tuple[float, tuple[bool, bool]] | None = None

    @property
    def config(self) -> ResolverConfig:
        """The configuration in force now."""
        if self._config is not None:
            return self._config
        try:
            return load_resolv_conf(self._resolv_conf)
        except ResolvConfError:
            return ResolverConfig(source=f"{self._resolv_conf} (unusable: glibc's default)")

    # -- helpers --------------------------------------------------------------------
    def _configured_families(self) -> tuple[bool, bool]:
        """(IPv4, IPv6) configured, as glibc's AI_ADDRCONFIG sees it: asked of libc itself."""
        now = time.monotonic()
        cached = self._addrconfig
        if cached is not None and now - cached[0] < _ADDRCONFIG_TTL:
            return cached[1]
        seen = []
        for family in (AF_INET, AF_INET6):
            try:
                _libc.getaddrinfo(None, "0", family, _socket.SOCK_DGRAM, 0, AI_ADDRCONFIG)
                seen.append(True)
            except _socket.gaierror:
                seen.append(False)
        result = (seen[0], seen[1])
        self._addrconfig = (now, result)
        return result

    def _lookup(self, name: str, want4: bool, want6: bool) -> tuple[str, list[str], list[tuple[int, str]]]:
        """(canonical name, aliases, [(family, address)]) from the hosts file, else DNS.

        Raises :class:`LookupFailed`.
        """
        config = self.config
        entries = load_hosts(config.hosts_path).lookup(name)
        matching = [e for e in entries if (e.family == AF_INET and want4) or (e.family == AF_INET6 and want6)]
        if matching:
            canonical = matching[0].names[0]
            aliases: list[str] = []
            for entry in matching:
                for alias in entry.names:
                    if alias != canonical and alias not in aliases:
                        aliases.append(alias)
            return canonical, aliases, [(e.family, e.address) for e in matching]
        if not name:
            raise LookupFailed(HOST_NOT_FOUND, "empty host name")
        rdtypes = []
        if want4:
            rdtypes.append(A)
        if want6 and not config.no_aaaa:
            rdtypes.append(AAAA)
        if not rdtypes:
            raise LookupFailed(HOST_NOT_FOUND, f"{name!r}: no address family left to ask for (options no-aaaa)")
        _state.get_hub().checkpoint()
        answer = QueryEngine(config).resolve(name, rdtypes)
        pairs = [(AF_INET, a) for a in answer.addresses.get(A, ())]
        pairs += [(AF_INET6, a) for a in answer.addresses.get(AAAA, ())]
        return answer.canonical, list(answer.aliases), pairs

    # -- the stdlib functions ---------------------------------------------------------
    def getaddrinfo(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, Any, int, str, tuple]]:
        """:func:`socket.getaddrinfo` (see :class:`~zio.dns.base.Resolver`)."""
        # libc answers (or rejects) everything that needs no lookup: numeric hosts,
        # bad flags/family/socktype/service; EAI_NONAME means "this is a name".
        try:
            return _libc.real_getaddrinfo(host, port, family, type, proto, flags | AI_NUMERICHOST)
        except _socket.gaierror as exc:
            if exc.errno != _socket.EAI_NONAME or flags & AI_NUMERICHOST or host is None:
                raise
        if port is not None:
            # The service is checked before the host in libc, so its errors win.
            _libc.getaddrinfo(None, port, family, type, proto, flags & ~(AI_CANONNAME | AI_NUMERICHOST))
        name = _host_text(host)
        want4 = family == AF_UNSPEC or family == AF_INET or (family == AF_INET6 and bool(flags & AI_V4MAPPED))
        want6 = family in (AF_UNSPEC, AF_INET6)
        if flags & AI_ADDRCONFIG:
            seen4, seen6 = self._configured_families()
            if family == AF_UNSPEC:
                if seen4 != seen6:  # glibc narrows only when exactly one family is configured
                    want4, want6 = seen4, seen6
            elif (family == AF_INET and not seen4) or (family == AF_INET6 and not seen6):
                raise _libc.gaierror("EAI_NONAME", f"zio.dns: AI_ADDRCONFIG and no {_family_name(family)} address here")
        try:
            canonical, _, pairs = self._lookup(name, want4, want6)
        except LookupFailed as exc:
            raise _libc.gaierror(_GAI_FOR_HERRNO[exc.herrno], f"zio.dns: {exc.detail}") from None
        if family == AF_INET6:
            v6 = [p for p in pairs if p[0] == AF_INET6]
            v4 = [(AF_INET6, _map_v4(a)) for f, a in pairs if f == AF_INET]
            pairs = v6 + v4 if flags & AI_ALL else (v6 or v4)
        elif family == AF_INET:
            pairs = [p for p in pairs if p[0] == AF_INET]
        if not pairs:
            raise _libc.gaierror("EAI_NODATA", f"zio.dns: {name!r} has no address of the requested family")
        result: list = []
        per_address = (flags & ~_LOOKUP_FLAGS) | AI_NUMERICHOST
        for fam, address in sort_addresses(pairs):
            result += _libc.real_getaddrinfo(address, port, fam, type, proto, per_address)
        if flags & AI_CANONNAME and result:
            first = result[0]
            result[0] = (first[0], first[1], first[2], canonical, first[4])
        return result

    def gethostbyname(self, hostname: Any) -> str:
        """:func:`socket.gethostbyname` (IPv4 only, like the stdlib)."""
        if not isinstance(hostname, (str, bytes, bytearray)):
            return _libc.gethostbyname(hostname)  # raises the stdlib's TypeError
        text = _host_text(hostname)
        if text in ("", "<broadcast>") or _is_ipv4(text):
            return _libc.gethostbyname(hostname)  # no lookup involved
        return self.getaddrinfo(hostname, None, AF_INET)[0][4][0]

    def gethostbyname_ex(self, hostname: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyname_ex`: (official name, aliases, IPv4 addresses)."""
        if not isinstance(hostname, (str, bytes, bytearray)):
            return _libc.gethostbyname_ex(hostname)
        text = _host_text(hostname)
        if text in ("", "<broadcast>"):
            return _libc.gethostbyname_ex(hostname)
        try:
            # Numeric (including inet_aton forms like "127.1"): libc answers without a lookup.
            _libc.getaddrinfo(text, None, AF_INET, 0, 0, AI_NUMERICHOST)
            return _libc.gethostbyname_ex(hostname)
        except _socket.gaierror as exc:
            if exc.errno != _socket.EAI_NONAME:
                raise
        try:
            canonical, aliases, pairs = self._lookup(text, True, False)
        except LookupFailed as exc:
            # CPython resolves with getaddrinfo first, so failures are gaierrors.
            raise _libc.gaierror(_GAI_FOR_HERRNO[exc.herrno], f"zio.dns: {exc.detail}") from None
        addresses = [a for f, a in pairs if f == AF_INET]
        if not addresses:
            raise _libc.gaierror("EAI_NODATA", f"zio.dns: {text!r} has no IPv4 address")
        return canonical, aliases, addresses

    def _address_of(self, ip_address: Any) -> tuple[int, str]:
        """CPython's setipaddr(name, AF_UNSPEC): the address to reverse-resolve."""
        text = _host_text(ip_address)
        if text == "":
            info = _libc.getaddrinfo(None, "0", AF_UNSPEC, _socket.SOCK_DGRAM, 0, _socket.AI_PASSIVE)[0]
            return info[0], info[4][0]
        if text in ("<broadcast>", "255.255.255.255"):
            return AF_INET, "255.255.255.255"
        info = self.getaddrinfo(ip_address, None, AF_UNSPEC)[0]
        return int(info[0]), info[4][0]

    def _reverse(self, family: int, address: str) -> list[str]:
        """Names for an address: the hosts file's line, else PTR records.  Raises LookupFailed."""
        packed = _libc.inet_pton(family, address.split("%", 1)[0])
        family, packed = _unmapped(family, packed)
        config = self.config
        entry = load_hosts(config.hosts_path).reverse(family, packed)
        if entry is not None:
            return list(entry.names)
        _state.get_hub().checkpoint()
        return QueryEngine(config).reverse(_libc.inet_ntop(family, packed))

    def gethostbyaddr(self, ip_address: Any) -> tuple[str, list[str], list[str]]:
        """:func:`socket.gethostbyaddr`: (host name, aliases, [address]); ``socket.herror`` if unknown."""
        if not isinstance(ip_address, (str, bytes, bytearray)):
            return _libc.gethostbyaddr(ip_address)
        family, address = self._address_of(ip_address)
        try:
            names = self._reverse(family, address)
        except LookupFailed as exc:
            raise _libc.herror(exc.herrno, f"zio.dns: {exc.detail}") from None
        return names[0], names[1:], [address.split("%", 1)[0]]

    def getnameinfo(self, sockaddr: Any, flags: int) -> tuple[str, str]:
        """:func:`socket.getnameinfo`: (host, port) names for a numeric socket address."""
        # libc validates the sockaddr and names the service; only the host lookup is ours.
        if flags & _socket.NI_NUMERICHOST:
            return _libc.getnameinfo(sockaddr, flags)
        # NI_NAMEREQD with NI_NUMERICHOST is a contradiction libc rejects: leave it out here.
        numeric_host, service = _libc.getnameinfo(sockaddr, (flags & ~_socket.NI_NAMEREQD) | _socket.NI_NUMERICHOST)
        plain = numeric_host.split("%", 1)[0]
        family = AF_INET6 if ":" in plain else AF_INET
        try:
            host = self._reverse(family, plain)[0]
        except LookupFailed as exc:
            # As glibc: servers that failed are EAI_AGAIN with or without
            # NI_NAMEREQD; only a name that does not exist falls back to the
            # numeric form (or EAI_NONAME with NI_NAMEREQD).
            if exc.herrno == TRY_AGAIN:
                raise _libc.gaierror("EAI_AGAIN", f"zio.dns: {exc.detail}") from None
            if flags & _socket.NI_NAMEREQD:
                raise _libc.gaierror("EAI_NONAME", f"zio.dns: {exc.detail}") from None
            return numeric_host, service
        if flags & _socket.NI_NOFQDN:
            host = _strip_local_domain(host)
        return host, service

    def __repr__(self) -> str:
        where = self._config.source if self._config is not None else self._resolv_conf
        return f"<DNSResolver {where}>"


def _family_name(family: int) -> str:
    return "IPv4" if family == AF_INET else "IPv6"


def _is_ipv4(text: str) -> bool:
    try:
        _libc.inet_pton(AF_INET, text)
        return True
    except OSError:
        return False


def _strip_local_domain(host: str) -> str:
    """NI_NOFQDN: drop the local domain (that of this machine's host name), as glibc does."""
    hostname = _libc.gethostname()
    if "." not in hostname:
        return host
    domain = hostname.split(".", 1)[1]
    if host.endswith("." + domain):
        return host[: -len(domain) - 1]
    return host
