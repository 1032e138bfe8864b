"""Running one base chain over a packet: jump/goto/return, policy, verdict maps, marks, NAT.

The result is the verdict of that base chain only: `accept` ends this chain (the hook's next
base chain still runs), `drop`/`reject` are final for the packet. A NAT action in a nat chain
accepts and hands the binding to the NAT core.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ruleset import Chain, Rule, Table
from ..statements import (CtSetAction, LogAction, MarkAction, NatAction, NotrackAction,
                          UnknownAction, Verdict, VerdictMap)
from .match import MAYBE, NO, MatchContext, _element_matches, evaluate_rule, field_value, find_set
from .packet import Packet

MAX_RULE_VISITS = 20000
MAX_DEPTH = 64


@dataclass
class ChainOutcome:
    verdict: str  # accept | drop | reject | queue
    step: object | None = None  # the Step that decided
    nat: NatAction | None = None
    nat_rule: Rule | None = None


_PATH_ACTIONS = (Verdict, VerdictMap, NatAction, NotrackAction, CtSetAction, MarkAction,
                 UnknownAction)


def affects_path(rule: Rule) -> bool:
    """A rule whose actions cannot change where the packet goes (LOG, counters, ...) need not
    branch when its match is undecidable."""
    return any(isinstance(a, _PATH_ACTIONS) and not (isinstance(a, Verdict) and a.kind ==
                                                     "continue") for a in rule.actions)


def _note(rec, choice: str) -> None:
    if choice not in rec.choices:
        rec.choices.append(choice)


def _rule_label(rule: Rule) -> str:
    where = str(rule.span)
    if rule.handle is not None:
        where += f" (handle {rule.handle})"
    return where


def run_chain(sim, pkt: Packet, hook: str, table: Table, base: Chain) -> ChainOutcome:
    """Evaluate base chain `base` of `table`; steps go to sim.rec."""
    rec = sim.rec
    ctx = MatchContext(pkt, hook, table.family, table, sim.addr_type)
    family = table.family
    frames: list[tuple[Chain, int]] = []
    cur, pos = base, 0
    visits = 0

    def step(kind, text, rule=None, verdict=None, changes=(), match="yes", chain=None):
        return rec.add(kind, text, pkt, hook=hook, family=family, table=table,
                       chain=(chain or cur).name, rule=rule, verdict=verdict,
                       changes=tuple(changes), match=match)

    while True:
        if len(frames) > MAX_DEPTH or visits > MAX_RULE_VISITS:
            s = step("note", f"chain walk stopped: jump depth or rule budget exceeded in "
                             f"{cur.name} (a loop?)", verdict="drop")
            rec.assume(f"chain walk in {table.label} stopped at {cur.name}: loop suspected; "
                       f"treated as drop")
            return ChainOutcome("drop", s)
        control = None
        for i in sim.index.chain_index(cur).candidates(pkt, pos):
            rule = cur.rules[i]
            visits += 1
            result, reasons = evaluate_rule(rule, ctx)
            if result == NO:
                continue
            match = "yes"
            if result == MAYBE:
                why = "; ".join(reasons)
                if not affects_path(rule):
                    step("rule", f"may match ({why}); no effect on the path", rule=rule,
                         match="maybe")
                    continue
                label = f"{table.label} {cur.name} rule at {_rule_label(rule)}: {why}"
                if sim.brancher.choose(label, 2) == 1:
                    _note(rec, f"assumed NOT matching: {label}")
                    continue
                _note(rec, f"assumed matching: {label}")
                match = "maybe"
            control = _apply(sim, pkt, ctx, rule, cur, step, match)
            if control[0] == "next":
                continue
            pos = i + 1
            break
        if control is None or control[0] == "next":
            # end of chain: implicit return, or the base chain's policy
            if frames:
                parent, ppos = frames.pop()
                step("return", f"end of {cur.name}: back to {parent.name}")
                cur, pos = parent, ppos
                continue
            policy = base.policy or "accept"
            s = step("policy", f"end of base chain {base.name}: policy {policy}",
                     verdict=policy, chain=base)
            return ChainOutcome(policy, s)
        kind = control[0]
        if kind in ("accept", "drop", "reject", "queue"):
            return ChainOutcome(kind, control[1])
        if kind == "nat":
            return ChainOutcome("accept", control[1], nat=control[2], nat_rule=control[3])
        if kind == "return":
            if frames:
                cur, pos = frames.pop()
                continue
            policy = base.policy or "accept"
            s = step("policy", f"return from base chain {base.name}: policy {policy}",
                     verdict=policy, chain=base)
            return ChainOutcome(policy, s)
        if kind in ("jump", "goto"):
            target = table.chain(control[1])
            if target is None:
                rec.assume(f"{table.label}: {kind} to undefined chain {control[1]} ignored")
                continue
            if kind == "jump":
                frames.append((cur, pos))
            cur, pos = target, 0
            continue


def _apply(sim, pkt: Packet, ctx: MatchContext, rule: Rule, chain: Chain, step, match: str):
    """Run a matched rule's actions; returns the control decision."""
    changes: list[str] = []
    for a in rule.actions:
        if isinstance(a, VerdictMap):
            v = _vmap_lookup(sim, pkt, ctx, a, rule)
            if v is None:
                changes.append(f"vmap {a.key}: no element matches")
                continue
            a = v
        if isinstance(a, Verdict):
            k = a.kind
            if k == "continue":
                continue
            if k in ("jump", "goto"):
                step("jump", f"{k} {a.target}", rule=rule, verdict=f"{k} {a.target}",
                     changes=changes, match=match)
                return (k, a.target)
            if k == "return":
                step("rule", "return", rule=rule, verdict="return", changes=changes,
                     match=match)
                return ("return",)
            s = step("rule", k.upper(), rule=rule, verdict=k, changes=changes, match=match)
            return (k, s)
        if isinstance(a, NatAction):
            if not a.applies_to(pkt.family):
                changes.append(f"{a.kind} {a.family} leaves an IPv{pkt.family} packet alone")
                continue
            s = step("rule", a.kind.upper() + (f" to {a.target}" if a.target else ""),
                     rule=rule, verdict=a.kind, changes=changes, match=match)
            return ("nat", s, a, rule)
        if isinstance(a, NotrackAction):
            if pkt.ct is None and pkt.ct_state is None:
                pkt.untracked = True
                changes.append("NOTRACK: conntrack will leave this packet UNTRACKED")
            else:
                changes.append("NOTRACK has no effect: conntrack already saw the packet")
        elif isinstance(a, CtSetAction):
            if a.key == "zone" and pkt.ct is None:
                try:
                    pkt.zone = int(a.value.split()[0])
                    changes.append(f"conntrack zone {pkt.zone}")
                except (ValueError, IndexError):
                    sim.rec.assume(f"ct zone {a.value!r} not understood")
            elif a.key in ("mark", "ctmark") and pkt.ct is not None:
                try:
                    pkt.ct.mark = int(a.value, 0)
                    changes.append(f"ct mark {a.value}")
                except ValueError:
                    pass
            elif a.key == "notrack":
                pkt.untracked = pkt.ct is None
                changes.append("UNTRACKED")
            else:
                changes.append(f"ct {a.key} {a.value}")
        elif isinstance(a, MarkAction):
            changes.append(_mark(pkt, a))
        elif isinstance(a, LogAction):
            changes.append(f"LOG" + (f" prefix {a.prefix!r}" if a.prefix else ""))
        elif isinstance(a, UnknownAction):
            sim.rec.assume(f"{_rule_label(rule)}: action {a.text!r} not understood; assumed "
                           f"to let the packet continue")
            changes.append(f"unknown action {a.text!r}")
    step("rule", "continue" if changes else "matched, no verdict: continue", rule=rule,
         changes=changes, match=match)
    return ("next",)


