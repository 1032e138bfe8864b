"""The `nft -j list ruleset` frontend and the shared nft expression mapper."""
from __future__ import annotations

import gc
import ipaddress
import json
import re

import pytest

from nflint import grammars
from nflint.frontends import FORMATS, get
from nflint.frontends import nft_json
from nflint.frontends.nft_exprs import StatementMapper, expr_text
from nflint.host import Contribution, HostBuilder
from nflint.matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch, FieldMatch,
                            IcmpTypeMatch, InterfaceMatch, MarkMatch, ModuleMatch, PhysdevMatch,
                            PortMatch, ProtocolMatch, SetMatch, TcpFlagsMatch, UnknownMatch)
from nflint.ruleset import Chain, Rule, Table
from nflint.sections import split
from rulesets import DOCKER_NAT_HEAD
from nflint.span import Span
from nflint.statements import (CounterAction, CtSetAction, LogAction, MarkAction, NatAction,
                               NotrackAction, OtherAction, UnknownAction, Verdict, VerdictMap)

META = {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5",
                     "json_schema_version": 1}}


def dump(*objects: dict) -> str:
    """Objects as `nft -j` prints them: one line, ", " and ": " separators."""
    return json.dumps({"nftables": [META, *objects]})


def table(family="inet", name="t"):
    return {"table": {"family": family, "name": name, "handle": 1}}


def chain(name="c", family="inet", tbl="t", **base):
    return {"chain": {"family": family, "table": tbl, "name": name, "handle": 2, **base}}


def rule(*expr, chain_name="c", family="inet", tbl="t", **extra):
    return {"rule": {"family": family, "table": tbl, "chain": chain_name, "handle": 3,
                     **extra, "expr": list(expr)}}


def match(left, right, op="=="):
    return {"match": {"op": op, "left": left, "right": right}}


def payload(proto, field):
    return {"payload": {"protocol": proto, "field": field}}


def meta(key):
    return {"meta": {"key": key}}


def ct(key, **kw):
    return {"ct": {"key": key, **kw}}


def one_rule(*expr, **extra) -> Rule:
    c = nft_json.parse(dump(table(), chain(), rule(*expr, **extra)), "t.json")
    assert not c.problems, [p.message for p in c.problems]
    (r,) = c.tables[0].chains[0].rules
    return r


def matches_of(*expr):
    return one_rule(*expr, {"accept": None}).matches


# -- document, chains, sets, objects -----------------------------------------------------------

def test_registered_and_detected():
    assert FORMATS["nft-json"] == "nflint.frontends.nft_json:parse"
    assert get("nft-json") is nft_json.parse
    assert [sec.format for sec in split(dump(table()), "t.json")] == ["nft-json"]


def test_tables_chains_and_priorities():
    c = nft_json.parse(dump(
        table("inet", "fw"),
        chain("input", tbl="fw", type="filter", hook="input", prio=0, policy="drop"),
        chain("early", tbl="fw", type="filter", hook="forward", prio="filter - 1",
              policy="accept"),
        {"chain": {"family": "netdev", "table": "n", "name": "ing", "handle": 1,
                   "type": "filter", "hook": "ingress", "prio": -500, "policy": "accept",
                   "dev": ["eth0", "eth1"]}},
        chain("user", tbl="fw"),
        {"chain": {"family": "bridge", "table": "b", "name": "f", "handle": 1, "type": "filter",
                   "hook": "forward", "prio": "dstnat", "policy": "accept"}},
    ), "d.json")
    assert not c.problems
    assert c.fidelity == "nft-json"
    fw = next(t for t in c.tables if t.name == "fw")
    assert fw.backend == "nft" and fw.family == "inet"
    inp, early, user = fw.chains
    assert (inp.hook, inp.priority, inp.type, inp.policy) == ("input", 0, "filter", "drop")
    assert early.priority == -1
    assert not user.is_base and user.priority is None
    ing = next(t for t in c.tables if t.family == "netdev").chains[0]
    assert ing.devices == ("eth0", "eth1")
    assert next(t for t in c.tables if t.family == "bridge").chains[0].priority == -300
    assert c.headers and "1.0.6" in c.headers[0]


def test_rules_attach_in_order_and_create_missing_chains():
    c = nft_json.parse(dump(
        table(), chain("a"),
        rule({"accept": None}, chain_name="a"),
        rule({"drop": None}, chain_name="b"),  # chain b never declared
        rule({"return": None}, chain_name="a"),
    ), "x.json")
    chains = {ch.name: ch for ch in c.tables[0].chains}
    assert [r.actions[0].kind for r in chains["a"].rules] == ["accept", "return"]
    assert [r.index for r in chains["a"].rules] == [0, 1]
    assert chains["b"].rules[0].actions == (Verdict("drop"),)


def test_spans_point_at_objects():
    text = dump(table(), chain(), rule({"accept": None}))
    c = nft_json.parse(text, "s.json", line_offset=10)
    r = c.tables[0].chains[0].rules[0]
    assert r.span.pointer == "/nftables/3"
    assert r.span.line == 11
    assert text[r.span.column - 1:].startswith('{"rule"')
    assert json.loads(r.raw)["rule"]["handle"] == 3
    pretty = json.dumps(json.loads(text), indent=2)
    r2 = nft_json.parse(pretty, "p.json").tables[0].chains[0].rules[0]
    line = pretty.splitlines()[r2.span.line - 1]
    assert line[r2.span.column - 1:].startswith("{") and r2.span.pointer == "/nftables/3"


