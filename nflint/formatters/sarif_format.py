"""SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps).

`tool.driver.rules[]` carries each rule's name, help and help URI (GitHub titles alerts from
them); `partialFingerprints` carry nflint's content fingerprint so alerts follow a rule when the
dump is re-ordered; the trace goes into `relatedLocations` and a `codeFlow`; silenced findings
are kept with SARIF `suppressions` instead of being dropped.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path, PurePath
from urllib.parse import quote

from . import Formatter, RenderContext, fix_lines, help_uri, rule_class
from ..api import HostReport
from ..diagnostics import Diagnostic, Severity
from ..span import Span

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/nflint/nflint"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
FINGERPRINT_KEY = "nflintFingerprint/v1"


@lru_cache(maxsize=4096)
def _artifact_cached(source: str) -> tuple:
    return tuple(_artifact_uncached(source).items())


def _artifact(source: str) -> dict:
    return dict(_artifact_cached(source))


def _artifact_uncached(source: str) -> dict:
    p = PurePath(source)
    if source.startswith("<") or not source:
        return {"uri": quote(source or "<unknown>", safe="")}
    if p.is_absolute():
        return {"uri": Path(source).as_uri()}
    return {"uri": quote(p.as_posix()), "uriBaseId": "SRCROOT"}


def _physical(span: Span) -> dict:
    loc: dict = {"artifactLocation": _artifact(span.source)}
    if span.line:
        region: dict = {"startLine": span.line}
        if span.column:
            region["startColumn"] = span.column
        if span.end_line and span.end_line >= span.line:
            region["endLine"] = span.end_line
            if span.end_column and span.end_column >= 1:
                region["endColumn"] = span.end_column
        loc["region"] = region
    if span.pointer:
        loc["properties"] = {"jsonPointer": span.pointer}
    return loc


def _rule_descriptor(ctx: RenderContext, d: Diagnostic) -> dict:
    cls = rule_class(ctx, d.code)
    summary = cls.summary() if cls else d.name.replace("-", " ")
    level = LEVELS[cls.severity if cls else d.severity]
    desc = {"id": d.code, "name": d.name, "shortDescription": {"text": summary},
            "helpUri": help_uri(ctx, d), "defaultConfiguration": {"level": level}}
    if cls is not None:
        docs = cls.docs()
        desc["fullDescription"] = {"text": summary}
        desc["help"] = {"text": docs, "markdown": docs}
    return desc


def _message(d: Diagnostic) -> str:
    return "\n".join([d.message, *fix_lines(d)])


def _result(d: Diagnostic, index: int, suppression: dict | None) -> dict:
    res: dict = {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": LEVELS[d.severity],
        "message": {"text": _message(d)},
        "locations": [{"physicalLocation": _physical(d.span)}],
        "partialFingerprints": {FINGERPRINT_KEY: d.fingerprint},
    }
    if d.related:
        res["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(r.span), "message": {"text": r.message}}
            for i, r in enumerate(d.related, 1)]
        steps = [{"location": {"physicalLocation": _physical(r.span),
                               "message": {"text": r.message}}} for r in d.related]
        steps.append({"location": {"physicalLocation": _physical(d.span),
                                   "message": {"text": d.message}}})
        res["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if d.fix is not None:
        res["properties"] = {"fix": {"description": d.fix.description,
                                     "commands": list(d.fix.commands)}}
    if suppression is not None:
        res["suppressions"] = [suppression]
    return res


class SarifFormatter(Formatter):
    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF consumers"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        entries: list[tuple[Diagnostic, dict | None]] = []
        for r in reports:
            entries.extend((d, None) for d in r.diagnostics)
            entries.extend((s.diagnostic, {"kind": s.kind, "justification": s.justification})
                           for s in r.suppressed)
        rules: dict[str, dict] = {}
        for d, _ in sorted(entries, key=lambda e: e[0].code):
            if d.code not in rules:
                rules[d.code] = _rule_descriptor(ctx, d)
        order = {code: i for i, code in enumerate(rules)}
        run = {
            "tool": {"driver": {"name": "nflint", "version": ctx.version or "0",
                                "informationUri": INFO_URI, "rules": list(rules.values())}},
            "originalUriBaseIds": {"SRCROOT": {"uri": Path.cwd().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(d, order[d.code], sup) for d, sup in entries],
        }
        doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        # Compact: the C encoder only runs without indent (5x faster on big rulesets), and
        # SARIF is read by tools; `jq .` pretty-prints it for people.
        return json.dumps(doc, separators=(",", ":")) + "\n"
