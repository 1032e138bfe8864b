"""Deciding a rule's matches for one packet: yes, no, or maybe (with the reason).

"Maybe" is honest ignorance: a rate limit, a string match, an expression nflint does not model,
a set whose elements the dumps lack. The chain walker turns a "maybe" that could change the
path into a branch, so a finding never rests on a guess without saying so.

Chains are indexed once per host (`ChainIndex`): a rule whose destination address or
destination port is a short list of exact values is only tried by packets with that value,
which keeps kube-proxy-sized chains (thousands of `-d VIP -p tcp --dport P` rules) from being
scanned linearly by every packet.
"""
from __future__ import annotations

import ipaddress
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable

from ..matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch, FieldMatch,
                       IcmpTypeMatch, InterfaceMatch, MarkMatch, Match, ModuleMatch,
                       PhysdevMatch, PortMatch, ProtocolMatch, SetMatch, TcpFlagsMatch,
                       UnknownMatch)
from ..ruleset import Chain, NamedSet, Rule, Table
from .packet import Packet

YES, NO, MAYBE = "yes", "no", "maybe"


@dataclass
class MatchContext:
    """What a match may look at besides the packet: where it is, and the host's facts."""

    pkt: Packet
    hook: str
    family: str  # family of the table whose rule is evaluated
    table: Table
    addr_type: Callable  # (address, limit_dev|None) -> kernel address type name


def _neg(result: str, negated: bool) -> str:
    if result == MAYBE or not negated:
        return result
    return NO if result == YES else YES


def _yes(b: bool) -> str:
    return YES if b else NO


def _interface(m: InterfaceMatch, c: MatchContext):
    name = c.pkt.iif if m.direction == "in" else c.pkt.oif
    if name and name.startswith("<"):  # a device the dumps do not name
        if all(n == "lo" or n in c.pkt.oif_not for n in m.names):  # whatever it is, not these
            return _yes(m.matches_name(name)), None
        return MAYBE, f"{'input' if m.direction == 'in' else 'output'} interface {name} is " \
                      f"not in the dumps"
    return _yes(m.matches_name(name or "")), None  # matches_name applies the negation


def _address(m: AddressMatch, c: MatchContext):
    addr = c.pkt.src if m.field == "saddr" else c.pkt.dst
    return _yes(m.contains(addr)), None


def _protocol(m: ProtocolMatch, c: MatchContext):
    names = set(m.protocols)
    hit = "all" in names or c.pkt.proto in names or (
        c.pkt.proto == "icmpv6" and names & {"ipv6-icmp", "icmp6"})
    return _neg(_yes(bool(hit)), m.negated), None


def _port(m: PortMatch, c: MatchContext):
    if c.pkt.proto not in ("tcp", "udp", "sctp", "udplite", "dccp"):
        return NO, None
    if m.protocol and m.protocol not in (c.pkt.proto, "multiport") and m.protocol in (
            "tcp", "udp", "sctp", "udplite", "dccp"):
        return NO, None
    ports = {"sport": (c.pkt.sport,), "dport": (c.pkt.dport,),
             "port": (c.pkt.sport, c.pkt.dport)}[m.field]
    hit = any(p is not None and any(lo <= p <= hi for lo, hi in m.ranges) for p in ports)
    return _neg(_yes(hit), m.negated), None


CT_STATUS = {"dnat", "snat", "seen-reply", "assured", "confirmed", "expected"}


def _conntrack(m: ConntrackMatch, c: MatchContext):
    pkt, ct = c.pkt, c.pkt.ct
    vals = set(m.values)
    if m.key == "state":
        state = pkt.ct_state or "invalid"  # no conntrack entry yet reads as invalid
        hit = state in vals or bool(ct is not None and vals & {"snat", "dnat"} & ct.status)
        return _neg(_yes(hit), m.negated), None
    if m.key == "status":
        if ct is None:
            return _neg(NO, m.negated), None
        return _neg(_yes(bool(vals & ct.status)), m.negated), None
    if m.key == "direction":
        if ct is None:
            return _neg(NO, m.negated), None
        return _neg(_yes(pkt.ct_dir in vals), m.negated), None
    if m.key == "zone":
        return _neg(_yes(str(pkt.zone) in vals), m.negated), None
    if m.key == "protocol":
        return _neg(_yes(pkt.proto in vals), m.negated), None
    if m.key in ("original-saddr", "original-daddr", "reply-saddr", "reply-daddr",
                 "original-sport", "original-dport", "reply-sport", "reply-dport"):
        if ct is None:
            return _neg(NO, m.negated), None
        which, part = m.key.split("-")
        t = ct.orig if which == "original" else ct.reply
        value = {"saddr": t.src, "daddr": t.dst, "sport": t.sport, "dport": t.dport}[part]
        return _neg(_yes(_value_in(value, vals)), m.negated), None
    return MAYBE, f"ct {m.key} {','.join(m.values)} is not modelled"


