"""Questions several catalog rules ask of the model: which rules a hook can reach, which NAT
exists, which address stands for "somewhere outside", how to cite a sysctl.

Kept apart from the rules so that each rule module reads as its reasoning, not its plumbing.
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from nflint.diagnostics import Related
from nflint.engine.conntrack import parse_nat_target
from nflint.gcpause import gc_paused
from nflint.host import Host
from nflint.ruleset import Chain, Rule, Table
from nflint.statements import NatAction, Verdict, VerdictMap
from nflint.sysctls import SysctlValue

IP_FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet")}


def reachable_chains(table: Table, start: Chain) -> list[Chain]:
    """`start` and every chain its rules can jump or go to (vmap verdicts included), in
    discovery order; each chain once."""
    return _walk(table, start)


_JUMPS = ("jump", "goto")


def _walk(table: Table, start: Chain, nats: list | None = None) -> list[Chain]:
    """reachable_chains, and into `nats` the rows of nat_rules (table, chain, rule, its first
    NAT action, start's hook) in chain and rule order. One pass over each rule's actions, no
    per-rule helpers: kube-proxy's nat table is 90k rules in 33k chains, and this walk was most
    of a NAT query's cost."""
    chain_of = table.chain
    seen = {start.name}
    out = [start]
    for chain in out:  # grows while walked: breadth first, in discovery order
        for rule in chain.rules:
            nat = None
            actions = rule.actions
            while actions:  # a second round for vmap verdicts, after the rule's plain jumps
                maps = None
                for a in actions:
                    if isinstance(a, Verdict):
                        t = a.target
                        if t and t not in seen and a.kind in _JUMPS:
                            found = chain_of(t)
                            if found is not None:
                                seen.add(t)
                                out.append(found)
                    elif isinstance(a, VerdictMap):
                        maps = (*maps, a) if maps else (a,)
                    elif nat is None and isinstance(a, NatAction):
                        nat = a
                actions = maps and tuple(v for m in maps for _, v in m.entries)
            if nat is not None and nats is not None:
                nats.append((table, chain, rule, nat, start.hook))
    return out


def base_chains(host: Host, hook: str, family: int) -> list[tuple[Table, Chain]]:
    """Base chains of every backend on an IPv4/IPv6 hook, in the order the kernel runs them
    (priority, then dump order)."""
    fams = IP_FAMILIES[family]
    found = [(c.priority if c.priority is not None else 0, n, t, c)
             for n, (t, c) in enumerate((t, c) for t in host.tables if t.family in fams
                                         for c in t.base_chains if c.hook == hook)]
    found.sort(key=lambda x: (x[0], x[1]))
    return [(t, c) for _, _, t, c in found]


def nat_rules(host: Host, family: int, hooks: tuple[str, ...] = ("prerouting", "output",
                                                                 "postrouting", "input")
              ) -> Iterator[tuple[Table, Chain, Rule, NatAction, str]]:
    """(table, chain, rule, nat action, hook) for NAT rules reachable from a nat base chain.

    Cached on the host per base chain: rules ask once per probe, and walking kube-proxy's 35k nat chains
    each time made those rules quadratic."""
    cache = host.__dict__.setdefault("_nflint_nat_rules", {})
    for table, base in ((t, c) for t in host.tables if t.family in IP_FAMILIES[family]
                        for c in t.base_chains if c.type == "nat" and c.hook in hooks):
        found = cache.get(id(base))
        if found is None:
            rows: list = []
            with gc_paused():  # 24k rows per kube-proxy table: no collection while they pile up
                _walk(table, base, rows)
            found = cache[id(base)] = tuple(rows)
        yield from found


def nat_address(nat: NatAction) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The first address of a DNAT/SNAT target (`172.18.0.4:80`, `[2001:db8::1]:80`,
    `10.0.0.1-10.0.0.9`), read as the engine reads it."""
    return parse_nat_target(nat.address)


def local_addresses(host: Host) -> set:
    return {a.ip for i in host.interfaces for a in i.addresses}


def known_networks(host: Host) -> list:
    nets = [a.network for i in host.interfaces for a in i.addresses]
    for d in host.docker_networks:
        for s in d.subnets:
            try:
                nets.append(ipaddress.ip_network(s, strict=False))
            except ValueError:
                pass
    for r in host.routes:
        if r.network is not None:
            nets.append(r.network)
    return nets


def outside_address(host: Host, family: int, *, avoid=()) -> str:
    """A documentation address the host has no route or subnet for: "a client on the
    Internet"."""
    nets = known_networks(host)
    pool = ("203.0.113.77", "198.51.100.77", "192.0.2.77", "198.19.200.77") if family == 4 \
        else ("2001:db8:ffff::77", "2001:db8:fffe::77")
    for cand in pool:
        ip = ipaddress.ip_address(cand)
        if str(ip) in avoid:
            continue
        if not any(n.version == ip.version and n.prefixlen > 0 and ip in n for n in nets):
            return cand
    return pool[0]


def sysctl_related(values, why: str = "") -> tuple[Related, ...]:
    """Related entries for the given (not assumed) sysctl values a finding rests on."""
    out = []
    for v in values:
        if isinstance(v, SysctlValue) and v.span is not None and not v.assumed:
            out.append(Related(v.span, f"{v.key} = {v.value}" + (f" ({why})" if why else "")))
    return tuple(out)


def describe_sysctl(v: SysctlValue) -> str:
    if v.assumed:
        return f"{v.key} = {v.value} (assumed: {v.reason})"
    return f"{v.key} = {v.value}"


def is_verdict(rule: Rule, *kinds: str) -> bool:
    v = rule.verdict
    return isinstance(v, Verdict) and v.kind in kinds


# -- probing a hook with a packet derived from a rule ----------------------------------------

OTHER_IFACE = "nflint-other0"  # an interface name no real pattern is meant to match


def _iface_name(m) -> str:
    name = m.names[0]
    return name[:-1] + "0" if name.endswith(("+", "*")) else name


def probe_packet(matches, family: int, *, src: str, dst: str, proto: str = "tcp",
                 sport: int | None = 40000, dport: int | None = 443, iif: str | None = None,
                 oif: str | None = None):
    """A packet that satisfies the plain matches of a rule (interfaces, addresses, protocol,
    ports), filling the rest from the defaults; None when the matches cannot be satisfied
    by one simple packet (a negated list that covers everything, mixed families)."""
    from nflint.engine import Packet
    from nflint.matches import AddressMatch, InterfaceMatch, PortMatch, ProtocolMatch
    vals = {"src": src, "dst": dst, "proto": proto, "sport": sport, "dport": dport,
            "iif": iif, "oif": oif}
    for m in matches:
        if isinstance(m, InterfaceMatch):
            slot = "iif" if m.direction == "in" else "oif"
            if not m.negated:
                vals[slot] = _iface_name(m)
            elif vals[slot] is None or not m.matches_name(vals[slot]):
                vals[slot] = OTHER_IFACE
        elif isinstance(m, AddressMatch):
            slot = "src" if m.field == "saddr" else "dst"
            nets = [n for n in m.networks if n.version == family]
            if not m.negated:
                if not nets:
                    return None
                cur = ipaddress.ip_address(vals[slot])
                if not any(cur in n for n in nets):
                    n = nets[0]
                    # a host of the subnet, not its gateway (which sits at .1 by habit)
                    vals[slot] = str(n.network_address + 2 if n.num_addresses > 4
                                     else n.network_address)
            elif any(ipaddress.ip_address(vals[slot]) in n for n in nets):
                return None
        elif isinstance(m, ProtocolMatch) and not m.negated:
            p = m.protocols[0]
            if p in ("all",):
                continue
            vals["proto"] = "icmpv6" if p in ("icmp", "ipv6-icmp", "icmpv6") and family == 6 \
                else p
        elif isinstance(m, PortMatch) and not m.negated and m.field in ("dport", "sport"):
            vals[m.field] = m.ranges[0][0]
            if m.protocol in ("tcp", "udp"):
                vals["proto"] = m.protocol
    proto = vals["proto"]
    if proto not in ("tcp", "udp"):
        vals["sport"] = vals["dport"] = None
    try:
        pkt = Packet(proto, ipaddress.ip_address(vals["src"]), ipaddress.ip_address(vals["dst"]),
                     vals["sport"], vals["dport"])
    except ValueError:
        return None
    if pkt.src.version != family or pkt.dst.version != family:
        return None
    if proto == "tcp":
        pkt.tcp_flags = frozenset({"syn"})
    elif proto in ("icmp", "icmpv6"):
        pkt.icmp_type = "echo-request"
    pkt.iif, pkt.oif = vals["iif"], vals["oif"]
    return pkt


def reply_of(pkt):
    """The answer to `pkt` as conntrack sees it: addresses, ports and devices swapped."""
    r = pkt.fork()
    r.src, r.dst, r.sport, r.dport = pkt.dst, pkt.src, pkt.dport, pkt.sport
    r.iif, r.oif = pkt.oif, pkt.iif
    if pkt.proto == "tcp":
        r.tcp_flags = frozenset({"syn", "ack"} if "syn" in pkt.tcp_flags else {"ack"})
    if pkt.proto in ("icmp", "icmpv6"):
        r.icmp_type = "echo-reply"
    r.ct_state, r.ct_dir = "established", "reply"
    return r


def run_ip_hook(host: Host, pkt, hook: str, *, state: str = "new"):
    """Every base chain of every backend on an IPv4/IPv6 hook, in the kernel's order, over
    `pkt` with conntrack state `state`: (fate or None when accepted, steps, choices)."""
    from nflint.engine.trace import Brancher
    from nflint.engine.walk import Simulation
    sim = Simulation(host, Brancher())
    pkt = pkt.fork()
    if pkt.ct_state is None:
        pkt.ct_state = state
        pkt.ct_dir = "original" if state == "new" else pkt.ct_dir
    fate = sim.run_hook(pkt, "ip", hook)
    return fate, tuple(sim.rec.steps), tuple(sim.rec.choices)


def accept_steps(steps):
    return [s for s in steps if s.kind == "rule" and s.verdict == "accept"]


def iface_label(name: str | None) -> str:
    if name is None:
        return "-"
    return "(another interface)" if name == OTHER_IFACE else name