def _mark(pkt: Packet, a: MarkAction) -> str:
    target = "mark"
    if a.kind == "connmark" and a.op == "save":
        if pkt.ct is not None:
            pkt.ct.mark = pkt.mark
        return f"connmark saved ({pkt.mark:#x})"
    if a.kind == "connmark" and a.op == "restore":
        if pkt.ct is not None:
            pkt.mark = pkt.ct.mark
        return f"mark restored from connmark ({pkt.mark:#x})"
    obj_ct = a.kind == "connmark"
    cur = (pkt.ct.mark if pkt.ct is not None else 0) if obj_ct else pkt.mark
    v = a.value or 0
    m = a.mask if a.mask is not None else 0xFFFFFFFF
    if a.op == "set":
        new = (cur & ~m & 0xFFFFFFFF) ^ v if a.mask is not None else v
    elif a.op == "and":
        new = cur & v
    elif a.op == "or":
        new = cur | v
    elif a.op == "xor":
        new = cur ^ v
    else:
        new = cur
    if obj_ct:
        if pkt.ct is not None:
            pkt.ct.mark = new
        target = "ct mark"
    else:
        pkt.mark = new
    return f"{target} {new:#x}"


def _vmap_lookup(sim, pkt: Packet, ctx: MatchContext, vm: VerdictMap, rule: Rule):
    entries = list(vm.entries)
    if vm.map_name:
        s = find_set(ctx.table, vm.map_name)
        if s is None:
            entries = []
        else:
            for el, data in s.mappings:
                words = data.split()
                if words:
                    entries.append((el, Verdict(words[0], words[1] if len(words) > 1 else None)))
    value = field_value(vm.key, pkt)
    if value is None or (vm.map_name and not entries):
        label = (f"{ctx.table.label} rule at {_rule_label(rule)}: vmap key {vm.key!r}"
                 + (" (map not in the dumps)" if vm.map_name and not entries else ""))
        options = [None] + [v for _, v in entries]
        i = sim.brancher.choose(label, len(options))
        sim.rec.choices.append(f"{label}: assumed " + (
            "no element matches" if i == 0 else f"{entries[i - 1][0]} -> {options[i].kind}"))
        return options[i]
    for el, verdict in entries:
        if any(_element_matches(value, e.strip()) for e in el.strip("{} ").split(",")):
            return verdict
    return None
