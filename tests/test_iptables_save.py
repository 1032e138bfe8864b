"""The iptables-save frontend: typed mapping, model shape, headers, errors, and fast == Lark."""
from __future__ import annotations

import importlib.util
import ipaddress
import random
from pathlib import Path

import pytest

from nflint.diagnostics import Severity
from nflint.frontends import get
from nflint.frontends.iptables_save import parse
from nflint.matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch,
                            FieldMatch, IcmpTypeMatch, InterfaceMatch, MarkMatch, ModuleMatch,
                            PhysdevMatch, PortMatch, ProtocolMatch, SetMatch, TcpFlagsMatch,
                            UnknownMatch)
from nflint.statements import (CtSetAction, LogAction, MarkAction, NatAction, NotrackAction,
                               OtherAction, UnknownAction, Verdict)

ROOT = Path(__file__).resolve().parents[1]
TRICKY = ROOT / "tests" / "data" / "iptables" / "tricky.rules"


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_kubeproxy",
                                                  ROOT / "bench" / "gen_kubeproxy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _one_rule(line: str, table: str = "filter", **kw):
    """The single rule of a one-line dump."""
    text = f"*{table}\n{line}\nCOMMIT\n"
    c = parse(text, "t", **kw)
    assert not c.problems, [p.message for p in c.problems]
    rules = [r for t in c.tables for ch in t.chains for r in ch.rules]
    assert len(rules) == 1
    return rules[0]


def _both(text: str, **kw):
    fast = parse(text, "t", engine="fast", **kw)
    lark = parse(text, "t", engine="lark", **kw)
    return fast, lark


# -- typed mapping --------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["fast", "lark"])
def test_representative_lines_map_to_typed_matches(engine):
    r = _one_rule('-A INPUT ! -s 192.0.2.0/24 -i br-+ -p tcp -m tcp --dport 1024:2048 '
                  '-m comment --comment "keep \\"this\\"" -j ACCEPT', engine=engine)
    assert r.matches == (
        AddressMatch("saddr", (ipaddress.ip_network("192.0.2.0/24"),), negated=True),
        InterfaceMatch("in", ("br-+",)),
        ProtocolMatch(("tcp",)),
        PortMatch("dport", ((1024, 2048),), "tcp"),
        CommentMatch('keep "this"'),
    )
    assert r.actions == (Verdict("accept"),)
    assert r.comment == 'keep "this"'

    r = _one_rule("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m state --state NEW "
                  "-m addrtype --dst-type LOCAL --limit-iface-out -m mark --mark 0x4000/0x4000 "
                  "-m connmark ! --mark 0x1 -j RETURN", engine=engine)
    assert r.matches == (
        ConntrackMatch("state", ("related", "established")),
        ConntrackMatch("state", ("new",)),
        AddrTypeMatch("daddr", ("local",), "out"),
        MarkMatch("mark", 0x4000, 0x4000),
        MarkMatch("connmark", 1, None, negated=True),
    )

    r = _one_rule("-A FORWARD -m physdev --physdev-in veth1 --physdev-is-bridged "
                  "-m set --match-set bad src,dst -m iprange --dst-range 192.0.2.1-192.0.2.3 "
                  "-p udp -m multiport --dports 53,5353:5355 -j DROP", engine=engine)
    assert r.matches == (
        PhysdevMatch("in", "veth1"), PhysdevMatch("is-bridged"),
        SetMatch("bad", ("saddr", "dport")),
        AddressMatch("daddr", (ipaddress.ip_network("192.0.2.1/32"),
                               ipaddress.ip_network("192.0.2.2/31"))),
        ProtocolMatch(("udp",)),
        PortMatch("dport", ((53, 53), (5353, 5355)), "udp"),
    )

    r = _one_rule("-A INPUT -p 1 -m icmp --icmp-type 8 -m limit --limit 1/s -f -j LOG "
                  '--log-prefix "ping " --log-level 4', engine=engine)
    assert r.matches == (
        ProtocolMatch(("icmp",)),
        IcmpTypeMatch("icmp", ("echo-request",)),
        ModuleMatch("limit", (("limit", "1/s"),)),
        FieldMatch("ip frag-off & 0x1fff", "!=", ("0",)),
    )
    assert r.actions == (LogAction("ping ", None, "warn"),)

    r = _one_rule("-A INPUT -p tcp -m tcp --syn -m frob --x 1 -j FROB --y", engine=engine)
    assert r.matches[1] == TcpFlagsMatch(("fin", "syn", "rst", "ack"), ("syn",))
    assert r.matches[2] == UnknownMatch("-m frob --x 1", "frob")
    assert r.actions == (UnknownAction("-j FROB --y", "FROB"),)


