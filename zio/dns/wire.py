"""DNS messages on the wire: dnspython builds and parses them, this module judges them.

Nothing here does I/O.  A reply is accepted only if it carries the query's
id, has the QR bit and the QUERY opcode, and repeats the question exactly
(an off-path forger must guess all of that plus the random source port).
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

__all__ = [
    "MalformedReply",
    "Query",
    "RRAnswer",
    "ReplyMismatch",
    "extract",
    "header_id",
    "is_truncated",
    "make_query",
    "parse_reply",
]

#: The EDNS0 UDP payload size we advertise with ``options edns0`` (the DNS flag day 2020 value).
EDNS_PAYLOAD = 1232
#: Longest CNAME chain followed inside one reply (glibc stops at a similar depth).
MAX_CNAME_CHAIN = 16


class MalformedReply(Exception):
    """A datagram or stream message that is not a parsable DNS reply."""


class ReplyMismatch(Exception):
    """A well-formed reply that does not answer our question (ignored, like glibc does)."""


class Query(NamedTuple):
    """One question sent to a server: the message, its wire form and what we asked."""

    message: dns.message.Message
    wire: bytes
    qname: dns.name.Name
    rdtype: int


def make_query(qname: dns.name.Name, rdtype: int, *, edns0: bool = False) -> Query:
    """A recursive query with a fresh random id (CSPRNG: ids are half the anti-spoofing)."""
    msg = dns.message.make_query(
        qname,
        rdtype,
        use_edns=0 if edns0 else False,
        payload=EDNS_PAYLOAD if edns0 else None,
        id=secrets.randbelow(65536),
    )
    return Query(msg, msg.to_wire(), qname, rdtype)


def header_id(data: bytes) -> int | None:
    """The message id of ``data``, or None if it is too short to be DNS."""
    if len(data) < 12:
        return None
    return int.from_bytes(data[:2], "big")


def is_truncated(data: bytes) -> bool:
    """Whether the header's TC bit is set (read before parsing: a cut reply may not parse)."""
    return len(data) >= 12 and bool(data[2] & 0x02)


def _check_question(query: Query, msg: dns.message.Message) -> None:
    if not msg.flags & dns.flags.QR:
        raise ReplyMismatch("the message is a query, not a reply")
    if dns.opcode.from_flags(msg.flags) != dns.opcode.QUERY:
        raise ReplyMismatch(f"unexpected opcode {dns.opcode.to_text(dns.opcode.from_flags(msg.flags))}")
    if not msg.question:
        # Servers may drop the question from an error reply (FORMERR, NOTIMP, REFUSED).
        if msg.rcode() != dns.rcode.NOERROR:
            return
        raise ReplyMismatch("the reply has no question section")
    if len(msg.question) != 1:
        raise ReplyMismatch(f"the reply has {len(msg.question)} questions")
    rrset = msg.question[0]
    if rrset.name != query.qname or rrset.rdtype != query.rdtype or rrset.rdclass != dns.rdataclass.IN:
        raise ReplyMismatch(
            f"the reply answers {rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}, "
            f"not {query.qname} {dns.rdatatype.to_text(query.rdtype)}"
        )


def parse_reply(query: Query, data: bytes, *, question_only: bool = False) -> dns.message.Message:
    """Parse and check ``data`` as the reply to ``query``.

    Raises :class:`ReplyMismatch` for a reply to something else (wrong id,
    question, flags) and :class:`MalformedReply` for bytes that are not DNS.
    ``question_only`` parses just the header and question (for truncated replies).
    """
    ident = header_id(data)
    if ident is None:
        raise MalformedReply(f"{len(data)} bytes is shorter than a DNS header")
    if ident != query.message.id:
        raise ReplyMismatch(f"reply id {ident} does not match query id {query.message.id}")
    try:
        msg = dns.message.from_wire(data, question_only=question_only, ignore_trailing=True)
    except dns.exception.DNSException as exc:
        raise MalformedReply(f"cannot parse the reply: {exc}") from None
    except (ValueError, IndexError, UnicodeError) as exc:  # defensive: dnspython should wrap these
        raise MalformedReply(f"cannot parse the reply: {exc!r}") from None
    _check_question(query, msg)
    return msg


class RRAnswer(NamedTuple):
    """What a reply says about our name: the canonical name, the CNAMEs on the way, the records."""

    canonical: dns.name.Name
    aliases: tuple[dns.name.Name, ...]
    records: tuple[str, ...]


def _find(section: list, name: dns.name.Name, rdtype: int):
    # A scan rather than Message.get_rrset: that relies on an index only parsing fills in.
    for rrset in section:
        if rrset.rdtype == rdtype and rrset.rdclass == dns.rdataclass.IN and rrset.name == name:
            return rrset
    return None


def extract(msg: dns.message.Message, qname: dns.name.Name, rdtype: int) -> RRAnswer:
    """Follow the CNAME chain from ``qname`` through the answer section; collect ``rdtype`` records.

    A/AAAA give address strings, PTR gives target names (without the final dot).
    """
    name = qname
    aliases: list[dns.name.Name] = []
    seen = {name}
    for _ in range(MAX_CNAME_CHAIN):
        rrset = _find(msg.answer, name, dns.rdatatype.CNAME)
        if rrset is None or rdtype == dns.rdatatype.CNAME:
            break
        target = rrset[0].target
        if target in seen:
            break  # a CNAME loop: what we have so far is all there is
        aliases.append(name)
        seen.add(target)
        name = target
    rrset = _find(msg.answer, name, rdtype)
    records: tuple[str, ...] = ()
    if rrset is not None:
        if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            records = tuple(rd.address for rd in rrset)
        elif rdtype == dns.rdatatype.PTR:
            records = tuple(rd.target.to_text(omit_final_dot=True) for rd in rrset)
        else:
            records = tuple(rd.to_text() for rd in rrset)
    return RRAnswer(name, tuple(aliases), records)