def test_sets_maps_elements_and_objects():
    c = nft_json.parse(dump(
        table(),
        {"set": {"family": "inet", "name": "blocked", "table": "t", "type": "ipv4_addr",
                 "handle": 4, "flags": ["interval", "timeout"], "elem": [
                     {"prefix": {"addr": "192.0.2.0", "len": 24}},
                     {"range": ["198.51.100.1", "198.51.100.9"]},
                     {"elem": {"val": "203.0.113.5", "timeout": 1800}}]}},
        {"set": {"family": "inet", "name": "svc", "table": "t",
                 "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 5,
                 "elem": [{"concat": ["192.0.2.10", "tcp", 80]}]}},
        {"map": {"family": "inet", "name": "vm", "table": "t", "type": "ifname", "handle": 6,
                 "map": "verdict", "elem": [["eth0", {"accept": None}],
                                            ["br-*", {"jump": {"target": "x"}}]]}},
        {"element": {"family": "inet", "table": "t", "name": "blocked", "elem": ["192.0.2.77"]}},
        {"counter": {"family": "inet", "name": "cnt", "table": "t", "handle": 7, "packets": 5,
                     "bytes": 300}},
        {"quota": {"family": "inet", "name": "q", "table": "t", "handle": 8, "bytes": 100,
                   "used": 0, "inv": True}},
        {"ct helper": {"family": "inet", "name": "ftp", "table": "t", "handle": 9,
                       "type": "ftp", "protocol": "tcp", "l3proto": "ip"}},
        {"limit": {"family": "inet", "name": "l", "table": "t", "handle": 10, "rate": 400,
                   "per": "minute"}},
        {"secmark": {"family": "inet", "name": "s", "table": "t", "handle": 11,
                     "context": "system_u:object_r:ssh_server_packet_t:s0"}},
        {"synproxy": {"family": "inet", "name": "sp", "table": "t", "handle": 12, "mss": 1460,
                      "wscale": 7, "flags": ["timestamp"]}},
        {"flowtable": {"family": "inet", "name": "ft", "table": "t", "handle": 13,
                       "hook": "ingress", "prio": 0, "dev": ["eth0"]}},
    ), "sets.json")
    assert not c.problems
    t = c.tables[0]
    sets = {s.name: s for s in t.sets}
    assert sets["blocked"].elements == ("192.0.2.0/24", "198.51.100.1-198.51.100.9",
                                        "203.0.113.5 timeout 30m", "192.0.2.77")
    assert sets["blocked"].flags == ("interval", "timeout")
    assert sets["svc"].key_type == ("ipv4_addr", "inet_proto", "inet_service")
    assert sets["svc"].elements == ("192.0.2.10 . tcp . 80",)
    assert sets["vm"].is_map and sets["vm"].data_type == "verdict"
    assert sets["vm"].mappings == (("eth0", "accept"), ("br-*", "jump x"))
    objects = {(o.kind, o.name): dict(o.properties) for o in t.objects}
    assert objects[("counter", "cnt")]["packets"] == "5"
    assert objects[("quota", "q")]["inv"] == "exists"
    assert objects[("ct helper", "ftp")]["type"] == "ftp"
    assert ("limit", "l") in objects and ("synproxy", "sp") in objects
    assert objects[("secmark", "s")]["context"].startswith("system_u")
    assert objects[("flowtable", "ft")]["dev"] == "eth0"


# -- matches -----------------------------------------------------------------------------------

def test_interfaces_with_wildcards_negation_and_sets():
    assert matches_of(match(meta("iifname"), "eth0")) == (InterfaceMatch("in", ("eth0",)),)
    assert matches_of(match(meta("oifname"), "br*", "!=")) == (
        InterfaceMatch("out", ("br*",), negated=True),)
    assert matches_of(match(meta("iif"), {"set": ["lo", "eth1"]})) == (
        InterfaceMatch("in", ("lo", "eth1")),)
    m = matches_of(match(meta("iifname"), "br-*"))[0]
    assert m.matches_name("br-lan137") and not m.matches_name("eth0")


def test_addresses_prefixes_ranges_and_sets():
    (m,) = matches_of(match(payload("ip", "saddr"), {"prefix": {"addr": "10.0.0.0", "len": 8}},
                            "!="))
    assert m == AddressMatch("saddr", (ipaddress.ip_network("10.0.0.0/8"),), negated=True)
    (m,) = matches_of(match(payload("ip", "daddr"), {"range": ["192.0.2.1", "192.0.2.9"]}))
    assert m.contains(ipaddress.ip_address("192.0.2.5"))
    assert not m.contains(ipaddress.ip_address("192.0.2.10"))
    (m,) = matches_of(match(payload("ip6", "saddr"),
                            {"set": ["::1", {"prefix": {"addr": "2001:db8::", "len": 32}}]}))
    assert m.networks == (ipaddress.ip_network("::1/128"), ipaddress.ip_network("2001:db8::/32"))
    # inner (tunnel) headers are not the packet's own addresses
    (m,) = matches_of(match({"payload": {"tunnel": "vxlan", "protocol": "ip", "field": "saddr"}},
                            "192.0.2.1"))
    assert m == FieldMatch("vxlan ip saddr", "==", ("192.0.2.1",))