def _value_in(value, texts) -> bool:
    for text in texts:
        for t in str(text).split(","):
            t = t.strip()
            if _element_matches(value, t):
                return True
    return False


def _addrtype(m: AddrTypeMatch, c: MatchContext):
    addr = c.pkt.src if m.field == "saddr" else c.pkt.dst
    dev = None
    if m.limit_iface in ("in", "iif"):
        dev = c.pkt.iif
    elif m.limit_iface in ("out", "oif"):
        dev = c.pkt.oif
    kind = c.addr_type(addr, dev)
    if kind == "unknown":
        return MAYBE, f"whether {addr} is local is unknown (no `ip addr` dump)"
    return _neg(_yes(kind in m.types), m.negated), None


def _mark(m: MarkMatch, c: MatchContext):
    if m.kind == "connmark":
        value = c.pkt.ct.mark if c.pkt.ct is not None else 0
    else:
        value = c.pkt.mark
    mask = m.mask if m.mask is not None else 0xFFFFFFFF
    return _neg(_yes((value & mask) == m.value), m.negated), None


def _physdev(m: PhysdevMatch, c: MatchContext):
    pkt = c.pkt
    if m.kind == "is-in":
        hit = pkt.physin is not None
    elif m.kind == "is-out":
        hit = pkt.physout is not None
    elif m.kind == "is-bridged":
        hit = pkt.bridged and pkt.physout is not None
    elif m.kind in ("in", "out"):
        name = pkt.physin if m.kind == "in" else pkt.physout
        pattern = m.name or ""
        if name and name.startswith("<"):
            return MAYBE, f"bridge port {name} is not in the dumps"
        hit = name is not None and (name.startswith(pattern[:-1]) if pattern.endswith(("+", "*"))
                                    else name == pattern)
    else:
        return MAYBE, f"physdev {m.kind} is not modelled"
    return _neg(_yes(hit), m.negated), None


def _icmp(m: IcmpTypeMatch, c: MatchContext):
    want = "icmp" if c.pkt.family == 4 else "icmpv6"
    if c.pkt.proto != want or m.family != want:
        return NO, None
    types = {t.split("/")[0] for t in m.types}
    return _neg(_yes(c.pkt.icmp_type in types or "any" in types), m.negated), None


def _tcpflags(m: TcpFlagsMatch, c: MatchContext):
    if c.pkt.proto != "tcp":
        return NO, None
    have = c.pkt.tcp_flags
    hit = all((f in have) == (f in m.comp) for f in m.mask)
    return _neg(_yes(hit), m.negated), None


def _comment(m: CommentMatch, c: MatchContext):
    return YES, None


def _module(m: ModuleMatch, c: MatchContext):
    opts = dict(m.options)
    if m.module == "pkttype":
        kind = opts.get("pkt-type") or opts.get("!pkt-type")
        if kind:
            dst_kind = c.addr_type(c.pkt.dst, None)
            hit = dst_kind == kind if kind != "unicast" else dst_kind not in (
                "broadcast", "multicast")
            return _neg(_yes(hit), "!pkt-type" in opts), None
    text = " ".join(f"--{k} {v}".strip() for k, v in m.options)
    return MAYBE, f"-m {m.module} {text}".strip() + " depends on runtime state"


