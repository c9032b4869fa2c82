"""Resolver configuration: ``/etc/resolv.conf`` parsed the way glibc reads it.

:class:`ResolverConfig` is also the way to point the resolver somewhere
else: resolv.conf has no syntax for a port, a config object does
(``ResolverConfig(nameservers=[("127.0.0.1", 5353)])``).
"""

from __future__ import annotations

import _thread
import dataclasses
import ipaddress
import os
from typing import Iterable, Sequence, Union

from . import _libc

__all__ = ["DEFAULT_RESOLV_CONF", "ResolvConfError", "ResolverConfig", "load_resolv_conf", "parse_resolv_conf"]

DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
DEFAULT_HOSTS = "/etc/hosts"

# glibc's limits (resolv.h: MAXNS, RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY).
MAX_NAMESERVERS = 3
MAX_NDOTS = 15
MAX_TIMEOUT = 30
MAX_ATTEMPTS = 5

NameserverSpec = Union[str, "tuple[str, int]"]


class ResolvConfError(ValueError):
    """A resolver configuration that cannot be used (no readable file, no nameserver)."""


def _normalize_nameserver(spec: NameserverSpec) -> tuple[str, int]:
    if isinstance(spec, str):
        host, port = spec, 53
    else:
        try:
            host, port = spec
        except (TypeError, ValueError):
            raise TypeError(f"a nameserver is an address string or an (address, port) pair, not {spec!r}")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"nameserver port must be an int in 1..65535, got {port!r}")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        raise ValueError(f"nameserver must be a numeric IPv4 or IPv6 address, got {host!r}")
    return host, port


@dataclasses.dataclass(frozen=True)
class ResolverConfig:
    """Everything the DNS resolver needs to know; immutable.

    ``timeout`` is the wait for one reply from one server, in seconds (a float
    is allowed here, resolv.conf only has whole seconds); ``attempts`` how many
    rounds over all servers; ``ndots`` the dot count from which a name is first
    tried as given before the search list.  The option names follow
    ``resolv.conf(5)``.
    """

    nameservers: Sequence[tuple[str, int]] = (("127.0.0.1", 53),)
    search: Sequence[str] = ()
    ndots: int = 1
    timeout: float = 5.0
    attempts: int = 2
    rotate: bool = False
    edns0: bool = False
    use_vc: bool = False
    single_request: bool = False
    no_aaaa: bool = False
    no_tld_query: bool = False
    hosts_path: str | None = DEFAULT_HOSTS
    #: Where this config came from, for error messages.
    source: str = "ResolverConfig()"

    def __post_init__(self) -> None:
        servers = tuple(_normalize_nameserver(s) for s in self.nameservers)
        if not servers:
            raise ResolvConfError(f"{self.source}: no nameserver configured")
        object.__setattr__(self, "nameservers", servers)
        object.__setattr__(self, "search", tuple(d.strip(".") for d in self.search if d.strip(".")))
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        if not isinstance(self.attempts, int) or self.attempts < 1:
            raise ValueError(f"attempts must be a positive int, got {self.attempts!r}")
        if not isinstance(self.ndots, int) or self.ndots < 0:
            raise ValueError(f"ndots must be a non-negative int, got {self.ndots!r}")

    def replace(self, **changes: object) -> "ResolverConfig":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _apply_options(fields: dict, tokens: Iterable[str]) -> None:
    for token in tokens:
        name, _, value = token.partition(":")
        try:
            if name == "ndots" and value:
                fields["ndots"] = min(max(int(value), 0), MAX_NDOTS)
            elif name == "timeout" and value:
                fields["timeout"] = float(min(max(int(value), 1), MAX_TIMEOUT))
            elif name == "attempts" and value:
                fields["attempts"] = min(max(int(value), 1), MAX_ATTEMPTS)
        except ValueError:
            continue  # glibc ignores an option it cannot parse
        if name == "rotate":
            fields["rotate"] = True
        elif name == "edns0":
            fields["edns0"] = True
        elif name == "use-vc":
            fields["use_vc"] = True
        elif name in ("single-request", "single-request-reopen"):
            fields["single_request"] = True
        elif name == "no-aaaa":
            fields["no_aaaa"] = True
        elif name == "no-tld-query":
            fields["no_tld_query"] = True
        # Others (inet6, trust-ad, no-reload, debug, ...) do not change lookups here.


def parse_resolv_conf(
    text: str,
    *,
    source: str = DEFAULT_RESOLV_CONF,
    environ: "os._Environ[str] | dict[str, str] | None" = None,
    hosts_path: str | None = DEFAULT_HOSTS,
) -> ResolverConfig:
    """Parse resolv.conf text like glibc: nameserver (first 3), domain/search (last wins), options.

    ``LOCALDOMAIN`` and ``RES_OPTIONS`` in ``environ`` (default ``os.environ``)
    override the file, as in glibc.  Raises :class:`ResolvConfError` if no
    usable ``nameserver`` line is present.
    """
    env = os.environ if environ is None else environ
    servers: list[tuple[str, int]] = []
    search: list[str] | None = None
    fields: dict = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        words = line.split()
        keyword, args = words[0], words[1:]
        if keyword == "nameserver" and args:
            if len(servers) < MAX_NAMESERVERS:
                try:
                    servers.append(_normalize_nameserver(args[0]))
                except ValueError:
                    pass  # glibc skips an unparsable address
        elif keyword == "domain" and args:
            search = [args[0]]
        elif keyword == "search":
            search = list(args)
        elif keyword == "options":
            _apply_options(fields, args)
    local_domain = env.get("LOCALDOMAIN")
    if local_domain is not None:
        search = local_domain.split()
    res_options = env.get("RES_OPTIONS")
    if res_options:
        _apply_options(fields, res_options.split())
    if not servers:
        raise ResolvConfError(f"{source}: no usable 'nameserver' line")
    if search is None:
        # glibc: without domain/search, the domain part of the host name.
        hostname = _libc.gethostname()
        search = [hostname.split(".", 1)[1]] if "." in hostname else []
    return ResolverConfig(nameservers=servers, search=search, hosts_path=hosts_path, source=source, **fields)


class _Cache:
    """The parsed system file, re-read when it changes (glibc also reloads on change)."""

    def __init__(self) -> None:
        # A real lock (not a fiber lock): held only around a dict access, never across a wait.
        self._lock = _thread.allocate_lock()
        self._entries: dict[str, tuple[tuple, ResolverConfig]] = {}

    def load(self, path: str) -> ResolverConfig:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ResolvConfError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
        key = (st.st_ino, st.st_mtime_ns, st.st_size, os.environ.get("LOCALDOMAIN"), os.environ.get("RES_OPTIONS"))
        with self._lock:
            entry = self._entries.get(path)
        if entry is not None and entry[0] == key:
            return entry[1]
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as exc:
            raise ResolvConfError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
        config = parse_resolv_conf(text, source=path)
        with self._lock:
            self._entries[path] = (key, config)
        return config


_cache = _Cache()


def load_resolv_conf(path: str = DEFAULT_RESOLV_CONF) -> ResolverConfig:
    """The :class:`ResolverConfig` of ``path`` (cached; re-parsed when the file changes)."""
    return _cache.load(path)