def test_protocols_in_the_iptables_vocabulary():
    assert matches_of(match(meta("l4proto"), {"set": ["tcp", "udp"]})) == (
        ProtocolMatch(("tcp", "udp")),)
    assert matches_of(match(payload("ip", "protocol"), "icmp")) == (ProtocolMatch(("icmp",)),)
    assert matches_of(match(payload("ip6", "nexthdr"), "ipv6-icmp")) == (
        ProtocolMatch(("icmpv6",)),)
    assert matches_of(match(meta("l4proto"), 17, "!=")) == (ProtocolMatch(("udp",), negated=True),)


def test_ports_ranges_sets_orderings_and_the_hidden_protocol_dependency():
    assert matches_of(match(payload("tcp", "dport"), {"set": [22, {"range": [8000, 8100]}]})) == (
        ProtocolMatch(("tcp",)), PortMatch("dport", ((22, 22), (8000, 8100)), "tcp"))
    assert matches_of(match(meta("l4proto"), "udp"), match(payload("udp", "sport"), 53, "!=")) == (
        ProtocolMatch(("udp",)), PortMatch("sport", ((53, 53),), "udp", negated=True))
    assert matches_of(match(payload("th", "dport"), 53)) == (PortMatch("dport", ((53, 53),)),)
    for op, rng in (("<", (0, 1023)), ("<=", (0, 1024)), (">", (1025, 65535)),
                    (">=", (1024, 65535))):
        assert matches_of(match(payload("tcp", "sport"), 1024, op))[1] == PortMatch(
            "sport", (rng,), "tcp")


def test_conntrack_marks_and_addrtype():
    assert matches_of(match(ct("state"), ["established", "related"], "in")) == (
        ConntrackMatch("state", ("established", "related")),)
    assert matches_of(match(ct("state"), {"|": ["established", "related"]})) == (
        ConntrackMatch("state", ("established", "related")),)
    assert matches_of(match(ct("status"), "dnat", "in")) == (ConntrackMatch("status", ("dnat",)),)
    assert matches_of(match(ct("state"), "invalid", "!=")) == (
        ConntrackMatch("state", ("invalid",), negated=True),)
    assert matches_of(match(ct("ip daddr", dir="original"), "192.0.2.1")) == (
        ConntrackMatch("original-daddr", ("192.0.2.1",)),)
    assert matches_of(match(ct("proto-dst", dir="reply"), 80)) == (
        ConntrackMatch("reply-dport", ("80",)),)
    assert matches_of(match(ct("mark"), 16)) == (MarkMatch("connmark", 16),)
    assert matches_of(match({"&": [meta("mark"), 255]}, 4)) == (MarkMatch("mark", 4, 255),)
    assert matches_of(match(meta("mark"), 4, "!=")) == (MarkMatch("mark", 4, negated=True),)
    assert matches_of(match({"fib": {"result": "type", "flags": ["daddr"]}}, "local")) == (
        AddrTypeMatch("daddr", ("local",)),)
    assert matches_of(match({"fib": {"result": "type", "flags": ["saddr", "iif"]}},
                            {"set": ["broadcast", "multicast"]}, "!=")) == (
        AddrTypeMatch("saddr", ("broadcast", "multicast"), "in", negated=True),)


def test_icmp_tcp_flags_sets_comments_and_bridge_ports():
    assert matches_of(match(payload("icmp", "type"), {"set": ["echo-request", 0]})) == (
        ProtocolMatch(("icmp",)), IcmpTypeMatch("icmp", ("echo-request", "echo-reply")))
    assert matches_of(match({"&": [payload("tcp", "flags"), ["syn", "rst"]]}, "syn"))[1] == (
        TcpFlagsMatch(("syn", "rst"), ("syn",)))
    assert matches_of(match(payload("tcp", "flags"), "syn", "in"))[1] == TcpFlagsMatch(
        ("syn",), ("syn",))
    assert matches_of(match({"concat": [payload("ip", "daddr"), meta("l4proto"),
                                        payload("th", "dport")]}, "@svc")) == (
        SetMatch("svc", ("daddr", "l4proto", "dport")),)
    assert matches_of(match(payload("ip", "saddr"), "@blocked", "!=")) == (
        SetMatch("blocked", ("saddr",), negated=True),)
    r = one_rule({"accept": None}, comment="allow all")
    assert r.comment == "allow all" and CommentMatch("allow all") in r.matches
    assert matches_of(match(meta("ibrname"), "br0"), match(meta("obriport"), "veth1")) == (
        PhysdevMatch("in-bridge", "br0"), PhysdevMatch("out", "veth1"))