_FIELD_VALUES: dict[str, Callable[[Packet], str | None]] = {
    "meta nfproto": lambda p: "ipv4" if p.family == 4 else "ipv6",
    "meta protocol": lambda p: "ip" if p.family == 4 else "ip6",
    "meta l4proto": lambda p: p.proto,
    "ip protocol": lambda p: p.proto if p.family == 4 else None,
    "ip6 nexthdr": lambda p: p.proto if p.family == 6 else None,
    "iifname": lambda p: p.iif or "",
    "oifname": lambda p: p.oif or "",
    "meta iifname": lambda p: p.iif or "",
    "meta oifname": lambda p: p.oif or "",
    "ip saddr": lambda p: str(p.src) if p.family == 4 else None,
    "ip daddr": lambda p: str(p.dst) if p.family == 4 else None,
    "ip6 saddr": lambda p: str(p.src) if p.family == 6 else None,
    "ip6 daddr": lambda p: str(p.dst) if p.family == 6 else None,
    "tcp dport": lambda p: str(p.dport) if p.proto == "tcp" else None,
    "tcp sport": lambda p: str(p.sport) if p.proto == "tcp" else None,
    "udp dport": lambda p: str(p.dport) if p.proto == "udp" else None,
    "udp sport": lambda p: str(p.sport) if p.proto == "udp" else None,
    "th dport": lambda p: str(p.dport) if p.dport is not None else None,
    "th sport": lambda p: str(p.sport) if p.sport is not None else None,
    "meta mark": lambda p: str(p.mark),
    "ct state": lambda p: p.ct_state or "invalid",
    "ct direction": lambda p: p.ct_dir,
    "meta ibrname": lambda p: p.in_bridge or "",
    "meta obrname": lambda p: (p.in_bridge or "") if p.bridged or p.physout else "",
    "meta ibriport": lambda p: p.physin,
    "meta obriport": lambda p: p.physout,
}


def field_value(expr: str, pkt: Packet) -> str | None:
    """The packet's value of an nft expression as text, or None when nflint cannot know it."""
    expr = " ".join(expr.split())
    if " . " in expr:
        parts = [field_value(e, pkt) for e in expr.split(" . ")]
        return None if any(p is None for p in parts) else " . ".join(parts)
    getter = _FIELD_VALUES.get(expr)
    if getter is None:
        return None
    return getter(pkt)


def _field(m: FieldMatch, c: MatchContext):
    if m.expr not in _FIELD_VALUES or m.op not in ("==", "!=", "eq", "ne"):
        return MAYBE, f"{m.expr} {m.op} {','.join(m.values)} is not modelled"
    value = field_value(m.expr, c.pkt)
    if value is None:
        return NO, None  # the packet has no such header (e.g. tcp dport of a udp packet)
    hit = any(_element_matches(value, v) for v in m.values)
    if m.op in ("!=", "ne"):
        hit = not hit
    return _neg(_yes(hit), m.negated), None


def _element_matches(value, element: str) -> bool:
    """One set element (an address, prefix, range, port, name, wildcard) against a value."""
    el = element.strip().strip('"')
    if value is None:
        return False
    text = str(value)
    if " . " in el:
        vparts = text.split(" . ")
        eparts = el.split(" . ")
        return len(vparts) == len(eparts) and all(
            _element_matches(v, e) for v, e in zip(vparts, eparts))
    if el == text:
        return True
    if el.endswith("*"):
        return text.startswith(el[:-1])
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        addr = None
    if addr is not None:
        try:
            if "/" in el:
                return addr in ipaddress.ip_network(el, strict=False)
            if "-" in el:
                lo, hi = (ipaddress.ip_address(x.strip()) for x in el.split("-", 1))
                return lo <= addr <= hi
            return addr == ipaddress.ip_address(el)
        except ValueError:
            return False
    if text.isdigit() and "-" in el:
        lo, _, hi = el.partition("-")
        if lo.strip().isdigit() and hi.strip().isdigit():
            return int(lo) <= int(text) <= int(hi)
    return False


def _set_value(fieldname: str, pkt: Packet) -> str | None:
    return {"saddr": str(pkt.src), "daddr": str(pkt.dst), "src": str(pkt.src),
            "dst": str(pkt.dst),
            "sport": None if pkt.sport is None else str(pkt.sport),
            "dport": None if pkt.dport is None else str(pkt.dport)}.get(fieldname)


def find_set(table: Table, name: str) -> NamedSet | None:
    name = name.lstrip("@")
    for s in table.sets:
        if s.name == name:
            return s
    return None


