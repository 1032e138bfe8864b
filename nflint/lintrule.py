"""The plugin interface every rule implements, built-in or third-party.

A rule is a class with a code (`NF` + 3 digits), a kebab-case name that names the bad pattern, a
default severity and a docstring with fixed headings; `check(host)` yields diagnostics. The
headings are enforced when the class is defined, so `nflint explain` never shows a half-written
rule.
"""
from __future__ import annotations

import re
from typing import ClassVar, Iterable, Iterator

from .diagnostics import Diagnostic, Fix, Related, Severity
from .host import Host
from .span import Span

CODE_RE = re.compile(r"^NF\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_HEADINGS = ("What it does", "Why it matters", "Example", "Fix", "References")
# A docstring section starts with a line "Heading:" (optionally "Heading (note):").
HEADING_RE = re.compile(r"^\s*(%s|Use instead|Exceptions|Options)(?:\s*\([^)]*\))?:\s*$"
                        % "|".join(DOC_HEADINGS), re.MULTILINE)
DOCS_URL = "https://github.com/nflint/nflint/blob/main/docs/rules.md#{code}"


class RuleDefinitionError(TypeError):
    """A rule class that breaks the plugin contract (bad code, name or docs)."""


class LintRule:
    """Base class of rules. Subclasses set `code`, `name`, `severity` and a docstring."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    # Options a user may set in [tool.nflint.rules.<name>]: option -> default.
    options: ClassVar[dict] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.code:  # an abstract helper base
            return
        if not CODE_RE.match(cls.code):
            raise RuleDefinitionError(f"{cls.__qualname__}: code {cls.code!r} is not NF + 3 digits")
        if not NAME_RE.match(cls.name):
            raise RuleDefinitionError(f"{cls.__qualname__}: name {cls.name!r} is not kebab-case")
        doc = cls.__doc__ or ""
        present = set(HEADING_RE.findall(doc))
        missing = [h for h in DOC_HEADINGS if h not in present]
        if missing:
            raise RuleDefinitionError(
                f"{cls.__qualname__}: docstring lacks section(s) {', '.join(missing)}")

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = {**self.options, **(settings or {})}

    @classmethod
    def summary(cls) -> str:
        first_paragraph = (cls.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in first_paragraph.splitlines())

    @classmethod
    def docs(cls) -> str:
        import inspect
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def help_uri(cls) -> str:
        return DOCS_URL.format(code=cls.code.lower(), name=cls.name)

    def check(self, host: Host) -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(self, message: str, span: Span, *, related: Iterable[Related] = (),
                   fix: Fix | None = None, key: Iterable[str] = (),
                   severity: Severity | None = None) -> Diagnostic:
        return Diagnostic(code=self.code, name=self.name,
                          severity=severity or self.severity, message=message, span=span,
                          related=tuple(related), fix=fix, key=tuple(key))


def iter_rules(host: Host) -> Iterator[tuple]:
    """(table, chain, rule) for every rule of every table, in dump order."""
    for table in host.tables:
        for chain in table.chains:
            for rule in chain.rules:
                yield table, chain, rule