def test_other_fields_keep_nft_spelling_and_unknown_json_is_kept():
    assert matches_of(match(payload("ip", "dscp"), "cs1")) == (FieldMatch("ip dscp", "==",
                                                                          ("cs1",)),)
    assert matches_of(match(meta("skuid"), 1000, "!=")) == (
        FieldMatch("meta skuid", "==", ("1000",), negated=True),)
    assert matches_of(match(payload("ip", "length"), 1000, ">")) == (
        FieldMatch("ip length", ">", ("1000",)),)
    assert matches_of(match({"exthdr": {"name": "frag"}}, True)) == (
        FieldMatch("exthdr frag", "==", ("exists",)),)
    assert matches_of(match({"tcp option": {"name": "maxseg", "field": "size"}},
                            {"range": [1000, 1460]}))[0].expr == "tcp option maxseg size"
    assert matches_of(match({"osf": {"key": "name", "ttl": "loose"}}, "Linux"))[0].expr == (
        "osf ttl loose name")
    assert matches_of(match({"socket": {"key": "transparent"}}, 1))[0].expr == (
        "socket transparent")
    assert matches_of(match({"rt": {"key": "nexthop", "family": "ip"}}, "192.0.2.1"))[0].expr == (
        "rt ip nexthop")
    assert matches_of(match({"numgen": {"mode": "random", "mod": 2, "offset": 0}}, 0))[0].expr == (
        "numgen random mod 2")
    assert matches_of(match({"jhash": {"mod": 2, "expr": payload("ip", "saddr")}}, 0))[0].expr == (
        "jhash ip saddr mod 2")
    assert matches_of(match({"symhash": {"mod": 2}}, 1))[0].expr == "symhash mod 2"
    assert matches_of(match(meta("cpu"), 3, "implicit")) == (FieldMatch("meta cpu", "==", ("3",)),)
    (m,) = matches_of(match({"frobnicate": {"x": 1}}, 1))
    assert isinstance(m, UnknownMatch) and json.loads(m.text)["match"]["left"] == {
        "frobnicate": {"x": 1}}


# -- statements --------------------------------------------------------------------------------

def actions_of(*expr):
    return one_rule(*expr).actions


def test_verdicts_and_counters():
    r = one_rule({"counter": {"packets": 7, "bytes": 420}}, {"jump": {"target": "next"}})
    assert r.actions == (CounterAction(7, 420), Verdict("jump", "next"))
    assert r.counters == (7, 420) and r.jump_targets == ("next",)
    for kind in ("accept", "drop", "return", "continue"):
        assert actions_of({kind: None}) == (Verdict(kind),)
    assert actions_of({"goto": {"target": "x"}}) == (Verdict("goto", "x"),)
    assert actions_of({"reject": {"type": "tcp reset"}}) == (
        Verdict("reject", options=(("reject-with", "tcp-reset"),)),)
    assert actions_of({"reject": {"type": "icmpv6", "expr": "admin-prohibited"}}) == (
        Verdict("reject", options=(("reject-with", "icmp6-adm-prohibited"),)),)
    assert actions_of({"reject": None}) == (Verdict("reject"),)
    assert actions_of({"queue": {"num": 3, "flags": ["bypass"]}}) == (
        Verdict("queue", options=(("queue-num", "3"), ("flags", "bypass"))),)
    assert actions_of({"counter": "named"}) == (OtherAction("counter", (("name", "named"),)),)


def test_nat_statements():
    assert actions_of({"dnat": {"family": "ip", "addr": "172.17.0.2", "port": 80}}) == (
        NatAction("dnat", "172.17.0.2", (80, 80), family="ip"),)  # `dnat ip to` (inet)
    assert actions_of({"dnat": {"addr": {"range": ["192.0.2.2", "192.0.2.9"]},
                                "port": {"range": [80, 90]},
                                "flags": ["random", "persistent"]}}) == (
        NatAction("dnat", "192.0.2.2-192.0.2.9", (80, 90), ("random", "persistent")),)
    assert actions_of({"snat": {"family": "ip6", "addr": "2001:db8::1"}}) == (
        NatAction("snat", "2001:db8::1", family="ip6"),)
    assert actions_of({"masquerade": None}) == (NatAction("masquerade"),)
    assert actions_of({"masquerade": {"port": {"range": [1024, 65535]},
                                      "flags": ["fully-random"]}}) == (
        NatAction("masquerade", None, (1024, 65535), ("random-fully",)),)
    assert actions_of({"redirect": {"port": 8080}}) == (NatAction("redirect", None, (8080, 8080)),)
    (a,) = actions_of({"dnat": {"addr": {"map": {"key": payload("tcp", "dport"),
                                                 "data": "@portmap"}}}})
    assert a.kind == "dnat" and a.address == "tcp dport map @portmap" and a.terminal


def test_marks_ct_set_notrack_and_logs():
    mark = meta("mark")
    assert actions_of({"mangle": {"key": mark, "value": 16}}) == (
        MarkAction("mark", "set", 16, 0xFFFFFFFF),)
    # iptables-save prints --set-xmark value/mask: mark = (mark & ~mask) ^ value
    assert actions_of({"mangle": {"key": mark, "value": {"|": [mark, 0x20]}}}) == (
        MarkAction("mark", "set", 0x20, 0x20),)
    assert actions_of({"mangle": {"key": mark, "value": {"^": [{"&": [mark, 0xFFFFFF00]}, 4]}}}) \
        == (MarkAction("mark", "set", 4, 0xFF),)
    assert actions_of({"mangle": {"key": mark, "value": ct("mark")}}) == (
        MarkAction("connmark", "restore", None, 0xFFFFFFFF),)
    assert actions_of({"mangle": {"key": ct("mark"), "value": mark}}) == (
        MarkAction("connmark", "save", None, 0xFFFFFFFF),)
    assert actions_of({"mangle": {"key": ct("zone"), "value": 4}}) == (CtSetAction("zone", "4"),)
    assert actions_of({"ct helper": "ftp-standard"}) == (CtSetAction("helper", "ftp-standard"),)
    assert actions_of({"ct expectation": "e"}) == (CtSetAction("expectation", "e"),)
    assert actions_of({"mangle": {"key": payload("ip", "ttl"), "value": 64}}) == (
        OtherAction("mangle", (("key", "ip ttl"), ("value", "64"))),)
    assert actions_of({"notrack": None}) == (NotrackAction(),)
    assert actions_of({"log": {"prefix": "IN: ", "level": "info"}}) == (
        LogAction("IN: ", None, "info"),)
    assert actions_of({"log": {"group": 2}}) == (LogAction(None, 2),)
    assert actions_of({"log": None}) == (LogAction(),)


