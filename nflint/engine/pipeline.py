"""Which base chains run at a hook, in what order, with conntrack and NAT in their places.

Every table of every backend registers its base chains on the kernel's hooks; the kernel runs
them by priority whatever their origin (iptables-legacy, iptables-nft, native nft). Conntrack
sits at -200 on prerouting/output (between raw and mangle) and confirms new entries last on
postrouting/input. NAT chains are not called one by one: the NAT core (at -100 on the DST
hooks, +100 on the SRC hooks) calls them in priority order until one binds, and only for a
connection's first packet.

`HostIndex` (cached on the Host) holds these lists and the per-chain rule indexes, so a host is
compiled once however many flows rules simulate.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass

from ..hooks import NF_IP_PRI_CONNTRACK, NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC
from ..host import Host
from ..ruleset import Chain, Table
from .match import ChainIndex
from .routing import Routing
from .topology import Topology

CONFIRM_PRIORITY = 2**31 - 1
_FREEZE_RULES = 20000
DST_MANIP_HOOKS = ("prerouting", "output")
IP_FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet")}


@dataclass(frozen=True)
class HookEntry:
    """One thing that runs on a hook: a base chain, the NAT core with its chains, conntrack
    lookup, or conntrack confirmation."""

    priority: int
    kind: str  # "chain" | "nat" | "conntrack" | "confirm"
    chains: tuple[tuple[Table, Chain], ...] = ()
    # Set on a chain that shares its priority with another one that may decide something:
    # the kernel runs the one registered last first, which no dump shows, so the dump order
    # used here is an assumption the trace lists when the hook runs.
    tie: str = ""


class HostIndex:
    """Everything the engine precomputes for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.topology = Topology(host)
        self.routing = Routing(host, self.topology)
        self._entries: dict[tuple[str, str, int], tuple[HookEntry, ...]] = {}
        self._chain_index: dict[int, ChainIndex] = {}
        self.unknown_priority: list[str] = []
        self.has_nat = any(c.type == "nat" and c.is_base for t in host.tables for c in t.chains)
        if sum(len(c.rules) for t in host.tables for c in t.chains) > _FREEZE_RULES:
            # A big model makes every full collection walk it again while flows are simulated
            # (most of the time at 100k rules); it lives as long as the run, so exempt it.
            gc.freeze()

    @staticmethod
    def of(host: Host) -> "HostIndex":
        """The index cached on the host object (a frozen dataclass still has a __dict__)."""
        idx = host.__dict__.get("_nflint_engine_index")
        if idx is None:
            idx = HostIndex(host)
            host.__dict__["_nflint_engine_index"] = idx
        return idx

    def chain_index(self, chain: Chain) -> ChainIndex:
        ci = self._chain_index.get(id(chain))
        if ci is None:
            ci = self._chain_index[id(chain)] = ChainIndex(chain)
        return ci

    def entries(self, layer: str, hook: str, family: int, device: str | None = None
                ) -> tuple[HookEntry, ...]:
        """The ordered entries of a hook. layer: "ip" (IPv4/IPv6 hooks), "bridge", "netdev"."""
        key = (layer, hook, family, device)
        got = self._entries.get(key)
        if got is None:
            got = self._entries[key] = self._build(layer, hook, family, device)
        return got

    def _build(self, layer, hook, family, device) -> tuple[HookEntry, ...]:
        if layer == "ip":
            fams = IP_FAMILIES[family]
        elif layer == "bridge":
            fams = ("bridge",)
        else:
            fams = ("netdev", "inet")
        chains: list[tuple[int, int, Table, Chain]] = []
        order = 0
        for t in self.host.tables:
            if t.family not in fams:
                continue
            for c in t.base_chains:
                if c.hook != hook:
                    continue
                if hook == "ingress" and c.devices and device not in c.devices:
                    continue
                prio = c.priority
                if prio is None:
                    prio = 0
                    note = f"{t.label} chain {c.name}: priority unknown, assumed 0"
                    if note not in self.unknown_priority:
                        self.unknown_priority.append(note)
                chains.append((prio, order, t, c))
                order += 1
        chains.sort(key=lambda x: (x[0], x[1]))
        entries = [HookEntry(p, "chain", ((t, c),), _tie(chains, p, hook))
                   for p, _, t, c in chains if c.type != "nat"]
        nat = tuple((t, c) for _, _, t, c in chains if c.type == "nat")
        if layer == "ip":
            if nat:
                prio = NF_IP_PRI_NAT_DST if hook in DST_MANIP_HOOKS else NF_IP_PRI_NAT_SRC
                entries.append(HookEntry(prio, "nat", nat))
            elif self.has_nat and hook in ("prerouting", "output", "postrouting", "input"):
                # The NAT core is registered for all four hooks once any nat chain exists:
                # connections still get their null bindings there.
                prio = NF_IP_PRI_NAT_DST if hook in DST_MANIP_HOOKS else NF_IP_PRI_NAT_SRC
                entries.append(HookEntry(prio, "nat", ()))
            if hook in ("prerouting", "output"):
                entries.append(HookEntry(NF_IP_PRI_CONNTRACK, "conntrack"))
            if hook in ("postrouting", "input"):
                entries.append(HookEntry(CONFIRM_PRIORITY, "confirm"))
        entries.sort(key=lambda e: e.priority)  # stable: chains keep dump order on ties
        return tuple(entries)


def _tie(chains: list, prio: int, hook: str) -> str:
    """The assumption to list when base chains of one priority run on a hook in an order the
    dumps cannot tell (only when the order can matter: more than one of them has rules or a
    dropping policy). Branching on it would double the paths for every such hook."""
    same = [(t, c) for p, _, t, c in chains if p == prio and c.type != "nat"]
    deciding = [(t, c) for t, c in same if c.rules or c.policy in ("drop", "reject")]
    if len(deciding) < 2:
        return ""
    names = " and ".join(f"{t.label} {c.name}" for t, c in same)
    return (f"{names} share priority {prio} on {hook}: run in dump order (the kernel runs the "
            f"one registered last first, which no dump shows)")
