"""What the engine moves through the host: a flow (the user's question) and packets (its segments).

A `Flow` is what a rule or the CLI asks about ("tcp from A to B:5000, entering on X"); the
engine turns it into the packets of an exchange (SYN, SYN+ACK, ACK, the server's first data
segment for TCP; request and answer otherwise) and walks each one. A `Packet` is mutable on
purpose: NAT rewrites it hop by hop, and each hop copies it (`fork`) so a trace keeps the
packet as every step saw it.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EPHEMERAL_PORT = 40000  # the client port when the question does not name one (listed as assumed)


@dataclass(frozen=True)
class Flow:
    """A connection to simulate. `in_iface` names where the first packet enters (a bridge port
    or, with `bridged`, a bridge it enters as a frame); without it the source's place in the
    topology decides. `exchange` False walks the first packet only."""

    src: str
    dst: str
    proto: str = "tcp"
    dport: int | None = None
    sport: int | None = None
    in_iface: str | None = None
    bridged: bool = False
    exchange: bool = True
    icmp_type: str = "echo-request"

    @property
    def src_ip(self) -> IPAddress:
        return ipaddress.ip_address(self.src)

    @property
    def dst_ip(self) -> IPAddress:
        return ipaddress.ip_address(self.dst)

    @property
    def family(self) -> int:
        return self.src_ip.version

    def label(self) -> str:
        sport = f":{self.sport}" if self.sport is not None else ""
        dport = f":{self.dport}" if self.dport is not None else ""
        return f"{self.proto} {self.src}{sport} -> {self.dst}{dport}"

    def to_json(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class Packet:
    """One packet on its way: addresses, ports and the per-skb state netfilter looks at."""

    proto: str
    src: IPAddress
    dst: IPAddress
    sport: int | None = None
    dport: int | None = None
    tcp_flags: frozenset[str] = frozenset()
    icmp_type: str | None = None
    iif: str | None = None
    oif: str | None = None
    physin: str | None = None
    physout: str | None = None
    bridged: bool = False  # being forwarded by a bridge (br_netfilter FORWARD/POSTROUTING)
    in_bridge: str | None = None  # the bridge a frame is crossing (meta ibrname/obrname)
    mark: int = 0
    zone: int = 0
    untracked: bool = False
    ct: object | None = None  # conntrack.Conn once conntrack has attached one
    ct_dir: str | None = None  # "original" | "reply"
    ct_state: str | None = None  # new | established | related | invalid | untracked | None
    ip_prerouting_done: bool = False  # br_netfilter already ran IPv4 PREROUTING (ip_sabotage_in)
    nexthop: IPAddress | None = None  # whose MAC the frame is addressed to
    # With an unknown output interface: the devices it cannot be (a Docker bridge routes only
    # its own subnet, which a known connected route would have matched).
    oif_not: frozenset[str] = frozenset()
    route_dev: str | None = None  # set by a route lookup that must not run again
    route_kind: str | None = None  # "local" | "forward" (with route_dev)
    route_via: IPAddress | None = None
    hops: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def family(self) -> int:
        return self.src.version

    @property
    def family_name(self) -> str:
        return "ip" if self.family == 4 else "ip6"

    def fork(self) -> "Packet":
        return dataclasses.replace(self, notes=list(self.notes))

    def tuple_text(self) -> str:
        def end(a, p):
            if p is None:
                return str(a)
            return f"[{a}]:{p}" if a.version == 6 else f"{a}:{p}"
        return f"{end(self.src, self.sport)} -> {end(self.dst, self.dport)}"

    def flags_text(self) -> str:
        if self.proto == "tcp":
            order = ("syn", "fin", "rst", "psh", "ack")
            return "+".join(f.upper() for f in order if f in self.tcp_flags) or "none"
        if self.proto in ("icmp", "icmpv6"):
            return self.icmp_type or ""
        return ""

    def snapshot(self) -> tuple:
        return (self.proto, self.src, self.dst, self.sport, self.dport, self.tcp_flags,
                self.icmp_type)

    def describe(self) -> str:
        return describe_snapshot(self.snapshot())

    def to_json(self) -> dict:
        out = {"proto": self.proto, "src": str(self.src), "dst": str(self.dst)}
        if self.sport is not None:
            out["sport"] = self.sport
        if self.dport is not None:
            out["dport"] = self.dport
        if self.proto == "tcp":
            out["tcp_flags"] = sorted(self.tcp_flags)
        if self.icmp_type:
            out["icmp_type"] = self.icmp_type
        return out


def describe_snapshot(snapshot: tuple) -> str:
    """`Packet.describe()` of a snapshot."""
    proto, src, dst, sport, dport, tcp_flags, icmp_type = snapshot
    p = Packet(proto, src, dst, sport, dport, tcp_flags=tcp_flags, icmp_type=icmp_type)
    flags = p.flags_text()
    return f"{proto} {p.tuple_text()}" + (f" [{flags}]" if flags else "")
