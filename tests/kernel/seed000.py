"""The first seed's host, rebuilt in namespaces with test addresses, with its fixes as knobs.

Seed 000: a Docker host whose LAN bridge br-mellanox (198.51.100.250 here) is joined by a veth
pair to br-lan137, an address-less Docker bridge (routed gateway mode, inhibit_ipv4) holding the
"ha" container (198.51.100.248). "web" (198.18.0.4) publishes port 5000 on the default-style
Docker network br-da66fb6805df. From ha, 198.51.100.250:5000 fails for four stacked reasons (see
/work/shared/research/kernel-facts.md); each knob of ``Variant`` removes or adds one of them.

Namespaces: ``host`` (the Docker host), ``lan`` (a LAN device, 198.51.100.10, port 8080 open),
``ha`` and ``web`` (containers). Docker's rules are written per backend: iptables-save text in
the shape Docker 28 leaves (loaded with iptables-nft or iptables-legacy), the same rules in
native nft syntax, and a Docker 29 style ``table ip docker-bridges``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from .lab import Lab, Listener, Netns, Outcome, tcp_connect

BACKENDS = ("iptables-nft", "iptables-legacy", "nft", "docker29-nft")

DOCKER_BR = "br-da66fb6805df"      # the published container's Docker network
LAN137 = "br-lan137"                # the address-less Docker bridge of the seed
LAN_BR = "br-mellanox"              # the host's LAN bridge
HOST_LAN_IP = "198.51.100.250"
LAN_DEVICE_IP = "198.51.100.10"
HA_IP = "198.51.100.248"
WEB_IP = "198.18.0.4"
DOCKER_GW = "198.18.0.1"
DOCKER0_GW = "198.19.0.1"           # docker0 exists with no containers, as on a real host
PUBLISHED_PORT = 5000
LAN_PORT = 8080


@dataclass(frozen=True)
class Variant:
    """One state of the seed host. The defaults are the seed as first reported (broken)."""
    backend: str = "iptables-nft"       # one of BACKENDS
    rp_filter: int = 2                  # net.ipv4.conf.{all,br-lan137}.rp_filter
    bypass_isolation: bool = False      # DOCKER-USER -i br-lan137 -o br-da66.. -j ACCEPT
    notrack: bool = False               # the seed's fix: raw PREROUTING -i br-lan137 -j NOTRACK
    bridge_nf_call_iptables: int = 1
    lan137_address: str | None = None   # e.g. "203.0.113.137/32": any address defeats the rp check
    # ha's neighbour entry for .250 is pinned to this host bridge's MAC; None: real ARP, where
    # rp_filter 0 or an address on br-lan137 lets br-lan137 answer first (ARP flux).
    gateway_mac: str | None = LAN_BR

    def but(self, **changes) -> "Variant":
        return dataclasses.replace(self, **changes)

    @property
    def label(self) -> str:
        knobs = [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self)
                 if f.name != "backend" and getattr(self, f.name) != f.default]
        return f"{self.backend}[{','.join(knobs) or 'seed'}]"


# --- Docker 28 rules (iptables-save), after the seed's listings and moby's golden files -------

def iptables_rules(v: Variant) -> str:
    """What ``iptables-save`` shows on the seed host (Docker 28), plus the variant's edits."""
    raw = [f"-A PREROUTING -i {LAN137} -j NOTRACK"] if v.notrack else []
    raw.append(f"-A PREROUTING -d {WEB_IP}/32 ! -i {DOCKER_BR} -j DROP")
    user = [f"-A DOCKER-USER -i {LAN137} -o {DOCKER_BR} -j ACCEPT"] if v.bypass_isolation else []
    bridges = ("docker0", DOCKER_BR, LAN137)
    return "\n".join([
        "*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", *raw, "COMMIT",
        "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
        *(f":{c} - [0:0]" for c in ("DOCKER", "DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-FORWARD",
                                     "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2",
                                     "DOCKER-USER")),
        "-A FORWARD -j DOCKER-USER",
        "-A FORWARD -j DOCKER-FORWARD",
        f"-A DOCKER -d {WEB_IP}/32 ! -i {DOCKER_BR} -o {DOCKER_BR} -p tcp -m tcp "
        f"--dport {PUBLISHED_PORT} -j ACCEPT",
        f"-A DOCKER -o {LAN137} -p icmp -j ACCEPT",
        *(f"-A DOCKER ! -i {b} -o {b} -j DROP" for b in bridges),
        *(f"-A DOCKER-BRIDGE -o {b} -j DOCKER" for b in bridges),
        *(f"-A DOCKER-CT -o {b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
          for b in bridges),
        "-A DOCKER-FORWARD -j DOCKER-CT",
        "-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1",
        "-A DOCKER-FORWARD -j DOCKER-BRIDGE",
        *(f"-A DOCKER-FORWARD -i {b} -j ACCEPT" for b in bridges),
        *(f"-A DOCKER-ISOLATION-STAGE-1 -i {b} ! -o {b} -j DOCKER-ISOLATION-STAGE-2"
          for b in ("docker0", LAN137, DOCKER_BR)),
        *(f"-A DOCKER-ISOLATION-STAGE-2 -o {b} -j DROP" for b in ("docker0", DOCKER_BR, LAN137)),
        *user,
        "COMMIT",
        "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
        f"-A POSTROUTING -s 198.19.0.0/16 ! -o docker0 -j MASQUERADE",
        f"-A POSTROUTING -s 198.18.0.0/16 ! -o {DOCKER_BR} -j MASQUERADE",
        "-A DOCKER -i docker0 -j RETURN",
        f"-A DOCKER -i {DOCKER_BR} -j RETURN",
        f"-A DOCKER ! -i {DOCKER_BR} -p tcp -m tcp --dport {PUBLISHED_PORT} "
        f"-j DNAT --to-destination {WEB_IP}:{PUBLISHED_PORT}",
        "COMMIT", "",
    ])


