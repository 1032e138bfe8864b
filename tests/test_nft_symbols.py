"""Flag sets and symbolic values read alike whichever way nft spells them: nested or flat `|`
(nft versions differ), `nft -n` numbers, and the xt-compat warning worded by input form."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparable import comparable_tables
from nflint.frontends import nft_json, nft_text
from nflint.frontends.nft_exprs import StatementMapper
from nflint.matches import ConntrackMatch, TcpFlagsMatch
from nflint.statements import CtSetAction, VerdictMap

DATA = Path(__file__).resolve().parent / "data" / "nft" / "symbols"


def _matches(stmt: dict):
    matches, _, _ = StatementMapper().rule([stmt, {"accept": None}])
    return matches


def _ct(key: str, right, op: str = "!="):
    return {"match": {"op": op, "left": {"ct": {"key": key}}, "right": right}}


@pytest.mark.parametrize("right", [
    {"|": [{"|": ["confirmed", "snat"]}, "dnat"]},  # nft 1.0.6 -j
    {"|": ["confirmed", {"|": ["snat", "dnat"]}]},
    {"|": ["confirmed", "snat", "dnat"]},  # newer nft -j, and the text frontend
    {"|": [8, 16, 32]},  # nft -n
])
def test_an_or_of_flags_is_one_flag_set_however_nested(right):
    assert _matches(_ct("status", right)) == (
        ConntrackMatch("status", ("confirmed", "snat", "dnat"), negated=True),)


def test_ct_state_not_established_or_related_as_nft_1_0_6_prints_it():
    doc = json.loads((DATA / "listing.json").read_text())
    first = next(o["rule"] for o in doc["nftables"] if "rule" in o)
    assert first["expr"][0]["match"]["right"] == {"|": ["established", "related"]}
    status = [o["rule"]["expr"][0] for o in doc["nftables"] if "rule" in o
              and "|" in json.dumps(o["rule"]["expr"][0]) and "status" in json.dumps(o)]
    assert status and isinstance(status[0]["match"]["right"]["|"][0], dict)  # nested
    c = nft_json.parse(json.dumps(doc), "listing.json")
    rules = c.tables[0].chains[0].rules
    assert rules[0].matches == (ConntrackMatch("state", ("established", "related"),
                                               negated=True),)
    assert ConntrackMatch("status", ("confirmed", "snat", "dnat"), negated=True) in [
        m for r in rules for m in r.matches]


def test_numeric_listing_reads_like_the_symbolic_one_and_the_json():
    """`nft -n list ruleset` and `nft list ruleset` of one ruleset (nft 1.0.6) give one model,
    and it is the model of `nft -j list ruleset`."""
    symbolic = nft_text.parse((DATA / "listing.nft").read_text(), "listing.nft")
    numeric = nft_text.parse((DATA / "listing-n.nft").read_text(), "listing-n.nft")
    from_json = nft_json.parse((DATA / "listing.json").read_text(), "listing.json")
    for c in (symbolic, numeric, from_json):
        assert not [p.message for p in c.problems]
    assert "0x2" in (DATA / "listing-n.nft").read_text()
    assert (comparable_tables(numeric.tables) == comparable_tables(symbolic.tables)
            == comparable_tables(from_json.tables))
    rules = [r for t in numeric.tables for ch in t.chains for r in ch.rules]
    assert rules[1].matches == (ConntrackMatch("state", ("established", "related", "new")),)
    vmap = next(a for r in rules for a in r.actions if isinstance(a, VerdictMap))
    assert [k for k, _ in vmap.entries] == ["invalid", "established"]
    assert CtSetAction("event", "new,related") in [a for r in rules for a in r.actions]
    masks = [m for r in rules for m in r.matches if isinstance(m, TcpFlagsMatch)]
    assert masks[0] == TcpFlagsMatch(("syn", "ack"), ("syn",))
    assert TcpFlagsMatch(("fin", "syn", "rst", "ack"), ("syn",), negated=True) in masks


@pytest.mark.parametrize("mask", [0x12, [2, 16], ["syn", "ack"], {"|": ["syn", "ack"]}])
def test_a_mask_of_flags_in_any_spelling(mask):
    stmt = {"match": {"op": "==", "left": {"&": [
        {"payload": {"protocol": "tcp", "field": "flags"}}, mask]}, "right": 2}}
    (_, flags) = _matches(stmt)
    assert flags == TcpFlagsMatch(("syn", "ack"), ("syn",))


def test_numbers_without_a_name_stay_numbers():
    assert _matches(_ct("state", 0x100, op="==")) == (ConntrackMatch("state", ("256",)),)
    assert _matches(_ct("direction", 7, op="==")) == (ConntrackMatch("direction", ("7",)),)


XT_RULE = [
    {"table": {"family": "ip", "name": "filter"}},
    {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "type": "filter",
               "hook": "forward", "prio": 0, "policy": "drop"}},
    {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD",
              "expr": [{"xt": {"type": "match", "name": "physdev"}}, {"accept": None}]}},
]


@pytest.mark.parametrize("fidelity,says,never", [
    ("nft-json", "nft -j does not print", "nft list ruleset"),
    ("nft-text", "`nft list ruleset` prints them", "nft -j"),
])
def test_xt_warning_is_worded_by_input_form(fidelity, says, never):
    c = nft_json.contribution_from_objects(XT_RULE, "in", fidelity=fidelity)
    (nf003,) = [p for p in c.problems if p.code == "NF003"]
    assert says in nf003.message and never not in nf003.message
    assert never not in " ".join(c.assumptions)
    fwd = c.tables[0].chains[0].rules[0]
    assert "nft -j" not in fwd.matches[0].text


@pytest.mark.parametrize("family", ["ipX", "IP", "iP6", "ip6X"])
def test_quick_shape_key_never_hides_an_invalid_object(family):
    """The quick key folds upper case and drops digits: an enum word spelt with either must
    still be validated (and rejected) after a valid object of the same layout."""
    def rule(fam, port):
        return {"rule": {"family": fam, "table": "t", "chain": "c", "handle": 3, "expr": [
            {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                       "right": port}}, {"accept": None}]}}
    objs = [{"table": {"family": "ip", "name": "t"}}, rule("ip", 22), rule("ip6", 80),
            rule(family, 8080), rule("ip", 443)]
    c = nft_json.parse(json.dumps({"nftables": objs}), "q.json")
    assert [p.span.pointer for p in c.problems] == ["/nftables/3/rule/family"]
    assert nft_json.quick_key(json.dumps(rule("ip", 22))) == nft_json.quick_key(
        json.dumps(rule("ip", 8080)))


def test_quick_key_knows_every_digit_enum_word():
    assert all(w.endswith("6") for w in nft_json.DIGIT_ENUM_WORDS)  # quick_key's pre-check
    assert nft_json.quick_key('{"f": "ip6"}') != nft_json.quick_key('{"f": "ip"}')
    assert nft_json.quick_key('{"f": "icmpv6"}') != nft_json.quick_key('{"f": "icmpv"}')


def test_set_elements_of_symbolic_types_read_by_name():
    """`nft -n` lists `192.0.2.1 . 6 . 22` in an ipv4_addr . inet_proto . inet_service set."""
    def listing(proto_tcp, proto_udp, est):
        return ("table inet f {\n\tset svc {\n\t\ttype ipv4_addr . inet_proto . inet_service\n"
                f"\t\telements = {{ 192.0.2.1 . {proto_tcp} . 22, 192.0.2.2 . {proto_udp} . 53 }}"
                f"\n\t}}\n\tset st {{\n\t\ttype ct_state\n\t\telements = {{ {est} }}\n\t}}\n}}\n")
    numeric = nft_text.parse(listing(6, 17, "0x2"), "n.nft")
    symbolic = nft_text.parse(listing("tcp", "udp", "established"), "s.nft")
    assert comparable_tables(numeric.tables) == comparable_tables(symbolic.tables)
    svc, st = numeric.tables[0].sets
    assert svc.elements == ("192.0.2.1 . tcp . 22", "192.0.2.2 . udp . 53")
    assert st.elements == ("established",)


@pytest.mark.parametrize("key, right", [("state", "foo"), ("state", {"set": ["new", "bogus"]}),
                                        ("status", "nope"), ("direction", "sideways")])
def test_a_conntrack_name_nft_refuses_is_kept_unknown_not_read_as_never_matching(key, right):
    from nflint.matches import UnknownMatch
    (m,) = _matches(_ct(key, right, op="=="))
    assert isinstance(m, UnknownMatch) and key in m.text
    (ok,) = _matches(_ct(key, "reply" if key == "direction" else "new" if key == "state"
                         else "assured", op="=="))
    assert isinstance(ok, ConntrackMatch)
