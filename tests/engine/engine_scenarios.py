"""Variant inputs of the bundled examples: the seed hosts with one knob turned.

Tests build variants by editing the dumps, exactly as a user's host would differ, then load them
through the normal input pipeline.
"""
from __future__ import annotations

from pathlib import Path

from nflint.inputs import InputText, load_host

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED000 = EXAMPLES / "seed000"
SEED000_NFT = EXAMPLES / "seed000-nft"
SEED002 = EXAMPLES / "seed002"

HA, HOST_LAN, REGISTRY = "192.168.137.248", "192.168.137.250", "172.18.0.4"


def _texts(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir())
            if p.is_file() and p.name != "README.md"}


def seed000_inputs(*, nft: bool = False, rp_filter: int = 2, bypass_isolation: bool = False,
                   notrack: bool = False, bridge_nf_call_iptables: int = 1,
                   lan137_address: str | None = None) -> list[InputText]:
    """The seed host's dumps with the kernel lab's knobs (tests/kernel/seed000.py Variant)."""
    files = _texts(SEED000)
    if nft:
        del files["iptables-save.txt"]
        files.update(_texts(SEED000_NFT))
    sysctl = files["sysctl.txt"]
    sysctl = sysctl.replace("net.ipv4.conf.all.rp_filter = 2",
                            f"net.ipv4.conf.all.rp_filter = {rp_filter}")
    sysctl = sysctl.replace("net.ipv4.conf.br-lan137.rp_filter = 2",
                            f"net.ipv4.conf.br-lan137.rp_filter = {rp_filter}")
    sysctl = sysctl.replace("net.bridge.bridge-nf-call-iptables = 1",
                            f"net.bridge.bridge-nf-call-iptables = {bridge_nf_call_iptables}")
    files["sysctl.txt"] = sysctl
    if lan137_address:
        addr = files["ip-addr.txt"]
        anchor = "4: br-lan137:"
        head, tail = addr.split(anchor, 1)
        first, rest = tail.split("\n5: ", 1)
        first += (f"\n    inet {lan137_address} scope global br-lan137\n"
                  f"       valid_lft forever preferred_lft forever")
        files["ip-addr.txt"] = head + anchor + first + "\n5: " + rest
    if nft:
        rules = files["ruleset.nft"]
        if notrack:
            rules = rules.replace("type filter hook prerouting priority raw; policy accept;",
                                  "type filter hook prerouting priority raw; policy accept;\n"
                                  '\t\tiifname "br-lan137" counter notrack', 1)
        if bypass_isolation:
            rules = rules.replace("\tchain DOCKER-USER {",
                                  '\tchain DOCKER-USER {\n\t\tiifname "br-lan137" oifname '
                                  '"br-da66fb6805df" counter accept', 1)
        files["ruleset.nft"] = rules
    else:
        rules = files["iptables-save.txt"]
        if notrack:
            rules = rules.replace(":OUTPUT ACCEPT [0:0]\n-A PREROUTING",
                                  ":OUTPUT ACCEPT [0:0]\n-A PREROUTING -i br-lan137 -j NOTRACK\n"
                                  "-A PREROUTING", 1)
        if bypass_isolation:
            rules = rules.replace("-A FORWARD -j DOCKER-USER\n",
                                  "-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -i br-lan137 -o "
                                  "br-da66fb6805df -j ACCEPT\n", 1)
        files["iptables-save.txt"] = rules
    return [InputText(f"examples/seed000/{name}", text) for name, text in files.items()]


def load(inputs):
    host, problems, _ = load_host(inputs)
    return host, problems