def nft_rules(v: Variant) -> str:
    """The same Docker 28 rules written natively for nft (counters on every rule)."""
    bridges = ("docker0", DOCKER_BR, LAN137)
    raw = [f'iifname "{LAN137}" counter notrack'] if v.notrack else []
    user = ([f'iifname "{LAN137}" oifname "{DOCKER_BR}" counter accept']
            if v.bypass_isolation else [])

    def chain(name: str, rules: list[str], base: str = "") -> str:
        head = [f"\t\t{base}"] if base else []
        return "\n".join([f"\tchain {name} {{", *head, *(f"\t\t{r}" for r in rules), "\t}"])

    filter_chains = [
        chain("DOCKER", [
            f'ip daddr {WEB_IP} iifname != "{DOCKER_BR}" oifname "{DOCKER_BR}" tcp dport '
            f"{PUBLISHED_PORT} counter accept",
            f'oifname "{LAN137}" ip protocol icmp counter accept',
            *(f'iifname != "{b}" oifname "{b}" counter drop' for b in bridges)]),
        chain("DOCKER-BRIDGE", [f'oifname "{b}" counter jump DOCKER' for b in bridges]),
        chain("DOCKER-CT", [f'oifname "{b}" ct state related,established counter accept'
                            for b in bridges]),
        chain("DOCKER-ISOLATION-STAGE-2", [f'oifname "{b}" counter drop'
                                           for b in ("docker0", DOCKER_BR, LAN137)]),
        chain("DOCKER-ISOLATION-STAGE-1", [
            f'iifname "{b}" oifname != "{b}" counter jump DOCKER-ISOLATION-STAGE-2'
            for b in ("docker0", LAN137, DOCKER_BR)]),
        chain("DOCKER-FORWARD", ["counter jump DOCKER-CT",
                                 "counter jump DOCKER-ISOLATION-STAGE-1",
                                 "counter jump DOCKER-BRIDGE",
                                 *(f'iifname "{b}" counter accept' for b in bridges)]),
        chain("DOCKER-USER", user),
        chain("FORWARD", ["counter jump DOCKER-USER", "counter jump DOCKER-FORWARD"],
              "type filter hook forward priority filter; policy drop;"),
        chain("INPUT", [], "type filter hook input priority filter; policy accept;"),
        chain("OUTPUT", [], "type filter hook output priority filter; policy accept;"),
    ]
    nat_chains = [
        chain("DOCKER", ['iifname "docker0" counter return',
                         f'iifname "{DOCKER_BR}" counter return',
                         f'iifname != "{DOCKER_BR}" tcp dport {PUBLISHED_PORT} counter '
                         f"dnat to {WEB_IP}:{PUBLISHED_PORT}"]),
        chain("PREROUTING", ["fib daddr type local counter jump DOCKER"],
              "type nat hook prerouting priority dstnat; policy accept;"),
        chain("OUTPUT", ["ip daddr != 127.0.0.0/8 fib daddr type local counter jump DOCKER"],
              "type nat hook output priority -100; policy accept;"),
        chain("POSTROUTING", [
            'ip saddr 198.19.0.0/16 oifname != "docker0" counter masquerade',
            f'ip saddr 198.18.0.0/16 oifname != "{DOCKER_BR}" counter masquerade'],
              "type nat hook postrouting priority srcnat; policy accept;"),
    ]
    raw_chains = [chain("PREROUTING", [
        *raw, f'ip daddr {WEB_IP} iifname != "{DOCKER_BR}" counter drop'],
        "type filter hook prerouting priority raw; policy accept;")]
    return "\n".join([
        "flush ruleset",
        "table ip raw {", *raw_chains, "}",
        "table ip filter {", *filter_chains, "}",
        "table ip nat {", *nat_chains, "}", "",
    ])


