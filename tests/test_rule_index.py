"""The shared per-table summaries (rules/rule_index.py) and the static established-reply reading
(rules/reply_acceptance.py) agree with what they summarise: the rules themselves and the engine.
"""
from __future__ import annotations

import ipaddress
import random

from nflint.engine import Packet
from nflint.inputs import InputText, load_hosts
from nflint.rules import rule_index
from nflint.rules.model_queries import nat_address, run_ip_hook
from nflint.rules.reply_acceptance import established_always_accepted
from nflint.statements import NatAction


def _host(text: str):
    return load_hosts([InputText("t.rules", text)])[0].host


MIXED = """\
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:SVC - [0:0]
:SEP - [0:0]
-A PREROUTING -j SVC
-A PREROUTING -j MISSING
-A SVC -d 10.96.0.1/32 -p tcp --dport 443 -j SEP
-A SEP -s 10.244.1.5/32 -j MARK --set-xmark 0x4000/0x4000
-A SEP -p tcp -j DNAT --to-destination 10.244.1.5:8443
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -j RETURN
-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE
COMMIT
"""


def test_summary_matches_the_rules():
    host = _host(MIXED)
    table = next(t for t in host.tables if t.name == "nat")
    idx = rule_index.of(table)
    assert idx is rule_index.of(table)  # made once per table
    named = {t for c in table.chains for r in c.rules for t in r.jump_targets}
    assert idx.jump_targets == named
    assert idx.undefined_targets() == {t for t in named if table.chain(t) is None} == {"MISSING"}
    assert list(idx.nat_rules) == [(r, r.nat) for c in table.chains for r in c.rules
                                   if r.nat is not None]
    # SEP ends with its only terminal rule; POSTROUTING has one in the middle.
    starts = {c.name: i for c, i in idx.shadowing_starts}
    assert starts == {"POSTROUTING": 0}
    for chain in table.chains:
        first = next((i for i, r in enumerate(chain.rules) if r.verdict is not None), None)
        listed = first is not None and first < len(chain.rules) - 1
        assert (chain.name in starts) == listed
        if listed:
            assert starts[chain.name] == first


def test_construct_types():
    host = _host(MIXED)
    assert rule_index.uses_type(host, NatAction)
    from nflint.matches import UnknownMatch
    from nflint.statements import UnknownAction
    assert not rule_index.uses_type(host, UnknownMatch, UnknownAction)


def test_loopback_prefilter_never_hides_a_loopback_target():
    rnd = random.Random(7)
    texts = ["127.0.0.1", "127.1.2.3:80", "[127.0.0.1]:8080", " 127.0.0.5-127.0.0.9", "::1",
             "[::1]:80", "0:0::1", "0000::0001", "::ffff:127.0.0.1", "10.127.0.1:80",
             "1.2.3.127", "", "0127.0.0.1", "localhost"]
    for _ in range(2000):
        a = ipaddress.ip_address(rnd.getrandbits(32)) if rnd.random() < 0.7 else \
            ipaddress.ip_address(rnd.choice([1, rnd.getrandbits(128), 0x7F000001 | 0xFFFF << 32]))
        if rnd.random() < 0.3 and a.version == 4:
            a = ipaddress.ip_address(0x7F000000 | rnd.getrandbits(24))
        s = str(a) if a.version == 4 else rnd.choice([str(a), a.exploded, f"[{a}]"])
        s += rnd.choice(["", ":80", "-10.0.0.9", ":1000-2000"]) if a.version == 4 else \
            rnd.choice(["", ":443"]) if s.startswith("[") else ""
        texts.append(s)
    loopback = 0
    for s in texts:
        addr = nat_address(NatAction("dnat", s))
        if addr is not None and addr.is_loopback:
            loopback += 1
            assert rule_index.may_be_loopback(s), s
        if not rule_index.may_be_loopback(s):
            assert addr is None or not addr.is_loopback
    assert loopback > 100  # the generator does produce loopback targets
    # the joined form answers as the per-address one does, for single and many addresses
    for s in texts:
        assert rule_index.any_may_be_loopback([s]) == rule_index.may_be_loopback(s), s
    plain = [s for s in texts if not rule_index.may_be_loopback(s)]
    answers = set()
    for _ in range(300):
        batch = rnd.sample(plain, 30) + rnd.sample(texts, rnd.randint(0, 1)) + [None]
        want = any(rule_index.may_be_loopback(s) for s in batch)
        assert rule_index.any_may_be_loopback(batch) == want
        answers.add(want)
    assert answers == {True, False}


FORWARD = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD {policy} [0:0]
:OUTPUT ACCEPT [0:0]
:USER - [0:0]
:REPLIES - [0:0]
{rules}
COMMIT
"""


def _forward(rules: str, policy: str = "DROP"):
    return _host(FORWARD.format(policy=policy, rules=rules))


ACCEPTING = [
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -j DROP",
    "-A FORWARD -m conntrack --ctstate NEW -j DROP\n-A FORWARD -j REPLIES\n"
    "-A REPLIES -m conntrack --ctstate ESTABLISHED -j ACCEPT",
    "-A FORWARD -j USER\n-A USER -s 192.0.2.0/24 -j ACCEPT\n-A USER -j RETURN\n"
    "-A FORWARD -m state --state ESTABLISHED -j ACCEPT",
    "-A FORWARD -m conntrack ! --ctstate INVALID,NEW -j ACCEPT",
]
NOT_PROVEN = [
    "-A FORWARD -s 198.51.100.0/24 -j DROP\n"
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A FORWARD -i eth0 -m conntrack --ctstate ESTABLISHED -j ACCEPT",
    "-A FORWARD -g REPLIES\n-A REPLIES -m conntrack --ctstate ESTABLISHED -j ACCEPT",
    "-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT",
    "-A FORWARD -j USER\n-A USER -j DROP\n"
    "-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT",
]


def _replies(host, n=40):
    rnd = random.Random(3)
    for _ in range(n):
        src = ipaddress.ip_address(rnd.choice([0xC0000200, 0xC6336400, 0xCB007100])
                                   | rnd.getrandbits(8))
        dst = ipaddress.ip_address(0xC6120000 | rnd.getrandbits(16))
        pkt = Packet(rnd.choice(["tcp", "udp"]), src, dst, rnd.randint(1, 65535),
                     rnd.randint(1, 65535))
        pkt.iif, pkt.oif = rnd.choice(["eth0", "docker0", "wg0"]), rnd.choice(["eth1", "br0"])
        pkt.ct_state, pkt.ct_dir = "established", "reply"
        yield pkt


def test_established_accepted_agrees_with_the_engine():
    for rules in ACCEPTING:
        host = _forward(rules)
        assert established_always_accepted(host, "forward", 4), rules
        for pkt in _replies(host):
            fate, _, _ = run_ip_hook(host, pkt, "forward", state="established")
            assert fate is None, (rules, pkt.describe())


def test_established_not_proven_when_something_may_drop():
    for rules in NOT_PROVEN:
        assert not established_always_accepted(_forward(rules), "forward", 4), rules
    # no rule at all: the policy decides
    assert not established_always_accepted(_forward("", "DROP"), "forward", 4)
    assert established_always_accepted(_forward("", "ACCEPT"), "forward", 4)
    # some dropped reply exists for the first unproven case: the reading was right to refuse
    host = _forward(NOT_PROVEN[0])
    fates = [run_ip_hook(host, p, "forward", state="established")[0] for p in _replies(host)]
    assert any(f is not None for f in fates)
