"""`nft list ruleset` text frontend: the listing syntax, symbolic values as nft -j prints them,
and recovery on mangled pastes (seed 002)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from nflint.diagnostics import Severity
from nflint.frontends import nft_text
from nflint.matches import AddrTypeMatch, ConntrackMatch, InterfaceMatch, PortMatch
from nflint.statements import NatAction, Verdict

DATA = Path(__file__).resolve().parent / "data" / "nft"

LISTING = """\
table inet filter { # handle 3
	set blocked { # handle 4
		type ipv4_addr
		flags interval
		elements = { 192.0.2.0/24, 198.51.100.7 }
	}

	chain input { # handle 1
		type filter hook input priority filter - 1; policy drop;
		ct state established,related accept # handle 5
		icmp type echo-request counter packets 1 bytes 60 accept # handle 6
		iifname != "docker1" tcp dport { 80, 443 } accept comment "web" # handle 7
		ip saddr . tcp dport { 192.0.2.1 . 22 } accept # handle 8
		ip saddr @blocked drop # handle 9
		meta l4proto udp counter jump udp_in # handle 10
	}

	chain udp_in { # handle 2
		udp dport vmap { 53 : accept, 67-68 : drop } # handle 11
	}
}
table bridge br {
	chain fwd {
		type filter hook forward priority filter; policy accept;
	}
}
table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter jump DOCKER
	}
	chain DOCKER {
		iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80
	}
}
"""


def objects(text):
    objs, spans, raws, problems = nft_text.read_objects(text, "t.nft")
    return objs, spans, problems


def rules_of(objs, chain):
    return [o["rule"] for o in objs if "rule" in o and o["rule"]["chain"] == chain]


def test_listing_becomes_the_objects_nft_json_prints():
    objs, spans, problems = objects(LISTING)
    assert not problems
    chain = next(o["chain"] for o in objs if "chain" in o and o["chain"]["name"] == "input")
    assert (chain["hook"], chain["prio"], chain["policy"], chain["handle"]) == (
        "input", -1, "drop", 1)
    r = rules_of(objs, "input")
    assert r[0]["expr"][0] == {"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                         "right": ["established", "related"]}}
    assert r[0]["handle"] == 5
    assert r[1]["expr"][0]["match"]["right"] == "echo-request"
    assert r[1]["expr"][1] == {"counter": {"packets": 1, "bytes": 60}}
    assert r[2]["expr"][0] == {"match": {"op": "!=", "left": {"meta": {"key": "iifname"}},
                                         "right": "docker1"}}
    assert r[2]["expr"][1]["match"]["right"] == {"set": [80, 443]}
    assert r[2]["comment"] == "web"
    assert r[3]["expr"][0]["match"]["left"] == {"concat": [
        {"payload": {"protocol": "ip", "field": "saddr"}},
        {"payload": {"protocol": "tcp", "field": "dport"}}]}
    assert r[4]["expr"][0]["match"]["right"] == "@blocked"
    vmap = rules_of(objs, "udp_in")[0]["expr"][0]["vmap"]
    assert vmap["data"] == {"set": [[53, {"accept": None}], [{"range": [67, 68]},
                                                            {"drop": None}]]}
    s = next(o["set"] for o in objs if "set" in o)
    assert s["elem"] == [{"prefix": {"addr": "192.0.2.0", "len": 24}}, "198.51.100.7"]
    # every object points at its own line
    assert spans[objs.index({"rule": r[1]})].line == 11


def test_named_priorities_resolve_per_family():
    objs, _, _ = objects(LISTING)
    prios = {o["chain"]["name"]: o["chain"].get("prio") for o in objs if "chain" in o}
    assert prios["fwd"] == -200  # bridge `filter`
    assert prios["PREROUTING"] == -100  # `dstnat`


def test_model_from_text():
    c = nft_text.parse(LISTING, "t.nft")
    assert not [p for p in c.problems if p.severity >= Severity.WARNING]
    nat = next(t for t in c.tables if t.name == "nat")
    pre = nat.chain("PREROUTING")
    assert (pre.hook, pre.priority, pre.policy) == ("prerouting", -100, "accept")
    rule = pre.rules[0]
    assert any(isinstance(m, AddrTypeMatch) and m.types == ("local",) for m in rule.matches)
    assert rule.jump_targets == ("DOCKER",)
    dnat = nat.chain("DOCKER").rules[0]
    assert isinstance(dnat.nat, NatAction) and dnat.nat.address == "172.17.0.2"
    assert any(isinstance(m, InterfaceMatch) and m.negated for m in dnat.matches)
    inp = next(t for t in c.tables if t.name == "filter").chain("input")
    assert isinstance(inp.rules[0].matches[0], ConntrackMatch)
    assert any(isinstance(m, PortMatch) and m.contains(443) for m in inp.rules[2].matches)
    assert inp.rules[2].comment == "web"
    assert inp.rules[0].handle == 5


def test_stateless_and_numeric_listings():
    text = ("table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n"
            "\t\tip protocol 6 tcp dport 22 counter accept\n\t}\n}\n")
    objs, _, problems = objects(text)
    assert not problems
    expr = rules_of(objs, "c")[0]["expr"]
    assert expr[0]["match"]["right"] == 6 and expr[2] == {"counter": None}


@pytest.mark.parametrize("rule, expected", [
    ("ct state new accept", {"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                       "right": "new"}}),
    ("meta l4proto udp", {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}},
                                    "right": "udp"}}),
    ("fib daddr type local", {"match": {"op": "==", "left": {"fib": {"result": "type",
                                                                    "flags": ["daddr"]}},
                                        "right": "local"}}),
    ("ct status dnat", {"match": {"op": "in", "left": {"ct": {"key": "status"}},
                                  "right": "dnat"}}),
    ("icmp type redirect", {"match": {"op": "==", "left": {"payload": {
        "protocol": "icmp", "field": "type"}}, "right": "redirect"}}),
    ("tcp flags syn / syn,ack", {"match": {"op": "==", "left": {"&": [
        {"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": "syn"}}),
    ("ip saddr 10.0.0.0/8", {"match": {"op": "==", "left": {"payload": {
        "protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0",
                                                                   "len": 8}}}}),
    ("tcp dport 1024-65535", {"match": {"op": "==", "left": {"payload": {
        "protocol": "tcp", "field": "dport"}}, "right": {"range": [1024, 65535]}}}),
    ("meta mark set 0x0000000a", {"mangle": {"key": {"meta": {"key": "mark"}}, "value": 10}}),
    ("ct mark set meta mark", {"mangle": {"key": {"ct": {"key": "mark"}},
                                         "value": {"meta": {"key": "mark"}}}}),
    ("masquerade to :1024-2048 random,persistent", {"masquerade": {
        "port": {"range": [1024, 2048]}, "flags": ["random", "persistent"]}}),
    ("snat ip to 192.0.2.1-192.0.2.9:1000", {"snat": {"family": "ip", "addr": {
        "range": ["192.0.2.1", "192.0.2.9"]}, "port": 1000}}),
    ("redirect to :8080", {"redirect": {"port": 8080}}),
    ("tproxy ip to 192.0.2.1:50", {"tproxy": {"family": "ip", "addr": "192.0.2.1",
                                              "port": 50}}),
    ("fwd to \"eth0\"", {"fwd": {"dev": "eth0"}}),
    ("dup to 192.0.2.1 device \"eth0\"", {"dup": {"addr": "192.0.2.1", "dev": "eth0"}}),
    ("queue flags bypass to 1-3", {"queue": {"flags": "bypass", "num": {"range": [1, 3]}}}),
    ("notrack", {"notrack": None}),
    ("reject with tcp reset", {"reject": {"type": "tcp reset"}}),
    ("log prefix \"drop: \" level warn", {"log": {"prefix": "drop: ", "level": "warn"}}),
    ("limit rate over 10/second burst 4 packets", {"limit": {"rate": 10, "per": "second",
                                                             "burst": 4, "inv": True}}),
    ("socket transparent 1", {"match": {"op": "==", "left": {"socket": {"key": "transparent"}},
                                        "right": 1}}),
    ("osf name \"Linux\"", {"match": {"op": "==", "left": {"osf": {"key": "name"}},
                                      "right": "Linux"}}),
    ("rt ip nexthop 192.0.2.1", {"match": {"op": "==", "left": {"rt": {
        "key": "nexthop", "family": "ip"}}, "right": "192.0.2.1"}}),
    ("exthdr frag exists", {"match": {"op": "==", "left": {"exthdr": {"name": "frag"}},
                                      "right": True}}),
    ("tcp option maxseg size 1400", {"match": {"op": "==", "left": {"tcp option": {
        "name": "maxseg", "field": "size"}}, "right": 1400}}),
    ("meta mark set jhash ip saddr mod 10 seed 0xdead", {"mangle": {
        "key": {"meta": {"key": "mark"}}, "value": {"jhash": {
            "mod": 10, "seed": 57005, "expr": {"payload": {"protocol": "ip",
                                                           "field": "saddr"}}}}}}),
    ("meta mark set symhash mod 4", {"mangle": {"key": {"meta": {"key": "mark"}},
                                                "value": {"symhash": {"mod": 4}}}}),
    ("ct helper set \"ftp\"", {"ct helper": "ftp"}),
    ("xt target \"MASQUERADE\"", {"xt": {"type": "target", "name": "MASQUERADE"}}),
    ("continue", {"continue": None}),
    # older listings (nft 0.9, CentOS 8 era)
    ("tcp flags & (fin|syn|rst|ack) == syn", {"match": {"op": "==", "left": {"&": [
        {"payload": {"protocol": "tcp", "field": "flags"}}, ["fin", "syn", "rst", "ack"]]},
        "right": "syn"}}),
    ("redirect to 3128", {"redirect": {"port": 3128}}),
    ("reject with icmpx type admin-prohibited", {"reject": {"type": "icmpx",
                                                            "expr": "admin-prohibited"}}),
    ("ip6 daddr ::1", {"match": {"op": "==", "left": {"payload": {
        "protocol": "ip6", "field": "daddr"}}, "right": "::1"}}),
    ("goto other", {"goto": {"target": "other"}}),
])
def test_statements_as_nft_json_prints_them(rule, expected):
    text = f"table inet t {{\n\tchain c {{\n\t\t{rule}\n\t}}\n}}\n"
    objs, _, problems = objects(text)
    assert not problems, [p.message for p in problems]
    assert rules_of(objs, "c")[0]["expr"][0] == expected


def test_garbled_line_is_one_error_and_the_rest_is_read():
    text = ("table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority 0;\n"
            "\t\ttcp dport 22 ~~garbage~~ accept\n\t\ttcp dport 80 accept\n\t}\n}\n")
    c = nft_text.parse(text, "g.nft")
    errors = [p for p in c.problems if p.code == "NF001" and p.severity == Severity.ERROR]
    assert len(errors) == 1
    assert (errors[0].span.source, errors[0].span.line, errors[0].span.column) == (
        "g.nft", 4, 16)
    assert "expected" in errors[0].message
    rules = c.tables[0].chain("INPUT").rules
    assert len(rules) == 2  # the readable part of line 4 and line 5
    assert rules[1].verdict == Verdict("accept")


def test_line_offset_shifts_every_span():
    text = "table ip t {\n\tchain c {\n\t\tnonsense here\n\t}\n}\n"
    c = nft_text.parse(text, "paste", line_offset=10)
    assert [p.span.line for p in c.problems] == [13]


def test_missing_brace_is_inferred_at_the_next_header():
    text = ("table ip t {\n\tchain a {\n\t\taccept\n\tchain b {\n\t\tdrop\n\t}\n}\n"
            "table ip u {\n\tchain c {\n\t\taccept\n")
    c = nft_text.parse(text, "b.nft")
    t = {tb.name: tb for tb in c.tables}
    assert [ch.name for ch in t["t"].chains] == ["a", "b"]
    assert len(t["t"].chain("a").rules) == 1 and len(t["u"].chain("c").rules) == 1
    warnings = [p for p in c.problems if p.severity == Severity.WARNING]
    assert {p.span.line for p in warnings} == {4, 11}


def test_chain_pasted_without_its_table_uses_the_prompt_hint():
    text = 'chain DOCKER {\n\tcomment "docker"\n\ttcp dport 80 accept\n}\n'
    assert nft_text.parse(text, "p").problems  # no table: reported
    c = nft_text.parse(text, "p", hint={"table": "nat", "family": "ip"})
    assert not c.problems
    chain = c.tables[0].chain("DOCKER")
    assert (c.tables[0].name, chain.comment, len(chain.rules)) == ("nat", "docker", 1)


def test_include_and_stray_braces_are_reported_not_fatal():
    text = 'include "x.nft"\n}\ntable ip t {\n}\n'
    c = nft_text.parse(text, "d.nft")
    assert [t.name for t in c.tables] == ["t"]
    sev = sorted((p.span.line, p.severity) for p in c.problems)
    assert sev == [(1, Severity.INFO), (2, Severity.ERROR)]


def test_nft_f_script_with_defines_and_add_commands():
    text = """flush ruleset