def docker29_rules(v: Variant) -> str:
    """Docker 29's nftables backend: one ``ip docker-bridges`` table, no isolation chains.

    ``bypass_isolation`` has nothing to bypass here and is ignored.
    """
    published = {DOCKER_BR: [f"ip daddr {WEB_IP} tcp dport {PUBLISHED_PORT} counter accept"]}
    routed = {LAN137}
    masq = {"docker0": "198.19.0.0/16", DOCKER_BR: "198.18.0.0/16"}
    bridges = ("docker0", DOCKER_BR, LAN137)

    def vmap(name: str, kind: str) -> str:
        elems = ", ".join(f'"{b}" : jump {kind}__{b}' for b in bridges)
        return f"\tmap {name} {{\n\t\ttype ifname : verdict\n\t\telements = {{ {elems} }}\n\t}}"

    def chain(name: str, rules: list[str], base: str = "") -> str:
        head = [f"\t\t{base}"] if base else []
        return "\n".join([f"\tchain {name} {{", *head, *(f"\t\t{r}" for r in rules), "\t}"])

    per_bridge = []
    for b in bridges:
        per_bridge.append(chain(f"filter-forward-in__{b}", [
            "ct state established,related counter accept",
            *(['ip protocol icmp counter accept comment "ICMP"'] if b in routed else []),
            f'iifname "{b}" counter accept comment "ICC"',
            *published.get(b, []),
            'counter drop comment "UNPUBLISHED PORT DROP"']))
        per_bridge.append(chain(f"filter-forward-out__{b}", [
            "ct state established,related counter accept",
            'counter accept comment "OUTGOING"']))
        per_bridge.append(chain(f"nat-postrouting-in__{b}", []))
        per_bridge.append(chain(f"nat-postrouting-out__{b}", [
            f'oifname != "{b}" ip saddr {masq[b]} counter masquerade comment "MASQUERADE"']
            if b in masq else []))
    raw = [f'iifname "{LAN137}" counter notrack'] if v.notrack else []
    return "\n".join([
        "flush ruleset",
        "table ip docker-bridges {",
        vmap("filter-forward-in-jumps", "filter-forward-in"),
        vmap("filter-forward-out-jumps", "filter-forward-out"),
        vmap("nat-postrouting-in-jumps", "nat-postrouting-in"),
        vmap("nat-postrouting-out-jumps", "nat-postrouting-out"),
        *per_bridge,
        chain("nat-prerouting-and-output", [
            f'iifname != "{DOCKER_BR}" tcp dport {PUBLISHED_PORT} counter '
            f'dnat to {WEB_IP}:{PUBLISHED_PORT} comment "DNAT"']),
        chain("filter-FORWARD", ["oifname vmap @filter-forward-in-jumps",
                                 "iifname vmap @filter-forward-out-jumps"],
              "type filter hook forward priority filter; policy accept;"),
        chain("nat-OUTPUT", ["ip daddr != 127.0.0.0/8 fib daddr type local counter "
                             "jump nat-prerouting-and-output"],
              # moby's golden says "priority dstnat": nft 1.0.6 accepts that name only on
              # prerouting, and newer nft lists -100 on output as dstnat anyway.
              "type nat hook output priority -100; policy accept;"),
        chain("nat-POSTROUTING", ["iifname vmap @nat-postrouting-out-jumps",
                                  "oifname vmap @nat-postrouting-in-jumps"],
              "type nat hook postrouting priority srcnat; policy accept;"),
        chain("nat-PREROUTING", ["fib daddr type local counter jump nat-prerouting-and-output"],
              "type nat hook prerouting priority dstnat; policy accept;"),
        chain("raw-PREROUTING", [
            *raw, f'ip daddr {WEB_IP} iifname != "{DOCKER_BR}" counter drop '
                  'comment "DROP DIRECT ACCESS"'],
              "type filter hook prerouting priority raw; policy accept;"),
        "}", "",
    ])


