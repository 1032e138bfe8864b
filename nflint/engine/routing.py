"""The routing decisions netfilter paths depend on: local or forward, out which device, and the
reverse-path check (fib_validate_source) that drops "martian" sources.

Routes come from `ip route` dumps when given; connected routes are derived from interface
addresses (the kernel adds them itself), so a host described only by `ip addr` still routes.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..host import Host
from .packet import IPAddress
from .topology import Topology


@dataclass(frozen=True)
class RouteEntry:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    dev: str | None
    via: IPAddress | None
    type: str = "unicast"
    metric: int = 0
    origin: str = "ip route"  # or "connected (from addresses)", "docker network"


@dataclass(frozen=True)
class RouteResult:
    """`kind`: local | forward | drop. `error`: martian-source | martian-destination |
    no-route | forwarding-disabled | blackhole | unreachable | prohibit."""

    kind: str
    dev: str | None = None
    via: IPAddress | None = None
    error: str | None = None
    text: str = ""
    route: RouteEntry | None = None


class Routing:
    def __init__(self, host: Host, topo: Topology) -> None:
        self.host, self.topo = host, topo
        self.sink = None  # the running simulation's Recorder.assume
        routes: list[RouteEntry] = []
        for r in host.routes:
            if r.table not in ("main", "254"):
                continue
            net = r.network if r.dst != "default" else None
            if net is None and r.dst == "default":
                fam = 6 if (r.via and ":" in r.via) else 4
                net = ipaddress.ip_network("0.0.0.0/0" if fam == 4 else "::/0")
            if net is None:
                continue
            via = None
            if r.via:
                try:
                    via = ipaddress.ip_address(r.via)
                except ValueError:
                    via = None
            routes.append(RouteEntry(net, r.dev, via, r.type or "unicast", r.metric or 0))
        for name, i in topo.ifaces.items():
            for a in i.addresses:
                if a.network.prefixlen == a.max_prefixlen:
                    continue
                if not any(x.network == a.network and x.dev == name for x in routes):
                    routes.append(RouteEntry(a.network, name, None, "unicast", 0,
                                             "connected (from addresses)"))
        known = [x.network for x in routes if x.network.prefixlen]  # before the /32s added
        for ip, bridge in topo.inferred.items():  # below, which cover only their own address
            if not any(ip in net for net in known):
                routes.append(RouteEntry(ipaddress.ip_network(ip), bridge, None, "unicast", 0,
                                         "assumed from Docker's DNAT guard"))
        self.routes = routes
        self.has_default = any(r.network.prefixlen == 0 for r in routes)

    # -- lookups -------------------------------------------------------------------------

    def lookup(self, dst: IPAddress, oif: str | None = None) -> RouteEntry | None:
        best = None
        for r in self.routes:
            if r.network.version != dst.version or dst not in r.network:
                continue
            if oif is not None and r.dev not in (oif, None):
                continue
            if best is None or (r.network.prefixlen, -r.metric) > (best.network.prefixlen,
                                                                   -best.metric):
                best = r
        return best

    def resolve(self, dst: IPAddress) -> RouteEntry | None:
        """A route lookup; without an `ip route` dump, an unknown default route is assumed."""
        r = self.lookup(dst)
        if r is None and not self.host.routes:
            self._assume("no `ip route` dump: a default route via an unknown device is assumed")
            net = ipaddress.ip_network("0.0.0.0/0" if dst.version == 4 else "::/0")
            return RouteEntry(net, None, None, "unicast", 0, "assumed default route")
        return r

    def addr_type(self, addr: IPAddress, dev: str | None = None) -> str:
        """The kernel's address type (RTN_*), as `-m addrtype` / `fib daddr type` see it;
        "unknown" when the dumps describe no interfaces (whether it is local is unknown)."""
        if not self.topo.ifaces and not addr.is_loopback and not addr.is_multicast:
            return "unknown"
        if dev is not None:
            if any(a.ip == addr for a in self.topo.addresses(dev)):
                return "local"
        elif addr in self.topo.local or addr.is_loopback:
            return "local"
        if addr.is_multicast:
            return "multicast"
        if addr.version == 4:
            if addr == ipaddress.IPv4Address("255.255.255.255"):
                return "broadcast"
            for i in self.topo.ifaces.values():
                if dev is not None and i.name != dev:
                    continue
                for a in i.ipv4:
                    if a.network.prefixlen < 31 and addr == a.network.broadcast_address:
                        return "broadcast"
        r = self.lookup(addr)
        if r is not None and r.type in ("blackhole", "unreachable", "prohibit"):
            return r.type
        return "unicast"

    def is_local(self, addr: IPAddress) -> bool:
        return self.addr_type(addr) == "local"

    # -- decisions -----------------------------------------------------------------------

    def forwarding(self, dev: str, family: int) -> tuple[bool, str | None]:
        given = self.host.sysctls.given
        keys = ([f"net.ipv4.conf.{dev}.forwarding", "net.ipv4.conf.all.forwarding",
                 "net.ipv4.ip_forward"] if family == 4 else
                [f"net.ipv6.conf.{dev}.forwarding", "net.ipv6.conf.all.forwarding"])
        if any(k in given for k in keys):
            value, _ = self.host.sysctls.forwarding(dev, family)
            return value == 1, None
        if self.topo.docker_evidence():
            return True, "ip_forward assumed 1: no sysctl dump of it, and Docker enables it"
        if any(c.hook == "forward" and c.rules for t in self.host.tables for c in t.chains):
            return True, ("ip_forward assumed 1: no sysctl dump of it, and the ruleset filters "
                          "forwarded traffic")
        return False, "ip_forward assumed 0 (kernel default): no sysctl dump of it"

    def input_route(self, src: IPAddress, dst: IPAddress, dev: str,
                    local: bool | None = None) -> RouteResult:
        """ip_route_input_slow(): the decision for a packet received on `dev`. `local`
        overrides the address lookup when the dumps cannot tell (a branch choice)."""
        if dst.is_loopback or (dst.version == 4 and dst == ipaddress.IPv4Address("0.0.0.0")):
            return RouteResult("drop", error="martian-destination",
                               text=f"martian destination {dst} from {src}, on dev {dev}")
        if src.is_multicast or (src.version == 4 and src.is_loopback and dev != "lo"):
            return RouteResult("drop", error="martian-source",
                               text=f"martian source {dst} from {src}, on dev {dev}")
        if local is None:
            local = self.addr_type(dst) == "local"
        if local:
            ok, why = self.validate_source(src, dst, dev)
            if not ok:
                return RouteResult("drop", dev=dev, error="martian-source", text=why)
            return RouteResult("local", dev=self.topo.local.get(dst, "lo"),
                               text=f"{dst} is a local address: local delivery (INPUT)")
        r = self.resolve(dst)
        if r is None:
            return RouteResult("drop", error="no-route",
                               text=f"no route to {dst}: dropped (host unreachable)")
        if r.type in ("blackhole", "unreachable", "prohibit"):
            return RouteResult("drop", error=r.type, route=r,
                               text=f"route {r.network} is {r.type}: dropped")
        fwd, why = self.forwarding(dev, dst.version)
        if why:
            self._assume(why)
        if not fwd:
            return RouteResult("drop", error="forwarding-disabled", route=r,
                               text=f"forwarding is disabled on {dev} (ip_forward 0): "
                                    f"{dst} is not local, dropped")
        if dst.version == 4:
            ok, reason = self.validate_source(src, dst, dev)
            if not ok:
                return RouteResult("drop", dev=dev, error="martian-source", text=reason, route=r)
        via = f" via {r.via}" if r.via else ""
        dev_text = r.dev or "(device unknown)"
        return RouteResult("forward", dev=r.dev, via=r.via, route=r,
                           text=f"route {r.network}{via} dev {dev_text} ({r.origin}): forward "
                                f"out {dev_text}")

    def output_route(self, dst: IPAddress) -> RouteResult:
        if self.addr_type(dst) == "local":
            return RouteResult("local", dev="lo", text=f"{dst} is local: delivered over lo")
        r = self.resolve(dst)
        if r is None:
            return RouteResult("drop", error="no-route", text=f"no route to {dst}")
        via = f" via {r.via}" if r.via else ""
        return RouteResult("forward", dev=r.dev, via=r.via, route=r,
                           text=f"route {r.network}{via} dev {r.dev or '(device unknown)'} "
                                f"({r.origin})")

    def validate_source(self, src: IPAddress, dst: IPAddress, dev: str) -> tuple[bool, str]:
        """__fib_validate_source() for IPv4, with the effective rp_filter of `dev`."""
        if src.version != 4:
            return True, ""
        rpf, used = self.host.sysctls.rp_filter(dev)
        for v in used:
            if v.assumed:
                self._assume(f"{v.key} assumed {v.value}: {v.reason}")
        accept_local = self.host.sysctls.given.get(f"net.ipv4.conf.{dev}.accept_local")
        if rpf == 0:
            if src in self.topo.local and not (accept_local and accept_local.as_int == 1):
                return False, (f"martian source {dst} from {src}, on dev {dev}: the source is "
                               f"one of this host's addresses")
            return True, ""
        no_addr = not any(a.version == 4 for a in self.topo.addresses(dev))
        r = self.resolve(src)
        where = f"rp_filter={rpf} on {dev}"
        if r is None:
            return False, (f"martian source {dst} from {src}, on dev {dev}: no route back to "
                           f"{src} ({where})")
        if r.dev == dev:
            return True, ""
        if no_addr:
            return False, (f"martian source {dst} from {src}, on dev {dev}: the route back to "
                           f"{src} is via {r.dev}, not {dev}, and {dev} has no IPv4 address, so "
                           f"fib_validate_source fails whenever rp_filter is on ({where})")
        if rpf == 1:
            return False, (f"martian source {dst} from {src}, on dev {dev}: strict reverse "
                           f"path: the route back to {src} is via {r.dev} ({where})")
        return True, ""

    def _assume(self, text: str) -> None:
        """Hand an assumption to the running simulation (routing is shared by all of them)."""
        if self.sink is not None:
            self.sink(text)
