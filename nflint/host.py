"""The host model: one machine's whole netfilter and network state, whatever the input format.

Frontends return a `Contribution`; `HostBuilder` merges contributions (several files, several
sections of one paste) into one frozen `Host`. Rules and the engine only ever see a `Host`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

from .diagnostics import Diagnostic
from .netstate import DockerNetwork, Evidence, Interface, Route
from .ruleset import Chain, Ruleset, Table
from .span import Span
from .sysctls import SysctlValue, Sysctls

# How much of a table an input shows: a fuller view of the same table replaces a lesser one.
# nft's text listing decodes most iptables-nft xt matches back into nft syntax; -j does not.
FIDELITY = {"iptables-save": 4, "nft-text": 3, "nft-json": 2, "iptables-list": 1}


@dataclass
class Contribution:
    """What one frontend read from one input or section."""

    tables: list[Table] = field(default_factory=list)
    fidelity: str = "iptables-save"
    headers: list[str] = field(default_factory=list)
    sysctls: list[SysctlValue] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    docker_networks: list[DockerNetwork] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.tables:
            rules = sum(len(c.rules) for t in self.tables for c in t.chains)
            parts.append(f"{len(self.tables)} tables, {rules} rules")
        for name, items in (("sysctls", self.sysctls), ("interfaces", self.interfaces),
                            ("routes", self.routes), ("docker networks", self.docker_networks),
                            ("evidence lines", self.evidence)):
            if items:
                parts.append(f"{len(items)} {name}")
        if self.problems:
            parts.append(f"{len(self.problems)} problems")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class Host:
    rulesets: tuple[Ruleset, ...] = ()
    sysctls: Sysctls = Sysctls()
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    docker_networks: tuple[DockerNetwork, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for rs in self.rulesets for t in rs.tables)

    def ruleset(self, backend: str) -> Ruleset | None:
        for rs in self.rulesets:
            if rs.backend == backend:
                return rs
        return None

    @cached_property
    def interface_map(self) -> dict[str, Interface]:
        return {i.name: i for i in self.interfaces}

    def interface(self, name: str) -> Interface | None:
        return self.interface_map.get(name)

    @property
    def bridges(self) -> tuple[Interface, ...]:
        return tuple(i for i in self.interfaces if i.kind == "bridge")

    def ports_of(self, bridge: str) -> tuple[Interface, ...]:
        return tuple(i for i in self.interfaces if i.master == bridge)

    @property
    def has_network_facts(self) -> bool:
        return bool(self.interfaces or self.sysctls or self.routes)


def _merge_interface(old: Interface, new: Interface) -> Interface:
    """Later inputs fill in what earlier ones lacked; addresses accumulate."""
    changes = {}
    for f in dataclasses.fields(Interface):
        if f.name in ("name", "span", "addresses", "sources", "bridge_options"):
            continue
        value = getattr(new, f.name)
        if value is not None:
            changes[f.name] = value
    addrs = list(old.addresses)
    addrs += [a for a in new.addresses if a not in addrs]
    opts = dict(old.bridge_options)
    opts.update(dict(new.bridge_options))
    sources = old.sources + tuple(s for s in new.sources if s not in old.sources)
    return dataclasses.replace(old, addresses=tuple(addrs), bridge_options=tuple(opts.items()),
                               sources=sources, **changes)


def _merge_network(old: DockerNetwork, new: DockerNetwork) -> DockerNetwork:
    """One network told in parts (`docker network create` for its bridge, a compose file for
    its containers): fields the later input leaves empty keep the earlier value."""
    changes = {f.name: getattr(new, f.name) for f in dataclasses.fields(DockerNetwork)
               if f.name not in ("name", "span", "containers") and getattr(new, f.name)}
    members = old.containers + tuple(m for m in new.containers if m not in old.containers)
    return dataclasses.replace(old, containers=members, **changes)


def _chain_content(c: Chain) -> tuple:
    """What a chain does, without where it was read or its counters."""
    return (c.hook, c.priority, c.type, c.policy, c.devices,
            tuple((r.matches, r.actions) for r in c.rules))


def _place(span: Span) -> str:
    return f"{span.source}:{span.line}"


class HostBuilder:
    """Accumulates contributions; `build()` freezes them into a Host."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str, str], tuple[int, Table]] = {}
        self._headers: dict[str, list[str]] = {}
        self._sysctls: dict[str, SysctlValue] = {}
        self._interfaces: dict[str, Interface] = {}
        self._routes: list[Route] = []
        self._docker: dict[str, DockerNetwork] = {}
        self._evidence: list[Evidence] = []
        self._assumptions: list[str] = []
        self._sources: list[str] = []
        self.problems: list[Diagnostic] = []

    def add_source(self, name: str) -> None:
        if name not in self._sources:
            self._sources.append(name)

    def add(self, c: Contribution) -> None:
        rank = FIDELITY.get(c.fidelity, 0)
        for t in c.tables:
            key = (t.backend, t.family, t.name)
            old = self._tables.get(key)
            if old is not None:
                if old[0] > rank:
                    continue
                if old[0] == rank and old[1] is not t:
                    self._note_conflict(old[1], t)
            self._tables[key] = (rank, t)
        for t in c.tables:
            hdrs = self._headers.setdefault(t.backend, [])
            hdrs.extend(h for h in c.headers if h not in hdrs)
        for s in c.sysctls:
            self._sysctls[s.key] = s
        for i in c.interfaces:
            old = self._interfaces.get(i.name)
            self._interfaces[i.name] = i if old is None else _merge_interface(old, i)
        self._routes.extend(c.routes)
        for d in c.docker_networks:
            old_net = self._docker.get(d.name)
            self._docker[d.name] = d if old_net is None else _merge_network(old_net, d)
        self._evidence.extend(c.evidence)
        self._assumptions.extend(a for a in c.assumptions if a not in self._assumptions)
        self.problems.extend(c.problems)

    def _note_conflict(self, old: Table, new: Table) -> None:
        """Two views of one table at the same fidelity: the later one is used, but when it
        lacks or changes a chain of the earlier one (two dumps of different moments, or of
        different hosts), say where both came from instead of replacing silently."""
        chains = {c.name: c for c in new.chains}
        for c in old.chains:
            other = chains.get(c.name)
            if other is not None and _chain_content(other) == _chain_content(c):
                continue
            what = (f"chain {c.name} differs" if other is not None
                    else f"chain {c.name} is missing from the later one")
            later = other.span if other is not None else new.span
            self._assumptions.append(
                f"table {new.family} {new.name} ({new.backend}) is given twice with different "
                f"content ({what}): {_place(c.span)} and {_place(later)}; the later one is used")
            return

    def build(self) -> Host:
        by_backend: dict[str, list[Table]] = {}
        for _, t in self._tables.values():
            by_backend.setdefault(t.backend, []).append(t)
        rulesets = tuple(Ruleset(b, tuple(ts), tuple(self._headers.get(b, ())))
                         for b, ts in by_backend.items())
        return Host(
            rulesets=rulesets,
            sysctls=Sysctls(tuple(self._sysctls.values())),
            interfaces=tuple(self._interfaces.values()),
            routes=tuple(self._routes),
            docker_networks=tuple(self._docker.values()),
            evidence=tuple(self._evidence),
            assumptions=tuple(self._assumptions),
            sources=tuple(self._sources),
        )