@pytest.mark.parametrize("line, table, actions", [
    ("-A OUTPUT -j REJECT --reject-with tcp-reset", "filter",
     (Verdict("reject", options=(("reject-with", "tcp-reset"),)),)),
    ("-A OUTPUT -j KUBE-SERVICES", "filter", (Verdict("jump", "KUBE-SERVICES"),)),
    ("-A OUTPUT -g LOGDROP", "filter", (Verdict("goto", "LOGDROP"),)),
    ("-A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.9:80-81", "nat",
     (NatAction("dnat", "192.0.2.9", (80, 81)),)),
    ("-A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::9]:80", "nat",
     (NatAction("dnat", "2001:db8::9", (80, 80)),)),
    ("-A POSTROUTING -j SNAT --to-source 203.0.113.1-203.0.113.4 --persistent", "nat",
     (NatAction("snat", "203.0.113.1-203.0.113.4", None, ("persistent",)),)),
    ("-A POSTROUTING -j MASQUERADE --random-fully", "nat",
     (NatAction("masquerade", None, None, ("random-fully",)),)),
    ("-A PREROUTING -p tcp -j REDIRECT --to-ports 3128", "nat",
     (NatAction("redirect", None, (3128, 3128)),)),
    ("-A PREROUTING -j NOTRACK", "raw", (NotrackAction(),)),
    ("-A PREROUTING -j CT --notrack", "raw", (NotrackAction(),)),
    ("-A PREROUTING -j CT --zone 4", "raw", (CtSetAction("zone", "4"),)),
    ("-A PREROUTING -j MARK --set-xmark 0x4000/0x4000", "mangle",
     (MarkAction("mark", "set", 0x4000, 0x4000),)),
    ("-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff", "mangle",
     (MarkAction("connmark", "save", None, 0xff),)),
    ("-A INPUT -j NFLOG --nflog-group 3", "filter", (LogAction(None, 3, None),)),
    ("-A FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu", "mangle",
     (OtherAction("TCPMSS", (("clamp-mss-to-pmtu", ""),)),)),
    ("-A INPUT -s 192.0.2.1", "filter", ()),
])
def test_targets_map_to_actions(line, table, actions):
    assert _one_rule(line, table).actions == actions
    assert _one_rule(line, table, engine="lark").actions == actions


def test_negation_forms_and_counters():
    old = _one_rule("-A INPUT -s ! 192.0.2.1 -p ! tcp -j DROP")
    new = _one_rule("-A INPUT ! -s 192.0.2.1/32 ! -p tcp -j DROP")
    assert old.matches == new.matches
    assert all(m.negated for m in old.matches)
    r = _one_rule("[12:3456] -A INPUT -m comment --comment \"#x\" -j ACCEPT")
    assert r.counters == (12, 3456)
    assert r.raw == '-A INPUT -m comment --comment "#x" -j ACCEPT'
    assert _one_rule("-A INPUT -p all -c 5 6 -j ACCEPT").counters == (5, 6)
    assert _one_rule("-A INPUT -p all -j ACCEPT").matches == ()


# -- model shape ----------------------------------------------------------------------------------

def test_tables_chains_spans_and_order():
    text = ("# Generated by iptables-nft-save v1.8.9 (nf_tables) on x\n"
            "*nat\n:PREROUTING ACCEPT [7:420]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SVC-X - [0:0]\n"
            "-A PREROUTING -j KUBE-SVC-X\n-A KUBE-SVC-X -j RETURN\n-I KUBE-SVC-X -j ACCEPT\n"
            "-A KUBE-NEW -j RETURN\nCOMMIT\n")
    c = parse(text, "dump.txt", line_offset=10)
    assert not c.problems
    (t,) = c.tables
    assert (t.backend, t.family, t.name, t.complete) == ("iptables-nft", "ip", "nat", True)
    assert t.span.line == 12
    pre = t.chain("PREROUTING")
    assert (pre.hook, pre.priority, pre.type, pre.policy, pre.counters) == (
        "prerouting", -100, "nat", "accept", (7, 420))
    svc = t.chain("KUBE-SVC-X")
    assert svc.hook is None and svc.policy is None
    assert [r.actions[0].kind for r in svc.rules] == ["accept", "return"]
    assert [r.index for r in svc.rules] == [0, 1]
    assert [r.span.line for r in svc.rules] == [18, 17]
    assert svc.rules[0].span.column == 1 and svc.rules[0].span.source == "dump.txt"
    assert t.chain("KUBE-NEW") is not None  # used by -A only: declared implicitly
    assert [ch.name for ch in t.chains][-1] == "KUBE-NEW"


