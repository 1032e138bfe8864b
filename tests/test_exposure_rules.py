"""The exposure rules (NF301-NF306) on Docker's own golden rulesets (moby's iptabler and
nftabler test data), changed the way real hosts differ: a restrictive INPUT, a routed accept.

The goldens themselves must stay quiet; the changed ones must fire on the golden's own lines.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nflint import api

GOLDEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "moby-golden"
IPT = "iptabler/hairpin=false,internal=false,icc=false,masq=true,snat=false,gwm=nat,bindlh={}" \
      "__iptables.golden"
NFT = "nftabler/hairpin=false,internal=false,icc=false,masq=true,snat=false,gwm=nat,bindlh={}" \
      "__ip.golden"
INPUT_DROP_NFT = """
table inet hostfw {
	chain inbound {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
}
"""


def _golden(name: str) -> str:
    path = GOLDEN / name
    if not path.exists():
        pytest.skip(f"moby golden files not available at {GOLDEN}")
    return path.read_text()


def _hits(text: str, code: str, name: str = "golden.rules"):
    reports = api.check_paths(["-"], stdin_text=text, stdin_name=name,
                              selection=api.Selection(select=(code,)))
    crashes = [d.message for r in reports for d in r.diagnostics if d.code == "NF005"]
    assert not crashes, crashes
    return [d for r in reports for d in r.diagnostics if d.code == code]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("name,make_restrictive,dnat", [
    (IPT, lambda t: t.replace(":INPUT ACCEPT [0:0]", ":INPUT DROP [0:0]", 1), "-j DNAT"),
    (NFT, lambda t: t + INPUT_DROP_NFT, "dnat to"),
])
def test_published_port_bypasses_restrictive_input(name, make_restrictive, dnat):
    golden = _golden(name.format("false"))
    assert not _hits(golden, "NF301"), "INPUT accepts everything: nothing is bypassed"
    changed = make_restrictive(golden)
    hits = _hits(changed, "NF301")
    assert [d.span.line for d in hits] == [_line_of(changed, dnat)]
    assert "192.168.0.0/24 behind br-dummy" in hits[0].message  # completed from MASQUERADE


@pytest.mark.parametrize("name,make_restrictive", [
    (IPT, lambda t: t.replace(":INPUT ACCEPT [0:0]", ":INPUT DROP [0:0]", 1)),
])
def test_port_bound_to_localhost_is_not_reported(name, make_restrictive):
    golden = _golden(name.format("true"))
    assert "-d 127.0.0.1/32" in golden
    assert not _hits(make_restrictive(golden), "NF301")


def test_routed_accept_behind_docker28_raw_drop():
    golden = _golden(IPT.format("false"))
    assert not _hits(golden, "NF302"), "Docker's own accepts serve the DNATed port"
    changed = golden.replace("-A FORWARD -j DOCKER-FORWARD",
                             "-A FORWARD -i wg0 -o br-dummy -j ACCEPT\n"
                             "-A FORWARD -j DOCKER-FORWARD", 1)
    hits = _hits(changed, "NF302")
    assert [d.span.line for d in hits] == [_line_of(changed, "-i wg0 -o br-dummy")]
    assert any("! -i br-dummy -j DROP" in r.message for r in hits[0].related)


IPT6 = IPT.replace("__iptables.golden", "__ip6tables.golden")
NFT6 = NFT.replace("__ip.golden", "__ip6.golden")


@pytest.mark.parametrize("name,make_restrictive,dnat,fix", [
    (IPT6, lambda t: t.replace(":INPUT ACCEPT [0:0]", ":INPUT DROP [0:0]", 1), "-j DNAT",
     "ip6tables -t filter -I "),
    (NFT6, lambda t: t + INPUT_DROP_NFT, "dnat to", "nft insert rule ip6 "),
])
def test_ipv6_published_port_bypasses_restrictive_input(name, make_restrictive, dnat, fix):
    """Docker >= 27's own IPv6 rules: the port published over ip6tables/nft ip6 bypasses an
    IPv6 input drop the same way, and the fix is written for the IPv6 table."""
    golden = _golden(name.format("false"))
    assert not _hits(golden, "NF301"), "INPUT accepts everything: nothing is bypassed"
    changed = make_restrictive(golden)
    hits = _hits(changed, "NF301")
    assert [d.span.line for d in hits] == [_line_of(changed, dnat)]
    assert "every host IPv6 address" in hits[0].message
    assert "2001:db8:" in hits[0].message and "assumed an uplink" in hits[0].message
    assert hits[0].fix.commands and all(c.startswith(fix) for c in hits[0].fix.commands)


def test_ipv6_port_bound_to_an_address_is_not_reported():
    golden = _golden(IPT6.format("false"))
    dnat = next(line for line in golden.splitlines() if "-j DNAT" in line)
    bound = dnat.replace("-A DOCKER ", "-A DOCKER -d 2001:db8:0:10::20/128 ", 1)
    assert bound != dnat
    changed = golden.replace(":INPUT ACCEPT [0:0]", ":INPUT DROP [0:0]", 1).replace(dnat, bound)
    assert not _hits(changed, "NF301")


INET_DNAT_IP_ONLY = """
table inet hostfw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct status dnat accept
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname != "br-app" tcp dport 8080 dnat ip to 198.51.100.2:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 198.51.100.0/24 oifname != "br-app" masquerade
		ip6 saddr 2001:db8:3::/64 oifname != "br-app" masquerade
	}
}
"""


def test_inet_dnat_ip_publishes_over_ipv4_only():
    """An inet table's `dnat ip to` leaves IPv6 packets alone: one finding, for IPv4."""
    hits = _hits(INET_DNAT_IP_ONLY, "NF301", "ruleset.nft")
    assert len(hits) == 1
    assert "198.51.100.2:80" in hits[0].message and "IPv6" not in hits[0].message


def test_ipv6_bridge_completed_from_dnat_without_masquerade():
    """Docker does not masquerade an IPv6 network with masq=false: where the container lives
    comes from the DNAT's own `! -i BRIDGE`."""
    golden = _golden(IPT6.replace("masq=true", "masq=false").format("false"))
    assert "MASQUERADE" not in golden
    changed = golden.replace(":INPUT ACCEPT [0:0]", ":INPUT DROP [0:0]", 1)
    hits = _hits(changed, "NF301")
    assert [d.span.line for d in hits] == [_line_of(changed, "-j DNAT")]
    assert "from the DNAT rules, fd49:efd7:54aa::/64 behind br-dummy" in hits[0].message