def test_rate_statements_are_conditions():
    r = one_rule({"limit": {"rate": 5, "burst": 10, "per": "second"}}, {"accept": None})
    assert r.matches == (ModuleMatch("limit", (("limit", "5/sec"), ("limit-burst", "10"))),)
    r = one_rule({"limit": {"rate": 400, "burst": 5, "per": "minute"}}, {"accept": None})
    assert r.matches == (ModuleMatch("limit", (("limit", "400/min"),)),)
    r = one_rule({"quota": {"val": 10, "val_unit": "mbytes", "inv": True}}, {"drop": None})
    assert r.matches == (ModuleMatch("quota", (("quota", "10 mbytes"), ("over", ""))),)
    r = one_rule({"ct count": {"val": 20, "inv": True}}, {"drop": None})
    assert r.matches == (ModuleMatch("connlimit", (("connlimit-above", "20"),)),)
    r = one_rule({"set": {"op": "update", "elem": payload("ip", "saddr"), "set": "@m",
                          "stmt": [{"limit": {"rate": 10, "per": "second"}}]}}, {"drop": None})
    assert r.matches[0].module == "meter"
    r = one_rule({"set": {"op": "add", "elem": payload("ip", "saddr"), "set": "@s"}})
    assert r.actions == (OtherAction("set", (("op", "add"), ("set", "@s"), ("elem", "ip saddr"))),)


def test_vmaps_and_forwarding_statements():
    (vm,) = actions_of({"vmap": {"key": meta("iifname"), "data": {"set": [
        ["lo", {"accept": None}], ["eth1", {"goto": {"target": "fwd"}}]]}}})
    assert vm == VerdictMap("meta iifname", (("lo", Verdict("accept")),
                                             ("eth1", Verdict("goto", "fwd"))))
    assert not vm.terminal
    assert actions_of({"vmap": {"key": meta("iifname"), "data": "@vm"}}) == (
        VerdictMap("meta iifname", map_name="vm"),)
    assert actions_of({"tproxy": {"family": "ip", "addr": "127.0.0.1", "port": 50080}}) == (
        OtherAction("tproxy", (("family", "ip"), ("addr", "127.0.0.1"), ("port", "50080"))),)
    assert actions_of({"fwd": {"dev": "eth0"}}) == (OtherAction("fwd", (("dev", "eth0"),)),)
    assert actions_of({"dup": {"addr": "192.0.2.99", "dev": "lo"}}) == (
        OtherAction("dup", (("addr", "192.0.2.99"), ("dev", "lo"))),)
    assert actions_of({"flow": {"op": "add", "flowtable": "@ft"}})[0].name == "flow"
    (u,) = actions_of({"teleport": {"to": "mars"}})
    assert isinstance(u, UnknownAction) and u.name == "teleport" and "mars" in u.text


# -- iptables-nft (xt) -------------------------------------------------------------------------

# Real `nft -j list ruleset` output (nftables 1.0.6) after `iptables-nft -t nat -A POSTROUTING
# -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE`, `-A FORWARD -m conntrack --ctstate
# RELATED,ESTABLISHED -m comment --comment x -j ACCEPT` and `-A FORWARD -p tcp --tcp-flags
# SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`, trimmed.
IPTABLES_NFT = [
    {"table": {"family": "ip", "name": "nat", "handle": 1}},
    {"chain": {"family": "ip", "table": "nat", "name": "POSTROUTING", "handle": 4, "type": "nat",
               "hook": "postrouting", "prio": 100, "policy": "accept"}},
    {"rule": {"family": "ip", "table": "nat", "chain": "POSTROUTING", "handle": 5, "expr": [
        {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": "docker0"}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                   "right": {"prefix": {"addr": "172.17.0.0", "len": 16}}}},
        {"counter": {"packets": 0, "bytes": 0}},
        {"xt": {"type": "target", "name": "MASQUERADE"}}]}},
    {"table": {"family": "ip", "name": "filter", "handle": 2}},
    {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1,
               "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
    {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 2, "expr": [
        {"xt": {"type": "match", "name": "conntrack"}},
        {"xt": {"type": "match", "name": "comment"}},
        {"counter": {"packets": 0, "bytes": 0}}, {"accept": None}]}},
    {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 4, "expr": [
        {"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}},
                                              ["syn", "rst"]]}, "right": "syn"}},
        {"counter": {"packets": 0, "bytes": 0}}, {"xt": {"type": "target", "name": "TCPMSS"}}]}},
]


