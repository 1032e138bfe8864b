"""Real kernel round trip: load our rulesets with `nft -f` in a fresh namespace, dump them with
`nft list ruleset` and `nft -j list ruleset`, and check that text and JSON give one model.

The text frontend must also rewrite the real listing into exactly the objects nft -j printed,
up to what this nft version's JSON printer leaves out (see `_version_quirks`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nflint.frontends import nft_json, nft_text
from tests.comparable import comparable_nft_objects, comparable_tables
from tests.kernel.conftest import lab, require  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.kernel

DATA = Path(__file__).resolve().parent / "data" / "nft"
RULESETS = ["docker-like.nft", "firewalld-like.nft", "bridge.nft", "sets-maps.nft"]


def _version_quirks(text_objs: list, json_objs: list) -> None:
    """nft 1.0.6 `-j` drops the single `device` of a netdev/ingress chain: drop it on the text
    side too, only where the JSON has none (a newer nft prints it and the check stays strict)."""
    chains = {(c["chain"]["table"], c["chain"]["name"]): c["chain"]
              for c in json_objs if "chain" in c}
    for o in text_objs:
        if "chain" in o:
            j = chains.get((o["chain"]["table"], o["chain"]["name"]), {})
            if "dev" not in j:
                o["chain"].pop("dev", None)


@pytest.mark.parametrize("name", RULESETS)
def test_kernel_listing_text_and_json_agree(lab, name):  # noqa: F811
    require("nft")
    ns = lab.netns("nftrt")
    ns.run(["nft", "-f", "-"], input=(DATA / name).read_text(), timeout=20)
    text = ns.run(["nft", "list", "ruleset"], timeout=20).stdout
    text_a = ns.run(["nft", "-a", "list", "ruleset"], timeout=20).stdout
    doc = ns.run(["nft", "-j", "list", "ruleset"], timeout=20).stdout
    assert "table" in text

    objs, _, _, problems = nft_text.read_objects(text, "listing.nft")
    assert not [p.message for p in problems]
    jobjs = json.loads(doc)["nftables"]
    mine, theirs = comparable_nft_objects(objs), comparable_nft_objects(jobjs)
    _version_quirks(mine, theirs)
    assert mine == theirs

    from_text = nft_text.parse(text, "listing.nft")
    from_json = nft_json.parse(doc, "listing.json")
    assert not [p.message for p in from_text.problems]
    model_text, model_json = comparable_tables(from_text.tables), comparable_tables(from_json.tables)
    for table in model_text:  # the same 1.0.6 quirk, seen in the model
        for t2 in model_json:
            if (t2["family"], t2["name"]) == (table["family"], table["name"]):
                for c, c2 in zip(table["chains"], t2["chains"]):
                    if not c2["devices"]:
                        c["devices"] = []
    assert model_text == model_json
    assert sum(len(c.rules) for t in from_text.tables for c in t.chains) > 0

    # `nft -a` adds `# handle N`: same model, and the handles are those nft -j reports
    with_handles = nft_text.parse(text_a, "listing-a.nft")
    assert comparable_tables(with_handles.tables) == comparable_tables(from_text.tables)
    json_handles = sorted(r["rule"]["handle"] for r in jobjs if "rule" in r)
    text_handles = sorted(r.handle for t in with_handles.tables for c in t.chains
                          for r in c.rules)
    assert text_handles == json_handles


IPTABLES_NFT_RULES = """\
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 198.51.100.0/24 ! -o docker0 -j MASQUERADE
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.51.100.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT
COMMIT
"""


def test_iptables_nft_tables_read_better_from_the_text_listing(lab):  # noqa: F811
    """For tables written by iptables-nft, `nft list ruleset` translates most xt matches and
    targets back into nft syntax while `nft -j` prints bare `xt` objects: the text listing
    keeps the DNAT target, the conntrack state and the addrtype match the JSON loses."""
    require("nft", "iptables-nft-restore")
    ns = lab.netns("iptnft")
    ns.run(["iptables-nft-restore"], input=IPTABLES_NFT_RULES, timeout=20)
    text = ns.run(["nft", "list", "ruleset"], timeout=20).stdout
    c = nft_text.parse(text, "listing.nft")
    assert not [p.message for p in c.problems if p.code == "NF001"]
    # the one untranslated rule (physdev) makes the mapper ask for iptables-save output
    assert [p.code for p in c.problems] == ["NF003"] and "filter" in c.problems[0].message
    tables = {t.name: t for t in c.tables}
    dnat = tables["nat"].chain("DOCKER").rules[0].nat
    assert (dnat.kind, dnat.address, dnat.ports) == ("dnat", "198.51.100.2", (80, 80))
    pre = tables["nat"].chain("PREROUTING").rules[0]
    assert any(type(m).__name__ == "AddrTypeMatch" for m in pre.matches)
    inp = tables["filter"].chain("INPUT").rules[0]
    assert type(inp.matches[0]).__name__ == "ConntrackMatch"
    assert tables["filter"].chain("FORWARD").policy == "drop"
    # what nft cannot translate stays visible as an xt statement, never dropped
    fwd = tables["filter"].chain("FORWARD").rules[0]
    assert any("physdev" in repr(x) for x in (*fwd.matches, *fwd.actions))


def _shape(c) -> dict:
    """What every output option must keep: chains with hook, priority, policy, rule count."""
    return {(t.family, t.name, ch.name): (ch.hook, ch.priority, ch.policy, len(ch.rules))
            for t in c.tables for ch in t.chains}


def test_listing_options_all_read(lab):  # noqa: F811
    """`-s` stateless, `-n`/`-nn` numeric, `-S` service names, `-y` numeric priorities, `-N`
    resolved addresses, `-a` handles: each listing reads without a problem into one shape."""
    require("nft")
    ns = lab.netns("nftopt")
    for name in RULESETS:
        ns.run(["nft", "-f", "-"], input=(DATA / name).read_text(), timeout=20)
    listed = nft_text.parse(ns.run(["nft", "list", "ruleset"], timeout=20).stdout, "l")
    base = _shape(listed)
    assert len(base) > 20
    for opt in ("-s", "-n", "-nn", "-S", "-y", "-N", "-a"):
        text = ns.run(["nft", opt, "list", "ruleset"], timeout=20).stdout
        c = nft_text.parse(text, f"list{opt}.nft")
        assert not [p.message for p in c.problems], opt
        assert _shape(c) == base, opt
        if opt in ("-n", "-nn", "-y", "-a"):  # numbers for symbols: names again in the model
            assert comparable_tables(c.tables) == comparable_tables(listed.tables), opt
