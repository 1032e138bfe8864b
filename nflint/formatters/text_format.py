"""The default human format: a table of findings, then for each finding the trace that proves
it and the fix, the way the seeds' authors would have wanted to read it."""
from __future__ import annotations

import textwrap

import click
from tabulate import tabulate

from . import Formatter, RenderContext, all_diagnostics, help_uri
from ..api import HostReport
from ..diagnostics import Diagnostic, Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _location(d: Diagnostic) -> str:
    s = d.span
    if s.pointer and not s.line:
        return f"{s.source}#{s.pointer}"
    return f"{s.source}:{s.line}" if s.line else s.source


def _sev(d: Diagnostic, color: bool) -> str:
    text = str(d.severity)
    return click.style(text, fg=_COLORS[d.severity], bold=True) if color else text


def _details(d: Diagnostic, ctx: RenderContext) -> list[str]:
    lines = []
    if d.related:
        lines.append("  why:")
        for r in d.related:
            lines.append(f"    {_location_of(r.span)}: {r.message}")
    if d.fix is not None:
        lines.append(f"  fix: {d.fix.description}")
        lines.extend(f"    {c}" for c in d.fix.commands)
    if not lines:
        return []
    head = f"{d.code} {d.name} at {_location(d)}"
    return [click.style(head, bold=True) if ctx.color else head, *lines]


def _location_of(span) -> str:
    return f"{span.source}:{span.line}" if span.line else str(span)


def _hidden(reports: list[HostReport]) -> str:
    inline = sum(1 for r in reports for s in r.suppressed if s.kind == "inSource")
    baseline = sum(1 for r in reports for s in r.suppressed if s.kind == "external")
    below = sum(r.below_min_severity for r in reports)
    parts = [f"{below} below --min-severity"] if below else []
    parts += [f"{inline} suppressed inline"] if inline else []
    parts += [f"{baseline} in the baseline"] if baseline else []
    return f" ({', '.join(parts)} not shown)" if parts else ""


class TextFormatter(Formatter):
    name = "text"
    description = "a readable table, then why and how to fix each finding (default)"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        out: list[str] = []
        multi = len(reports) > 1
        for r in reports:
            if multi:
                out.append(f"== {r.label} ==")
            if not r.diagnostics:
                out.append("No problems shown (see below)." if r.below_min_severity
                           else "No problems found.")
                continue
            rows = [(_location(d), d.code, d.name, _sev(d, ctx.color),
                     textwrap.fill(d.message, 70)) for d in r.diagnostics]
            out.append(tabulate(rows, headers=["location", "code", "name", "severity", "message"],
                                tablefmt="simple"))
            details: list[str] = []
            for d in r.diagnostics:
                block = _details(d, ctx)
                if block:
                    details.extend(block + [""])
            if details:
                out.append("")
                out.extend(details)
            if r.host.assumptions:
                out.append("assumed:")
                out.extend(f"  - {a}" for a in r.host.assumptions)
        diags = all_diagnostics(reports)
        links = {d.code: (d.name, help_uri(ctx, d)) for d in sorted(diags, key=lambda d: d.code)}
        if links:
            out.append("For more information (or `nflint explain CODE`):")
            out.extend(f"  {code} {name}: {uri}" for code, (name, uri) in links.items())
        counts = {s: sum(1 for d in diags if d.severity == s) for s in Severity}
        hidden = _hidden(reports)
        out.append(f"Found {len(diags)} problem(s): {counts[Severity.ERROR]} error(s), "
                   f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info"
                   f"{hidden}.")
        return "\n".join(out).rstrip("\n") + "\n"
