"""The query engine: which names to ask, which servers, how often, how long.

glibc's stub-resolver rules (``resolv.conf(5)``), applied to one lookup:

* search list: a name with at least ``ndots`` dots is tried as given first,
  then with each search domain appended; a shorter one the other way round;
  a name ending in a dot only as given.
* per candidate name, A and AAAA are asked at the same time (two fibers)
  unless ``single-request``; the candidate succeeds if either has records.
* per question, ``attempts`` rounds over the nameservers (starting point
  rotating with ``rotate``), waiting ``timeout`` for each (doubled, and split
  between the servers, on later rounds); SERVFAIL/REFUSED/... move on to the
  next server, NXDOMAIN is final; a truncated UDP reply is asked again over
  TCP; no reply at all ends the search with "try again".
"""

from __future__ import annotations

import itertools
from typing import NamedTuple, Sequence

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename

from .._core import _state
from .._core.cancel import move_on_after
from .._core.group import Group
from ._libc import HOST_NOT_FOUND, NO_DATA, NO_RECOVERY, TRY_AGAIN
from .config import ResolverConfig
from .transport import ServerUnreachable, TruncatedReply, server_label, tcp_exchange, udp_exchange
from .wire import MalformedReply, Reply, ReplyMismatch, extract, make_query

__all__ = ["AddressAnswer", "LookupFailed", "QueryEngine"]

A = dns.rdatatype.A
AAAA = dns.rdatatype.AAAA
PTR = dns.rdatatype.PTR


class LookupFailed(Exception):
    """A lookup found nothing; ``herrno`` is the h_errno glibc would set, ``detail`` says why."""

    def __init__(self, herrno: int, detail: str) -> None:
        super().__init__(detail)
        self.herrno = herrno
        self.detail = detail


