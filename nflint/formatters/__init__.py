"""Output formats: a registry fed by the `nflint.formatters` entry-point group.

A formatter turns the finished reports into one text; adding a format is adding an entry point,
never an if/elif in the CLI. Third-party formats register in the same group.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import ClassVar

from ..api import HostReport
from ..diagnostics import Diagnostic, Severity
from ..lintrule import DOCS_URL, LintRule
from ..registry import Registry
from ..span import Span

GROUP = "nflint.formatters"


@dataclass
class RenderContext:
    registry: Registry
    color: bool = False
    version: str = ""


class Formatter:
    """Base class: `name` is what `--format` takes."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        raise NotImplementedError


def all_diagnostics(reports: list[HostReport]) -> list[Diagnostic]:
    return [d for r in reports for d in r.diagnostics]


def severity_counts(diags: list[Diagnostic]) -> dict[Severity, int]:
    return {s: sum(1 for d in diags if d.severity == s) for s in Severity}


def location(span: Span) -> str:
    """`source:line:col` (or `source#pointer` for JSON inputs without lines), for humans."""
    if not span.line:
        return f"{span.source}#{span.pointer}" if span.pointer else span.source
    return f"{span.source}:{span.line}:{max(span.column, 1)}"


def fix_lines(d: Diagnostic) -> list[str]:
    if d.fix is None:
        return []
    return [f"fix: {d.fix.description}", *(f"  {c}" for c in d.fix.commands)]


def rule_class(ctx: RenderContext, code: str) -> type[LintRule] | None:
    return ctx.registry.rules.get(code)


def help_uri(ctx: RenderContext, d: Diagnostic) -> str:
    cls = rule_class(ctx, d.code)
    return cls.help_uri() if cls is not None else DOCS_URL.format(code=d.code.lower(), name=d.name)


_CACHE: dict[str, type[Formatter]] | None = None


def available() -> dict[str, type[Formatter]]:
    global _CACHE
    if _CACHE is None:
        found: dict[str, type[Formatter]] = {}
        for ep in entry_points(group=GROUP):
            try:
                cls = ep.load()
            except Exception:  # a broken third-party formatter only loses its own name
                continue
            found[getattr(cls, "name", ep.name) or ep.name] = cls
        _CACHE = found
    return _CACHE


def get(name: str) -> Formatter:
    return available()[name]()
