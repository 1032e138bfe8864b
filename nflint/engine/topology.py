"""Where things are: which device holds an address, which bridge port leads to it, and whether
a bridge hands its frames to the IP hooks (br_netfilter).

The model knows devices (bridges, veth pairs, ports), Docker networks (bridge, subnet,
containers) and addresses. A container's own veth is rarely in the dumps; it then gets a
placeholder port name `<veth of NAME>`, and the trace says so.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..host import Host
from ..matches import PhysdevMatch
from ..netstate import DockerNetwork, Interface
from ..span import WHATIF_SPAN
from .conntrack import parse_nat_target
from .packet import IPAddress


@dataclass(frozen=True)
class Place:
    """Where an address lives, seen from the host.

    kind: local (an address of the host, on `device`) | container (behind `bridge`, on `port`)
    | lan (a neighbour reached through `device`, and `port` when that is a bridge) | remote
    (beyond a gateway) | unknown.
    """

    kind: str
    device: str | None = None
    bridge: str | None = None
    port: str | None = None
    name: str | None = None  # container name
    network: DockerNetwork | None = None
    gateway: IPAddress | None = None  # the sender's next hop for off-link destinations
    assumed: str = ""

    def describe(self) -> str:
        if self.kind == "local":
            return f"a local address on {self.device}"
        if self.kind == "container":
            return f"container {self.name} on {self.bridge}"
        if self.kind == "lan":
            return f"a neighbour on {self.device}"
        if self.kind == "remote":
            return f"a remote host via {self.device or 'the default route'}"
        return "an address nflint cannot place"


def container_port(name: str) -> str:
    return f"<veth of {name}>"


def is_placeholder(dev: str | None) -> bool:
    return bool(dev) and dev.startswith("<")


class Topology:
    """Lookups over the host's devices; built once per host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.ifaces: dict[str, Interface] = dict(host.interface_map)
        self.by_index = {i.index: i for i in host.interfaces if i.index is not None}
        self.local: dict[IPAddress, str] = {}
        for i in host.interfaces:
            for a in i.addresses:
                self.local.setdefault(a.ip, i.name)
        self.docker_bridge: dict[str, DockerNetwork] = {}
        self.containers: dict[IPAddress, tuple[str, DockerNetwork]] = {}
        self.assumed_bridges: set[str] = set()
        self._docker: bool | None = None
        self._physdev: bool | None = None
        self.inferred: dict[IPAddress, str] = {}  # DNAT target -> bridge Docker's guard names
        for net in (*host.docker_networks, *_guarded_targets(host, self)):
            bridge = net.bridge_name or (f"br-{net.id[:12]}" if net.id else None)
            if net.name == "bridge" and not net.bridge_name:
                bridge = "docker0"
            if not bridge or (net.driver and net.driver != "bridge"):
                continue
            self.docker_bridge[bridge] = net
            if bridge not in self.ifaces:
                self.assumed_bridges.add(bridge)
                addrs = ()
                if net.option("com.docker.network.bridge.inhibit_ipv4") != "true":
                    addrs = tuple(ipaddress.ip_interface(f"{g}/{_prefix(net, g)}")
                                  for g in net.gateways if _prefix(net, g))
                from ..span import Span
                self.ifaces[bridge] = Interface(bridge, Span("<docker network inspect>"),
                                                kind="bridge", addresses=addrs)
                for a in addrs:
                    self.local.setdefault(a.ip, bridge)
            for cname, caddr in net.containers:
                try:
                    ip = ipaddress.ip_interface(caddr).ip
                except ValueError:
                    continue
                self.containers[ip] = (cname, net)

    # -- devices -------------------------------------------------------------------------

    def iface(self, name: str | None) -> Interface | None:
        return self.ifaces.get(name) if name else None

    def is_bridge(self, name: str | None) -> bool:
        i = self.iface(name)
        return i is not None and (i.kind == "bridge" or any(
            p.master == name for p in self.ifaces.values()))

    def master(self, name: str | None) -> str | None:
        if not name:
            return None
        if is_placeholder(name):
            for ip, (cname, net) in self.containers.items():
                if container_port(cname) == name:
                    return self.bridge_of(net)
            return None
        i = self.iface(name)
        return i.master if i else None

    def ports(self, bridge: str) -> list[Interface]:
        return [i for i in self.ifaces.values() if i.master == bridge]

    def peer(self, name: str) -> str | None:
        i = self.iface(name)
        if i is None:
            return None
        if i.peer:
            return i.peer
        if i.peer_index is not None and i.peer_index in self.by_index:
            # `@ifN` may name an index in another namespace: trust it only when it points back.
            cand = self.by_index[i.peer_index]
            if cand.peer == name or (cand.peer_index is not None and cand.peer_index == i.index):
                return cand.name
        for other in self.ifaces.values():  # the peer may name us
            if other.peer == name:
                return other.name
        return None

    def bridge_of(self, net: DockerNetwork) -> str | None:
        for b, n in self.docker_bridge.items():
            if n is net:
                return b
        return None

    def addresses(self, dev: str) -> tuple:
        i = self.iface(dev)
        return i.addresses if i else ()

    def primary_address(self, dev: str | None, family: int = 4) -> IPAddress | None:
        for a in self.addresses(dev or ""):
            if a.version == family:
                return a.ip
        return None

    # -- places --------------------------------------------------------------------------

    def place(self, addr: IPAddress) -> Place:
        if addr in self.local:
            return Place("local", device=self.local[addr])
        if addr.is_loopback:
            return Place("local", device="lo")
        if addr in self.containers:
            cname, net = self.containers[addr]
            bridge = self.bridge_of(net)
            return Place("container", device=bridge, bridge=bridge,
                         port=self._container_port(bridge, cname), name=cname, network=net,
                         gateway=_gateway(net))
        for i in self.ifaces.values():
            for a in i.addresses:
                if a.version == addr.version and addr in a.network and a.network.prefixlen < \
                        a.max_prefixlen:
                    port = None
                    if self.is_bridge(i.name):
                        port = self.port_toward(i.name, addr)
                    return Place("lan", device=i.name, bridge=i.name if port else None,
                                 port=port)
        for net_bridge, net in self.docker_bridge.items():
            for sub in net.subnets:
                try:
                    if addr in ipaddress.ip_network(sub, strict=False):
                        # an address of a Docker subnet without a known container
                        if net.option("com.docker.network.bridge.inhibit_ipv4") == "true" or \
                                not self.addresses(net_bridge):
                            return Place("container", device=net_bridge, bridge=net_bridge,
                                         port=container_port(str(addr)), name=str(addr),
                                         network=net, gateway=_gateway(net),
                                         assumed=f"{addr} assumed to be a device on {net_bridge}")
                except ValueError:
                    continue
        return Place("remote")

    def _container_port(self, bridge: str | None, cname: str) -> str:
        """The container's port on its bridge: the real veth when the dumps allow only one
        answer (one container, one veth whose peer is in another namespace), else a
        placeholder."""
        if bridge:
            outside = [p.name for p in self.ports(bridge)
                       if p.kind == "veth" and self.peer(p.name) is None]
            net = self.docker_bridge.get(bridge)
            if net is not None and len(outside) == 1 and len(net.containers) == 1:
                return outside[0]
        return container_port(cname)

    def container_behind(self, port: str) -> str | None:
        """The container a bridge port leads to, if known."""
        if is_placeholder(port):
            return port[len("<veth of "):-1] if port.startswith("<veth of ") else None
        bridge = self.master(port)
        net = self.docker_bridge.get(bridge) if bridge else None
        if net is not None:
            for cname, _ in net.containers:
                if self._container_port(bridge, cname) == port:
                    return cname
        return None

    def port_toward(self, bridge: str, addr: IPAddress, exclude: str | None = None,
                    *, exact: bool = False, _seen: frozenset = frozenset()) -> str | None:
        """The port of `bridge` behind which `addr` lives at layer 2, or None (then the frame
        is for the bridge itself, i.e. routed by the host). Known holders (containers, veth
        ends, bridges behind veth pairs) win over a subnet guess; a physical port wins over a
        veth for an unknown neighbour."""
        if bridge in _seen:
            return None
        seen = _seen | {bridge}
        if addr in self.containers:
            cname, net = self.containers[addr]
            if self.bridge_of(net) == bridge:
                return self._container_port(bridge, cname)
        physical, veth_subnet = [], []
        for p in self.ports(bridge):
            if p.name == exclude:
                continue
            peer = self.peer(p.name)
            if peer is None:
                if p.kind not in ("veth", "bridge") and self.container_behind(p.name) is None:
                    physical.append(p.name)
                continue
            pi = self.iface(peer)
            if pi is not None and any(a.ip == addr for a in pi.addresses):
                return p.name
            other = self.master(peer)
            if other is not None and other != bridge:
                if any(a.ip == addr for a in self.addresses(other)):
                    return p.name
                if self.port_toward(other, addr, exclude=peer, exact=True, _seen=seen):
                    return p.name
                if self._on_subnet_of(other, addr):
                    veth_subnet.append(p.name)
        if exact:
            return None
        if addr in self.local:
            return None
        if physical and self._on_subnet_of(bridge, addr):
            return physical[0]
        if veth_subnet:
            return veth_subnet[0]
        net = self.docker_bridge.get(bridge)
        if net is not None and any(_in(addr, s) for s in net.subnets):
            return container_port(str(addr))
        return None

    def _on_subnet_of(self, bridge: str, addr: IPAddress) -> bool:
        if any(a.version == addr.version and addr in a.network for a in self.addresses(bridge)):
            return True
        net = self.docker_bridge.get(bridge)
        return net is not None and any(_in(addr, s) for s in net.subnets)

    def on_link(self, place: Place, dst: IPAddress) -> bool:
        """Whether a sender at `place` reaches `dst` directly (same subnet) rather than through
        its gateway."""
        if place.network is not None:
            return any(_in(dst, s) for s in place.network.subnets)
        if place.device:
            return any(a.version == dst.version and dst in a.network
                       for a in self.addresses(place.device))
        return False

    # -- br_netfilter ----------------------------------------------------------------------

    def brnf(self, bridge: str, family: int) -> tuple[bool, str | None]:
        """Whether frames bridged by `bridge` run the IPv4/IPv6 hooks, and the assumption made
        when the dumps do not say."""
        key = "net.bridge.bridge-nf-call-iptables" if family == 4 else \
            "net.bridge.bridge-nf-call-ip6tables"
        opt = "nf_call_iptables" if family == 4 else "nf_call_ip6tables"
        i = self.iface(bridge)
        if i is not None and i.bridge_option(opt) == "1":
            return True, None
        given = self.host.sysctls.given.get(key)
        if given is not None:
            return given.as_int == 1, None
        name = key.rsplit(".", 1)[1]
        if self.docker_evidence() or self.physdev_evidence():
            why = "Docker chains present" if self.docker_evidence() else "physdev matches present"
            return True, f"{name} assumed 1: no sysctl dump of it, {why} (br_netfilter loaded)"
        if self.host.sysctls and any(v.key.startswith("net.") for v in self.host.sysctls.values):
            return False, f"{name} assumed 0: the sysctl dump has no net.bridge keys " \
                          f"(br_netfilter not loaded)"
        return False, f"{name} assumed 0: no sysctl dump and no sign that br_netfilter is loaded"

    def docker_evidence(self) -> bool:
        if self._docker is None:
            self._docker = self._docker_evidence()
        return self._docker

    def physdev_evidence(self) -> bool:
        if self._physdev is None:
            self._physdev = self._physdev_evidence()
        return self._physdev

    def _docker_evidence(self) -> bool:
        if any(d.span != WHATIF_SPAN for d in self.host.docker_networks):
            return True  # (a what-if host's probe devices are no sign of Docker)
        return any(c.name.startswith("DOCKER") or (t.name == "docker-bridges")
                   for t in self.host.tables for c in t.chains)

    def _physdev_evidence(self) -> bool:
        return any(isinstance(m, PhysdevMatch) for t in self.host.tables for c in t.chains
                   for r in c.rules for m in r.matches)


