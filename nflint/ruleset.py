"""The firewall part of the host model: rulesets per backend, tables, chains, rules, sets.

One shape for every input: an iptables-save table, an `iptables -L` listing, `nft list ruleset`
and `nft -j` all become these frozen nodes, each carrying the span of the text it came from.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .matches import CommentMatch, Match
from .span import Span
from .statements import Action, NatAction, Verdict

BACKENDS = ("iptables-legacy", "iptables-nft", "nft")
FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: all `matches` must hold, then `actions` run in order.

    Slotted: a kube-proxy dump holds 100k-700k of them, and a per-rule __dict__ was a quarter
    of the model's memory."""

    matches: tuple[Match, ...]
    actions: tuple[Action, ...]
    span: Span
    raw: str = ""
    counters: tuple[int, int] | None = None  # (packets, bytes)
    handle: int | None = None
    index: int = 0  # position in its chain, 0-based

    @property
    def comment(self) -> str | None:
        for m in self.matches:
            if isinstance(m, CommentMatch):
                return m.text
        return None

    @property
    def verdict(self) -> Action | None:
        """The action that ends evaluation of this rule's chain, if any."""
        for a in self.actions:
            if a.terminal:
                return a
        return None

    @property
    def jump_targets(self) -> tuple[str, ...]:
        return tuple(a.target for a in self.actions
                     if isinstance(a, Verdict) and a.kind in ("jump", "goto") and a.target)

    @property
    def nat(self) -> NatAction | None:
        for a in self.actions:
            if isinstance(a, NatAction):
                return a
        return None


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain; base chains have hook, priority and type (iptables built-ins get the numbers
    the kernel uses for their table)."""

    name: str
    rules: tuple[Rule, ...]
    span: Span
    hook: str | None = None
    priority: int | None = None
    type: str | None = None  # "filter" | "nat" | "route"
    policy: str | None = None  # "accept" | "drop" for base chains
    devices: tuple[str, ...] = ()  # netdev/inet ingress devices
    counters: tuple[int, int] | None = None
    handle: int | None = None
    comment: str | None = None

    @property
    def is_base(self) -> bool:
        return self.hook is not None


@dataclass(frozen=True)
class NamedSet:
    """An nft set or map, or an ipset referenced by `-m set`: elements kept as text."""

    name: str
    span: Span
    key_type: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()
    is_map: bool = False
    data_type: str | None = None
    flags: tuple[str, ...] = ()
    mappings: tuple[tuple[str, str], ...] = ()  # element -> data, for maps


@dataclass(frozen=True)
class NftObject:
    """A stateful nft object or flowtable (counter, quota, ct helper, limit, secmark, synproxy,
    flowtable, ...): kept so nothing in the input is silently dropped."""

    kind: str
    name: str
    span: Span
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    backend: str
    family: str
    name: str
    chains: tuple[Chain, ...]
    span: Span
    sets: tuple[NamedSet, ...] = ()
    objects: tuple[NftObject, ...] = ()
    flags: tuple[str, ...] = ()
    handle: int | None = None
    complete: bool = True  # False when e.g. an iptables-save table has no COMMIT

    @cached_property
    def chain_map(self) -> dict[str, Chain]:
        return {c.name: c for c in self.chains}

    def chain(self, name: str) -> Chain | None:
        return self.chain_map.get(name)

    @cached_property
    def base_chains(self) -> tuple[Chain, ...]:
        # Cached: rules ask per probe, and a kube-proxy table has 35k chains of which 5 hook.
        return tuple(c for c in self.chains if c.is_base)

    @property
    def label(self) -> str:
        return f"{self.backend} {self.family} {self.name}"


@dataclass(frozen=True)
class Ruleset:
    """Everything one backend holds; `headers` are the dump's `#` lines (they tell the backend)."""

    backend: str
    tables: tuple[Table, ...]
    headers: tuple[str, ...] = ()
    span: Span | None = None
