"""Rule discovery through the `nflint.rules` entry-point group.

Built-in rules are registered in pyproject.toml exactly like third-party plugins, so the same
loading path is exercised by every run. A plugin that fails to import, or breaks the rule
contract, becomes an `NF004 broken-plugin` diagnostic instead of stopping the run.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from .diagnostics import Diagnostic, Severity
from .lintrule import LintRule
from .span import Span

GROUP = "nflint.rules"


@dataclass
class Registry:
    rules: dict[str, type[LintRule]] = field(default_factory=dict)  # code -> class
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, cls: type[LintRule], origin: str) -> None:
        other = self.rules.get(cls.code)
        if other is not None and other is not cls:
            self.problems.append(_broken(origin, f"code {cls.code} is already used by "
                                                 f"{other.__module__}.{other.__qualname__}"))
            return
        self.rules[cls.code] = cls

    def by_name(self) -> dict[str, type[LintRule]]:
        return {cls.name: cls for cls in self.rules.values()}

    def find(self, code_or_name: str) -> type[LintRule] | None:
        key = code_or_name.strip()
        return self.rules.get(key.upper()) or self.by_name().get(key.lower())

    def sorted(self) -> list[type[LintRule]]:
        return [self.rules[c] for c in sorted(self.rules)]

    def closest(self, token: str) -> str | None:
        """The rule name or code a mistyped `token` most likely meant (for "did you mean")."""
        key = token.strip()
        names = difflib.get_close_matches(key.lower(), list(self.by_name()), n=1, cutoff=0.75)
        codes = difflib.get_close_matches(key.upper(), list(self.rules), n=1, cutoff=0.75)
        return (names or codes or [None])[0]


def _broken(origin: str, why: str) -> Diagnostic:
    return Diagnostic(code="NF004", name="broken-plugin", severity=Severity.WARNING,
                      message=f"rule plugin {origin} was not loaded: {why}",
                      span=Span(f"<plugin {origin}>"), key=(origin,))


def _rule_classes(obj) -> list[type[LintRule]]:
    if inspect.isclass(obj) and issubclass(obj, LintRule) and obj.code:
        return [obj]
    if inspect.ismodule(obj):
        return [v for v in vars(obj).values()
                if inspect.isclass(v) and issubclass(v, LintRule) and v.code
                and v.__module__ == obj.__name__]
    return []


def load(group: str = GROUP) -> Registry:
    reg = Registry()
    for ep in entry_points(group=group):
        origin = f"{ep.name} = {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # a plugin's import error must not stop the run
            reg.problems.append(_broken(origin, f"{type(exc).__name__}: {exc}"))
            continue
        classes = _rule_classes(obj)
        if not classes:
            reg.problems.append(_broken(origin, "it is neither a rule class nor a module of rules"))
        for cls in classes:
            reg.add(cls, origin)
    return reg


_DEFAULT: Registry | None = None


def default() -> Registry:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT
