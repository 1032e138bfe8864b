"""NF202's indexes and pre-filters (shape, address prefix, port, named interface, the chain's
first verdict) only skip work: on generated chains it reports exactly the rules that some
earlier terminal rule covers, as the plain pairwise containment test says."""
from __future__ import annotations

import random

from nflint.containment import rule_covers
from nflint.inputs import InputText, load_hosts
from nflint.rules.structure import UnreachableRule, _terminal

IFACES = ["docker0", "br-1", "br-2", "br+", "eth0"]
NETS = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.2.4/32",
        "192.0.2.0/24", "192.0.2.7/32"]
PORTS = ["80", "443", "53", "1000:2000"]
TARGETS = ["ACCEPT", "DROP", "RETURN", "USER", "LOG", "ACCEPT", "DROP"]


def _rule(rnd: random.Random) -> str:
    parts = []
    for flag in ("-i", "-o"):
        if rnd.random() < 0.6:
            parts.append(("! " if rnd.random() < 0.3 else "") + f"{flag} {rnd.choice(IFACES)}")
    for flag in ("-s", "-d"):
        if rnd.random() < 0.4:
            parts.append(f"{flag} {rnd.choice(NETS)}")
    if rnd.random() < 0.5:
        parts.append(f"-p tcp -m tcp --dport {rnd.choice(PORTS)}")
    return " ".join(parts + [f"-j {rnd.choice(TARGETS)}"])


def _ruleset(rnd: random.Random, n: int) -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":USER - [0:0]", ":BIG - [0:0]", "-A FORWARD -j BIG"]
    lines += [f"-A BIG {_rule(rnd)}" for _ in range(n)]
    lines += [f"-A FORWARD {_rule(rnd)}" for _ in range(n // 4)]
    return "\n".join(lines + ["COMMIT", ""])


def _brute_force(host):
    """{rule span line: earlier rules (span lines) whose matches cover it}."""
    out = {}
    for table in host.tables:
        for chain in table.chains:
            for i, rule in enumerate(chain.rules):
                covering = {e.span.line for e in chain.rules[:i]
                            if _terminal(e) is not None and rule_covers(e.matches, rule.matches)}
                if covering:
                    out[rule.span.line] = covering
    return out


def test_nf202_reports_exactly_the_covered_rules():
    rnd = random.Random(202)
    checked = reported = 0
    for _ in range(60):
        host = load_hosts([InputText("gen.rules", _ruleset(rnd, 60))])[0].host
        want = _brute_force(host)
        found = list(UnreachableRule(None).check(host))
        got = {d.span.line: d.related[0].span.line for d in found}
        assert set(got) == set(want)
        for line, earlier in got.items():
            assert earlier in want[line]  # the cited rule does cover it
        checked += 1
        reported += len(got)
    assert checked == 60 and reported > 100  # the generator makes shadowed rules