@pytest.mark.parametrize("header, hint, backend, family, assumed", [
    ("# Generated by iptables-nft-save v1.8.9 (nf_tables) on x", None, "iptables-nft", "ip",
     False),
    ("# Generated by ip6tables-legacy-save v1.8.9 on x", None, "iptables-legacy", "ip6", False),
    ("# Generated by iptables-save v1.8.4 (legacy) on x", None, "iptables-legacy", "ip", False),
    ("# Generated by iptables-save v1.4.21 on x", None, "iptables-legacy", "ip", False),
    ("# Generated by iptables-save v1.8.9 on x", None, "iptables-legacy", "ip", True),
    ("# Generated by iptables-save v1.8.9 on x", {"backend": "iptables-nft"}, "iptables-nft",
     "ip", True),
    ("", None, "iptables-nft", "ip", True),
    ("", {"backend": "iptables-legacy", "family": "ip6"}, "iptables-legacy", "ip6", True),
])
def test_backend_and_family_from_header_or_hint(header, hint, backend, family, assumed):
    c = parse(f"{header}\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "t", hint=hint)
    (t,) = c.tables
    assert (t.backend, t.family) == (backend, family)
    assert bool(c.assumptions) == assumed
    if header:
        assert header in c.headers


def test_family_from_ipv6_content_and_warning_header():
    text = ("# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n"
            "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2001:db8::/32 -j ACCEPT\nCOMMIT\n")
    c = parse(text, "t")
    assert c.tables[0].family == "ip6"
    assert any("iptables-legacy tables present" in h for h in c.headers)


def test_registered_in_formats():
    assert get("iptables-save") is parse


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["fast", "lark"])
def test_garbled_lines_are_nf001_and_the_rest_is_read(engine):
    text = ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.1 garbage -j DROP\n"
            '-A INPUT -m comment --comment "open -j ACCEPT\n-A INPUT -s -j DROP\n'
            "-A INPUT -j ACCEPT\nhello world\nCOMMIT\n")
    c = parse(text, "x.rules", engine=engine)
    assert [p.span.line for p in c.problems] == [3, 4, 5, 7]
    assert all((p.code, p.name, p.severity) == ("NF001", "syntax-error", Severity.ERROR)
               for p in c.problems)
    lines = text.splitlines()
    first, quote, missing, words = c.problems
    assert first.span.column == 1 + lines[2].index("-s")
    assert "takes 1 value" in first.message  # `garbage` is read as a second address
    assert quote.span.column == 1 + lines[3].index('"')
    assert missing.span.column == 1 + lines[4].index("-s")
    assert "takes 1 value, got 0" in missing.message
    assert words.span.column == 1 and "expected" in words.message and "-A or -I" in words.message
    (t,) = c.tables
    assert [r.span.line for r in t.chain("INPUT").rules] == [6]


def test_truncated_table_is_incomplete():
    c = parse("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n*nat\n:OUTPUT ACCEPT [0:0]\n",
              "t")
    assert [(t.name, t.complete) for t in c.tables] == [("filter", False), ("nat", False)]
    assert [p.code for p in c.problems] == ["NF001", "NF001"]
    assert "COMMIT" in c.problems[0].message
    assert c.tables[0].chain("INPUT").rules  # what was there is kept


def test_lines_outside_tables_are_reported():
    c = parse("-A INPUT -j ACCEPT\nCOMMIT\n:FOO - [0:0]\n", "t")
    assert [p.span.line for p in c.problems] == [1, 2, 3]
    assert not c.tables