def _guarded_targets(host: Host, topo: "Topology") -> list[DockerNetwork]:
    """Containers known only as DNAT targets of Docker's DOCKER chain. Docker writes
    `! -i BRIDGE ... -j DNAT --to C` with BRIDGE the target container's own network, so without
    its `docker network inspect` the rule still says where C lives (recorded as assumed)."""
    from ..span import Span
    from ..matches import InterfaceMatch
    known = {b for n in host.docker_networks for b in (n.bridge_name,) if b}
    found: dict[str, list[IPAddress]] = {}
    for t in host.tables:
        for c in t.chains:
            if c.name != "DOCKER":
                continue
            for r in c.rules:
                nat = r.nat
                if nat is None or nat.kind != "dnat" or not nat.address:
                    continue
                guard = [m for m in r.matches if isinstance(m, InterfaceMatch) and
                         m.direction == "in" and m.negated and len(m.names) == 1]
                if not guard or guard[0].names[0] in known or "+" in guard[0].names[0]:
                    continue
                ip = parse_nat_target(nat.address)  # an IPv6 target too (Docker >= 27)
                if ip is None:
                    continue
                if ip in topo.local or any(
                        _in(ip, sub) for n in host.docker_networks for sub in n.subnets) or any(
                        a.version == ip.version and ip in a.network
                        for i in host.interfaces for a in i.addresses):
                    continue  # the dumps already say where it lives
                found.setdefault(guard[0].names[0], [])
                if ip not in found[guard[0].names[0]]:
                    found[guard[0].names[0]].append(ip)
    out = []
    for bridge, ips in found.items():
        for ip in ips:
            topo.inferred[ip] = bridge
        out.append(DockerNetwork(f"<network of {bridge}>", Span("<docker DNAT rule>"),
                                 driver="bridge", bridge_name=bridge,
                                 containers=tuple((str(ip), f"{ip}/{ip.max_prefixlen}")
                                                  for ip in ips)))
    return out


def _in(addr: IPAddress, subnet: str) -> bool:
    try:
        return addr in ipaddress.ip_network(subnet, strict=False)
    except (ValueError, TypeError):
        return False


def _prefix(net: DockerNetwork, gateway: str) -> int | None:
    for s in net.subnets:
        try:
            n = ipaddress.ip_network(s, strict=False)
            if ipaddress.ip_address(gateway.split("/")[0]) in n:
                return n.prefixlen
        except ValueError:
            continue
    return None


def _gateway(net: DockerNetwork) -> IPAddress | None:
    for g in net.gateways:
        try:
            return ipaddress.ip_address(g.split("/")[0])
        except ValueError:
            continue
    return None
