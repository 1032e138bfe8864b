"""Simulating a flow's whole exchange, branch by branch, and proposing flows worth checking.

The client sends, the server answers, and for TCP the handshake completes and the server sends
its first data segment: that fourth packet is where the first seed's stacked failure shows (a
second conntrack entry and a rewritten source port). Each packet is walked with the conntrack
table the earlier ones left behind.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass

from ..host import Host
from ..ruleset import Rule, Table
from ..matches import AddressMatch, PortMatch, ProtocolMatch
from .packet import EPHEMERAL_PORT, Flow, Packet
from .trace import BranchLimit, Brancher, Fate, PacketTrace, Trace
from .walk import Simulation

MAX_BRANCHES = 32

_EXCHANGES = {
    "tcp": (("request", "client", {"syn"}), ("reply", "server", {"syn", "ack"}),
            ("client-ack", "client", {"ack"}), ("server-data", "server", {"ack", "psh"})),
    "udp": (("request", "client", set()), ("reply", "server", set())),
    "icmp": (("request", "client", "echo-request"), ("reply", "server", "echo-reply")),
}


def simulate(host: Host, flow: Flow, *, max_branches: int = MAX_BRANCHES) -> Trace:
    """Walk `flow` through `host`. The returned trace is the first branch (every undecidable
    match assumed to match); `trace.alternatives` holds the others, up to `max_branches` in all
    (`trace.truncated` says when more existed)."""
    traces: list[Trace] = []
    pending: list[tuple[int, ...]] = [()]
    truncated = False
    while pending:
        if len(traces) >= max_branches:
            truncated = True
            break
        prefix = pending.pop()
        brancher = Brancher(prefix)
        try:
            trace = _run(host, flow, brancher)
        except BranchLimit:
            truncated = True
            continue
        traces.append(trace)
        pending.extend(reversed(brancher.next_prefixes()))
    if not traces:
        return Trace(flow, (), Fate("lost", "too many undecidable matches to simulate"),
                     truncated=True)
    first = traces[0]
    merged = list(first.assumptions)  # what any path assumed, so no caveat is lost
    for t in traces[1:]:
        merged += [a for a in t.assumptions if a not in merged]
    return dataclasses.replace(first, assumptions=tuple(merged), alternatives=tuple(traces[1:]),
                               truncated=truncated)


def _run(host: Host, flow: Flow, brancher: Brancher) -> Trace:
    sim = Simulation(host, brancher)
    topo, rec = sim.topo, sim.rec
    proto = "icmpv6" if flow.proto == "icmp" and flow.family == 6 else flow.proto
    src, dst = flow.src_ip, flow.dst_ip
    sport = flow.sport
    if sport is None and proto in ("tcp", "udp"):
        sport = EPHEMERAL_PORT
        rec.assume(f"client port assumed {EPHEMERAL_PORT} (no --sport)")
    dport = flow.dport if proto in ("tcp", "udp") else None
    client_place = topo.place(src)
    if client_place.assumed:
        rec.assume(client_place.assumed)
    origin, nexthop = sim.origin_of(client_place, src, dst, flow.in_iface, flow.bridged)
    inspected = topo.assumed_bridges - set(topo.inferred.values())
    if inspected:
        rec.assume("bridge(s) " + ", ".join(sorted(inspected)) + " known only from "
                   "docker network inspect (address = the network's gateway)")
    for ip, bridge in topo.inferred.items():
        rec.assume(f"{ip} assumed to be a container on {bridge}: Docker's DNAT rule to it "
                   f"exempts only that bridge, and no docker network inspect says more")
    exchange = _EXCHANGES["icmp" if proto in ("icmp", "icmpv6") else proto] if proto in (
        "tcp", "udp", "icmp", "icmpv6") else (("request", "client", set()),)
    if not flow.exchange:
        exchange = exchange[:1]
    packets: list[PacketTrace] = []
    outcome: Fate | None = None
    server_seen: Packet | None = None
    server_origin = None
    if not origin:
        fate = Fate("lost", f"nflint cannot tell where {src} enters the host: give --in IFACE")
        return Trace(flow, (PacketTrace("request", "client", flow.label(), (), fate),), fate,
                     tuple(rec.assumptions))
    for role, sender, flags in exchange:
        if sender == "client":
            pkt = Packet(proto, src, dst, sport, dport, nexthop=nexthop)
            start = origin
        else:
            assert server_seen is not None
            pkt = Packet(proto, server_seen.dst, server_seen.src, server_seen.dport,
                         server_seen.sport)
            start, pkt.nexthop = server_origin
        if isinstance(flags, str):
            pkt.icmp_type = flags
        else:
            pkt.tcp_flags = frozenset(flags) if proto == "tcp" else frozenset()
        if proto in ("icmp", "icmpv6") and pkt.icmp_type is None:
            pkt.icmp_type = flow.icmp_type
        sent = pkt.describe()
        sim.final = None
        fate = sim.inject(pkt, start)
        final = sim.final or pkt
        steps = rec.take_steps()
        arrived = final.describe() if fate.delivered else None
        packets.append(PacketTrace(role, sender, sent, steps, fate, arrived))
        if not fate.delivered:
            outcome = fate
            break
        if role == "request":
            server_seen = final
            server_origin = _answer_origin(sim, final)
            if server_origin is None:
                break
        elif sender == "server":
            bad = _client_mismatch(flow, src, dst, sport, dport, final, proto, role)
            if bad is not None:
                outcome = bad
                break
    if outcome is None:
        last = packets[-1].fate
        what = "request and reply delivered" if len(packets) > 1 else last.text
        if len(packets) > 1 and proto == "tcp":
            what = "the TCP exchange (SYN, SYN+ACK, ACK, first data) completes"
        outcome = Fate(last.kind, what, device=last.device)
    assumptions = list(rec.assumptions)
    for a in sim.index.unknown_priority:
        if a not in assumptions:
            assumptions.append(a)
    return Trace(flow, tuple(packets), outcome, tuple(assumptions), tuple(rec.choices))


def _answer_origin(sim: Simulation, final: Packet):
    """Where the server's answer starts: the place the request was delivered to."""
    arrival = sim.arrival or {}
    kind = arrival.get("kind")
    reply_dst = final.src
    if kind == "local":
        return {"kind": "local"}, reply_dst
    place = sim.topo.place(final.dst)
    if kind == "container":
        nexthop = reply_dst if sim.topo.on_link(place, reply_dst) else (place.gateway or
                                                                        reply_dst)
        return {"kind": "bridge", "bridge": arrival["bridge"], "port": arrival["port"]}, nexthop
    dev = arrival.get("dev")
    if dev is None:
        return {"kind": "device", "dev": None, "frame": False}, reply_dst
    bridge = arrival.get("bridge")
    host_addr = sim.topo.primary_address(bridge or dev, reply_dst.version)
    nexthop = reply_dst if sim.topo.on_link(place, reply_dst) else (host_addr or reply_dst)
    return {"kind": "device", "dev": dev, "frame": True}, nexthop


