"""The programmatic entry point: inputs in, diagnostics out. The CLI, tests and editor
integrations all go through here, so the pipeline exists once."""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable, Mapping

from .diagnostics import Diagnostic, Severity
from .host import Host
from .lintrule import LintRule
from .registry import Registry, default as default_registry
from .span import Span
from . import suppressions as _suppressions
from .suppressions import Suppressed


@dataclass
class Selection:
    """Which rules run and how: codes, code prefixes or names; per-rule severity and options."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    settings: dict[str, dict] = field(default_factory=dict)
    # (glob, codes-or-names): globs are relative to `root` (the config file's directory).
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: str | None = None
    inline_suppressions: bool = True

    @staticmethod
    def _hits(cls: type[LintRule], patterns: Iterable[str]) -> bool:
        for p in patterns:
            p = p.strip()
            if p.upper() == "ALL" or cls.code.startswith(p.upper()) or p.lower() == cls.name:
                return True
        return False

    def enabled(self, cls: type[LintRule]) -> bool:
        if self.select and not self._hits(cls, self.select):
            return False
        return not self._hits(cls, self.ignore)

    def enabled_code(self, code: str, name: str) -> bool:
        """For diagnostics that no rule class emits (NF001 from frontends, NF004 ...)."""
        return self.enabled(SimpleNamespace(code=code, name=name))  # type: ignore[arg-type]

    def enabled_token(self, token: str, registry: Registry) -> bool:
        """Whether the rule a code, prefix or name refers to runs under this selection."""
        cls = registry.find(token)
        if cls is not None:
            return self.enabled(cls)
        return self.enabled_code(token.upper(), token.lower())

    def ignored_in_file(self, d: Diagnostic) -> bool:
        if not self.per_file_ignores:
            return False
        names = _path_forms(d.span.source, self.root)
        return any(self._hits(d, codes)  # type: ignore[arg-type]
                   for pattern, codes in self.per_file_ignores
                   if any(fnmatch(n, pattern) for n in names))

    def severity_for(self, code: str, name: str, default: Severity) -> Severity:
        for key in (code, name):
            if key in self.severity:
                return Severity.parse(self.severity[key])
        return default


@lru_cache(maxsize=1024)
def _path_forms(source: str, root: str | None) -> frozenset[str]:
    """A source as a glob may name it: as given, relative to the config root, bare file name."""
    forms = {source.replace(os.sep, "/"), Path(source).name}
    if root:
        try:
            forms.add(Path(source).resolve().relative_to(Path(root).resolve()).as_posix())
        except (ValueError, OSError):
            pass
    return frozenset(forms)


@dataclass
class HostReport:
    """One host's result: the model, its diagnostics, and the sections it was read from.

    `suppressed` keeps what inline directives or the baseline silenced, so machine formats
    (SARIF suppressions, JSON counts) can account for it."""

    label: str
    host: Host
    diagnostics: list[Diagnostic]
    sections: list = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    # Findings below the display floor (--min-severity): not shown, still counted for failing.
    below_min_severity: int = 0


def _crash(cls: type[LintRule], exc: BaseException) -> Diagnostic:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return Diagnostic(code="NF005", name="rule-crashed", severity=Severity.WARNING,
                      message=f"rule {cls.code} {cls.name} failed ({type(exc).__name__}: {exc}"
                              f"{at}); its findings are missing, please report this",
                      span=Span(f"<rule {cls.code}>"), key=(cls.code, type(exc).__name__))


def run_rules(host: Host, selection: Selection | None = None,
              registry: Registry | None = None) -> list[Diagnostic]:
    """Every enabled rule over one host. A crashing rule is reported, never fatal."""
    selection = selection or Selection()
    registry = registry or default_registry()
    out: list[Diagnostic] = list(registry.problems)
    for cls in registry.sorted():
        if not selection.enabled(cls):
            continue
        rule = cls(selection.settings.get(cls.name) or selection.settings.get(cls.code))
        try:
            found = list(rule.check(host))
        except Exception as exc:  # one rule's bug must not hide the others' findings
            out.append(_crash(cls, exc))
            continue
        # A configured severity replaces the rule's; otherwise a finding keeps the severity
        # the rule gave it (a rule may grade its findings, e.g. 80% vs 95% full).
        if cls.code in selection.severity or cls.name in selection.severity:
            sev = selection.severity_for(cls.code, cls.name, cls.severity)
            found = [d if d.severity == sev else _with_severity(d, sev) for d in found]
        out.extend(found)
    return out


def _with_severity(d: Diagnostic, sev: Severity) -> Diagnostic:
    from dataclasses import replace
    return replace(d, severity=sev)


def finalize(diagnostics: list[Diagnostic], selection: Selection) -> list[Diagnostic]:
    """Selection for non-rule diagnostics, severity overrides, stable order, no duplicates."""
    seen = set()
    out = []
    for d in diagnostics:
        if not selection.enabled_code(d.code, d.name) or selection.ignored_in_file(d):
            continue
        sev = selection.severity_for(d.code, d.name, d.severity)
        if sev != d.severity:
            d = _with_severity(d, sev)
        ident = (d.code, d.span, d.message)
        if ident in seen:
            continue
        seen.add(ident)
        out.append(d)
    out.sort(key=Diagnostic.sort_key)
    return out


def check_host(host: Host, problems: Iterable[Diagnostic] = (), *,
               selection: Selection | None = None, registry: Registry | None = None,
               label: str = "host", sections: list | None = None,
               texts: Mapping[str, str] | None = None) -> HostReport:
    """Rules, then inline suppressions, then selection and severity for one host.

    `texts` maps source names to the raw text read, for `# nflint: ignore-file` directives.
    """
    selection = selection or Selection()
    registry = registry or default_registry()
    diags = list(problems) + run_rules(host, selection, registry)
    suppressed: list[Suppressed] = []
    if selection.inline_suppressions:
        def known(token: str) -> bool:
            return registry.find(token) is not None

        found = _suppressions.collect(host, texts, known)
        if found:
            outcome = _suppressions.apply(
                diags, found, is_known=known,
                is_enabled=lambda t: selection.enabled_token(t, registry))
            diags = outcome.kept + outcome.audit
            suppressed = outcome.suppressed
    return HostReport(label, host, finalize(diags, selection), sections or [], suppressed)


def check_paths(paths: list[str], *, host_per_file: bool = False,
                selection: Selection | None = None, registry: Registry | None = None,
                stdin_text: str | None = None, stdin_name: str = "<stdin>",
                fmt: str | None = None) -> list[HostReport]:
    """Read inputs (files, directories, '-' for stdin), build host(s), run the rules.

    The texts are read here, once, and handed to the loader as in-memory inputs, so the raw
    text stays available for `# nflint: ignore-file` directives (iptables-save drops comments
    from the model, by design)."""
    from . import inputs

    texts = inputs.read_inputs(paths, stdin_text=stdin_text, stdin_name=stdin_name)
    raw = {t.source: t.text for t in texts}
    groups = inputs.load_hosts(texts, host_per_file=host_per_file, fmt=fmt)
    return [check_host(g.host, g.problems, selection=selection, registry=registry,
                       label=g.label, sections=g.sections,
                       texts={s: raw[s] for s in g.host.sources if s in raw})
            for g in groups]
