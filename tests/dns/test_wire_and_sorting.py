"""Reply checking never crashes on junk; address ordering follows RFC 6724 like glibc."""

from __future__ import annotations

import socket

import dns.flags
import dns.message
import dns.name
import dns.rcode
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
    reply = dns.message.make_response(query.message)
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
    reply = dns.message.make_response(query.message)
    assert parse_reply(query, reply.to_wire()).id == query.message.id
    as_query = dns.message.make_query(QNAME, "A")
    as_query.id = query.message.id
    with pytest.raises(ReplyMismatch, match="query, not a reply"):
        parse_reply(query, as_query.to_wire())
    other = dns.message.make_response(dns.message.make_query("other.example.", "A", id=query.message.id))
    with pytest.raises(ReplyMismatch, match="answers other.example"):
        parse_reply(query, other.to_wire())
    wrong_type = dns.message.make_response(dns.message.make_query(QNAME, "AAAA", id=query.message.id))
    with pytest.raises(ReplyMismatch):
        parse_reply(query, wrong_type.to_wire())
    with pytest.raises(MalformedReply, match="shorter than a DNS header"):
        parse_reply(query, b"\x01\x02")
    # An error reply without a question is accepted (servers do that for FORMERR/REFUSED).
    bare = dns.message.Message(id=query.message.id)
    bare.flags = dns.flags.QR
    bare.set_rcode(dns.rcode.REFUSED)
    assert parse_reply(query, bare.to_wire()).rcode() == dns.rcode.REFUSED


def test_cname_loop_is_cut() -> None:
    query = _query()
    reply = dns.message.make_response(query.message)
    reply.answer.append(dns.rrset.from_text(QNAME, 60, "IN", "CNAME", "b.example."))
    reply.answer.append(dns.rrset.from_text("b.example.", 60, "IN", "CNAME", "www.example."))
    answer = extract(reply, QNAME, dns.rdatatype.A)
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
