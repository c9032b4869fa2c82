"""The hosts file (``/etc/hosts``), read like glibc's ``files`` source.

Names match case-insensitively; with several lines for one name, all their
addresses are returned (glibc's ``multi on``, Debian's default); reverse
lookups take the first line with the address.  The file is re-read whenever
it changes, as glibc re-reads it on every lookup.
"""

from __future__ import annotations

import _thread
import os
import socket
from typing import NamedTuple

__all__ = ["HostsEntry", "HostsFile", "load_hosts"]


class HostsEntry(NamedTuple):
    """One line of the hosts file: an address and its names (the first is the official one)."""

    family: int
    address: str
    names: tuple[str, ...]


def _parse_address(text: str) -> tuple[int, bytes] | None:
    """As glibc's files source: inet_pton for IPv6, inet_aton (so "127.1" too) for IPv4."""
    try:
        return socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        pass
    if not text or not text[-1].isalnum():
        return None
    try:
        return socket.AF_INET, socket.inet_aton(text)
    except OSError:
        return None


class HostsFile:
    """The parsed contents of a hosts file."""

    def __init__(self, text: str = "") -> None:
        self._by_name: dict[str, list[HostsEntry]] = {}
        self._by_addr: dict[tuple[int, bytes], HostsEntry] = {}
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].split()
            if len(line) < 2:
                continue
            parsed = _parse_address(line[0])
            if parsed is None:
                continue  # glibc skips lines whose address does not parse (also scoped ones)
            family, packed = parsed
            entry = HostsEntry(family, socket.inet_ntop(family, packed), tuple(line[1:]))
            self._by_addr.setdefault((family, packed), entry)
            for name in entry.names:
                entries = self._by_name.setdefault(name.lower(), [])
                if entry not in entries:
                    entries.append(entry)

    def lookup(self, name: str) -> list[HostsEntry]:
        """Every line naming ``name`` (any family), in file order.

        Names compare as glibc's ``files`` source compares them: ignoring case,
        and exactly otherwise, so ``localhost.`` is not ``localhost`` (it goes
        to DNS, as an absolute name).
        """
        return list(self._by_name.get(name.lower(), ()))

    def reverse(self, family: int, packed: bytes) -> HostsEntry | None:
        """The first line with this address (``packed`` as from ``inet_pton``), if any."""
        return self._by_addr.get((family, packed))


_EMPTY = HostsFile()
_lock = _thread.allocate_lock()  # a real lock: held only around a dict access
_cache: dict[str, tuple[tuple, HostsFile]] = {}


def load_hosts(path: str | None) -> HostsFile:
    """The parsed hosts file at ``path`` (empty if it is missing or unreadable, as for glibc)."""
    if path is None:
        return _EMPTY
    try:
        st = os.stat(path)
    except OSError:
        return _EMPTY
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _lock:
        entry = _cache.get(path)
    if entry is not None and entry[0] == key:
        return entry[1]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            hosts = HostsFile(f.read())
    except OSError:
        return _EMPTY
    with _lock:
        _cache[path] = (key, hosts)
    return hosts
