"""Does one rule's condition cover another's? Packet-set containment over typed matches.

Used to prove a rule unreachable: if every match of an earlier rule holds for every packet a later
rule can match, the earlier rule sees those packets first. Matches whose outcome depends on
runtime state (limit, statistic, recent, unknown constructs) never cover anything: a rate limit
that matched once may not match the next packet.
"""
from __future__ import annotations

from .matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch, FieldMatch,
                      IcmpTypeMatch, InterfaceMatch, Match, MarkMatch, PhysdevMatch, PortMatch,
                      ProtocolMatch, SetMatch, TcpFlagsMatch)

# Stateless matches that cover an identical match (nothing finer is modelled for them).
_EQUALITY_ONLY = (MarkMatch, PhysdevMatch, SetMatch, IcmpTypeMatch, TcpFlagsMatch, FieldMatch)


def _iface_within(name: str, pattern: str) -> bool:
    """Every interface `name` (itself possibly a `+`/`*` wildcard) can match, `pattern` matches."""
    if pattern.endswith(("+", "*")):
        return name.rstrip("+*").startswith(pattern[:-1])
    return not name.endswith(("+", "*")) and name == pattern


def _iface_disjoint(name: str, pattern: str) -> bool:
    a, b = name.rstrip("+*"), pattern.rstrip("+*")
    a_wild, b_wild = name.endswith(("+", "*")), pattern.endswith(("+", "*"))
    if a_wild and b_wild:
        return not (a.startswith(b) or b.startswith(a))
    if a_wild:
        return not b.startswith(a)
    if b_wild:
        return not a.startswith(b)
    return a != b


def _values_cover(later_vals, earlier_vals, later_neg, earlier_neg, within, disjoint) -> bool:
    if not later_neg and not earlier_neg:
        return all(any(within(v, e) for e in earlier_vals) for v in later_vals)
    if later_neg and earlier_neg:  # later excludes at least what earlier excludes
        return all(any(within(e, v) for v in later_vals) for e in earlier_vals)
    if not later_neg and earlier_neg:
        return all(disjoint(v, e) for v in later_vals for e in earlier_vals)
    return False


def _net_within(a, b) -> bool:
    return a.version == b.version and a.subnet_of(b)


def _net_disjoint(a, b) -> bool:
    return a.version != b.version or not a.overlaps(b)


def _range_within(a, b) -> bool:
    return b[0] <= a[0] and a[1] <= b[1]


def _range_disjoint(a, b) -> bool:
    return a[1] < b[0] or b[1] < a[0]


def _eq(a, b) -> bool:
    return a == b


def _ne(a, b) -> bool:
    return a != b


def covers(earlier: Match, later: Match) -> bool:
    """True when every packet matching `later` also matches `earlier` (same kind of match)."""
    if isinstance(earlier, CommentMatch):
        return True
    if type(earlier) is not type(later):
        return False
    if isinstance(earlier, _EQUALITY_ONLY):
        return earlier == later
    e, l = earlier, later
    if isinstance(e, InterfaceMatch):
        return e.direction == l.direction and _values_cover(
            l.names, e.names, l.negated, e.negated, _iface_within, _iface_disjoint)
    if isinstance(e, AddressMatch):
        return e.field == l.field and _values_cover(
            l.networks, e.networks, l.negated, e.negated, _net_within, _net_disjoint)
    if isinstance(e, ProtocolMatch):
        return _values_cover(l.protocols, e.protocols, l.negated, e.negated, _eq, _ne)
    if isinstance(e, PortMatch):
        return (e.field == l.field and e.protocol == l.protocol and _values_cover(
            l.ranges, e.ranges, l.negated, e.negated, _range_within, _range_disjoint))
    if isinstance(e, ConntrackMatch):
        return e.key == l.key and _values_cover(l.values, e.values, l.negated, e.negated,
                                                _eq, _ne)
    if isinstance(e, AddrTypeMatch):
        return (e.field == l.field and e.limit_iface == l.limit_iface and _values_cover(
            l.types, e.types, l.negated, e.negated, _eq, _ne))
    return False


def rule_covers(earlier: tuple[Match, ...], later: tuple[Match, ...]) -> bool:
    """Every match of the earlier rule is implied by some match of the later rule."""
    return all(isinstance(e, CommentMatch) or any(covers(e, l) for l in later) for e in earlier)
