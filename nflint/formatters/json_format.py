"""Versioned, stable JSON: the contract for scripts. Bump SCHEMA_VERSION on any breaking change."""
from __future__ import annotations

import json

from . import Formatter, RenderContext, all_diagnostics
from ..api import HostReport
from ..diagnostics import Severity

SCHEMA_VERSION = 1


def _section_json(section) -> dict:
    to_json = getattr(section, "to_json", None)
    return to_json() if callable(to_json) else {"description": str(section)}


class JsonFormatter(Formatter):
    name = "json"
    description = "versioned JSON document (stable keys, version 1)"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        diags = all_diagnostics(reports)
        doc = {
            "version": SCHEMA_VERSION,
            "tool": {"name": "nflint", "version": ctx.version},
            "hosts": [
                {
                    "label": r.label,
                    "sources": list(r.host.sources),
                    "assumptions": list(r.host.assumptions),
                    "sections": [_section_json(s) for s in r.sections],
                    "diagnostics": [d.to_json() for d in r.diagnostics],
                    "suppressed": [{**s.diagnostic.to_json(), "suppression": {
                        "kind": s.kind, "justification": s.justification}}
                        for s in r.suppressed],
                }
                for r in reports
            ],
            "summary": {**{str(s): sum(1 for d in diags if d.severity == s)
                           for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
                        "suppressed": sum(len(r.suppressed) for r in reports),
                        "below_min_severity": sum(r.below_min_severity for r in reports)},
        }
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"
