"""The record of a simulation: steps, fates, assumptions, and the branch choices made.

A rule derives its finding from a `Trace` and cites its steps: every step that a firewall rule
decided carries the model `Rule` (and so its span), every routing or conntrack decision says
which device and which kernel behaviour. `Trace` holds the packets of one exchange (request,
reply, ...); a flow whose path depends on a match nflint cannot decide yields alternatives,
one `Trace` per combination of "may match" outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ruleset import Rule, Table
from ..span import Span
from .packet import Flow, Packet, describe_snapshot

# Step kinds, in the vocabulary of the seeds' walkthroughs.
STEP_KINDS = ("enter", "hook", "rule", "jump", "return", "policy", "conntrack", "nat", "route",
              "rp_filter", "bridge", "device", "note", "fate")


@dataclass(frozen=True)
class Step:
    """One thing that happened to the packet. `rule` is the model Rule for firewall steps."""

    kind: str
    text: str
    hook: str | None = None
    family: str | None = None
    table: Table | None = None
    chain: str | None = None
    rule: Rule | None = None
    verdict: str | None = None
    changes: tuple[str, ...] = ()
    device: str | None = None
    match: str = "yes"  # "yes" | "maybe": a rule step whose match nflint could not decide
    snapshot: tuple = ()  # the packet's header fields when this step happened
    # The interfaces the packet had when this step happened, as a hook sees them (`-i`/`-o`,
    # physdev): "where did this DNAT happen" is `step.iif`, whatever the steps around it.
    iif: str | None = None
    oif: str | None = None
    physin: str | None = None
    physout: str | None = None

    @property
    def packet(self) -> str:
        """The packet as this step saw it (text made on demand: steps are many)."""
        return describe_snapshot(self.snapshot) if self.snapshot else ""

    @property
    def span(self) -> Span | None:
        return self.rule.span if self.rule is not None else None

    @property
    def where(self) -> str:
        """`hook family table chain`, the seeds' way of naming a place in the pipeline."""
        parts = [p for p in (self.hook, self.table.label if self.table else self.family,
                             self.chain) if p]
        return " ".join(parts)


@dataclass(frozen=True)
class Fate:
    """How a packet's walk ended.

    kind: delivered-local | delivered-container | sent (out a device toward a LAN/next hop) |
    dropped | rejected | queued | reset | lost (nflint cannot follow it further).
    reason (for drops): rule | policy | rp_filter | martian | no-route | forwarding-disabled |
    conntrack-clash | masquerade-no-address | loop | invalid.
    """

    kind: str
    text: str
    device: str | None = None
    reason: str | None = None
    step: Step | None = None

    @property
    def delivered(self) -> bool:
        return self.kind in ("delivered-local", "delivered-container", "sent")

    @property
    def rule(self) -> Rule | None:
        return self.step.rule if self.step is not None else None


@dataclass(frozen=True)
class PacketTrace:
    """One packet of the exchange: what it was, where it went, how it ended."""

    role: str  # "request" | "reply" | "client-ack" | "server-data"
    sender: str  # "client" | "server"
    packet: str  # as sent
    steps: tuple[Step, ...]
    fate: Fate
    arrived: str | None = None  # as received, when delivered


@dataclass(frozen=True)
class Trace:
    """The simulated exchange of one flow (one branch of the "may match" outcomes)."""

    flow: Flow
    packets: tuple[PacketTrace, ...]
    outcome: Fate  # of the whole exchange: the first failure, or the last packet's fate
    assumptions: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # "may match" outcomes this branch assumed
    alternatives: tuple["Trace", ...] = ()
    truncated: bool = False  # more branches existed than were simulated

    @property
    def request(self) -> PacketTrace:
        return self.packets[0]

    @property
    def reply(self) -> PacketTrace | None:
        return self.packets[1] if len(self.packets) > 1 else None

    @property
    def fate(self) -> Fate:
        """The first packet's fate (what `nflint trace` without --reply reports)."""
        return self.request.fate

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.request.steps

    @property
    def certain(self) -> bool:
        """True when no "may match" decided anything on this path."""
        return not self.choices

    @property
    def branches(self) -> tuple["Trace", ...]:
        """This trace and its alternatives: every path the simulation found."""
        return (self,) + self.alternatives

    def all_steps(self) -> tuple[Step, ...]:
        return tuple(s for p in self.packets for s in p.steps)

    def find(self, kind: str | None = None, *, device: str | None = None,
             hook: str | None = None, chain: str | None = None, verdict: str | None = None,
             text: str | None = None, role: str | None = None) -> tuple[Step, ...]:
        """Steps of this path matching every given criterion (text: a substring)."""
        out = []
        for p in self.packets:
            if role is not None and p.role != role:
                continue
            for s in p.steps:
                if (kind is None or s.kind == kind) and (device is None or s.device == device) \
                        and (hook is None or s.hook == hook) and (chain is None or
                                                                 s.chain == chain) \
                        and (verdict is None or s.verdict == verdict) and \
                        (text is None or text in s.text):
                    out.append(s)
        return tuple(out)

    def rule_steps(self, *, verdict: str | None = None) -> tuple[Step, ...]:
        return tuple(s for s in self.all_steps()
                     if s.rule is not None and (verdict is None or s.verdict == verdict))


class BranchLimit(Exception):
    """More "may match" decisions on one path than the simulation allows."""


class Brancher:
    """Replays earlier choices, then takes option 0 at every new undecidable point.

    The simulation re-runs from scratch for each branch (depth-first over the choice
    points), which keeps the walk itself a plain sequential program.
    """

    def __init__(self, prefix: tuple[int, ...] = ()) -> None:
        self.prefix = prefix
        self.points: list[tuple[str, int, int]] = []  # (label, options, chosen)
        self.memo: dict[str, int] = {}

    def choose(self, label: str, options: int) -> int:
        """The option taken at an undecidable point; the same question (same label) asked
        again in one run, e.g. by the next packet of the exchange, gets the same answer."""
        if label in self.memo:
            return self.memo[label]
        i = len(self.points)
        chosen = self.prefix[i] if i < len(self.prefix) else 0
        if i >= 256:
            raise BranchLimit(label)
        self.points.append((label, options, chosen))
        self.memo[label] = chosen
        return chosen

    def next_prefixes(self) -> list[tuple[int, ...]]:
        """Choice prefixes that lead to the branches not yet visited from this one."""
        out = []
        chosen = [c for _, _, c in self.points]
        for i in range(len(self.prefix), len(self.points)):
            _, n, c = self.points[i]
            for alt in range(c + 1, n):
                out.append(tuple(chosen[:i]) + (alt,))
        return out


@dataclass
class Recorder:
    """Collects the steps of the packet being walked, and the assumptions of the whole run."""

    steps: list[Step] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str, pkt: Packet | None = None, **kw) -> Step:
        if pkt is None:
            step = Step(kind, text, **kw)
            self.steps.append(step)
            return step
        if kw.get("device") is None:
            kw["device"] = pkt.iif or pkt.oif  # where the packet is: rules ask "DNAT at X?"
        step = Step(kind, text, snapshot=pkt.snapshot(), iif=pkt.iif, oif=pkt.oif,
                    physin=pkt.physin, physout=pkt.physout, **kw)
        self.steps.append(step)
        return step

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def take_steps(self) -> tuple[Step, ...]:
        out = tuple(self.steps)
        self.steps = []
        return out