def test_xt_rules_make_an_iptables_nft_table_and_one_problem():
    c = nft_json.parse(json.dumps({"nftables": [META, *IPTABLES_NFT]}), "ipt.json")
    assert {t.backend for t in c.tables} == {"iptables-nft"}
    xt = [p for p in c.problems if p.code == "NF003"]
    assert len(xt) == 1 and xt[0].name == "xt-compat-rules"
    assert "ip nat" in xt[0].message and "ip filter" in xt[0].message
    assert "iptables-save" in xt[0].message and xt[0].span.pointer == "/nftables/3"
    assert len(c.assumptions) == 1
    nat = next(t for t in c.tables if t.name == "nat")
    post = nat.chain("POSTROUTING").rules[0]
    assert post.nat == NatAction("masquerade") and post.verdict == NatAction("masquerade")
    assert InterfaceMatch("out", ("docker0",), negated=True) in post.matches
    fwd = next(t for t in c.tables if t.name == "filter").chain("FORWARD")
    lost = [m for m in fwd.rules[0].matches if isinstance(m, UnknownMatch)]
    assert [m.module for m in lost] == ["conntrack", "comment"]
    assert all("parameters" in m.text for m in lost)
    assert fwd.rules[1].actions[-1].name == "TCPMSS"


def test_xt_detail_is_decoded_when_present():
    c = nft_json.parse(dump(table(), chain(), rule(
        {"xt": {"type": "match", "name": "comment", "comment": "kept"}}, {"accept": None})), "x")
    assert not c.problems and c.tables[0].backend == "iptables-nft"
    assert c.tables[0].chains[0].rules[0].matches == (CommentMatch("kept"),)


def test_iptables_shaped_tables_without_xt():
    c = nft_json.parse(dump(
        table("ip6", "filter"),
        chain("INPUT", family="ip6", tbl="filter", type="filter", hook="input", prio=0,
              policy="accept"),
        chain("DOCKER-USER", family="ip6", tbl="filter"),
        table("ip", "filter"),
        chain("input", family="ip", tbl="filter", type="filter", hook="input", prio=0,
              policy="accept"),
        table("ip", "nat"),
        chain("DOCKER", family="ip", tbl="nat"),  # built-in chains are created lazily
        table("inet", "filter"),
        chain("INPUT", family="inet", tbl="filter", type="filter", hook="input", prio=0,
              policy="accept"),
    ), "x.json")
    backends = {(t.family, t.name): t.backend for t in c.tables}
    assert backends == {("ip6", "filter"): "iptables-nft", ("ip", "filter"): "nft",
                        ("ip", "nat"): "iptables-nft", ("inet", "filter"): "nft"}
    assert not c.problems


def test_iptables_save_view_of_the_same_table_wins():
    nft = nft_json.parse(json.dumps({"nftables": [META, *IPTABLES_NFT]}), "ipt.json")
    saved = Table("iptables-nft", "ip", "filter",
                  (Chain("FORWARD", (), Span("save.txt", 3), "forward", 0, "filter", "drop"),),
                  Span("save.txt", 1))
    save = Contribution(tables=[saved], fidelity="iptables-save")
    for order in ((nft, save), (save, nft)):
        b = HostBuilder()
        for contribution in order:
            b.add(contribution)
        host = b.build()
        filt = [t for t in host.tables if (t.family, t.name) == ("ip", "filter")]
        assert filt == [saved]
        assert any(t.name == "nat" for t in host.tables)  # what only nft -j showed stays


# The iptables-save of the same namespace as IPTABLES_NFT-style dumps (iptables-nft 1.8.9).
IPTABLES_SAVE = """# Generated by iptables-nft-save v1.8.9 (nf_tables) on Wed Nov 25 03:29:53 2026
""" + DOCKER_NAT_HEAD + """-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
"""
# ... and what `nft -j list ruleset` showed for the DOCKER chain (translated natively).
DOCKER_CHAIN = [
    {"table": {"family": "ip", "name": "nat", "handle": 1}},
    {"chain": {"family": "ip", "table": "nat", "name": "DOCKER", "handle": 1}},
    {"rule": {"family": "ip", "table": "nat", "chain": "DOCKER", "handle": 6, "expr": [
        {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "docker0"}},
        {"counter": {"packets": 0, "bytes": 0}}, {"return": None}]}},
    {"rule": {"family": "ip", "table": "nat", "chain": "DOCKER", "handle": 7, "expr": [
        {"match": {"op": "!=", "left": {"meta": {"key": "iifname"}}, "right": "docker0"}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                   "right": 8080}},
        {"counter": {"packets": 0, "bytes": 0}},
        {"dnat": {"addr": "172.17.0.2", "port": 80}}]}},
]


def test_same_rules_as_the_iptables_save_frontend():
    ipt = pytest.importorskip("nflint.frontends.iptables_save")
    saved = ipt.parse(IPTABLES_SAVE, "save.txt")
    seen = nft_json.parse(json.dumps({"nftables": [META, *DOCKER_CHAIN]}), "nft.json")
    ipt_docker = next(t for t in saved.tables if t.name == "nat").chain("DOCKER")
    nft_docker = seen.tables[0].chain("DOCKER")
    for a, b in zip(ipt_docker.rules, nft_docker.rules, strict=True):
        assert set(a.matches) == set(b.matches)
        assert [x for x in b.actions if not isinstance(x, CounterAction)] == list(a.actions)
    b = HostBuilder()
    b.add(saved)
    b.add(seen)
    nat = [t for t in b.build().tables if (t.family, t.name) == ("ip", "nat")]
    assert len(nat) == 1 and nat[0].backend == "iptables-nft"
    assert nat[0].chain("PREROUTING").rules  # the fuller iptables-save view won


