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


# The rule each knob adds, in each dump's own syntax, and the line it goes right after.
ADDED_RULES = {
    "ruleset.nft": {
        "notrack": ("type filter hook prerouting priority raw; policy accept;\n",
                    '\t\tiifname "br-lan137" counter notrack\n'),
        "bypass_isolation": ("\tchain DOCKER-USER {\n",
                             '\t\tiifname "br-lan137" oifname "br-da66fb6805df" counter accept\n'),
    },
    "iptables-save.txt": {
        "notrack": ("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n",
                    "-A PREROUTING -i br-lan137 -j NOTRACK\n"),
        "bypass_isolation": ("-A FORWARD -j DOCKER-USER\n",
                             "-A DOCKER-USER -i br-lan137 -o br-da66fb6805df -j ACCEPT\n"),
    },
}


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
    rules_file = "ruleset.nft" if nft else "iptables-save.txt"
    knobs = {"notrack": notrack, "bypass_isolation": bypass_isolation}
    for knob, (after, rule) in ADDED_RULES[rules_file].items():
        if knobs[knob]:
            files[rules_file] = files[rules_file].replace(after, after + rule, 1)
    return [InputText(f"examples/seed000/{name}", text) for name, text in files.items()]


def load(inputs):
    host, problems, _ = load_host(inputs)
    return host, problems


ROUTER_ADDR = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff
    inet 198.51.100.1/24 brd 198.51.100.255 scope global eth0
3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:00:00:02 brd ff:ff:ff:ff:ff:ff
    inet 203.0.113.1/24 brd 203.0.113.255 scope global eth1
"""


def router(rules: str = "", *, nft: str = "", sysctl: str = "net.ipv4.ip_forward = 1\n",
           addr: str = ROUTER_ADDR):
    """A two-legged router (eth0 198.51.100.1/24, eth1 203.0.113.1/24) with the given rules."""
    inputs = [InputText("ip-addr.txt", addr)]
    if sysctl:
        inputs.append(InputText("sysctl.txt", sysctl))
    if rules:
        inputs.append(InputText("rules.txt", rules))
    if nft:
        inputs.append(InputText("ruleset.nft", nft))
    host, problems = load(inputs)
    assert not [p for p in problems if p.severity >= 3], problems
    return host


def filter_table(*forward_rules: str, policy: str = "ACCEPT", chains: str = "",
                 extra: str = "") -> str:
    body = "\n".join(forward_rules)
    return (f"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD {policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n"
            f"{chains}{body}\n{extra}COMMIT\n")


# -- the kernel lab's seed host (tests/kernel/seed000.py), as dumps -----------------------

_LAB_ADDRESSES = (("192.168.137.", "198.51.100."), ("172.18.", "198.18."),
                  ("172.17.", "198.19."))


def _to_lab(text: str) -> str:
    for old, new in _LAB_ADDRESSES:
        text = text.replace(old, new)
    return text


def lab_inputs(variant) -> list[InputText]:
    """The lab host of a tests.kernel.seed000.Variant: its ruleset as the lab loads it, and
    the example's interfaces, routes and Docker networks moved to the lab's test addresses."""
    from tests.kernel.seed000 import ruleset

    files = {p.name: _to_lab(p.read_text()) for p in SEED000.iterdir()
             if p.name in ("ip-addr.txt", "ip-route.txt", "docker-networks.json")}
    if variant.lan137_address:
        files["ip-addr.txt"] = files["ip-addr.txt"].replace(
            "4: br-lan137:", "4: br-lan137:", 1)
        head, tail = files["ip-addr.txt"].split("4: br-lan137:", 1)
        first, rest = tail.split("\n5: ", 1)
        first += (f"\n    inet {variant.lan137_address} scope global br-lan137\n"
                  f"       valid_lft forever preferred_lft forever")
        files["ip-addr.txt"] = head + "4: br-lan137:" + first + "\n5: " + rest
    files["sysctl.txt"] = (
        "net.ipv4.ip_forward = 1\n"
        "net.ipv4.conf.default.rp_filter = 2\n"
        f"net.ipv4.conf.all.rp_filter = {variant.rp_filter}\n"
        f"net.ipv4.conf.br-lan137.rp_filter = {variant.rp_filter}\n"
        f"net.bridge.bridge-nf-call-iptables = {variant.bridge_nf_call_iptables}\n")
    rules = ruleset(variant)
    name = "iptables-save.txt" if variant.backend.startswith("iptables-") else "ruleset.nft"
    if variant.backend == "iptables-legacy":
        rules = "# Generated by iptables-legacy-save v1.8.9\n" + rules
    files[name] = rules
    return [InputText(f"lab/{n}", t) for n, t in files.items()]


LAB_FLOWS = {  # what the lab probes: (client, server, port)
    "ha->published": ("198.51.100.248", "198.51.100.250", 5000),
    "ha->lan": ("198.51.100.248", "198.51.100.10", 8080),
    "lan->published": ("198.51.100.10", "198.51.100.250", 5000),
}


def predicted_outcome(trace) -> str:
    """The engine's answer in the lab's vocabulary (tests/kernel/lab.py Outcome.kind)."""
    o = trace.outcome
    if o.delivered:
        return "ok"
    if o.kind == "reset":
        return "reset"
    if o.kind == "rejected":
        return "refused"
    return "timeout"  # a silent drop: the client waits
