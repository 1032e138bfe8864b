"""A trace as text (reads like the seeds' own walkthroughs) or as versioned JSON.

This is the engine's own presentation for `nflint trace`; diagnostics of the lint rules go
through the formatter plugins instead.
"""
from __future__ import annotations

import re

from .trace import Fate, PacketTrace, Step, Trace

JSON_VERSION = 1

_ROLE_TITLES = {"request": "request", "reply": "reply", "client-ack": "client ACK",
                "server-data": "server's first data segment"}
_FATE_TITLES = {"delivered-local": "DELIVERED (local)", "delivered-container":
                "DELIVERED (container)", "sent": "SENT", "dropped": "DROPPED",
                "rejected": "REJECTED", "queued": "QUEUED", "reset": "RESET", "lost": "LOST"}


def _rule_ref(step: Step) -> str:
    r = step.rule
    if r is None:
        return ""
    ref = str(r.span)
    if r.handle is not None:
        ref += f" handle {r.handle}"
    return ref


def step_line(step: Step) -> str:
    """One step as one line (without indentation)."""
    if step.kind in ("rule", "jump", "return", "policy") and step.table is not None:
        where = f"{step.table.label} {step.chain}"
        if step.kind == "policy" or (step.kind == "return" and step.rule is None):
            line = f"{where}: {step.text}"
        else:
            raw = step.rule.raw.strip() if step.rule is not None and step.rule.raw else ""
            verdict = step.verdict.upper() if step.verdict and " " not in step.verdict else (
                step.verdict or step.text)
            maybe = " (may match: assumed)" if step.match == "maybe" else ""
            if step.match == "maybe" and step.verdict is None and step.text.startswith("may"):
                verdict, maybe = step.text, ""
            line = f"{where}: {raw or step.text} -> {verdict}{maybe}  [{_rule_ref(step)}]"
        if step.changes:
            line += "; " + "; ".join(step.changes)
        return line
    return step.text


def _indent(step: Step) -> str:
    if step.kind == "hook":
        return "  "
    if step.hook is not None or step.table is not None:
        return "    "
    return "  "


def fate_line(fate: Fate) -> str:
    title = _FATE_TITLES.get(fate.kind, fate.kind.upper())
    ref = ""
    if fate.rule is not None:
        ref = f"  [{_rule_ref(fate.step)}]"
    return f"=> {title}: {fate.text}{ref}"


def packet_text(p: PacketTrace) -> list[str]:
    who = "client" if p.sender == "client" else "server"
    out = [f"{_ROLE_TITLES.get(p.role, p.role)} ({who} sends {p.packet})"]
    for s in p.steps:
        out.append(_indent(s) + step_line(s))
    out.append("  " + fate_line(p.fate))
    return out


def render_text(trace: Trace, *, reply: bool = True) -> str:
    lines = [f"nflint trace: {trace.flow.label()}"]
    for i, branch in enumerate(trace.branches):
        if len(trace.branches) > 1:
            lines.append("")
            lines.append(f"--- path {i + 1} of {len(trace.branches)}"
                         + (" (first: every undecidable match assumed to match)" if i == 0
                            else ""))
            for c in branch.choices:
                lines.append(f"  {c}")
        packets = branch.packets if reply else branch.packets[:1]
        for p in packets:
            lines.append("")
            lines.extend(packet_text(p))
        lines.append("")
        outcome = branch.outcome if reply else branch.fate
        lines.append(fate_line(outcome).replace("=>", "outcome:", 1))
    if trace.truncated:
        lines.append("(more paths exist: the simulation stopped after "
                     f"{len(trace.branches)} branches)")
    if trace.assumptions:
        lines.append("")
        lines.append("assumptions:")
        lines.extend(f"  - {a}" for a in shown_assumptions(trace.assumptions))
    return "\n".join(lines) + "\n"


_NUMBERS = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*", re.I)
_ALIKE_SHOWN = 3


def shown_assumptions(assumptions) -> list[str]:
    """The assumptions for reading: one that differs from others only in its addresses and
    numbers (kube-proxy: one per endpoint) is shown a few times, then counted. JSON keeps all."""
    groups: dict[str, list[str]] = {}
    for a in assumptions:
        groups.setdefault(_NUMBERS.sub("#", a), []).append(a)
    out = []
    for alike in groups.values():
        out.extend(alike[:_ALIKE_SHOWN])
        if len(alike) > _ALIKE_SHOWN + 1:
            out[-1:] = [out[-1], f"... and {len(alike) - _ALIKE_SHOWN} more like these"]
        elif len(alike) == _ALIKE_SHOWN + 1:
            out.append(alike[-1])
    return out


# -- JSON ----------------------------------------------------------------------------------

def step_json(step: Step) -> dict:
    out: dict = {"kind": step.kind, "text": step.text}
    if step.hook:
        out["hook"] = step.hook
    if step.family:
        out["family"] = step.family
    if step.table is not None:
        out["table"] = {"backend": step.table.backend, "family": step.table.family,
                        "name": step.table.name}
    if step.chain:
        out["chain"] = step.chain
    if step.rule is not None:
        rule = {"span": step.rule.span.to_json(), "text": step.rule.raw}
        if step.rule.handle is not None:
            rule["handle"] = step.rule.handle
        out["rule"] = rule
    if step.verdict:
        out["verdict"] = step.verdict
    if step.changes:
        out["changes"] = list(step.changes)
    if step.device:
        out["device"] = step.device
    if step.match != "yes":
        out["match"] = step.match
    if step.packet:
        out["packet"] = step.packet
    return out


def fate_json(fate: Fate) -> dict:
    out = {"kind": fate.kind, "text": fate.text, "delivered": fate.delivered}
    if fate.reason:
        out["reason"] = fate.reason
    if fate.device:
        out["device"] = fate.device
    if fate.rule is not None:
        out["rule"] = {"span": fate.rule.span.to_json(), "text": fate.rule.raw}
    return out


def _branch_json(trace: Trace, reply: bool) -> dict:
    packets = trace.packets if reply else trace.packets[:1]
    return {
        "choices": list(trace.choices),
        "outcome": fate_json(trace.outcome if reply else trace.fate),
        "packets": [{"role": p.role, "sender": p.sender, "packet": p.packet,
                     "arrived": p.arrived, "fate": fate_json(p.fate),
                     "steps": [step_json(s) for s in p.steps]} for p in packets],
    }


def render_json(trace: Trace, *, reply: bool = True) -> dict:
    doc = {"version": JSON_VERSION, "flow": trace.flow.to_json()}
    doc.update(_branch_json(trace, reply))
    doc["assumptions"] = list(trace.assumptions)
    doc["alternatives"] = [_branch_json(t, reply) for t in trace.alternatives]
    doc["truncated"] = trace.truncated
    return doc
