"""Where "the outside" enters the host, for the exposure rules (NF301-NF306).

The exposure questions are about a client on another network: it enters on the uplink and talks
to one of the host's addresses. When the dumps describe the interfaces, the uplink is the
default route's device (or the one plain interface with an IPv4 address). A bare
`iptables-save` describes none: then the host is completed the way its own rules describe it
(a subnet masqueraded when it does not leave via `! -o BRIDGE` lives behind BRIDGE) and given an
uplink that no rule names, and every finding says so.

IPv6 is asked separately (`uplink(host, 6)`): Docker >= 27 publishes ports over ip6tables too,
and a host whose dumps show no global IPv6 address on any plain interface has no IPv6 uplink.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass

from nflint.host import Host
from nflint.matches import AddressMatch, InterfaceMatch
from nflint.netstate import Interface
from nflint.span import WHATIF_SPAN

from . import rule_index
from .model_queries import known_networks, nat_address, outside_address

WHATIF_UPLINK = "nflint-uplink0"  # an interface name no rule of a real ruleset names
UPLINK_POOL = ("192.0.2.10/24", "198.51.100.10/24", "203.0.113.10/24")
UPLINK_POOL6 = ("2001:db8:0:10::10/64", "2001:db8:0:11::10/64", "2001:db8:0:12::10/64")


@dataclass(frozen=True)
class Uplink:
    """The interface a client from elsewhere arrives on, and the host address it talks to."""

    host: Host  # the host to simulate (completed when the dumps had no interfaces)
    iface: str
    address: str
    client: str  # an address of "elsewhere"
    assumed: str = ""  # what was assumed to get here, for the message

    @property
    def real(self) -> bool:
        return not self.assumed


def _plain(i: Interface) -> bool:
    return i.kind not in ("bridge", "veth", "loopback") and i.name != "lo" and not i.master


def _global(i: Interface, family: int):
    return [a for a in (i.ipv4 if family == 4 else i.ipv6)
            if not a.ip.is_loopback and not a.ip.is_link_local and not a.ip.is_multicast]


def uplink(host: Host, family: int = 4) -> Uplink | None:
    """The uplink of the host for one address family, or of the completed host when the dumps
    name no interfaces. Kept on the host: several rules ask, and the completed host (with what
    the engine caches on it) is then built once."""
    cache = host.__dict__.setdefault("_nflint_uplink" if family == 4 else "_nflint_uplink6", [])
    if not cache:
        cache.append(_uplink(host, family))
    return cache[0]


def _uplink(host: Host, family: int) -> Uplink | None:
    if host.interfaces:
        names = [r.dev for r in host.routes if r.dst == "default" and r.dev]
        cands = [host.interface(n) for n in names if host.interface(n) is not None]
        cands += [i for i in host.interfaces if _plain(i)]
        for i in cands:
            addrs = _global(i, family)
            if addrs:
                addr = str(addrs[0].ip)
                return Uplink(host, i.name, addr, outside_address(host, family, avoid=(addr,)))
        return None
    return _completed(host, family)


def bridges_from_masquerade(host: Host, family: int = 4) -> dict:
    """`-s NET ! -o BRIDGE -j MASQUERADE` (nft `ip saddr NET oifname != "BRIDGE" masquerade`):
    the rule's own statement that NET lives behind BRIDGE."""
    out: dict = {}  # bridge -> IPv4Network or IPv6Network
    # every chain of a table with a nat postrouting chain: Docker 29 reaches its per-bridge
    # chains through named verdict maps, and for where a subnet lives any statement will do
    families = ("ip", "inet") if family == 4 else ("ip6", "inet")
    host_prefix = 32 if family == 4 else 128
    masquerades = (r for t in host.tables if t.family in families and any(
        c.type == "nat" and c.hook == "postrouting" for c in t.base_chains)
        for r, nat in rule_index.of(t).nat_rules if nat.kind in ("masquerade", "snat"))
    for rule in masquerades:
        nets = [n for m in rule.matches if isinstance(m, AddressMatch) and m.field == "saddr"
                and not m.negated for n in m.networks
                if n.version == family and n.prefixlen < host_prefix - 1]
        outs = [m for m in rule.matches if isinstance(m, InterfaceMatch) and
                m.direction == "out" and m.negated and len(m.names) == 1 and
                not m.names[0].endswith(("+", "*"))]
        if len(nets) == 1 and len(outs) == 1:
            out.setdefault(outs[0].names[0], nets[0])
    return out


