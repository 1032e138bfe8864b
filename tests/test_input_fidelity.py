"""Input fidelity: what nflint cannot read stays in the model as "may match" instead of making
a rule broader, and what real tools print (nft's `!` operator, a translated xt comment in the
middle of a rule, `pkttype`) is read."""
from __future__ import annotations

import json

import pytest

from nflint import api, inputs, sections
from nflint.diagnostics import Severity
from nflint.frontends import nft_json, nft_text
from nflint.matches import ConntrackMatch, PortMatch, TcpFlagsMatch, UnknownMatch
from nflint.statements import UnknownAction, Verdict

GARBLED = """\
table ip filter {
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		ip daddr 10.0.0.~~ tcp dport 80 accept
		~~~ ### ~~~
	}
}
"""


def _rules(c, chain):
    return [r for t in c.tables for ch in t.chains if ch.name == chain for r in ch.rules]


def test_unreadable_words_of_a_rule_are_kept_as_an_unknown_match():
    c = nft_text.parse(GARBLED, "g.nft")
    errors = [p for p in c.problems if p.code == "NF001" and p.severity == Severity.ERROR]
    assert [p.span.line for p in errors] == [4, 5]
    first, whole = _rules(c, "FORWARD")
    unknown = [m for m in first.matches if isinstance(m, UnknownMatch)]
    assert unknown and all(m.module == "nft" for m in unknown)
    assert "ip daddr" in " ".join(m.text for m in unknown)
    assert any(isinstance(m, PortMatch) for m in first.matches)  # the readable rest is kept
    assert first.verdict == Verdict("accept")
    # a rule with nothing readable stays a rule: unknown match, unknown action
    assert [type(m) for m in whole.matches] == [UnknownMatch]
    assert any(isinstance(a, UnknownAction) for a in whole.actions)
    assert "kept as unknown" in errors[0].message


def test_kept_words_are_listed_by_nf002():
    reports = api.check_paths(["-"], stdin_text=GARBLED, stdin_name="g.nft",
                              selection=api.Selection(select=("NF002",)))
    nf002 = [d for r in reports for d in r.diagnostics if d.code == "NF002"]
    assert nf002 and "ip daddr" in " ".join(d.message for d in nf002)


NEG_TEXT = """\
table ip t {
	chain c {
		type filter hook input priority filter; policy accept;
		ct state ! invalid accept
		ct status ! assured accept
		ct state ! established,related accept
		tcp flags ! syn,ack accept
		meta l4proto udp udp dport { 53, 5353 } comment "dns in" counter packets 0 bytes 0 accept
		pkttype != broadcast accept
	}
}
"""
# what nft 1.0.6 `-j` prints for the first four rules above
NEG_JSON = {"nftables": [
    {"table": {"family": "ip", "name": "t", "handle": 1}},
    {"chain": {"family": "ip", "table": "t", "name": "c", "handle": 1, "type": "filter",
               "hook": "input", "prio": 0, "policy": "accept"}},
] + [{"rule": {"family": "ip", "table": "t", "chain": "c", "handle": i + 2,
               "expr": [{"match": {"op": "!", "left": left, "right": right}}, {"accept": None}]}}
     for i, (left, right) in enumerate([
         ({"ct": {"key": "state"}}, "invalid"),
         ({"ct": {"key": "status"}}, "assured"),
         ({"ct": {"key": "state"}}, ["established", "related"]),
         ({"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"])])]}


def _none_of_checks(rules):
    assert rules[0].matches == (ConntrackMatch("state", ("invalid",), negated=True),)
    assert rules[1].matches == (ConntrackMatch("status", ("assured",), negated=True),)
    assert rules[2].matches == (ConntrackMatch("state", ("established", "related"),
                                               negated=True),)
    flags = next(m for m in rules[3].matches if isinstance(m, TcpFlagsMatch))
    assert (set(flags.mask), flags.comp, flags.negated) == ({"syn", "ack"}, (), False)


