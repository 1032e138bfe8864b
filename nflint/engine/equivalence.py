"""Packets one hook cannot tell apart, so that a rule probing thousands of them (one per
kube-proxy endpoint) simulates each class once.

Two packets are equivalent on a hook when they differ only in source address and source port,
and every rule the hook can reach either ignores those two fields or tests them with a plain
address or port match that gives both packets the same answer. Anything else that could read
the source (sets, verdict maps, address types of the source, unknown or module matches,
conntrack tuples) makes the hook "unprovable" and every packet its own class: correctness
first, speed second.
"""
from __future__ import annotations

import dataclasses

from ..host import Host
from ..matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch,
                       IcmpTypeMatch, InterfaceMatch, MarkMatch, PhysdevMatch, PortMatch,
                       ProtocolMatch, TcpFlagsMatch)
from ..statements import Verdict, VerdictMap
from .packet import Packet

_FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet")}
# Matches whose answer never depends on the source address or port.
_BLIND = (CommentMatch, InterfaceMatch, ProtocolMatch, MarkMatch, PhysdevMatch, IcmpTypeMatch,
          TcpFlagsMatch)
_CT_BLIND_KEYS = frozenset(("state", "status", "direction", "zone", "protocol"))
# Every Packet field but the two a class may vary in (notes are free text, not state).
_KEY_FIELDS = tuple(f.name for f in dataclasses.fields(Packet)
                    if f.name not in ("src", "sport", "notes"))


class HookClasses:
    """`key(pkt)`: a hashable class for `pkt` on `hook`, or None when no class is provable."""

    def __init__(self, host: Host, family: int, hook: str) -> None:
        self.networks: list = []  # source networks some reachable rule tests
        self.ranges: list[tuple[int, int]] = []  # source port ranges some rule tests
        self.provable = self._collect(host, family, hook)
        # (version, network, netmask) of `networks`: a source is tested with integers only.
        self._masks = tuple((n.version, int(n.network_address), int(n.netmask))
                            for n in self.networks)

    @staticmethod
    def of(host: Host, family: int, hook: str) -> "HookClasses":
        cache = host.__dict__.setdefault("_nflint_hook_classes", {})
        found = cache.get((family, hook))
        if found is None:
            found = cache[(family, hook)] = HookClasses(host, family, hook)
        return found

    def _collect(self, host: Host, family: int, hook: str) -> bool:
        for table in host.tables:
            if table.family not in _FAMILIES[family]:
                continue
            todo = [c for c in table.base_chains if c.hook == hook]
            seen = {c.name for c in todo}
            while todo:
                for rule in todo.pop().rules:
                    if not all(self._note(m) for m in rule.matches):
                        return False
                    for a in rule.actions:
                        if isinstance(a, VerdictMap):
                            return False
                        if isinstance(a, Verdict) and a.target and a.target not in seen:
                            chain = table.chain(a.target)
                            if chain is not None:
                                seen.add(a.target)
                                todo.append(chain)
        return True

    def _note(self, m) -> bool:
        """Record what `m` asks of the source; False when it may read it some other way."""
        if isinstance(m, _BLIND):
            return True
        if isinstance(m, AddressMatch):
            if m.field == "saddr":
                self.networks.extend(m.networks)
            return m.field in ("saddr", "daddr")
        if isinstance(m, PortMatch):
            if m.field in ("sport", "port"):
                self.ranges.extend(m.ranges)
            return m.field in ("sport", "dport", "port")
        if isinstance(m, AddrTypeMatch):
            return m.field == "daddr"
        if isinstance(m, ConntrackMatch):
            return m.key in _CT_BLIND_KEYS
        return False

    def key(self, pkt: Packet):
        if not self.provable or pkt.ct is not None:
            return None
        src = pkt.src
        return (*self.source_key(src.version, int(src), pkt.sport),
                tuple(getattr(pkt, f) for f in _KEY_FIELDS))

    def source_key(self, version: int, address: int, sport: int | None) -> tuple:
        """The part of `key` the source decides, from integers: a caller that knows every
        other field of its probes can tell their class before it builds a Packet."""
        masks, ranges = self._masks, self.ranges
        return (tuple(v == version and address & mask == net for v, net, mask in masks)
                if masks else (),
                sport is None,
                tuple(sport is not None and lo <= sport <= hi for lo, hi in ranges)
                if ranges else ())