def _client_mismatch(flow, src, dst, sport, dport, final: Packet, proto, role) -> Fate | None:
    if final.dst != src or (sport is not None and final.dport != sport):
        return Fate("lost", f"the server's {role} arrives for {final.dst}:{final.dport}, not "
                    f"the client {src}:{sport}")
    if final.src == dst and (dport is None or final.sport == dport):
        return None
    seen = f"{final.src}:{final.sport}" if final.sport is not None else str(final.src)
    want = f"{dst}:{dport}" if dport is not None else str(dst)
    if proto == "tcp":
        # The kernel lab shows who notices: a stray SYN+ACK resets the server's half-open
        # connection while the client's connect() times out; later, the peer is reset.
        seen_as = ("its connect() times out, retrying the SYN" if role == "reply" else
                   "connection reset by peer")
        return Fate("reset", f"the server's {role} reaches the client from {seen} instead of "
                    f"{want}: no socket matches, so the client answers RST "
                    f"({seen_as})", reason="reply-mismatch")
    return Fate("dropped", f"the reply reaches the client from {seen} instead of {want}: the "
                f"client's socket does not take it", reason="reply-mismatch")


# -- flows worth checking ------------------------------------------------------------------

@dataclass(frozen=True)
class FlowCandidate:
    """A flow a rule may want to simulate, and why it is interesting."""

    flow: Flow
    why: str
    rule: Rule | None = None  # the DNAT rule it exercises, when there is one
    table: Table | None = None


def published_ports(host: Host) -> list[tuple[Table, Rule, str, int, str | None]]:
    """(table, rule, proto, port, daddr or None) of every DNAT rule with one tcp/udp port."""
    out = []
    for t in host.tables:
        for c in t.chains:
            for r in c.rules:
                nat = r.nat
                if nat is None or nat.kind not in ("dnat", "redirect"):
                    continue
                protos = [m.protocols for m in r.matches if isinstance(m, ProtocolMatch)
                          and not m.negated]
                ports = [m for m in r.matches if isinstance(m, PortMatch) and m.field ==
                         "dport" and not m.negated]
                if not ports:
                    continue
                proto = (protos[0][0] if protos else ports[0].protocol) or "tcp"
                if proto not in ("tcp", "udp"):
                    continue
                daddr = None
                for m in r.matches:
                    if isinstance(m, AddressMatch) and m.field == "daddr" and not m.negated and \
                            len(m.networks) == 1 and m.networks[0].prefixlen == m.networks[0].max_prefixlen:
                        daddr = str(m.networks[0].network_address)
                out.append((t, r, proto, ports[0].ranges[0][0], daddr))
    return out


def candidate_flows(host: Host, *, limit: int = 256) -> list[FlowCandidate]:
    """Flows whose paths the path rules (NF101-NF105...) should check:
    - every known container and neighbour -> every host-local IPv4 address on a published
      (DNATed) port: the hairpin and bridged-DNAT cases;
    - every known container -> its network's gateway when that is not the host (bridged
      traffic to the LAN, through br_netfilter's FORWARD)."""
    from .pipeline import HostIndex
    topo = HostIndex.of(host).topology
    senders: list[tuple[str, str]] = []
    for ip, (name, net) in topo.containers.items():
        if ip.version == 4:
            senders.append((str(ip), f"container {name}"))
    local = [a for a in topo.local if a.version == 4 and not a.is_loopback]
    out: list[FlowCandidate] = []
    for t, r, proto, port, daddr in published_ports(host):
        targets = [daddr] if daddr else [str(a) for a in local]
        for src, who in senders:
            for d in targets:
                if d == src:
                    continue
                out.append(FlowCandidate(Flow(src, d, proto, dport=port),
                                         f"{who} -> published port {d}:{port}", r, t))
    for ip, (name, net) in topo.containers.items():
        for g in net.gateways:
            try:
                gw = ipaddress.ip_address(g.split("/")[0])
            except ValueError:
                continue
            if gw not in topo.local and gw.version == ip.version:
                out.append(FlowCandidate(Flow(str(ip), str(gw), "icmp"),
                                         f"container {name} -> its gateway {gw} (bridged)"))
    return out[:limit]