def test_agrees_with_the_iptables_option_mapper():
    opts = pytest.importorskip("nflint.frontends.iptables_options")
    ipt_matches, _, _ = opts.RuleMapper().map([
        (True, "-i", ("docker0",)), (False, "-s", ("172.17.0.0/16",)), (False, "-p", ("tcp",)),
        (False, "--dport", ("8080",)), (False, "-j", ("ACCEPT",))])
    nft_matches = matches_of(
        match(meta("iifname"), "docker0", "!="),
        match(payload("ip", "saddr"), {"prefix": {"addr": "172.17.0.0", "len": 16}}),
        match(payload("tcp", "dport"), 8080))
    assert set(nft_matches) == set(ipt_matches)


# -- bad input ---------------------------------------------------------------------------------

def test_schema_errors_are_reported_with_pointer_and_the_rest_is_read():
    text = dump(
        table(), chain(),
        rule(match(meta("iifname"), "eth0", op="=~"), {"accept": None}),
        {"chain": {"family": "inet", "table": "t", "name": "c2", "hook": "input"}},
        {"rule": {"family": "ipx", "table": "t", "chain": "c", "expr": []}},
        rule({"drop": None}),
    )
    c = nft_json.parse(text, "bad.json")
    errors = [p for p in c.problems if p.code == "NF001"]
    assert len(errors) == 3
    assert all(p.name == "syntax-error" for p in errors)
    assert errors[0].span.pointer == "/nftables/3/rule/expr/0/match/op"
    assert "'=~' is not one of" in errors[0].message
    assert errors[1].span.pointer.startswith("/nftables/4")
    assert "type" in errors[1].message  # a hooked chain needs its type and priority
    assert errors[2].span.pointer == "/nftables/5/rule/family"
    (r,) = c.tables[0].chain("c").rules
    assert r.actions == (Verdict("drop"),)


def test_same_shape_cache_never_hides_an_invalid_object():
    good = rule(match(payload("tcp", "dport"), 22), {"accept": None})
    bad = rule(match(payload("tcp", "dport"), 22), {"accept": None})
    bad["rule"]["handle"] = 1.5  # a float where an integer is required
    worse = rule(match(payload("tcp", "dport"), 22), {"accept": None})
    worse["rule"]["chain"] = 7
    c = nft_json.parse(dump(table(), chain(), good, bad, worse, good), "c.json")
    assert [p.span.pointer for p in c.problems] == ["/nftables/4/rule/handle",
                                                    "/nftables/5/rule/chain"]
    assert len(c.tables[0].chain("c").rules) == 2
    assert nft_json.shape_key(json.dumps(good)) == nft_json.shape_key(
        json.dumps(rule(match(payload("tcp", "dport"), 8080), {"accept": None})))
    assert nft_json.shape_key('{"f": "ip6"}') != nft_json.shape_key('{"f": "ip4"}')


@pytest.mark.parametrize("text, where", [
    ('{"nftables": [{"table": {"family": "ip", "name": "t"}}, {"chain": ', (1, 67)),
    ('{"nftables": [\n{"table": {"family": "ip", "name": "t"}}\n{"x": 1}]}', (2, 41)),
    ("not json at all", (1, 1)),
    ('{"nftables": {"table": 1}}', (1, 1)),
    ("", (1, 1)),
])
def test_malformed_json_is_one_error_with_a_position(text, where):
    c = nft_json.parse(text, "m.json", line_offset=4)
    (p,) = c.problems
    assert p.code == "NF001" and p.severity.name == "ERROR"
    assert (p.span.line, p.span.column) == (where[0] + 4, where[1])
    assert "nft -j" in p.message or "JSON" in p.message


def test_truncated_dump_keeps_what_came_before():
    full = dump(table(), chain(), rule({"accept": None}), rule({"drop": None}))
    c = nft_json.parse(full[:full.rindex('{"rule"') + 20], "cut.json")
    assert [p.code for p in c.problems] == ["NF001"]
    assert len(c.tables[0].chain("c").rules) == 1
    assert not c.tables[0].complete  # its rules may go on past the cut
    assert nft_json.parse(full, "full.json").tables[0].complete


def test_gc_state_is_restored():
    assert gc.isenabled()
    nft_json.parse(dump(table()), "g.json")
    nft_json.parse("{", "g.json")
    assert gc.isenabled()


# -- the contract with the nft text frontend ---------------------------------------------------

def test_contribution_from_objects_contract():
    objects = [table(), chain(type="filter", hook="input", prio="filter", policy="accept"),
               rule(match(meta("iifname"), "eth0"), {"accept": None}),
               {"rule": {"family": "inet", "table": "t", "chain": "c", "expr": "nope"}}]
    c = nft_json.contribution_from_objects(objects, "r.nft")
    assert c.fidelity == "nft-json"
    (p,) = c.problems
    assert p.span.pointer == "/nftables/3/rule/expr"
    (r,) = c.tables[0].chains[0].rules
    assert r.span == Span("r.nft", pointer="/nftables/2")
    spans = [Span("r.nft", i + 1, 1) for i in range(3)]
    c = nft_json.contribution_from_objects(objects[:3], "r.nft", spans, fidelity="nft-text",
                                           raw_texts=["", "", 'iifname "eth0" accept'])
    assert c.fidelity == "nft-text" and not c.problems
    r = c.tables[0].chains[0].rules[0]
    assert r.span.line == 3 and r.raw == 'iifname "eth0" accept'
    assert r.matches == (InterfaceMatch("in", ("eth0",)),)
    assert c.tables[0].chains[0].priority == 0