class _NoReply(Exception):
    """No server gave a usable reply (timeouts, unreachable, junk): "try again"."""

    def __init__(self, detail: str, server_errors: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        #: True if at least one server replied with an error rcode (glibc's SERVFAIL case).
        self.server_errors = server_errors


class AddressAnswer(NamedTuple):
    """Addresses found for a name: the name that had them, the CNAMEs that led there, per type."""

    canonical: str
    aliases: tuple[str, ...]
    addresses: dict[int, tuple[str, ...]]


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


class QueryEngine:
    """Runs lookups for one :class:`ResolverConfig` (cheap to create; holds no sockets)."""

    _rotation = itertools.count()  # process-wide, like glibc's per-process rotate counter

    def __init__(self, config: ResolverConfig) -> None:
        self.config = config

    # -- names -------------------------------------------------------------------
    def candidates(self, name: str | bytes) -> list[dns.name.Name]:
        """The absolute names to try for ``name``, in order (the search-list rules)."""
        text = name.decode("ascii", "surrogateescape") if isinstance(name, bytes) else name
        try:
            if text.endswith("."):
                return [dns.name.from_text(text)]
            relative = dns.name.from_text(text, origin=None)
        except dns.exception.DNSException as exc:
            raise LookupFailed(HOST_NOT_FOUND, f"{text!r} is not a valid domain name: {exc}") from None
        config = self.config
        searched = []
        for domain in config.search:
            try:
                searched.append(relative.concatenate(dns.name.from_text(domain)))
            except dns.exception.DNSException:
                continue  # too long with this domain: glibc skips it too
        try:
            as_given = [relative.concatenate(dns.name.root)]
        except dns.exception.DNSException as exc:
            raise LookupFailed(HOST_NOT_FOUND, f"{text!r} is not a valid domain name: {exc}") from None
        dots = text.count(".")
        if dots >= config.ndots:
            return as_given + searched
        if dots == 0 and config.no_tld_query:
            return searched
        return searched + as_given

    # -- one question ------------------------------------------------------------
    def _servers(self) -> Sequence[tuple[str, int]]:
        servers = self.config.nameservers
        if self.config.rotate and len(servers) > 1:
            start = next(self._rotation) % len(servers)
            return servers[start:] + servers[:start]
        return servers

    def _exchange(self, qname: dns.name.Name, rdtype: int, server: tuple[str, int], wait: float, problems: list[str]):
        """One try against one server: the reply, or None (reason appended to ``problems``)."""
        label = server_label(server)
        config = self.config
        query = make_query(qname, rdtype, edns0=config.edns0)
        truncated = False
        with move_on_after(wait) as scope:
            try:
                if config.use_vc:
                    return tcp_exchange(query, server)
                return udp_exchange(query, server, problems)
            except TruncatedReply:
                truncated = True
            except (ServerUnreachable, MalformedReply, ReplyMismatch) as exc:
                problems.append(f"{label}: {exc}")
                return None
            except OSError as exc:
                problems.append(f"{label}: {exc.strerror or exc}")
                return None
        if scope.cancelled_caught:
            problems.append(f"{label}: no reply within {wait:g}s")
            return None
        if truncated:
            # The TC bit: ask the same server again over TCP, with a fresh wait.
            with move_on_after(wait) as scope:
                try:
                    return tcp_exchange(query, server)
                except (ServerUnreachable, MalformedReply, ReplyMismatch) as exc:
                    problems.append(f"{label} (TCP after a truncated reply): {exc}")
                    return None
                except OSError as exc:
                    problems.append(f"{label} (TCP after a truncated reply): {exc.strerror or exc}")
                    return None
            problems.append(f"{label}: no TCP reply within {wait:g}s after a truncated UDP reply")
        return None

    def query(self, qname: dns.name.Name, rdtype: int) -> Reply:
        """Ask one question until a server gives NOERROR or NXDOMAIN; return that reply.

        Raises ``_NoReply`` when every server and attempt failed.
        """
        config = self.config
        servers = self._servers()
        problems: list[str] = []
        server_errors = False
        for attempt in range(config.attempts):
            wait = config.timeout
            if attempt:
                wait = config.timeout * (1 << attempt) / len(servers)
            for server in servers:
                msg = self._exchange(qname, rdtype, server, wait, problems)
                if msg is None:
                    continue
                rcode = msg.rcode
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return msg
                server_errors = True
                problems.append(f"{server_label(server)} answered {dns.rcode.to_text(rcode)}")
        what = f"{_text(qname)} {dns.rdatatype.to_text(rdtype)}"
        raise _NoReply(f"no usable answer for {what}: " + "; ".join(problems[-6:]), server_errors)

    # -- lookups -----------------------------------------------------------------
    def _ask(self, qname: dns.name.Name, rdtypes: Sequence[int]) -> list:
        """Ask every type in ``rdtypes`` for ``qname`` (in parallel fibers); replies or _NoReply."""
        results: list = [None] * len(rdtypes)

        def ask(i: int) -> None:
            try:
                results[i] = self.query(qname, rdtypes[i])
            except _NoReply as exc:
                results[i] = exc

        if len(rdtypes) == 1 or self.config.single_request:
            for i in range(len(rdtypes)):
                ask(i)
        else:
            with Group() as group:
                for i in range(len(rdtypes)):
                    group.spawn(ask, i)
            if None in results:
                # A child was cancelled by an enclosing scope; the Group's exit does
                # not re-raise that, so deliver the cancel here rather than go on
                # with half the answers.
                hub = _state.get_hub()
                hub.raise_if_cancelled(hub.current_task())
                raise RuntimeError("zio.dns: a query fiber ended without a result")
        return results

    def resolve(self, name: str | bytes, rdtypes: Sequence[int]) -> AddressAnswer:
        """Addresses of ``name`` for each of ``rdtypes`` (A, AAAA), following the search list.

        Raises :class:`LookupFailed` with glibc's h_errno: HOST_NOT_FOUND (no
        such name), NO_DATA (the name exists without such records), TRY_AGAIN
        (servers failed or did not answer).
        """
        got_nodata = got_servfail = False
        last_problem = ""
        for qname in self.candidates(name):
            results = self._ask(qname, rdtypes)
            found: dict[int, tuple[str, ...]] = {}
            canonical = aliases = None
            exists = False
            no_reply = None
            for rdtype, result in zip(rdtypes, results, strict=False):
                if isinstance(result, _NoReply):
                    no_reply = result
                    continue
                if result.rcode == dns.rcode.NXDOMAIN:
                    continue
                exists = True
                answer = extract(result, qname, rdtype)
                if answer.records:
                    found[rdtype] = answer.records
                    if canonical is None:
                        canonical, aliases = answer.canonical, answer.aliases
            if found:
                return AddressAnswer(_text(canonical), tuple(_text(a) for a in aliases), found)
            if no_reply is not None:
                if not no_reply.server_errors:
                    # Silence (timeouts) ends the search, as in glibc's res_search.
                    raise LookupFailed(TRY_AGAIN, no_reply.detail)
                got_servfail = True
                last_problem = no_reply.detail
            elif exists:
                got_nodata = True
                kinds = "/".join(map(dns.rdatatype.to_text, rdtypes))
                last_problem = f"{_text(qname)} exists but has no {kinds} records"
        if got_nodata:
            return_code = NO_DATA
        elif got_servfail:
            return_code = TRY_AGAIN
        else:
            return_code = HOST_NOT_FOUND
            last_problem = f"no such name: {name!r} (NXDOMAIN for every candidate)"
        raise LookupFailed(return_code, last_problem)

    def reverse(self, address: str) -> list[str]:
        """The PTR names of an IPv4/IPv6 address (first one is the host name)."""
        try:
            qname = dns.reversename.from_address(address)
        except (dns.exception.DNSException, ValueError) as exc:
            raise LookupFailed(NO_RECOVERY, f"cannot build a reverse name for {address!r}: {exc}") from None
        try:
            msg = self.query(qname, PTR)
        except _NoReply as exc:
            raise LookupFailed(TRY_AGAIN, exc.detail) from None
        if msg.rcode == dns.rcode.NXDOMAIN:
            raise LookupFailed(HOST_NOT_FOUND, f"no PTR record for {address} (NXDOMAIN)")
        names = list(extract(msg, qname, PTR).records)
        if not names:
            raise LookupFailed(HOST_NOT_FOUND, f"no PTR record for {address}")
        return names