def _setmatch(m: SetMatch, c: MatchContext):
    s = find_set(c.table, m.set_name)
    if s is None:
        return MAYBE, f"set {m.set_name} is not in the dumps"
    values = []
    for f in m.fields:
        v = _set_value(f, c.pkt)
        if v is None:
            getter = field_value(f, c.pkt)
            if getter is None:
                return MAYBE, f"set {m.set_name}: key {f} is not modelled"
            v = getter
        values.append(v)
    key = " . ".join(values)
    hit = any(_element_matches(key, e) for e in s.elements)
    if not s.elements and "dynamic" in s.flags:
        return MAYBE, f"set {m.set_name} is filled at runtime"
    return _neg(_yes(hit), m.negated), None


def _unknown(m: UnknownMatch, c: MatchContext):
    return MAYBE, f"{m.text!r} is not understood by nflint"


_EVALUATORS: dict[type, Callable] = {
    InterfaceMatch: _interface, AddressMatch: _address, ProtocolMatch: _protocol,
    PortMatch: _port, ConntrackMatch: _conntrack, AddrTypeMatch: _addrtype, MarkMatch: _mark,
    PhysdevMatch: _physdev, IcmpTypeMatch: _icmp, TcpFlagsMatch: _tcpflags,
    CommentMatch: _comment, ModuleMatch: _module, FieldMatch: _field, SetMatch: _setmatch,
    UnknownMatch: _unknown,
}


def evaluate_rule(rule: Rule, c: MatchContext) -> tuple[str, list[str]]:
    """All matches ANDed: NO as soon as one says no; MAYBE (with reasons) if any is unsure."""
    reasons: list[str] = []
    for m in rule.matches:
        fn = _EVALUATORS.get(type(m))
        if fn is None:
            reasons.append(f"{type(m).__name__} is not modelled")
            continue
        result, why = fn(m, c)
        if result == NO:
            return NO, []
        if result == MAYBE:
            reasons.append(why or "undecidable match")
    return (MAYBE, reasons) if reasons else (YES, [])


# -- chain index ---------------------------------------------------------------------------

_INDEX_MIN_RULES = 12


def _exact_addresses(m: Match) -> tuple[str, ...] | None:
    if isinstance(m, AddressMatch) and m.field == "daddr" and not m.negated and \
            0 < len(m.networks) <= 4 and all(n.prefixlen == n.max_prefixlen for n in m.networks):
        return tuple(str(n.network_address) for n in m.networks)
    return None


def _exact_ports(m: Match) -> tuple[int, ...] | None:
    if isinstance(m, PortMatch) and m.field == "dport" and not m.negated and \
            0 < len(m.ranges) <= 8 and all(lo == hi for lo, hi in m.ranges):
        return tuple(lo for lo, _ in m.ranges)
    return None


def _file_under_keys(i: int, rule, keys_of, index: dict[object, list[int]]) -> bool:
    """File rule `i` under the keys of its first match `keys_of` reads exact keys from; False
    when none does. A rule is filed under one kind of key only: by address, else by port."""
    for m in rule.matches:
        keys = keys_of(m)
        if keys is not None:
            for k in keys:
                index.setdefault(k, []).append(i)
            return True
    return False


class ChainIndex:
    """Candidate rules of one chain for a packet, in chain order; rules not returned cannot
    match it (their destination address or port differs)."""

    def __init__(self, chain: Chain) -> None:
        self.rules = chain.rules
        self.indexed = len(chain.rules) >= _INDEX_MIN_RULES
        self.by_dst: dict[str, list[int]] = {}
        self.by_dport: dict[int, list[int]] = {}
        self.rest: list[int] = []
        if not self.indexed:
            return
        for i, rule in enumerate(chain.rules):
            if not (_file_under_keys(i, rule, _exact_addresses, self.by_dst)
                    or _file_under_keys(i, rule, _exact_ports, self.by_dport)):
                self.rest.append(i)

    def candidates(self, pkt: Packet, start: int = 0):
        if not self.indexed:
            return range(start, len(self.rules))
        extra = self.by_dst.get(str(pkt.dst), []) + (
            self.by_dport.get(pkt.dport, []) if pkt.dport is not None else [])
        rest = self.rest[bisect_left(self.rest, start):] if start else self.rest
        if not extra:
            return rest
        return sorted(set(rest).union(i for i in extra if i >= start))
