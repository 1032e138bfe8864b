"""The packet's journey through the host: devices, bridges, hooks, routing, veth hops.

Paths follow the kernel:
- a frame entering a bridge port runs the bridge-family prerouting chains; with br_netfilter on
  (bridge-nf-call-iptables) it also runs the whole IPv4 PREROUTING hook there, with the bridge
  as input device and the port as physdev. If that changed the destination (DNAT),
  br_netfilter routes the packet again (`br_nf_pre_routing_finish` -> `ip_route_input` with the
  bridge as device, reverse-path check included); a route out of another device sends it up to
  the host, which forwards it without running PREROUTING a second time (ip_sabotage_in);
- a frame for the bridge's own address goes up to the host (bridge input hook, then IP);
- a bridged frame runs bridge forward/postrouting, and with br_netfilter the IPv4 FORWARD and
  POSTROUTING hooks with in = out = the bridge;
- a packet the host routes out through a bridge runs only the bridge output/postrouting hooks;
- a veth hands the packet to its peer with conntrack state reset (`skb_scrub_packet`), so the
  next bridge meets it as new.
"""
from __future__ import annotations

import ipaddress

from ..hooks import NF_BR_PRI_BRNF
from ..host import Host
from .chain import run_chain
from .conntrack import ConntrackTable, apply_nat, parse_nat_target
from .packet import Packet
from .pipeline import HostIndex
from .topology import Place, is_placeholder
from .trace import Brancher, Fate, Recorder

MAX_HOPS = 12
UNKNOWN_IN = "<unknown interface>"
# The output device of a route the dumps do not name (the assumed default route without an
# `ip route` dump): `-o X` matches on it "may match" instead of never matching.
UNKNOWN_OUT = "<unknown output interface>"
# The address MASQUERADE takes on a device the dumps do not show (documentation ranges).
_STAND_IN = {4: "192.0.2.254", 6: "2001:db8::fe"}