def ruleset(v: Variant) -> str:
    """The variant's Docker rules in its backend's own input format."""
    if v.backend in ("iptables-nft", "iptables-legacy"):
        return iptables_rules(v)
    if v.backend == "nft":
        return nft_rules(v)
    if v.backend == "docker29-nft":
        return docker29_rules(v)
    raise ValueError(f"unknown backend {v.backend!r}; expected one of {BACKENDS}")


# --- The topology -------------------------------------------------------------------------

@dataclass
class Seed000:
    """The built scenario: its namespaces, listeners and the probes the story needs."""
    lab: Lab
    variant: Variant
    host: Netns
    lan: Netns
    ha: Netns
    web: Netns
    web_listener: Listener
    lan_listener: Listener

    def ha_to_published(self, timeout: float = 2.0) -> Outcome:
        """The seed's failing flow: ha -> 198.51.100.250:5000 (DNAT to web)."""
        return tcp_connect(self.ha, None, HOST_LAN_IP, PUBLISHED_PORT, timeout)

    def lan_to_published(self, timeout: float = 2.0) -> Outcome:
        """A plain LAN device -> 198.51.100.250:5000: the published port works for it."""
        return tcp_connect(self.lan, None, HOST_LAN_IP, PUBLISHED_PORT, timeout)

    def ha_to_lan(self, timeout: float = 2.0) -> Outcome:
        """ha -> another LAN device (bridged twice: br-lan137, then br-mellanox)."""
        return tcp_connect(self.ha, None, LAN_DEVICE_IP, LAN_PORT, timeout)

    def learned_gateway(self) -> str | None:
        """Which host bridge ha sends .250's frames to (by MAC), or None if unresolved."""
        entries = self.ha.run(["ip", "-j", "neigh", "show", HOST_LAN_IP]).stdout
        macs = [e.get("lladdr") for e in json.loads(entries or "[]")]
        for br in (LAN_BR, LAN137):
            if self.host.mac(br) in macs:
                return br
        return None

    def isolation_drops(self) -> int:
        """Packets dropped by DOCKER-ISOLATION-STAGE-2 toward the published container's bridge."""
        backend = self.variant.backend
        if backend == "docker29-nft":
            return 0                    # Docker 29 has no isolation chains
        return self.host.packets("DOCKER-ISOLATION-STAGE-2", DOCKER_BR,
                                 backend="nft" if backend == "nft" else backend)

    def counters(self):
        backend = self.variant.backend
        return self.host.counters("nft" if backend in ("nft", "docker29-nft") else backend)


