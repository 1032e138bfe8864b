"""Summaries of a table's rules that several catalog rules share, and per-host answers to
"does this host have X at all".

On a kube-proxy dump (100k rules in 35k chains) a Python walk over every rule costs tens of
milliseconds, and a loop per chain as much again. The rules below mostly need a summary (which
chains are jumped to, which rules can end their chain, which NAT rules exist, which kinds of
match occur) and look at single rules only once the summary says there is something to find.
Each summary is one flat walk, made when first asked. It depends on the table alone, so it is
kept on the (frozen) table object and shared by every host built from it, including the what-if
hosts the exposure rules derive.
"""
from __future__ import annotations

import bisect
import re
import itertools
import operator
from functools import cached_property
from typing import Iterable

from nflint.engine import published_ports
from nflint.host import Host
from nflint.ruleset import Chain, Rule, Table
from nflint.statements import VERDICTS, NatAction, Verdict

_KEY = "_nflint_rule_index"
_JUMPS = ("jump", "goto")
# Verdict.terminal depends on the kind alone: asked of the class once, not of every verdict.
_ENDING_VERDICTS = frozenset(k for k in VERDICTS if Verdict(k).terminal)
_flat = itertools.chain.from_iterable
_rules_of = operator.attrgetter("rules")
_matches_of = operator.attrgetter("matches")


class TableIndex:
    """What one table's rules contain."""

    def __init__(self, table: Table):
        self.table = table

    @cached_property
    def rules(self) -> list[Rule]:
        """Every rule of every chain, in dump order."""
        return list(_flat(map(_rules_of, self.table.chains)))

    @cached_property
    def _ends(self) -> list[int]:
        """Per chain, the position in `rules` just after its last rule."""
        return list(itertools.accumulate(map(len, map(_rules_of, self.table.chains))))

    @cached_property
    def _actions(self) -> tuple[frozenset[str], tuple[int, ...], tuple[tuple[Rule, NatAction],
                                                                          ...], frozenset[type]]:
        """(jump/goto targets, positions of rules with a terminal action, (rule, Rule.nat),
        action classes), in one walk over the actions."""
        targets: set[str] = set()
        ending: list[int] = []
        nats: list[tuple[Rule, NatAction]] = []
        kinds: set[type] = set()
        for i, rule in enumerate(self.rules):
            ends = False
            nat = None
            for a in rule.actions:
                cls = type(a)
                kinds.add(cls)
                if cls is Verdict:  # most actions: no property call, no isinstance
                    kind = a.kind
                    if kind in _JUMPS and a.target:
                        targets.add(a.target)
                    ends = ends or kind in _ENDING_VERDICTS
                    continue
                if isinstance(a, Verdict):
                    if a.target and a.kind in _JUMPS:
                        targets.add(a.target)
                elif nat is None and isinstance(a, NatAction):
                    nat = a
                if not ends and a.terminal:
                    ends = True
            if ends:
                ending.append(i)
            if nat is not None:
                nats.append((rule, nat))
        return frozenset(targets), tuple(ending), tuple(nats), frozenset(kinds)

    @property
    def jump_targets(self) -> frozenset[str]:
        """Every chain a rule jumps or goes to (Rule.jump_targets of all rules)."""
        return self._actions[0]

    def undefined_targets(self) -> frozenset[str]:
        return self.jump_targets - self.table.chain_map.keys()

    @property
    def nat_rules(self) -> tuple[tuple[Rule, NatAction], ...]:
        """(rule, Rule.nat) of every rule with a NAT action, reachable or not, in dump order."""
        return self._actions[2]

    @cached_property
    def shadowing_starts(self) -> tuple[tuple[Chain, int], ...]:
        """(chain, position of its first rule with a terminal action) for the chains where
        such a rule has another rule after it: only there can an earlier rule end a later
        one's packets. Everywhere else every rule before the last runs on."""
        ends = self._ends
        last = set(e - 1 for e in ends)
        chains = self.table.chains
        out: list[tuple[Chain, int]] = []
        seen = -1
        for i in self._actions[1]:
            if i in last:
                continue
            k = bisect.bisect_right(ends, i)
            if k != seen:
                seen = k
                out.append((chains[k], i - (ends[k - 1] if k else 0)))
        return tuple(out)

    @cached_property
    def construct_types(self) -> frozenset[type]:
        """The classes of every match and action used."""
        return self._actions[3].union(map(type, _flat(map(_matches_of, self.rules))))


def of(table: Table) -> TableIndex:
    idx = table.__dict__.get(_KEY)
    if idx is None:
        idx = table.__dict__[_KEY] = TableIndex(table)
    return idx


def uses_type(host: Host, *bases: type) -> bool:
    """Whether any rule of the host has a match or action of one of these classes."""
    return any(issubclass(t, bases) for table in host.tables
               for t in of(table).construct_types)


def published(host: Host) -> tuple:
    """engine.published_ports, asked once per host: several rules want it and it walks every
    rule."""
    cache = host.__dict__.get("_nflint_published_ports")
    if cache is None:
        cache = host.__dict__["_nflint_published_ports"] = tuple(published_ports(host))
    return cache


def may_be_loopback(address: str | None) -> bool:
    """False only when model_queries.nat_address cannot read `address` as a loopback address:
    that takes the text up to a port or range, so an IPv4 address in 127.0.0.0/8 leads it as
    `127.x.x.x` (the ipaddress module takes no other spelling), bracketed or not, and an IPv6
    one has at least two colons. Saves parsing every kube-proxy endpoint to learn that none is
    127.0.0.1."""
    text = (address or "").strip()
    return text.startswith(("127.", "[127.")) or text.count(":") > 1


# may_be_loopback over many addresses joined by newlines: a line that starts (after blanks)
# with `127.` or `[127.`, or holds two colons. An address that nat_address reads contains no
# blank or newline inside, so each stays on one line.
_LOOPBACK_LEAD = re.compile(r"^\s*\[?127\.", re.MULTILINE)
_TWO_COLONS = re.compile(r":[^\n]*:")


def any_may_be_loopback(addresses: Iterable[str | None]) -> bool:
    """Whether may_be_loopback holds for any of them, in two regex scans instead of a call per
    address (24k DNAT targets on a kube-proxy node)."""
    text = "\n".join(filter(None, addresses))
    return bool(_LOOPBACK_LEAD.search(text) or _TWO_COLONS.search(text))
