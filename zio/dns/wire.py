"""DNS messages on the wire: building queries and judging replies.

dnspython does the delicate parts (name encoding with escapes and length
limits, name decompression with its pointer-loop guards, the bounds-checked
reader); the message envelope around them is assembled and read here with
:mod:`struct`, because ``dns.message`` builds a full object model per reply
and that cost about four times the rest of a lookup (measured with
benchmarks/bench_dns.py).  Only the record types a resolver needs (A, AAAA,
CNAME, PTR) are decoded; others are skipped by length.

Nothing here does I/O.  A reply is accepted only if it carries the query's
id, has the QR bit and the QUERY opcode, and repeats the question exactly
(an off-path forger must guess all of that plus the random source port).
"""

from __future__ import annotations

import _socket
import secrets
import struct
from typing import NamedTuple

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.wire

__all__ = [
    "MalformedReply",
    "Query",
    "RRAnswer",
    "Reply",
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

_HEADER = struct.Struct("!HHHHHH")
_QTAIL = struct.Struct("!HH")
_RR = struct.Struct("!HHIH")
_CLASS_IN = 1
_FLAG_QR = 0x8000
_FLAG_TC = 0x0200
_FLAG_RD = 0x0100
_OPCODE_MASK = 0x7800
_A, _AAAA, _CNAME, _PTR, _OPT = 1, 28, 5, 12, 41
_POINTER_TO_QUESTION = b"\xc0\x0c"  # a compression pointer to offset 12, where the question's name is
_AF_INET = _socket.AF_INET
_AF_INET6 = _socket.AF_INET6
_inet_ntop = _socket.inet_ntop


class MalformedReply(Exception):
    """A datagram or stream message that is not a parsable DNS reply."""


class ReplyMismatch(Exception):
    """A well-formed reply that does not answer our question (ignored, like glibc does)."""


class Query(NamedTuple):
    """One question sent to a server: its id, its wire form and what we asked."""

    id: int
    wire: bytes
    qname: dns.name.Name
    rdtype: int
    #: The question section as sent (a reply normally echoes it byte for byte).
    question: bytes


def make_query(qname: dns.name.Name, rdtype: int, *, edns0: bool = False) -> Query:
    """A recursive query with a fresh random id (CSPRNG: ids are half the anti-spoofing)."""
    ident = secrets.randbelow(65536)
    question = qname.to_wire() + _QTAIL.pack(rdtype, _CLASS_IN)
    wire = _HEADER.pack(ident, _FLAG_RD, 1, 0, 0, 1 if edns0 else 0) + question
    if edns0:
        # OPT pseudo-record: root name, type OPT, class = payload size, ttl = 0 (version 0, no flags).
        wire += b"\x00" + _RR.pack(_OPT, EDNS_PAYLOAD, 0, 0)
    return Query(ident, wire, qname, rdtype, question)


def header_id(data: bytes) -> int | None:
    """The message id of ``data``, or None if it is too short to be DNS."""
    if len(data) < 12:
        return None
    return int.from_bytes(data[:2], "big")


def is_truncated(data: bytes) -> bool:
    """Whether the header's TC bit is set (read before parsing: a cut reply may not parse)."""
    return len(data) >= 12 and bool(data[2] & 0x02)


class Record(NamedTuple):
    """One decoded answer record: owner, type, and the address (A/AAAA) or target name."""

    name: dns.name.Name
    rdtype: int
    value: object


class Reply(NamedTuple):
    """The parts of a reply a resolver uses."""

    id: int
    flags: int
    rcode: int
    answers: tuple[Record, ...]


def _name_at(data: bytes, offset: int, end: int | None = None) -> tuple[dns.name.Name, int]:
    """The (possibly compressed) name at ``offset`` and the offset after it; within ``end`` if given."""
    parser = dns.wire.Parser(data, offset)
    if end is None:
        name = dns.name.from_wire_parser(parser)
    else:
        with parser.restrict_to(end - offset):  # the name must fill the rdata exactly
            name = dns.name.from_wire_parser(parser)
    return name, parser.current


def _read_records(data: bytes, offset: int, count: int, qname: dns.name.Name) -> list[Record]:
    records = []
    size = len(data)
    for _ in range(count):
        if data[offset : offset + 2] == _POINTER_TO_QUESTION:
            # The usual case: the owner is a pointer to the question's name, already checked.
            owner, offset = qname, offset + 2
        else:
            owner, offset = _name_at(data, offset)
        if offset + 10 > size:
            raise MalformedReply("a record runs past the end of the reply")
        rdtype, rdclass, _ttl, rdlen = _RR.unpack_from(data, offset)
        offset += 10
        rdend = offset + rdlen
        if rdend > size:
            raise MalformedReply(f"the data of a record for {owner} runs past the end of the reply")
        if rdclass == _CLASS_IN:
            if rdtype == _A:
                if rdlen != 4:
                    raise MalformedReply(f"an A record of {rdlen} bytes for {owner}")
                records.append(Record(owner, rdtype, _inet_ntop(_AF_INET, data[offset:rdend])))
            elif rdtype == _AAAA:
                if rdlen != 16:
                    raise MalformedReply(f"an AAAA record of {rdlen} bytes for {owner}")
                records.append(Record(owner, rdtype, _inet_ntop(_AF_INET6, data[offset:rdend])))
            elif rdtype == _CNAME or rdtype == _PTR:
                records.append(Record(owner, rdtype, _name_at(data, offset, rdend)[0]))
        offset = rdend
    return records


def parse_reply(query: Query, data: bytes, *, question_only: bool = False) -> Reply:
    """Parse and check ``data`` as the reply to ``query``.

    Raises :class:`ReplyMismatch` for a reply to something else (wrong id,
    question, flags) and :class:`MalformedReply` for bytes that are not DNS.
    ``question_only`` reads just the header and question (for truncated replies).
    """
    if len(data) < 12:
        raise MalformedReply(f"{len(data)} bytes is shorter than a DNS header")
    ident, flags, qdcount, ancount, _nscount, _arcount = _HEADER.unpack_from(data)
    if ident != query.id:
        raise ReplyMismatch(f"reply id {ident} does not match query id {query.id}")
    if not flags & _FLAG_QR:
        raise ReplyMismatch("the message is a query, not a reply")
    if flags & _OPCODE_MASK:
        raise ReplyMismatch(f"unexpected opcode {(flags & _OPCODE_MASK) >> 11}")
    rcode = flags & 0x000F
    offset = 12
    try:
        if qdcount == 0:
            # Servers may drop the question from an error reply (FORMERR, NOTIMP, REFUSED).
            if rcode == dns.rcode.NOERROR:
                raise ReplyMismatch("the reply has no question section")
        elif qdcount != 1:
            raise ReplyMismatch(f"the reply has {qdcount} questions")
        elif data[12 : 12 + len(query.question)] == query.question:
            offset += len(query.question)  # echoed byte for byte: the usual case
        else:
            qname, offset = _name_at(data, 12)
            if offset + 4 > len(data):
                raise MalformedReply("the question runs past the end of the reply")
            qtype, qclass = _QTAIL.unpack_from(data, offset)
            offset += 4
            # Names compare case-insensitively: a server may change the case.
            if qname != query.qname or qtype != query.rdtype or qclass != _CLASS_IN:
                raise ReplyMismatch(
                    f"the reply answers {qname} {dns.rdatatype.to_text(qtype)}, "
                    f"not {query.qname} {dns.rdatatype.to_text(query.rdtype)}"
                )
        answers: list[Record] = []
        if not question_only and not flags & _FLAG_TC and qdcount == 1:
            answers = _read_records(data, offset, ancount, query.qname)
    except dns.exception.DNSException as exc:
        raise MalformedReply(f"cannot parse the reply: {type(exc).__name__}: {exc}") from None
    except (ValueError, IndexError, struct.error) as exc:  # defensive: the parser should wrap these
        raise MalformedReply(f"cannot parse the reply: {exc!r}") from None
    return Reply(ident, flags, rcode, tuple(answers))


class RRAnswer(NamedTuple):
    """What a reply says about our name: the canonical name, the CNAMEs on the way, the records."""

    canonical: dns.name.Name
    aliases: tuple[dns.name.Name, ...]
    records: tuple[str, ...]


def _find(answers: tuple[Record, ...], name: dns.name.Name, rdtype: int) -> list[Record]:
    return [r for r in answers if r.rdtype == rdtype and r.name == name]


def extract(reply: Reply, qname: dns.name.Name, rdtype: int) -> RRAnswer:
    """Follow the CNAME chain from ``qname`` through the answers; collect ``rdtype`` records.

    A/AAAA give address strings, PTR gives target names (without the final dot).
    """
    name = qname
    aliases: list[dns.name.Name] = []
    seen = {name}
    for _ in range(MAX_CNAME_CHAIN):
        if rdtype == _CNAME:
            break
        cnames = _find(reply.answers, name, _CNAME)
        if not cnames:
            break
        target = cnames[0].value
        if target in seen:
            break  # a CNAME loop: what we have so far is all there is
        aliases.append(name)
        seen.add(target)
        name = target  # type: ignore[assignment]
    found = _find(reply.answers, name, rdtype)
    if rdtype in (_CNAME, _PTR):
        records = tuple(r.value.to_text(omit_final_dot=True) for r in found)  # type: ignore[attr-defined]
    else:
        records = tuple(str(r.value) for r in found)
    return RRAnswer(name, tuple(aliases), records)