def build(lab: Lab, variant: Variant = Variant(), tag: str = "") -> Seed000:
    """Create the seed host in ``lab`` as ``variant`` describes, listeners running.

    ``tag`` prefixes the namespace names, so that one lab can hold several variants at once.
    """
    if variant.backend not in BACKENDS:
        raise ValueError(f"unknown backend {variant.backend!r}; expected one of {BACKENDS}")
    host, lan, ha, web = (lab.netns(tag + n) for n in ("host", "lan", "ha", "web"))

    # Ubuntu/systemd hosts run with rp_filter 2 on default and all; a new namespace has 0.
    # Set before the links exist, so that every interface starts from default = 2.
    host.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
              "net.ipv4.conf.default.rp_filter=2", "net.ipv4.conf.all.rp_filter=2",
              f"net.bridge.bridge-nf-call-iptables={variant.bridge_nf_call_iptables}"])
    bridges = (LAN_BR, LAN137, DOCKER_BR, "docker0")
    ports = (("eno1", LAN_BR, lan), ("veth5a44ead", LAN137, ha), ("veth0c7f1e2", DOCKER_BR, web))
    host.ip(
        *(f"link add name {br} type bridge forward_delay 0 stp_state 0" for br in bridges),
        "link add veth-lan137-1 type veth peer name veth-lan137-2",
        *(f"link add {port} type veth peer name eth0 netns {peer.fullname}"
          for port, _, peer in ports),
        f"link set veth-lan137-2 master {LAN_BR}",
        f"link set veth-lan137-1 master {LAN137}",
        *(f"link set {port} master {br}" for port, br, _ in ports),
        *(f"link set {dev} up" for dev in (*bridges, "veth-lan137-1", "veth-lan137-2",
                                           *(p for p, _, _ in ports))),
        f"addr add {HOST_LAN_IP}/24 dev {LAN_BR}",
        f"addr add {DOCKER_GW}/16 dev {DOCKER_BR}",
        f"addr add {DOCKER0_GW}/16 dev docker0",
        *([f"addr add {variant.lan137_address} dev {LAN137}"] if variant.lan137_address else []))
    lan.ip(f"addr add {LAN_DEVICE_IP}/24 dev eth0", "link set eth0 up")
    ha.ip(f"addr add {HA_IP}/24 dev eth0", "link set eth0 up")
    web.ip(f"addr add {WEB_IP}/16 dev eth0", "link set eth0 up",
           f"route add default via {DOCKER_GW}")

    # The blog's workaround sets both: the effective value is max(all, interface).
    host.run(["sysctl", "-q", "-w", f"net.ipv4.conf.all.rp_filter={variant.rp_filter}",
              f"net.ipv4.conf.{LAN137}.rp_filter={variant.rp_filter}"])

    text = ruleset(variant)
    if variant.backend.startswith("iptables-"):
        host.load_iptables(text, backend=variant.backend.split("-", 1)[1])
    else:
        host.load_nft(text)

    if variant.gateway_mac:
        ha.neigh(HOST_LAN_IP, host.mac(variant.gateway_mac), "eth0")
    return Seed000(lab, variant, host, lan, ha, web,
                   web.serve_tcp(PUBLISHED_PORT), lan.serve_tcp(LAN_PORT))


def main(argv: list[str] | None = None) -> int:
    """Print the seed host's dumps as a paste (``python -m tests.kernel.seed000 --help``)."""
    import argparse
    import sys
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--backend", choices=BACKENDS, default="iptables-nft")
    parser.add_argument("--rp-filter", type=int, default=2)
    parser.add_argument("--bypass-isolation", action="store_true")
    parser.add_argument("--notrack", action="store_true")
    parser.add_argument("--bridge-nf-call-iptables", type=int, default=1)
    parser.add_argument("--lan137-address")
    parser.add_argument("--rules-only", action="store_true", help="print the ruleset text only")
    args = parser.parse_args(argv)
    variant = Variant(args.backend, args.rp_filter, args.bypass_isolation, args.notrack,
                      args.bridge_nf_call_iptables, args.lan137_address)
    if args.rules_only:
        sys.stdout.write(ruleset(variant))
        return 0
    from .lab import unavailable_reason
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    with Lab() as lab:
        seed = build(lab, variant)
        print(f"# (lab) ha -> {HOST_LAN_IP}:{PUBLISHED_PORT}: {seed.ha_to_published()}",
              file=sys.stderr)
        sys.stdout.write(seed.host.capture_bundle())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
