"""Reply checking never crashes on junk; address ordering follows RFC 6724 like glibc."""

from __future__ import annotations

import socket

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zio.dns.sorting import sort_addresses
from zio.dns.wire import MalformedReply, ReplyMismatch, extract, make_query, parse_reply

QNAME = dns.name.from_text("www.example.")


def _query():
    return make_query(QNAME, dns.rdatatype.A)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data: bytes) -> None:
    query = _query()
    for blob in (data, query.wire[:2] + data):  # also with the right id, so parsing is reached
        try:
            parse_reply(query, blob)
        except (MalformedReply, ReplyMismatch):
            pass


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=8))
def test_mangled_real_replies_never_crash(cut: int, junk: bytes) -> None:
    query = _query()
    reply = _response(query)
    reply.answer.append(dns.rrset.from_text(QNAME, 60, "IN", "A", "192.0.2.1", "192.0.2.2"))
    wire = reply.to_wire()
    for blob in (wire[:cut], wire[:cut] + junk + wire[cut:]):
        try:
            msg = parse_reply(query, blob)
        except (MalformedReply, ReplyMismatch):
            continue
        extract(msg, QNAME, dns.rdatatype.A)


def test_checks_on_a_wellformed_reply() -> None:
    query = _query()
    reply = _response(query)
    assert parse_reply(query, reply.to_wire()).id == query.id
    as_query = dns.message.make_query(QNAME, "A")
    as_query.id = query.id
    with pytest.raises(ReplyMismatch, match="query, not a reply"):
        parse_reply(query, as_query.to_wire())
    other = dns.message.make_response(dns.message.make_query("other.example.", "A", id=query.id))
    with pytest.raises(ReplyMismatch, match="answers other.example"):
        parse_reply(query, other.to_wire())
    wrong_type = dns.message.make_response(dns.message.make_query(QNAME, "AAAA", id=query.id))
    with pytest.raises(ReplyMismatch):
        parse_reply(query, wrong_type.to_wire())
    with pytest.raises(MalformedReply, match="shorter than a DNS header"):
        parse_reply(query, b"\x01\x02")
    # An error reply without a question is accepted (servers do that for FORMERR/REFUSED).
    bare = dns.message.Message(id=query.id)
    bare.flags = dns.flags.QR
    bare.set_rcode(dns.rcode.REFUSED)
    assert parse_reply(query, bare.to_wire()).rcode == dns.rcode.REFUSED


def _response(query):
    return dns.message.make_response(dns.message.from_wire(query.wire))


def test_cname_loop_is_cut() -> None:
    query = _query()
    reply = _response(query)
    reply.answer.append(dns.rrset.from_text(QNAME, 60, "IN", "CNAME", "b.example."))
    reply.answer.append(dns.rrset.from_text("b.example.", 60, "IN", "CNAME", "www.example."))
    answer = extract(parse_reply(query, reply.to_wire()), QNAME, dns.rdatatype.A)
    assert answer.records == () and str(answer.canonical) == "b.example."


def test_ipv6_loopback_before_ipv4() -> None:
    # glibc orders getaddrinfo(None, ...) the same way: ::1 (precedence 50) before 127.0.0.1 (10).
    assert sort_addresses([(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]) == [
        (socket.AF_INET6, "::1"),
        (socket.AF_INET, "127.0.0.1"),
    ]
    libc = [info[4][0] for info in socket.getaddrinfo(None, 80, 0, socket.SOCK_STREAM)]
    assert libc == ["::1", "127.0.0.1"] or len(libc) == 1


def test_unreachable_last_and_stable_otherwise() -> None:
    # A link-local address without a scope id cannot be connected to: unusable, so last.
    order = sort_addresses([(socket.AF_INET6, "fe80::1"), (socket.AF_INET, "127.0.0.1")])
    assert order == [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "fe80::1")]
    v4 = [(socket.AF_INET, f"127.0.0.{i}") for i in range(1, 6)]
    assert sort_addresses(v4) == v4
    assert sort_addresses(v4[:1]) == v4[:1]


_OWNERS = [QNAME, dns.name.from_text("b.example."), dns.name.from_text("c.other.")]
_RECORDS = st.one_of(
    st.tuples(st.sampled_from(_OWNERS), st.just("A"), st.ip_addresses(v=4).map(str)),
    st.tuples(st.sampled_from(_OWNERS), st.just("AAAA"), st.ip_addresses(v=6).map(str)),
    st.tuples(st.sampled_from(_OWNERS), st.just("CNAME"), st.sampled_from(["b.example.", "c.other.", "www.example."])),
    st.tuples(st.sampled_from(_OWNERS), st.just("PTR"), st.sampled_from(["h.example.", "x.y.z."])),
    st.tuples(st.sampled_from(_OWNERS), st.just("TXT"), st.just('"some text"')),
    st.tuples(st.sampled_from(_OWNERS), st.just("MX"), st.just("10 mail.example.")),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_RECORDS, max_size=12), st.sampled_from(["A", "AAAA", "PTR"]))
def test_parser_agrees_with_dnspython(records, qtype) -> None:
    """The envelope reader returns exactly the records dnspython's full parser finds."""
    query = make_query(QNAME, dns.rdatatype.from_text(qtype))
    reply = dns.message.make_response(dns.message.from_wire(query.wire))
    for owner, rdtype, text in records:
        reply.find_rrset(reply.answer, owner, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), create=True).add(
            dns.rdata.from_text("IN", rdtype, text), 60
        )
    wire = reply.to_wire()
    ours = parse_reply(query, wire)
    theirs = dns.message.from_wire(wire)
    expected = sorted(
        (str(rrset.name), rrset.rdtype, str(rd.address) if rrset.rdtype in (1, 28) else str(rd.target))
        for rrset in theirs.answer
        if rrset.rdtype in (1, 28, 5, 12)
        for rd in rrset
    )
    assert sorted((str(r.name), r.rdtype, str(r.value)) for r in ours.answers) == expected
    assert ours.id == theirs.id and ours.rcode == theirs.rcode()