def test_random_garbage_never_raises_and_paths_agree():
    rng = random.Random(1234)
    base = TRICKY.read_text().splitlines()
    alphabet = 'ab-!"\\:[]*#019 \t/,.x'
    for _ in range(30):
        lines = list(base)
        for _ in range(8):
            kind = rng.random()
            if kind < 0.4:  # pure garbage
                junk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
            elif kind < 0.8:  # a real line with a few characters changed
                junk = list(rng.choice(base))
                for _ in range(rng.randrange(1, 4)):
                    if junk:
                        junk[rng.randrange(len(junk))] = rng.choice(alphabet)
                junk = "".join(junk)
            else:  # a real line with option words shuffled
                words = rng.choice(base).split(" ")
                rng.shuffle(words)
                junk = " ".join(words)
            lines.insert(rng.randrange(len(lines) + 1), junk)
        text = "\n".join(lines)
        fast, lark = _both(text)
        assert fast == lark
        # every rule line that survived untouched and still sits inside a table is read
        assert fast.tables
        assert all(p.code == "NF001" and 1 <= p.span.line <= len(lines) for p in fast.problems)
        read = {r.span.line for t in fast.tables for ch in t.chains for r in ch.rules}
        bad = {p.span.line for p in fast.problems}
        assert read.isdisjoint(bad)


# -- fast path == Lark path -----------------------------------------------------------------------

def test_tricky_lines_fast_equals_lark():
    fast, lark = _both(TRICKY.read_text())
    assert fast == lark
    assert not fast.problems
    assert len(fast.tables) == 6
    # the tricky file really exercises both tokenizers' corner cases
    rules = [r for t in fast.tables for ch in t.chains for r in ch.rules]
    assert any(isinstance(m, UnknownMatch) for r in rules for m in r.matches)
    assert any(r.counters for r in rules)


@pytest.mark.parametrize("comments, counters", [(True, False), (False, True)])
def test_generated_kubeproxy_fast_equals_lark(comments, counters):
    gen = _gen_module()
    text = gen.generate(1500, seed=7, comments=comments, counters=counters)
    fast, lark = _both(text)
    assert not fast.problems
    assert fast == lark
    rules = [r for t in fast.tables for ch in t.chains for r in ch.rules]
    assert len(rules) >= 1500
    assert any(isinstance(a, NatAction) and a.kind == "dnat" for r in rules for a in r.actions)
    assert any(isinstance(m, ModuleMatch) and m.module == "statistic"
               for r in rules for m in r.matches)
    assert not any(isinstance(m, UnknownMatch) for r in rules for m in r.matches)
    assert not any(isinstance(a, UnknownAction) for r in rules for a in r.actions)


@pytest.mark.parametrize("line, fragment", [
    ("-A INPUT -p tcp -m tcp --dport", "--dport takes one value, got 0"),
    ("-A INPUT -j DNAT --to-destination", "--to-destination takes one value"),
    ("-A INPUT --frob 3", "unknown option --frob"),
    ("-A INPUT -j ACCEPT -j DROP", "only one -j/-g target"),
    ("-A INPUT 3 -j ACCEPT", "-A takes no rule number"),
    ("-A INPUT ! -s ! 192.0.2.1", "negated only once"),
    (":INPUT", "the line ends too early: expected a policy"),
])
@pytest.mark.parametrize("engine", ["fast", "lark"])
def test_invalid_rules_say_why(line, fragment, engine):
    c = parse(f"*filter\n{line}\nCOMMIT\n", "t", engine=engine)
    (problem,) = c.problems
    assert problem.span.line == 2 and problem.span.column >= 1
    assert fragment in problem.message


@pytest.mark.parametrize("option, bad, good", [
    ("-m conntrack --ctstate", "NEW,FOO", "NEW,ESTABLISHED"),
    ("-m state --state", "ESTABLISHED,BOGUS", "ESTABLISHED"),
    ("-m conntrack --ctstatus", "SEEN_REPLY,NOPE", "SEEN_REPLY"),
    ("-m conntrack --ctdir", "SIDEWAYS", "REPLY")])
def test_a_conntrack_name_iptables_refuses_is_kept_unknown_not_read_as_never_matching(option,
                                                                                      bad, good):
    """A typo'd state would otherwise be a state no packet has: the rule would silently never
    match. Kept as UnknownMatch, the engine says "may match" and NF002 reports it."""
    rule = _one_rule(f"-A INPUT {option} {bad} -j DROP")
    assert [type(m) for m in rule.matches] == [UnknownMatch]
    assert bad in rule.matches[0].text
    assert isinstance(_one_rule(f"-A INPUT {option} {good} -j DROP").matches[0], ConntrackMatch)
