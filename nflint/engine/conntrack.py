"""Connection tracking as the kernel does it for the cases that decide paths.

- Each skb meets conntrack once per network-stack pass (`nf_conntrack_in` skips a packet that
  already carries an entry); crossing a veth resets it (`skb_scrub_packet` -> `nf_reset_ct`),
  so a flow that crosses two bridges with br_netfilter on is looked up twice.
- TCP: the state table of nf_conntrack_proto_tcp.c. A SYN+ACK, FIN or RST for a connection
  conntrack never saw start is INVALID (no entry, no NAT); a bare ACK picks a connection up as
  ESTABLISHED when nf_conntrack_tcp_loose is 1 (the default).
- NAT: only a NEW connection's first packet runs nat chains; the binding then rewrites every
  packet of both directions (DST manip at prerouting/output, SRC manip at postrouting/input).
  When no nat chain bound a manip type, a null binding is made, and if the resulting reply
  tuple is already taken, the source port is changed (nf_nat_core.c get_unique_tuple) — the
  first seed's mysterious port rewrite.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple

from .packet import IPAddress, Packet


class Tuple(NamedTuple):
    proto: str
    src: IPAddress
    sport: int | None
    dst: IPAddress
    dport: int | None

    def inverted(self) -> "Tuple":
        return Tuple(self.proto, self.dst, self.dport, self.src, self.sport)

    def __str__(self) -> str:
        sp = f" sport={self.sport}" if self.sport is not None else ""
        dp = f" dport={self.dport}" if self.dport is not None else ""
        return f"src={self.src} dst={self.dst}{sp}{dp}"


def packet_tuple(pkt: Packet) -> Tuple:
    if pkt.proto in ("icmp", "icmpv6"):
        return Tuple(pkt.proto, pkt.src, None, pkt.dst, None)
    return Tuple(pkt.proto, pkt.src, pkt.sport, pkt.dst, pkt.dport)


# nf_conntrack_proto_tcp.c tcp_conntracks[dir][flag-index][state]
_STATES = ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",
           "TIME_WAIT", "CLOSE", "SYN_SENT2")
sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 = _STATES
sIV, sIG = "INVALID", "IGNORE"
_TCP_TABLE = {
    "original": {
        "syn": (sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2),
        "synack": (sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR),
        "fin": (sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV),
        "ack": (sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV),
        "rst": (sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL),
        "none": (sIV,) * 10,
    },
    "reply": {
        "syn": (sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2),
        "synack": (sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR),
        "fin": (sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV),
        "ack": (sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG),
        "rst": (sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL),
        "none": (sIV,) * 10,
    },
}


def tcp_flag_index(flags: frozenset[str]) -> str:
    """get_conntrack_index(): which row of the state table a segment uses."""
    if "rst" in flags:
        return "rst"
    if "syn" in flags:
        return "synack" if "ack" in flags else "syn"
    if "fin" in flags:
        return "fin"
    if "ack" in flags:
        return "ack"
    return "none"


@dataclass
class Conn:
    """One conntrack entry."""

    id: int
    orig: Tuple
    reply: Tuple
    zone: int = 0
    tcp_state: str | None = None
    status: set[str] = field(default_factory=set)  # dnat snat seen-reply assured confirmed
    nat_done: set[str] = field(default_factory=set)  # "dst" / "src" manips initialised
    mark: int = 0
    created_at: str = ""  # where it was created (device), for the trace

    def tuple_for(self, direction: str) -> Tuple:
        return self.orig if direction == "original" else self.reply

    def describe(self) -> str:
        state = f" {self.tcp_state}" if self.tcp_state else ""
        unrep = "" if "seen-reply" in self.status else " [UNREPLIED]"
        return f"#{self.id}{state} {self.orig}{unrep} {self.reply}"


@dataclass
class CtResult:
    """What conntrack_in decided for a packet."""

    state: str  # new | established | related | invalid | untracked
    conn: Conn | None
    direction: str | None
    text: str
    new_entry: bool = False


class ConntrackTable:
    """Confirmed entries of one simulated exchange (shared by all its packets)."""

    def __init__(self, tcp_loose: bool = True) -> None:
        self.entries: list[Conn] = []
        self._by_tuple: dict[tuple[int, Tuple], tuple[Conn, str]] = {}
        self.tcp_loose = tcp_loose
        self._next_id = 1

    def lookup(self, zone: int, t: Tuple) -> tuple[Conn, str] | None:
        return self._by_tuple.get((zone, t))

    def taken(self, zone: int, t: Tuple, ignore: Conn | None = None) -> bool:
        hit = self._by_tuple.get((zone, t))
        return hit is not None and hit[0] is not ignore

    def conntrack_in(self, pkt: Packet) -> CtResult:
        t = packet_tuple(pkt)
        hit = self.lookup(pkt.zone, t)
        if hit is not None:
            conn, direction = hit
            return self._existing(pkt, conn, direction)
        return self._new(pkt, t)

    def _existing(self, pkt: Packet, conn: Conn, direction: str) -> CtResult:
        if pkt.proto == "tcp":
            idx = tcp_flag_index(pkt.tcp_flags)
            cur = _STATES.index(conn.tcp_state or sNO)
            new = _TCP_TABLE[direction][idx][cur]
            if new == sIV:
                return CtResult("invalid", None, None,
                                f"{pkt.flags_text()} in state {conn.tcp_state} of entry "
                                f"#{conn.id} ({direction}): INVALID, no NAT")
            if new != sIG:
                conn.tcp_state = new
        if direction == "reply":
            conn.status.add("seen-reply")
            state = "established"
        else:
            state = "established" if "seen-reply" in conn.status else "new"
        if pkt.proto == "tcp" and conn.tcp_state == sES and "seen-reply" in conn.status:
            conn.status.add("assured")
        return CtResult(state, conn, direction,
                        f"entry #{conn.id} {direction} direction: "
                        f"{state.upper()}" + (f" ({conn.tcp_state})" if conn.tcp_state else ""))

    def _new(self, pkt: Packet, t: Tuple) -> CtResult:
        tcp_state = None
        if pkt.proto == "tcp":
            idx = tcp_flag_index(pkt.tcp_flags)
            tcp_state = _TCP_TABLE["original"][idx][0]
            if tcp_state == sES and not self.tcp_loose:
                tcp_state = sIV
            if tcp_state in (sIV, sIG):
                return CtResult("invalid", None, None,
                                f"{pkt.flags_text()} for a connection conntrack never saw start:"
                                f" INVALID (sNO -> sIV), no entry, no NAT")
        elif pkt.proto in ("icmp", "icmpv6") and pkt.icmp_type not in (
                "echo-request", "timestamp-request", "info-request", "address-mask-request"):
            return CtResult("invalid", None, None,
                            f"icmp {pkt.icmp_type} without a matching request: INVALID")
        conn = Conn(self._next_id, t, t.inverted(), zone=pkt.zone, tcp_state=tcp_state)
        self._next_id += 1
        picked = " (picked up mid-stream: sNO -> ESTABLISHED)" if tcp_state == sES else ""
        return CtResult("new", conn, "original",
                        f"new entry #{conn.id} {t}" + (f" {tcp_state}" if tcp_state else "")
                        + picked, new_entry=True)

    def confirm(self, conn: Conn) -> Conn | None:
        """Insert an unconfirmed entry; returns the entry it clashes with, if any."""
        if "confirmed" in conn.status:
            return None
        for t in (conn.orig, conn.reply):
            other = self._by_tuple.get((conn.zone, t))
            if other is not None and other[0] is not conn:
                return other[0]
        conn.status.add("confirmed")
        self.entries.append(conn)
        self._by_tuple[(conn.zone, conn.orig)] = (conn, "original")
        self._by_tuple[(conn.zone, conn.reply)] = (conn, "reply")
        return None

    def bind(self, conn: Conn, manip: str, addr: IPAddress | None, port: int | None,
             *, port_fixed: bool = False) -> str:
        """Set up the NAT binding of one manip type ("dst"/"src"); None addr/port keeps the
        packet's own (a null binding, or masquerade/redirect without ports). Returns a note when
        the tuple had to be made unique."""
        o = conn.reply.inverted()  # the tuple as earlier manips left it
        addr_field, port_field, _ = _nat_end(manip)
        new_orig = o._replace(**{
            addr_field: addr if addr is not None else getattr(o, addr_field),
            port_field: port if port is not None else getattr(o, port_field)})
        note = ""
        if self.taken(conn.zone, new_orig.inverted(), conn) and not port_fixed:
            if manip == "src" and new_orig.sport is not None:
                # nf_nat_l4proto_unique_tuple(): a source port from the ephemeral range.
                base = new_orig.sport
                for k in range(1, 64512):
                    cand = 1024 + (base * 7919 + k * 104729) % 64512
                    trial = new_orig._replace(sport=cand)
                    if not self.taken(conn.zone, trial.inverted(), conn):
                        note = (f"reply tuple {new_orig.inverted()} is already used by entry "
                                f"#{self._by_tuple[(conn.zone, new_orig.inverted())][0].id}: "
                                f"source port {base} rewritten to {cand} "
                                f"(the kernel picks a free port at random)")
                        new_orig = trial
                        break
            # A destination manip never changes the port (nf_nat_l4proto_unique_tuple returns
            # early for NF_NAT_MANIP_DST); a later source manip or confirm settles the clash.
        conn.reply = new_orig.inverted()
        conn.nat_done.add(manip)
        changed = (getattr(new_orig, addr_field), getattr(new_orig, port_field)) != \
            (getattr(conn.orig, addr_field), getattr(conn.orig, port_field))
        if changed:
            conn.status.add("dnat" if manip == "dst" else "snat")
        return note


def apply_nat(pkt: Packet, conn: Conn, direction: str, manip: str) -> str | None:
    """Rewrite the packet as the binding says (nf_nat_manip_pkt): the target tuple is the
    inverse of the other direction's tuple. Returns the change, or None."""
    other = conn.reply if direction == "original" else conn.orig
    target = other.inverted()
    addr_field, port_field, end_name = _nat_end(manip)
    addr, port = getattr(pkt, addr_field), getattr(pkt, port_field)
    want_addr, want_port = getattr(target, addr_field), getattr(target, port_field)
    if (addr, port) == (want_addr, want_port) or \
            pkt.proto in ("icmp", "icmpv6") and addr == want_addr:
        return None
    new_port = port if want_port is None else want_port
    setattr(pkt, addr_field, want_addr)
    setattr(pkt, port_field, new_port)
    return f"{end_name} {_end(addr, port)} -> {_end(want_addr, new_port)}"


def _nat_end(manip: str) -> tuple[str, str, str]:
    """(address field, port field, name) of the end a manip rewrites: DNAT and SNAT are one
    mechanism applied to opposite ends of the tuple."""
    return ("dst", "dport", "destination") if manip == "dst" else ("src", "sport", "source")


def _end(addr, port) -> str:
    return f"{addr}:{port}" if port is not None else str(addr)


def parse_nat_target(text: str | None) -> IPAddress | None:
    """The first address of a NAT target ("172.18.0.4", "10.0.0.1-10.0.0.9", "[::1]",
    "2001:db8::2", and with a port: "172.18.0.4:80", "[2001:db8::2]:80")."""
    if not text:
        return None
    first = text.split("-")[0].strip()
    if first.startswith("["):
        first = first[1:].split("]", 1)[0]
    elif first.count(":") == 1:  # IPv4 with a port; an IPv6 address has two colons or more
        first = first.split(":", 1)[0]
    try:
        return ipaddress.ip_address(first)
    except ValueError:
        return None
