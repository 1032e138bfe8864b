"""Typed rule matches shared by every frontend.

iptables options, nft expressions and listing columns all land here, so the engine and the rules
reason about one vocabulary. Every match is a condition ANDed with the others of its rule;
`negated` inverts it. A construct a frontend cannot interpret becomes `UnknownMatch`, which keeps
its text: the engine treats it as "may match" and NF002 reports it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Union

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True, slots=True)
class Match:
    """Base of all matches."""

    negated: bool = field(default=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class InterfaceMatch(Match):
    """`-i/-o`, `iifname/oifname` (and `iif/oif`): a `+` suffix (nft `*`) is a prefix wildcard."""

    direction: str  # "in" | "out"
    names: tuple[str, ...]

    def matches_name(self, ifname: str) -> bool:
        hit = any(
            ifname.startswith(n[:-1]) if n.endswith(("+", "*")) else ifname == n for n in self.names
        )
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class AddressMatch(Match):
    """`-s/-d`, `ip saddr/daddr`, `-m iprange`: a set of prefixes (ranges are summarised)."""

    field: str  # "saddr" | "daddr"
    networks: tuple[IPNetwork, ...]

    def contains(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        hit = any(addr.version == n.version and addr in n for n in self.networks)
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class ProtocolMatch(Match):
    """`-p`, `meta l4proto`, `ip protocol`, `ip6 nexthdr`: protocol names, lower case."""

    protocols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PortMatch(Match):
    """`--dport/--sport`, multiport, `tcp dport {..}`: inclusive port ranges."""

    field: str  # "sport" | "dport" | "port" (either, multiport --ports)
    ranges: tuple[tuple[int, int], ...]
    protocol: str | None = None

    def contains(self, port: int) -> bool:
        hit = any(lo <= port <= hi for lo, hi in self.ranges)
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class ConntrackMatch(Match):
    """`-m conntrack/state`, `ct state|status|direction|zone|mark|original ...`.

    `key` is the nft ct key ("state", "status", "direction", "zone", "mark", "original-daddr",
    "original-dport", ...); `values` are lower-case names or textual values.
    """

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddrTypeMatch(Match):
    """`-m addrtype --src-type/--dst-type`, `fib saddr|daddr type`: kernel address types."""

    field: str  # "saddr" | "daddr"
    types: tuple[str, ...]  # lower case: "local", "unicast", "broadcast", ...
    limit_iface: str | None = None  # "in" | "out" for --limit-iface-in/out, fib "iif"/"oif"


@dataclass(frozen=True, slots=True)
class MarkMatch(Match):
    """`-m mark/connmark`, `meta mark`, `ct mark`."""

    kind: str  # "mark" | "connmark"
    value: int
    mask: int | None = None


@dataclass(frozen=True, slots=True)
class CommentMatch(Match):
    """`-m comment --comment` or an nft `comment`: never filters, but carries suppressions."""

    text: str


@dataclass(frozen=True, slots=True)
class PhysdevMatch(Match):
    """One `-m physdev` condition (or nft `meta ibrname/obrname/ibriport`):
    kind "in"/"out" with a port name, or "is-in"/"is-out"/"is-bridged" flags."""

    kind: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SetMatch(Match):
    """`-m set --match-set NAME src,dst` or nft `... @name`: membership in a named set."""

    set_name: str
    fields: tuple[str, ...]  # e.g. ("saddr",), ("saddr", "dport") for concatenations


@dataclass(frozen=True, slots=True)
class IcmpTypeMatch(Match):
    """`--icmp-type`, `icmp type`, `icmpv6 type`."""

    family: str  # "icmp" | "icmpv6"
    types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TcpFlagsMatch(Match):
    """`--tcp-flags MASK COMP`, `--syn`, `tcp flags & (...) == ...`."""

    mask: tuple[str, ...]
    comp: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModuleMatch(Match):
    """A known match whose outcome depends on runtime state nflint cannot see (limit, statistic,
    recent, string, owner, mac, length, u32, time, ...). Understood, so not `Unknown`, but the
    engine must treat it as "may match"."""

    module: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FieldMatch(Match):
    """An nft expression compared to values that has no dedicated type (payload, meta, rt, ...):
    `expr` is its canonical text ("ip dscp", "meta skuid"), op the relational operator."""

    expr: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnknownMatch(Match):
    """A construct that parsed but that nflint cannot interpret; kept with its text."""

    text: str
    module: str = ""


# Matches the engine can decide from a packet description; the others are "may match".
DECIDABLE = (InterfaceMatch, AddressMatch, ProtocolMatch, PortMatch, ConntrackMatch,
             AddrTypeMatch, PhysdevMatch, IcmpTypeMatch, CommentMatch)