def bridges_from_dnat6(host: Host) -> dict:
    """`! -i BRIDGE ... -j DNAT --to-destination [ADDR]:PORT`: Docker's own statement that
    ADDR lives behind BRIDGE, whose IPv6 subnet is ADDR's /64 (Docker's IPv6 networks are /64
    or wider). For the IPv6 networks Docker does not masquerade (routed mode, `masq=false`)."""
    out: dict = {}
    for _, rule, _, _, _ in rule_index.published(host):
        addr = nat_address(rule.nat)
        ins = [m for m in rule.matches if isinstance(m, InterfaceMatch) and m.direction == "in"
               and m.negated and len(m.names) == 1 and not m.names[0].endswith(("+", "*"))]
        if addr is not None and addr.version == 6 and len(ins) == 1:
            out.setdefault(ins[0].names[0], ipaddress.ip_network(f"{addr}/64", strict=False))
    return out


def _completed(host: Host, family: int) -> Uplink:
    ifaces = []
    notes = []
    targets = {nat_address(p[1].nat) for p in rule_index.published(host)}
    bridges = [(name, net, "MASQUERADE") for name, net in
               bridges_from_masquerade(host, family).items()]
    if family == 6:
        bridges += [(name, net, "DNAT") for name, net in bridges_from_dnat6(host).items()
                    if all(name != b[0] for b in bridges)]
    for name, net, source in bridges:
        # the bridge's own address: the first of the subnet, unless a published port's DNAT
        # sends packets there (moby's test data gives its container fd49:...::1)
        first = net.network_address + (2 if net.network_address + 1 in targets else 1)
        gw = ipaddress.ip_interface(f"{first}/{net.prefixlen}")
        ifaces.append(Interface(name, WHATIF_SPAN, kind="bridge", addresses=(gw,)))
        notes.append(f"{net} behind {name}")
    taken = known_networks(host)
    pool = UPLINK_POOL if family == 4 else UPLINK_POOL6
    up = next((ipaddress.ip_interface(c) for c in pool
               if not any(n.version == family and n.prefixlen > 0 and
                          ipaddress.ip_interface(c).network.overlaps(n) for n in taken)),
              ipaddress.ip_interface(pool[0]))
    ifaces.append(Interface(WHATIF_UPLINK, WHATIF_SPAN, kind="ether", addresses=(up,)))
    completed = dataclasses.replace(host, interfaces=tuple(ifaces))
    what = (f"no `ip addr` dump: nflint assumed an uplink {WHATIF_UPLINK} with address {up.ip}"
            + (f" and, from the {' and '.join(dict.fromkeys(b[2] for b in bridges))} rules, "
               f"{', '.join(notes)}" if notes else ""))
    return Uplink(completed, WHATIF_UPLINK, str(up.ip),
                  outside_address(completed, family, avoid=(str(up.ip),)), what)


def drop_step(trace):
    """The step that ended a dropped/rejected first packet, if a firewall rule or policy."""
    fate = trace.fate
    if fate.kind in ("dropped", "rejected") and fate.step is not None and \
            fate.step.table is not None:
        return fate.step
    return None


def base_chain_of(step, hook: str):
    """The base chain of `step`'s table on `hook` (where an accept for it must go)."""
    table = step.table
    for c in table.base_chains:
        if c.hook == hook:
            return c
    return None


def chain_span(step):
    """The span and text of what decided a step: the rule, or the chain whose policy did."""
    if step.rule is not None:
        return step.rule.span, step.rule.raw
    chain = step.table.chain(step.chain) if step.table is not None else None
    return (chain.span if chain is not None else None,
            f"policy {(chain.policy if chain else 'drop').upper()} of {step.table.label} "
            f"{step.chain}")