define lan = 192.0.2.0/24
define ports = { 22, 80 }
add table inet f
add chain inet f input { type filter hook input priority 0; policy drop; }
add rule inet f input ip saddr $lan tcp dport $ports accept
table inet f {
\tchain fwd { type filter hook forward priority 0; ip saddr $lan accept; }
}
"""
    c = nft_text.parse(text, "script.nft")
    assert not c.problems
    t = c.tables[0]
    inp, fwd = t.chain("input"), t.chain("fwd")
    assert (inp.policy, fwd.policy) == ("drop", "accept")  # accept: the kernel's default
    assert any(isinstance(m, PortMatch) and m.contains(80) for m in inp.rules[0].matches)
    assert fwd.rules[0].matches[0].networks[0].prefixlen == 24
    assert inp.rules[0].span.line == 6


def test_random_damage_never_raises():
    rng = random.Random(7)
    base = LISTING
    for _ in range(200):
        chars = list(base)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(chars))
            chars[pos:pos + rng.randint(0, 6)] = rng.choice(
                ["{", "}", ";", '"', "#", "\n", " ", "(1)->", "@", ":", "-", "", "xyz"])
        c = nft_text.parse("".join(chars), "fuzz")
        assert all(p.code == "NF001" for p in c.problems if p.code.startswith("NF00"))


# ---------------------------------------------------------------- seed 002: a mangled paste

@pytest.fixture(scope="module")
def seed():
    return nft_text.parse((DATA / "seed002-paste.nft").read_text(), "seed002-paste.nft")


def test_seed_paste_builds_the_chains_it_can(seed):
    tables = {(t.family, t.name): t for t in seed.tables}
    nat = tables[("ip", "nat")]
    pre = nat.chain("PREROUTING")
    assert (pre.hook, pre.priority, pre.type) == ("prerouting", -100, "nat")
    assert pre.rules[0].jump_targets == ("DOCKER",)
    assert any(isinstance(m, AddrTypeMatch) and m.field == "daddr" and m.types == ("local",)
               for m in pre.rules[0].matches)
    docker = nat.chain("DOCKER")
    assert len(docker.rules) == 4 and all(r.nat and r.nat.kind == "dnat" for r in docker.rules)
    assert [next(m for m in r.matches if isinstance(m, PortMatch)).ranges[0][0]
            for r in docker.rules] == [514, 67, 8080, 1812]
    # the second `table ip nat` block adds POSTROUTING to the same table
    assert nat.chain("POSTROUTING").hook == "postrouting"
    fwd = tables[("ip", "filter")].chain("FORWARD")
    assert (fwd.hook, fwd.policy, len(fwd.rules)) == ("forward", "drop", 6)
    assert tables[("ip", "filter")].chain("DOCKER").rules[0].verdict == Verdict("accept")
    fw = tables[("inet", "firewalld")].chain("filter_FORWARD")
    assert (fw.hook, fw.priority) == ("forward", 10)
    assert tables[("inet", "firewalld")].chain("filter_FWDI_public").rules
    assert tables[("ip", "firewalld")].chain("nat_POSTROUTING").priority == 110


def test_seed_paste_reports_what_it_could_not_read_line_by_line(seed):
    errors = [p for p in seed.problems if p.severity == Severity.ERROR]
    lines = sorted(p.span.line for p in errors)
    # `dnat to` lost its address (lines 6-9), `ip daddr`/`ip saddr` lost theirs (25-28, 53-57)
    assert lines == [6, 7, 8, 9, 25, 26, 27, 28, 53, 54, 55, 56, 57]
    assert all(p.span.column > 1 and "expected" in p.message for p in errors)
    assert any("`ip daddr` kept as unknown" in p.message for p in errors)
    notes = " ".join(p.message for p in seed.problems if p.severity == Severity.INFO)
    assert "annotations" in notes and "COUNTER" in notes
    braces = [p for p in seed.problems if p.severity == Severity.WARNING]
    assert braces and all("missing `}`" in p.message for p in braces)


def test_our_rulesets_read_without_problems_and_resolve_named_priorities():
    prios = {}
    for name in ("docker-like.nft", "firewalld-like.nft", "bridge.nft", "sets-maps.nft"):
        c = nft_text.parse((DATA / name).read_text(), name)
        assert not c.problems, (name, [p.message for p in c.problems])
        prios.update({(t.family, c2.name): c2.priority for t in c.tables for c2 in t.chains
                      if c2.is_base})
    assert prios[("inet", "filter_INPUT")] == 10          # filter + 10
    assert prios[("inet", "nat_POSTROUTING")] == 110      # srcnat + 10
    assert prios[("inet", "output")] == -155              # mangle - 5
    assert prios[("ip", "pre")] == -101                   # dstnat - 1
    assert prios[("inet", "raw_pre")] == -300
    assert prios[("inet", "security_in")] == 50
    assert prios[("bridge", "prerouting")] == -300        # bridge dstnat


def test_sets_maps_objects_and_flowtables():
    text = """table inet t {
\tflowtable ft {
\t\thook ingress priority filter
\t\tdevices = { eth0, eth1 }
\t}

\tct timeout agressive {
\t\tprotocol tcp
\t\tl3proto ip
\t\tpolicy = { established : 2m3s, close : 12s }
\t}

\tquota q {
\t\tover 25 mbytes used 1 mbytes
\t}

\tmap m {
\t\ttype ipv4_addr . inet_service : verdict
\t\tflags interval
\t\telements = { 192.0.2.0/24 . 22 : accept,
\t\t\t     198.51.100.1 . 80-90 : jump c }
\t}

\tchain c {
\t\tflow add @ft
\t}
}
"""
    objs, _, problems = objects(text)
    assert not problems
    ft = next(o["flowtable"] for o in objs if "flowtable" in o)
    assert (ft["hook"], ft["prio"], ft["dev"]) == ("ingress", 0, ["eth0", "eth1"])
    cto = next(o["ct timeout"] for o in objs if "ct timeout" in o)
    assert cto["policy"] == {"established": 123, "close": 12}
    q = next(o["quota"] for o in objs if "quota" in o)
    assert (q["bytes"], q["used"], q["inv"]) == (25 * 2**20, 2**20, True)
    m = next(o["map"] for o in objs if "map" in o)
    assert m["type"] == ["ipv4_addr", "inet_service"] and m["map"] == "verdict"
    assert m["elem"][1] == [{"concat": ["198.51.100.1", {"range": [80, 90]}]},
                            {"jump": {"target": "c"}}]
    c = nft_text.parse(text, "t.nft")
    table = c.tables[0]
    assert {o.kind for o in table.objects} >= {"ct timeout", "quota"}
    assert table.sets[0].is_map and len(table.sets[0].elements) == 2


def test_repeated_rules_are_parsed_once_and_keep_their_own_counters():
    listing = "table ip t {\n\tchain c {\n" + "".join(
        f"\t\tct state established,related counter packets {n} bytes {n * 60} accept\n"
        for n in (1, 2, 3)) + "\t\ttcp dport 22 counter packets 9 bytes 99 accept\n\t}\n}\n"
    objs, _, _, problems = nft_text.read_objects(listing, "r.nft")
    assert not problems
    rules = [o["rule"]["expr"] for o in objs if "rule" in o]
    assert [r[1]["counter"] for r in rules[:3]] == [
        {"packets": n, "bytes": n * 60} for n in (1, 2, 3)]
    assert rules[0][0] == rules[1][0] == rules[2][0] and rules[0][0] is not rules[1][0]
    assert rules[1][0] is not rules[2][0]
    assert rules[3][1]["counter"] == {"packets": 9, "bytes": 99}


@pytest.mark.parametrize("words, symbols", [
    ("meta mark set mark or 0x4000", "meta mark set meta mark | 0x4000"),
    ("meta mark set mark xor 0x4000", "meta mark set meta mark ^ 0x4000"),
    ("meta mark set mark and 0xffffbfff xor 0x4000",
     "meta mark set meta mark & 0xffffbfff ^ 0x4000"),
    ("ct mark set mark and 0xff", "ct mark set meta mark & 0xff"),
])
def test_operators_spelt_as_words_read_as_their_symbols(words, symbols):
    """nft 1.0.9 lists iptables-nft's `-j MARK --or-mark 0x4000` (kube-proxy's KUBE-MARK-MASQ)
    as `meta mark set mark or 0x4000`: a bare `mark` and a word operator."""
    def expr(rule):
        objs, _, problems = objects(f"table ip t {{\n\tchain c {{\n\t\t{rule}\n\t}}\n}}\n")
        assert not problems, [p.message for p in problems]
        return rules_of(objs, "c")[0]["expr"]
    assert expr(words) == expr(symbols)
    assert "|" in str(expr(words)) or "^" in str(expr(words)) or "&" in str(expr(words))