class Simulation:
    """One run of an exchange under one set of branch choices."""

    def __init__(self, host: Host, brancher: Brancher) -> None:
        self.host = host
        self.index = HostIndex.of(host)
        self.topo = self.index.topology
        self.routing = self.index.routing
        self.brancher = brancher
        self.rec = Recorder()
        self.routing.sink = self.rec.assume
        loose = host.sysctls.get("net.netfilter.nf_conntrack_tcp_loose")
        self.ct = ConntrackTable(tcp_loose=(loose.as_int if loose else 1) != 0)
        self.arrival: dict | None = None
        self.final: Packet | None = None  # the packet as it left the host's view
        # Each bridge's forwarding database: (bridge, sender address) -> the port its frames
        # came in on. Answers to a sender go back out that port, as the bridge learned it,
        # whatever the dumps would guess (an assumed LAN neighbour, a pod behind a veth whose
        # peer is in another namespace).
        self.fdb: dict[tuple[str, object], str] = {}
        self._assumed_local: dict = {}

    def addr_type(self, addr, dev: str | None = None) -> str:
        """routing.addr_type, with "is it local?" decided once per address (a branch) when
        the dumps describe no interfaces, so matches and routing agree on one answer."""
        kind = self.routing.addr_type(addr, dev)
        if kind != "unknown":
            return kind
        if addr not in self._assumed_local:
            label = f"is {addr} an address of this host? (no `ip addr` dump)"
            local = self.brancher.choose(label, 2) == 0
            self.rec.choices.append(f"{label}: assumed {'yes' if local else 'no'}")
            self._assumed_local[addr] = local
        return "local" if self._assumed_local[addr] else "unicast"

    def input_route(self, pkt: Packet, dev: str):
        local = None
        if self.routing.addr_type(pkt.dst) == "unknown":
            local = self.addr_type(pkt.dst) == "local"
        return self.routing.input_route(pkt.src, pkt.dst, dev, local=local)

    # -- hooks ---------------------------------------------------------------------------

    def run_hook(self, pkt: Packet, layer: str, hook: str, *, lo: int | None = None,
                 hi: int | None = None, device: str | None = None) -> Fate | None:
        """Run the entries of a hook with lo <= priority < hi; a Fate if the packet ends."""
        entries = [e for e in self.index.entries(layer, hook, pkt.family, device)
                   if (lo is None or e.priority >= lo) and (hi is None or e.priority < hi)]
        if not entries:
            return None
        fam = {"ip": pkt.family_name, "bridge": "bridge", "netdev": "netdev"}[layer]
        where = f"in={pkt.iif or '-'} out={pkt.oif or '-'}"
        if pkt.physin or pkt.physout:
            where += f" physin={pkt.physin or '-'} physout={pkt.physout or '-'}"
        if any(e.kind in ("chain", "nat") and e.chains for e in entries) or layer == "ip":
            self.rec.add("hook", f"{fam} {hook.upper()} ({where})", pkt, hook=hook, family=fam)
        for e in entries:
            if e.kind == "chain":
                if e.tie:
                    self.rec.assume(e.tie)
                table, chain = e.chains[0]
                out = run_chain(self, pkt, hook, table, chain)
                if out.verdict in ("drop", "reject"):
                    reason = "policy" if out.step is not None and out.step.kind == "policy" \
                        else "rule"
                    what = f"policy {out.verdict.upper()} of" if reason == "policy" else \
                        f"{out.verdict.upper()} in"
                    return Fate("dropped" if out.verdict == "drop" else "rejected",
                                f"{what} {table.label} {out.step.chain if out.step else chain.name}"
                                f" ({hook})", device=pkt.iif, reason=reason, step=out.step)
                if out.verdict == "queue":
                    return Fate("queued", f"queued to userspace by {table.label} {chain.name}",
                                reason="queue", step=out.step)
            elif e.kind == "conntrack":
                self._conntrack(pkt, hook)
            elif e.kind == "nat":
                fate = self._nat(pkt, hook, e.chains)
                if fate is not None:
                    return fate
            elif e.kind == "confirm":
                fate = self._confirm(pkt, hook)
                if fate is not None:
                    return fate
        return None

    def _conntrack(self, pkt: Packet, hook: str) -> None:
        if pkt.ct_state is not None:
            return  # this skb already met conntrack in this pass
        if pkt.untracked:
            pkt.ct_state = "untracked"
            self.rec.add("conntrack", "conntrack: UNTRACKED (notrack earlier on this hook)",
                         pkt, hook=hook, changes=("ct state untracked",))
            return
        res = self.ct.conntrack_in(pkt)
        pkt.ct, pkt.ct_dir, pkt.ct_state = res.conn, res.direction, res.state
        if res.conn is not None and res.new_entry:
            res.conn.created_at = pkt.iif or "local"
        zone = f" zone {pkt.zone}" if pkt.zone else ""
        self.rec.add("conntrack", f"conntrack{zone} at {pkt.iif or 'output'}: {res.text}", pkt,
                     hook=hook, changes=(f"ct state {res.state}",))

    def _nat(self, pkt: Packet, hook: str, chains) -> Fate | None:
        manip = "dst" if hook in ("prerouting", "output") else "src"
        conn = pkt.ct
        if conn is None:
            if chains:
                self.rec.add("nat", f"NAT skipped: the packet is {pkt.ct_state or 'not tracked'}"
                             f" (nat chains only see tracked connections)", pkt, hook=hook)
            return None
        if manip not in conn.nat_done:
            if pkt.ct_state not in ("new", "related"):
                conn.nat_done.add(manip)
            else:
                bound = None
                for table, chain in chains:
                    out = run_chain(self, pkt, hook, table, chain)
                    if out.verdict in ("drop", "reject"):
                        return Fate("dropped", f"{out.verdict.upper()} in {table.label} "
                                    f"{chain.name}", reason="rule", step=out.step)
                    if out.nat is not None:
                        bound = out
                        break
                if bound is not None:
                    fate = self._bind(pkt, conn, manip, bound, hook)
                    if fate is not None:
                        return fate
                else:
                    note = self.ct.bind(conn, manip, None, None)
                    if note:
                        self.rec.add("nat", f"no nat rule bound this connection: null binding;"
                                     f" {note}", pkt, hook=hook, changes=(note,))
        elif chains and pkt.ct_state in ("new", "established"):
            self.rec.add("nat", "nat chains skipped: this connection's NAT was set up by its "
                         "first packet; conntrack applies it", pkt, hook=hook)
        change = apply_nat(pkt, conn, pkt.ct_dir or "original", manip)
        if change:
            why = "the NAT binding" if pkt.ct_dir == "original" else \
                "conntrack reverses the NAT on the reply"
            self.rec.add("nat", f"{manip.upper()} manip by {why} of entry #{conn.id}: {change}",
                         pkt, hook=hook, changes=(change,))
        return None

    def _bind(self, pkt: Packet, conn, manip: str, out, hook: str) -> Fate | None:
        a = out.nat
        port = a.ports[0] if a.ports else None
        if a.kind in ("dnat", "snat"):
            addr = parse_nat_target(a.address)
            if a.address and addr is None:
                self.rec.assume(f"NAT target {a.address!r} not understood; address kept")
        elif a.kind == "redirect":
            addr = self.topo.primary_address(pkt.iif, pkt.family) if hook == "prerouting" \
                else None
            if addr is None:
                addr = ipaddress.ip_address("127.0.0.1" if pkt.family == 4 else "::1")
        else:  # masquerade
            addr = self.topo.primary_address(pkt.oif, pkt.family)
            if addr is None and (is_placeholder(pkt.oif) or pkt.oif not in self.topo.ifaces):
                # A device the dumps do not show has addresses nflint cannot see: the kernel
                # drops only when the device really has none.
                addr = ipaddress.ip_address(_STAND_IN[pkt.family])
                self.rec.assume(f"MASQUERADE out {pkt.oif}: the device's address is not in "
                                f"the dumps; {addr} stands for it")
            if addr is None:
                return Fate("dropped", f"MASQUERADE out {pkt.oif}: the device has no address",
                            device=pkt.oif, reason="masquerade-no-address", step=out.step)
        note = self.ct.bind(conn, manip, addr, port, port_fixed=port is not None)
        if note:
            self.rec.add("nat", note, pkt, hook=hook, changes=(note,))
        return None

    def _confirm(self, pkt: Packet, hook: str) -> Fate | None:
        conn = pkt.ct
        if conn is None or "confirmed" in conn.status:
            return None
        clash = self.ct.confirm(conn)
        if clash is not None:
            s = self.rec.add("conntrack", f"conntrack confirm: entry #{conn.id} clashes with "
                             f"#{clash.id}; the packet is dropped", pkt, hook=hook)
            return Fate("dropped", f"conntrack insert clash with entry #{clash.id}",
                        reason="conntrack-clash", step=s)
        self.rec.add("conntrack", f"conntrack confirms entry {conn.describe()}", pkt, hook=hook)
        return None

    # -- devices and bridges ---------------------------------------------------------------

    def enter(self, pkt: Packet, dev: str, *, as_frame: bool = True) -> Fate:
        """A packet arriving on `dev` from outside the host's stack (wire, veth, container)."""
        pkt.hops += 1
        if pkt.hops > MAX_HOPS:
            return Fate("lost", f"stopped after {MAX_HOPS} device hops (a loop?)", reason="loop")
        if self.topo.iface(dev) is None and not is_placeholder(dev) and self.topo.ifaces:
            self.rec.assume(f"interface {dev} is not in the dumps")
        ingress = self.run_hook(pkt, "netdev", "ingress", device=dev) if not \
            is_placeholder(dev) else None
        if ingress is not None:
            return ingress
        master = self.topo.master(dev)
        if master:
            return self.bridge_in(pkt, master, dev)
        if as_frame and self.topo.is_bridge(dev):
            port = self.topo.port_toward(dev, pkt.src) or "<unknown port>"
            return self.bridge_in(pkt, dev, port)
        return self.ip_in(pkt, dev)

    def port_toward(self, bridge: str, addr, exclude: str | None = None) -> str | None:
        """The port a frame for `addr` leaves `bridge` by: the learned one, else the
        topology's guess."""
        learned = self.fdb.get((bridge, addr))
        if learned is not None and learned != exclude:
            return learned
        return self.topo.port_toward(bridge, addr, exclude=exclude)

    def bridge_in(self, pkt: Packet, bridge: str, port: str) -> Fate:
        rec = self.rec
        rec.add("bridge", f"frame enters bridge {bridge} on port {port}", pkt, device=bridge)
        if not port.startswith("<unknown"):
            self.fdb[(bridge, pkt.src)] = port
        nexthop = pkt.nexthop or pkt.dst
        brnf, why = self.topo.brnf(bridge, pkt.family)
        if why:
            rec.assume(why)
        pkt.in_bridge = bridge
        own = any(a.ip == nexthop for a in self.topo.addresses(bridge))
        out_port = None if own else self.port_toward(bridge, nexthop, exclude=port)
        to_host = own or out_port is None
        pkt.iif, pkt.oif, pkt.physin, pkt.physout = port, None, None, None
        fate = self.run_hook(pkt, "bridge", "prerouting", hi=NF_BR_PRI_BRNF)
        if fate:
            return fate
        if brnf:
            before = (pkt.dst, pkt.dport)
            pkt.iif, pkt.physin = bridge, port
            rec.add("bridge", f"br_netfilter: bridge-nf-call-{'ip' if pkt.family == 4 else 'ip6'}"
                    f"tables is on, so {bridge} runs the {pkt.family_name} PREROUTING hook",
                    pkt, device=bridge)
            fate = self.run_hook(pkt, "ip", "prerouting")
            if fate:
                return fate
            pkt.ip_prerouting_done = True
            if pkt.dst != before[0]:
                reroute = (f"the destination changed, so br_netfilter routes the packet "
                           f"again (ip_route_input on {bridge})")
                r = self.input_route(pkt, bridge)
                if r.kind == "drop" and r.error == "forwarding-disabled":
                    o = self.routing.output_route(pkt.dst)
                    if o.dev == bridge:
                        r = o
                if r.kind == "drop":
                    s = rec.add("rp_filter" if r.error == "martian-source" else "route",
                                f"{reroute}: " + ("the reverse-path check fails" if r.error
                                                  == "martian-source" else r.text), pkt,
                                device=bridge, verdict="drop")
                    return Fate("dropped", r.text, device=bridge,
                                reason="rp_filter" if r.error == "martian-source" else r.error,
                                step=s)
                if r.kind == "forward" and r.dev == bridge:
                    rec.add("route", f"{reroute}: {r.text}; still bridged on {bridge}", pkt,
                            device=bridge)
                    pkt.nexthop = r.via or pkt.dst
                    out_port = self.port_toward(bridge, pkt.nexthop, exclude=port)
                    to_host = out_port is None
                else:
                    rec.add("route", f"{reroute}: {r.text}; the frame leaves the bridge path "
                            f"for the host", pkt, device=bridge)
                    pkt.route_kind, pkt.route_dev, pkt.route_via = r.kind, r.dev, r.via
                    to_host = True
            pkt.iif, pkt.physin = port, None
        fate = self.run_hook(pkt, "bridge", "prerouting", lo=NF_BR_PRI_BRNF)
        if fate:
            return fate
        if to_host:
            rec.add("bridge", f"{bridge}: the frame is for the bridge itself (the host): "
                    f"bridge input, then the IP stack", pkt, device=bridge)
            fate = self.run_hook(pkt, "bridge", "input")
            if fate:
                return fate
            return self.ip_in(pkt, bridge, physin=port)
        rec.add("bridge", f"{bridge} forwards the frame from {port} to {out_port}", pkt,
                device=bridge)
        pkt.physout, pkt.oif = out_port, out_port
        fate = self.run_hook(pkt, "bridge", "forward", hi=NF_BR_PRI_BRNF - 1)
        if fate:
            return fate
        if brnf:
            pkt.iif, pkt.oif, pkt.physin, pkt.physout = bridge, bridge, port, out_port
            pkt.bridged = True
            fate = self.run_hook(pkt, "ip", "forward")
            if fate:
                return fate
            pkt.iif, pkt.oif = port, out_port
        fate = self.run_hook(pkt, "bridge", "forward", lo=NF_BR_PRI_BRNF - 1)
        if fate:
            return fate
        fate = self.run_hook(pkt, "bridge", "postrouting")
        if fate:
            return fate
        if brnf:
            pkt.iif, pkt.oif, pkt.physin, pkt.physout = bridge, bridge, port, out_port
            fate = self.run_hook(pkt, "ip", "postrouting")
            if fate:
                return fate
        return self.transmit(pkt, out_port, bridge=bridge)

    def ip_in(self, pkt: Packet, dev: str, physin: str | None = None) -> Fate:
        """The IP stack receives a packet on `dev`."""
        pkt.iif, pkt.oif, pkt.physin, pkt.physout, pkt.bridged = dev, None, physin, None, False
        if not pkt.ip_prerouting_done:
            fate = self.run_hook(pkt, "ip", "prerouting")
            if fate:
                return fate
        elif self.index.entries("ip", "prerouting", pkt.family):
            self.rec.add("note", f"{pkt.family_name} PREROUTING is not run again on {dev}: "
                         f"br_netfilter already ran it (ip_sabotage_in)", pkt, device=dev)
        if pkt.route_kind:
            kind, out, via = pkt.route_kind, pkt.route_dev, pkt.route_via
            pkt.route_kind = None
        else:
            r = self.input_route(pkt, dev)
            if r.kind == "drop":
                s = self.rec.add("rp_filter" if r.error == "martian-source" else "route",
                                 f"routing on {dev}: {r.text}", pkt, device=dev, verdict="drop")
                return Fate("dropped", r.text, device=dev,
                            reason="rp_filter" if r.error == "martian-source" else r.error,
                            step=s)
            self.rec.add("route", f"routing decision on {dev}: {r.text}", pkt, device=dev)
            kind, out, via = r.kind, r.dev, r.via
        if kind == "local":
            pkt.oif = None
            fate = self.run_hook(pkt, "ip", "input")
            if fate:
                return fate
            return self._deliver_local(pkt)
        if out is None:
            out = UNKNOWN_OUT
            pkt.oif_not = frozenset(self.topo.docker_bridge)
            self.rec.assume(f"the interface a packet to {pkt.dst} leaves by is unknown (no route"
                            f" in the dumps names it): `-o` matches on it may match")
        pkt.oif = out
        fate = self.run_hook(pkt, "ip", "forward")
        if fate:
            return fate
        pkt.nexthop = via or pkt.dst
        fate = self.run_hook(pkt, "ip", "postrouting")
        if fate:
            return fate
        return self.transmit(pkt, out, from_ip=True)

    def local_out(self, pkt: Packet) -> Fate:
        """A local process sends the packet."""
        r = self.routing.output_route(pkt.dst)
        if r.kind == "drop":
            s = self.rec.add("route", f"output routing: {r.text}", pkt, verdict="drop")
            return Fate("dropped", r.text, reason=r.error, step=s)
        self.rec.add("route", f"output routing: {r.text}", pkt)
        pkt.iif, pkt.oif = None, r.dev
        if r.kind == "forward" and r.dev is None:
            pkt.oif = UNKNOWN_OUT
            pkt.oif_not = frozenset(self.topo.docker_bridge)
            self.rec.assume(f"the interface a packet to {pkt.dst} leaves by is unknown (no route"
                            f" in the dumps names it): `-o` matches on it may match")
        before = pkt.dst
        fate = self.run_hook(pkt, "ip", "output")
        if fate:
            return fate
        if pkt.dst != before:
            r = self.routing.output_route(pkt.dst)
            self.rec.add("route", f"re-routed after NAT in OUTPUT: {r.text}", pkt)
            pkt.oif = r.dev
        fate = self.run_hook(pkt, "ip", "postrouting")
        if fate:
            return fate
        if r.kind == "local":
            pkt.iif, pkt.oif = "lo", None
            fate = self.run_hook(pkt, "ip", "input")
            return fate or self._deliver_local(pkt)
        pkt.nexthop = r.via or pkt.dst
        return self.transmit(pkt, r.dev, from_ip=True)

    def transmit(self, pkt: Packet, dev: str | None, *, from_ip: bool = False,
                 bridge: str | None = None) -> Fate:
        if dev is None or dev == UNKNOWN_OUT:
            return self._sent(pkt, None, "out the default route (device not in the dumps)")
        name = self.topo.container_behind(dev)
        if name is not None:
            self.arrival = {"kind": "container", "bridge": bridge or self.topo.master(dev),
                            "port": dev, "name": name}
            self.final = pkt
            return Fate("delivered-container", f"delivered to {name} ({pkt.tuple_text()}) "
                        f"through {dev}", device=dev)
        if from_ip and self.topo.is_bridge(dev):
            pkt.iif, pkt.physin, pkt.physout, pkt.bridged = None, None, None, False
            nexthop = pkt.nexthop or pkt.dst
            port = self.port_toward(dev, nexthop)
            self.rec.add("bridge", f"the host sends it out bridge {dev}: port {port or '?'} "
                         f"(no IP hooks: br_netfilter only hooks frames it bridges)", pkt,
                         device=dev)
            pkt.oif = port
            fate = self.run_hook(pkt, "bridge", "output") or \
                self.run_hook(pkt, "bridge", "postrouting")
            if fate:
                return fate
            if port is None:
                return self._sent(pkt, dev, f"out {dev} toward {nexthop} (its bridge port is "
                                  f"not in the dumps)")
            return self.transmit(pkt, port, bridge=dev)
        peer = self.topo.peer(dev)
        if peer is not None and (self.topo.iface(peer) is not None):
            self.rec.add("device", f"veth {dev} -> {peer}: conntrack state is reset "
                         f"(skb_scrub_packet), the peer receives it as a new skb", pkt,
                         device=dev)
            nxt = pkt.fork()
            nxt.ct = nxt.ct_dir = nxt.ct_state = None
            nxt.untracked = nxt.ip_prerouting_done = nxt.bridged = False
            nxt.route_kind = nxt.in_bridge = None
            nxt.zone = 0
            return self.enter(nxt, peer)
        self.arrival = {"kind": "wire", "dev": dev, "bridge": bridge}
        return self._sent(pkt, dev, f"out {dev} toward {pkt.nexthop or pkt.dst}")

    def _sent(self, pkt: Packet, dev: str | None, text: str) -> Fate:
        self.final = pkt
        if self.arrival is None or self.arrival.get("kind") != "wire":
            self.arrival = {"kind": "wire", "dev": dev, "bridge": None}
        return Fate("sent", f"sent {text} ({pkt.tuple_text()})", device=dev)

    def _deliver_local(self, pkt: Packet) -> Fate:
        self.arrival = {"kind": "local", "dev": pkt.iif}
        self.final = pkt
        return Fate("delivered-local", f"delivered to a local socket {pkt.tuple_text()}",
                    device=pkt.iif)

    # -- origins -------------------------------------------------------------------------

    def inject(self, pkt: Packet, origin: dict) -> Fate:
        """Send a packet from an origin: {"kind": local} | {"kind": "bridge", bridge, port} |
        {"kind": "device", dev, frame}."""
        self.arrival = None
        kind = origin["kind"]
        if kind == "local":
            return self.local_out(pkt)
        if kind == "bridge":
            pkt.hops += 1
            return self.bridge_in(pkt, origin["bridge"], origin["port"])
        return self.enter(pkt, origin["dev"], as_frame=origin.get("frame", True))

    def origin_of(self, place: Place, src, dst, in_iface: str | None = None,
                  bridged: bool = False) -> tuple[dict, object]:
        """Where a sender's packet enters the host, and the L2 next hop its frame is for."""
        topo = self.topo
        if place.kind == "local" and not in_iface:
            return {"kind": "local"}, dst
        if place.kind in ("container", "lan") and topo.on_link(place, dst):
            nexthop = dst
        elif place.kind == "container" and place.gateway is not None:
            nexthop = place.gateway
        else:  # a neighbour or remote sender routes through the host
            dev = in_iface or place.device
            nexthop = topo.primary_address(dev, dst.version) or dst
        if in_iface:
            master = topo.master(in_iface)
            if master:
                return {"kind": "bridge", "bridge": master, "port": in_iface}, nexthop
            if topo.is_bridge(in_iface) and bridged:
                port = place.port if place.bridge == in_iface and place.port else \
                    (topo.port_toward(in_iface, src) or "<unknown port>")
                return {"kind": "bridge", "bridge": in_iface, "port": port}, nexthop
            if topo.is_bridge(in_iface):
                return {"kind": "device", "dev": in_iface, "frame": False}, nexthop
            return {"kind": "device", "dev": in_iface, "frame": False}, nexthop
        if place.bridge and place.port:
            return {"kind": "bridge", "bridge": place.bridge, "port": place.port}, nexthop
        if place.kind == "lan" and place.device:
            return {"kind": "device", "dev": place.device, "frame": False}, nexthop
        r = self.routing.lookup(src)
        if r is not None and r.dev:
            dev = r.dev
            nexthop = topo.primary_address(dev, dst.version) or dst
            if topo.is_bridge(dev):
                port = next((p.name for p in topo.ports(dev) if p.kind not in ("veth", "bridge")
                             and topo.peer(p.name) is None), "<unknown port>")
                return {"kind": "bridge", "bridge": dev, "port": port}, nexthop
            return {"kind": "device", "dev": dev, "frame": False}, nexthop
        self.rec.assume(f"nflint cannot tell which interface {src} arrives on; it enters on "
                        f"{UNKNOWN_IN} (give --in IFACE)")
        return {"kind": "device", "dev": UNKNOWN_IN, "frame": False}, dst
