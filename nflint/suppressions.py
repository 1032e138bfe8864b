"""Inline suppressions that survive `iptables-save` / `nft list ruleset` round trips.

Hand-written `#` comments vanish when a ruleset is re-serialised, so suppressions live where the
kernel keeps text: `-m comment --comment "nflint: ignore NF202 reason"` on an iptables rule, the
nft `comment` of a rule or chain. Hand-kept files may also carry a whole-file directive
`# nflint: ignore-file NF202 reason`. Every suppression must give a reason (NF006) and must
suppress something (NF007), so suppressions stay auditable.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from .diagnostics import Diagnostic, Severity
from .host import Host
from .span import Span

NO_REASON = ("NF006", "suppression-without-reason", Severity.WARNING)
UNUSED = ("NF007", "unused-suppression", Severity.INFO)
# Diagnostics about suppressions are never suppressed by them (no silencing the auditor).
SELF_CODES = {NO_REASON[0], UNUSED[0]}

DIRECTIVE_RE = re.compile(r"nflint:\s*(ignore-file|ignore)\b[\s=:]*(.*)", re.IGNORECASE | re.DOTALL)
FILE_LINE_RE = re.compile(r"^\s*#\s*(nflint:\s*ignore(?:-file)?\b.*)$", re.IGNORECASE)
_CODE_RE = re.compile(r"^NF\d{3}$", re.IGNORECASE)
_TOKEN_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*(,?)")


@dataclass
class Suppression:
    """One directive: which codes/names, why, where it is written, and what it covers."""

    codes: tuple[str, ...]
    reason: str
    span: Span
    scope: str  # "rule" | "chain" | "file" | "line" (a `#` line: covers nothing, see below)
    text: str
    targets: frozenset = frozenset()  # location keys covered (rule/chain scope)
    context: tuple[str, ...] = ()  # content identity (table, chain, rule text) for fingerprints
    used: set[str] = field(default_factory=set)

    def covers(self, d: Diagnostic) -> str | None:
        """The code or name of this directive that silences `d`, if any."""
        if d.code in SELF_CODES:
            return None
        token = next((t for t in self.codes if t in (d.code, d.name)), None)
        if token is None:
            return None
        if self.scope == "file":
            return token if d.span.source == self.span.source else None
        return token if location_key(d.span) in self.targets else None


@dataclass(frozen=True)
class Suppressed:
    """A finding that was silenced, kept so SARIF and JSON can say so instead of forgetting it."""

    diagnostic: Diagnostic
    kind: str  # "inSource" (a directive) | "external" (the baseline), SARIF's vocabulary
    justification: str = ""


def location_key(span: Span):
    """What makes a diagnostic "on" a rule: same source and line (or JSON pointer)."""
    if not span.line and not span.pointer:
        return None
    return (span.source, span.line, span.pointer)


def parse_directive(text: str, is_known: Callable[[str], bool] = lambda t: False
                    ) -> tuple[str, tuple[str, ...], str] | None:
    """`(kind, codes, reason)` from a comment holding `nflint: ignore[-file] CODES reason`.

    Codes are `NFxxx` or rule names, separated by commas or spaces; the first word that is
    neither ends the list and starts the reason, so reasons may contain any words.
    """
    m = DIRECTIVE_RE.search(text) if "nflint" in text.lower() else None
    if m is None:
        return None
    kind, rest = m.group(1).lower(), m.group(2)
    codes: list[str] = []
    pos, after_comma = 0, False
    while (t := _TOKEN_RE.match(rest, pos)) is not None:
        word = t.group(1)
        if _CODE_RE.match(word):
            codes.append(word.upper())
        elif not codes or after_comma or is_known(word):
            codes.append(word.lower())  # the first word is always meant as a code
        else:
            break
        pos, after_comma = t.end(), bool(t.group(2))
    reason = rest[pos:].strip().lstrip("-:;#").strip().strip("\"'").strip()
    return kind, tuple(codes), reason


def collect(host: Host, texts: Mapping[str, str] | None = None,
            is_known: Callable[[str], bool] = lambda t: False) -> list[Suppression]:
    """Every directive in the model's comments and in the raw texts of hand-kept files.

    `ignore-file` written inside a kernel comment still covers only its rule or chain: the
    comment belongs to that object, not to whatever file it is later saved into.
    """
    found: list[Suppression] = []
    for table in host.tables:
        for chain in table.chains:
            if chain.comment and (p := parse_directive(chain.comment, is_known)):
                keys = {location_key(chain.span)} | {location_key(r.span) for r in chain.rules}
                found.append(Suppression(p[1], p[2], chain.span, "chain",
                                         chain.comment, frozenset(keys - {None}),
                                         (table.label, chain.name)))
            for rule in chain.rules:
                if rule.raw and "nflint" not in rule.raw.casefold():
                    continue  # its comment (part of its text) holds no directive
                comment = rule.comment
                if comment and (p := parse_directive(comment, is_known)):
                    key = location_key(rule.span)
                    found.append(Suppression(p[1], p[2], rule.span, "rule",
                                             comment, frozenset({key} - {None}),
                                             (table.label, chain.name, rule.raw)))
    for source, text in (texts or {}).items():
        found.extend(file_directives(text, source, is_known))
    return found


def file_directives(text: str, source: str,
                    is_known: Callable[[str], bool] = lambda t: False) -> list[Suppression]:
    out: list[Suppression] = []
    if "nflint" not in text.casefold():  # a 16 MB dump: 13 ms instead of 40 line by line
        return out
    for no, line in enumerate(text.splitlines(), 1):
        m = FILE_LINE_RE.match(line)
        if m and (p := parse_directive(m.group(1), is_known)):
            span = Span(source, no, line.index("#") + 1, no, len(line) + 1)
            # `# nflint: ignore` above a rule looks natural but `iptables-save` drops such
            # lines, so it is kept as a "line" directive that covers nothing and is reported.
            scope = "file" if p[0] == "ignore-file" else "line"
            out.append(Suppression(p[1], p[2], span, scope, m.group(1).strip(),
                                   context=(source,)))
    return out


@dataclass
class Outcome:
    kept: list[Diagnostic]
    suppressed: list[Suppressed]
    audit: list[Diagnostic]  # NF006/NF007 about the directives themselves


def apply(diagnostics: Iterable[Diagnostic], suppressions: list[Suppression], *,
          is_enabled: Callable[[str], bool] = lambda token: True,
          is_known: Callable[[str], bool] = lambda token: True) -> Outcome:
    """Silence covered diagnostics; report directives without a reason or without effect.

    `is_enabled(token)` says whether the rule a directive names runs at all: a directive for a
    rule that is switched off is not "unused", it is waiting.
    """
    # Indexed by what they cover, so a big ruleset with many directives stays linear.
    by_key: dict = defaultdict(list)
    by_source: dict = defaultdict(list)
    for s in suppressions:
        if s.scope == "file":
            by_source[s.span.source].append(s)
        else:
            for key in s.targets:
                by_key[key].append(s)
    kept, silenced = [], []
    for d in diagnostics:
        hit = None
        for s in (*by_key.get(location_key(d.span), ()), *by_source.get(d.span.source, ())):
            token = s.covers(d)
            if token is not None:
                s.used.add(token)
                hit = hit or s
        if hit is None:
            kept.append(d)
        else:
            silenced.append(Suppressed(d, "inSource", hit.reason))
    audit = []
    for s in suppressions:
        if s.scope == "line":
            audit.append(_audit(UNUSED, s, "a `# nflint: ignore` line suppresses nothing: "
                                           "iptables-save and nft drop such comments; put the "
                                           "directive in the rule's comment (`-m comment "
                                           "--comment`, nft `comment`) or use `ignore-file`",
                                "line-comment"))
            continue
        if not s.codes:
            audit.append(_audit(UNUSED, s, f"suppression {s.text!r} names no rule code",
                                "no-codes"))
            continue
        if not s.reason:
            audit.append(_audit(NO_REASON, s, f"suppression of {', '.join(s.codes)} gives no "
                                              f"reason; write why after the codes",
                                "no-reason"))
        for token in s.codes:
            if token in s.used:
                continue
            if not is_known(token):
                audit.append(_audit(UNUSED, s, f"suppression names {token}, which is not a known "
                                               f"rule code or name", token))
            elif is_enabled(token):
                audit.append(_audit(UNUSED, s, f"suppression of {token} on this {s.scope} "
                                               f"suppresses nothing; remove it", token))
    return Outcome(kept, silenced, audit)


def _audit(what: tuple[str, str, Severity], s: Suppression, message: str, token: str) -> Diagnostic:
    code, name, severity = what
    return Diagnostic(code=code, name=name, severity=severity, message=message, span=s.span,
                      key=(s.scope, *s.context, s.text, token))