def test_none_of_operator_in_text_and_json():
    text = nft_text.parse(NEG_TEXT, "n.nft")
    assert not [p for p in text.problems if p.code == "NF001"], text.problems
    rules = _rules(text, "c")
    _none_of_checks(rules)
    dns = rules[4]
    assert PortMatch("dport", ((53, 53), (5353, 5353)), "udp") in dns.matches
    assert dns.verdict == Verdict("accept")
    assert not any(isinstance(m, UnknownMatch) for r in rules for m in r.matches)
    js = nft_json.parse(json.dumps(NEG_JSON), "n.json")
    assert not [p for p in js.problems if p.code == "NF001"], js.problems
    _none_of_checks(_rules(js, "c"))


def test_seed_paste_keeps_the_addresses_the_forum_ate_as_unknown():
    from pathlib import Path
    seed = Path(__file__).resolve().parent / "data" / "nft" / "seed002-paste.nft"
    c = nft_text.parse(seed.read_text(), seed.name)
    docker = next(t for t in c.tables if (t.family, t.name) == ("ip", "filter")).chain("DOCKER")
    lost = {r.span.line: [m.text for m in r.matches if isinstance(m, UnknownMatch)]
            for r in docker.rules}
    assert [lost[n] for n in (25, 26, 27, 28)] == [["ip daddr"]] * 4


# ---------------------------------------------------------------- sections and merging

@pytest.mark.parametrize("line,fmt", [
    ("# ip6tables-save (note)", "iptables-save"),
    ("$ sudo iptables-save # on the host", "iptables-save"),
    ("# iptables-save  # on the host", "iptables-save"),
    ("# iptables -t nat -L -n -v (docker host)", "iptables-list"),
])
def test_prompt_with_trailing_prose_is_a_prompt(line, fmt):
    cmd = sections.prompt_command(line)
    assert cmd is not None and sections.describe_command(cmd).format == fmt


@pytest.mark.parametrize("line", ["# iptables (see below)", "# ip (the gateway)",
                                  "# iptables-save is what I ran"])
def test_prose_after_a_non_dump_word_stays_a_comment(line):
    assert sections.prompt_command(line) is None


TWICE = """\
# ip6tables-save (host A)
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
-A FORWARD -i docker0 -j ACCEPT
COMMIT

and after the change:

$ sudo ip6tables-save # on the host
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
-A FORWARD -i docker0 -j DROP
COMMIT
"""

EXCERPTS = """\
# iptables -t nat -L PREROUTING -n -v
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 DOCKER     all  --  *      *       0.0.0.0/0            0.0.0.0/0

# iptables -t nat -L POSTROUTING -n -v
Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 MASQUERADE  all  --  *      !docker0  172.17.0.0/16        0.0.0.0/0
"""


def _load(text):
    host, problems, secs = inputs.load_host(["-"], stdin_text=text, stdin_name="paste.txt")
    return host, secs


def test_two_different_dumps_of_one_table_are_reported_with_both_places():
    host, secs = _load(TWICE)
    assert [s.format for s in secs if s.format] == ["iptables-save", "iptables-save"]
    said = [a for a in host.assumptions if "given twice" in a]
    assert len(said) == 1 and "paste.txt:4" in said[0] and "paste.txt:13" in said[0]  # the :FORWARD lines
    assert "FORWARD" in said[0]


def test_the_same_dump_twice_and_excerpts_of_one_listing_are_quiet():
    host, _ = _load(TWICE.replace("-j DROP", "-j ACCEPT"))
    assert not [a for a in host.assumptions if "given twice" in a]
    host, _ = _load(EXCERPTS)
    nat = next(t for t in host.tables if t.name == "nat")
    assert {c.name for c in nat.chains} == {"PREROUTING", "POSTROUTING"}
    assert not [a for a in host.assumptions if "given twice" in a]