def test_input_commands_are_read_like_listed_objects():
    c = nft_json.contribution_from_objects([
        {"flush": {"ruleset": None}},
        {"add": {"table": {"family": "inet", "name": "t"}}},
        {"add": {"chain": {"family": "inet", "table": "t", "name": "c"}}},
        {"insert": {"rule": {"family": "inet", "table": "t", "chain": "c", "expr": [
            {"accept": None}]}}}], "cmd.json")
    assert not c.problems
    assert c.tables[0].chain("c").rules[0].actions == (Verdict("accept"),)
    c = nft_json.contribution_from_objects([
        {"add": {"chain": {"family": "inet", "table": "t", "name": "c", "hook": "input"}}}], "x")
    (p,) = c.problems
    assert p.span.pointer == "/nftables/0/add/chain" and "type" in p.message


def test_statement_mapper_never_raises_on_odd_shapes():
    mapper = StatementMapper()
    for stmt in (None, 3, "x", [], {}, {"match": None}, {"match": {"op": "=="}},
                 {"mangle": {"key": None, "value": None}}, {"vmap": {"key": 1, "data": [1]}},
                 {"dnat": {"port": {"set": [1, 2]}}}, {"xt": None}, {"a": 1, "b": 2}):
        m, a, _ = mapper.rule([stmt])
        assert m or a


def test_expression_text_is_nft_spelling():
    assert expr_text({"concat": [payload("ip", "saddr"), {"prefix": {"addr": "10.0.0.0",
                                                                       "len": 8}}]}) == (
        "ip saddr . 10.0.0.0/8")
    assert expr_text({"set": [22, {"range": [80, 90]}]}) == "{ 22, 80-90 }"
    assert expr_text({"payload": {"base": "nh", "offset": 9, "len": 8}}) == "@nh,9,8"
    assert expr_text(ct("l3proto", dir="original")) == "ct original l3proto"


# -- the schema --------------------------------------------------------------------------------

def _walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


def test_schema_stays_within_what_the_shape_cache_keeps_exact():
    schema = json.loads(grammars.read("nft.schema.json"))
    from jsonschema import Draft202012Validator
    Draft202012Validator.check_schema(schema)
    keep = re.compile(nft_json._KEEP.decode())
    forbidden = {"pattern", "format", "minLength", "maxLength", "minimum", "maximum",
                 "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "const",
                 "patternProperties",
                 "propertyNames", "uniqueItems"}
    for path, node in _walk(schema):
        if "properties" in path[-1:] or "$defs" in path[-1:]:
            continue  # names of properties/definitions, not keywords
        assert not forbidden & set(node), (path, forbidden & set(node))
        for word in node.get("enum", ()):
            assert isinstance(word, str) and keep.fullmatch(word), (path, word)
            if any(ch.isdigit() for ch in word):
                assert word in nft_json.DIGIT_ENUM_WORDS, (path, word)


def test_several_documents_bare_arrays_and_trailing_text():
    two = dump(table("ip", "a")) + "\n" + dump(table("ip", "b"))
    c = nft_json.parse(two, "two.json")
    assert not c.problems and {t.name for t in c.tables} == {"a", "b"}
    c = nft_json.parse(json.dumps([table("ip", "a")]), "arr.json")
    assert not c.problems and c.tables[0].name == "a"
    c = nft_json.parse(dump(table()) + "\ntrailing words", "tail.json")
    (p,) = c.problems
    assert (p.span.line, p.span.column) == (2, 1) and c.tables


def test_commands_that_change_nothing_listed_are_assumed_not_run():
    c = nft_json.contribution_from_objects([
        {"add": {"table": {"family": "ip", "name": "a"}}},
        {"delete": {"table": {"family": "ip", "name": "a"}}}], "cmd.json")
    assert c.tables and not c.problems
    assert len(c.assumptions) == 1 and "1 delete" in c.assumptions[0]


@pytest.mark.parametrize("depth", [400, 5000])
def test_hostile_nesting_is_a_syntax_error_or_unknown_never_a_crash(depth):
    """Nesting no nft prints: too deep for the decoder is NF001 at the object; deep but
    decodable is kept as an unknown construct. Either way the objects before it are read."""
    deep = '{"match": {"op": "==", "left": ' * depth + "1" + ', "right": 1}}' * depth
    text = ('{"nftables": [{"table": {"family": "ip", "name": "f"}}, {"rule": {"family": "ip", '
            '"table": "f", "chain": "c", "expr": [' + deep + ']}}]}')
    c = nft_json.parse(text, "deep.json")
    assert [t.name for t in c.tables] == ["f"]
    codes = {p.code for p in c.problems}
    assert codes <= {"NF001"} and (codes or depth < 1000)
    if codes:
        assert "nested too deeply" in c.problems[0].message
