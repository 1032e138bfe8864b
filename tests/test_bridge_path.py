"""NF101-NF105 beyond the fixtures: stacking, the fix's syntax, evidence, grouping, restraint."""
from __future__ import annotations

from pathlib import Path

from nflint import api
from nflint.inputs import InputText, load_host

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "rules"
BAD_IPT = RULES / "NF101-bridge-dnat-leak" / "bad-iptables"
BAD_NFT = RULES / "NF101-bridge-dnat-leak" / "bad-nft"
CODES = {"NF101", "NF102", "NF103", "NF104", "NF105"}


def findings(inputs) -> dict[str, list]:
    host, problems, _ = load_host(inputs)
    report = api.check_host(host, problems)
    out: dict[str, list] = {}
    for d in report.diagnostics:
        out.setdefault(d.code, []).append(d)
    assert not {"NF004", "NF005"} & set(out), out
    return out


def texts(directory: Path, **edits) -> list[InputText]:
    """The fixture's files, with `name=(old, new)` replacements."""
    out = []
    for p in sorted(directory.iterdir()):
        if p.suffix == ".expect":
            continue
        text = p.read_text()
        if p.name in edits:
            old, new = edits[p.name]
            assert old in text
            text = text.replace(old, new)
        out.append(InputText(str(p), text))
    return out


def test_seed_example_reports_the_four_failures_in_order():
    found = findings([ROOT / "examples" / "seed000"])
    assert CODES <= set(found)
    assert "stacked" not in found["NF103"][0].message
    assert "stacked behind NF103" in found["NF102"][0].message
    nf104 = found["NF104"][0].message
    assert "stacked behind NF103" in nf104 and "NF102" in nf104
    assert "homeassistant" in found["NF101"][0].message


def test_fixes_are_written_in_the_input_syntax():
    ipt, nft = findings(texts(BAD_IPT)), findings(texts(BAD_NFT))
    for code in CODES - {"NF103"}:
        assert all(c.startswith("iptables ") for c in ipt[code][0].fix.commands), code
        assert all(c.startswith("nft ") for c in nft[code][0].fix.commands), code
    assert ipt["NF101"][0].fix.commands == (
        "iptables -t raw -I PREROUTING 1 -i br-lan137 -j NOTRACK",)
    # the nft ruleset calls its raw-priority chain "early pre" and its bridge "guests"
    assert nft["NF101"][0].fix.commands == (
        "nft insert rule ip early pre iifname '\"guests\"' notrack",)
    assert "DOCKER-USER" in ipt["NF102"][0].fix.commands[0]
    assert " local-policy " in nft["NF102"][0].fix.commands[0]


def test_conntrack_log_is_cited():
    found = findings(texts(RULES / "NF104-missing-notrack" / "bad-evidence-iptables"))
    related = [r for r in found["NF104"][0].related if "conntrack-events" in r.span.source]
    assert [r.span.line for r in related] == [4]  # the reply-direction [NEW], port 19460


def test_rulesets_alone_give_no_path_findings():
    found = findings([InputText("rules", (BAD_IPT / "iptables.rules").read_text())])
    assert not CODES & set(found)


def test_a_drop_written_for_the_bridge_itself_is_deliberate():
    drop = ("-A FORWARD -j DOCKER-USER\n",
            "-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -i br-mellanox -o br-mellanox -j DROP\n")
    assert "NF105" in findings(texts(BAD_IPT))
    assert "NF105" not in findings(texts(BAD_IPT, **{"iptables.rules": drop}))


def test_ports_behind_one_entry_rule_are_one_finding():
    dnat = "-j DNAT --to-destination 198.18.0.4:5000\n"
    more = dnat + ("-A DOCKER ! -i br-da66fb6805df -p tcp -m tcp --dport 5001 "
                   "-j DNAT --to-destination 198.18.0.4:5001\n")
    found = findings(texts(BAD_IPT, **{"iptables.rules": (dnat, more)}))
    assert len(found["NF101"]) == 1
    assert "other published port(s) 5001" in found["NF101"][0].message


BAD6_IPT = RULES / "NF105-bridge-forward-drop" / "bad-ipv6-iptables"
BAD6_NFT = RULES / "NF105-bridge-forward-drop" / "bad-ipv6-nft"
GLOBAL6 = "    inet6 2001:db8:10::10/64 scope global\n       valid_lft forever preferred_lft forever\n"
LINK6 = "    inet6 fe80::70ff:6fff:feaf:9556/64 scope link\n       valid_lft forever preferred_lft forever\n"
V4_ACCEPT = "-A DOCKER-USER -i br0 -o br0 -j ACCEPT\n"


def test_ipv6_drop_is_reported_with_an_ip6_fix_and_neighbour_discovery():
    ipt = findings(texts(BAD6_IPT))["NF105"]
    assert len(ipt) == 1  # IPv4 is accepted in DOCKER-USER: only the IPv6 drop is left
    d = ipt[0]
    assert "IPv6" in d.message and "neighbour discovery" in d.message
    assert d.fix.commands == ("ip6tables -t filter -I DOCKER-USER 1 -i br0 -o br0 -j ACCEPT",)
    assert "sysctl -w net.bridge.bridge-nf-call-ip6tables=0" in d.fix.description
    assert any("bridge-nf-call-ip6tables = 1" in r.message for r in d.related)
    nft = findings(texts(BAD6_NFT))["NF105"]
    # the inet table's first rule jumps to lan-bridge, whose accept says `meta nfproto ipv4`
    assert nft[0].fix.commands == (
        "nft insert rule inet fw lan-bridge iifname '\"br0\"' oifname '\"br0\"' accept",)


def test_one_finding_per_bridge_and_family():
    both = findings(texts(BAD6_IPT, **{"iptables.rules": (V4_ACCEPT, "")}))["NF105"]
    assert sorted("IPv6" in d.message for d in both) == [False, True]
    assert len({d.fingerprint for d in both}) == 2
    v4 = next(d for d in both if "IPv6" not in d.message)
    assert v4.fix.commands[0].startswith("iptables ")


def test_ipv6_needs_an_ipv6_address_on_the_segment():
    link_local = findings(texts(BAD6_IPT, **{"ip-addr.txt": (GLOBAL6, "")}))
    assert "fe80::" in link_local["NF105"][0].message  # what ND runs on
    none = findings(texts(BAD6_IPT, **{"ip-addr.txt": (GLOBAL6 + LINK6, "")}))
    assert "NF105" not in none


def test_neighbour_discovery_is_claimed_only_when_icmpv6_meets_the_drop():
    last = "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP\n"
    for accept in ("-A DOCKER-USER -p ipv6-icmp -j ACCEPT\n",
                   "-A DOCKER-USER -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation "
                   "-j ACCEPT\n"):
        got = findings(texts(BAD6_IPT, **{"ip6tables.rules": (last, last + accept)}))["NF105"]
        assert len(got) == 1 and "neighbour discovery" not in got[0].message, accept
