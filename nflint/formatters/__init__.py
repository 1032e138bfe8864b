"""Output formats: a registry fed by the `nflint.formatters` entry-point group.

A formatter turns the finished reports into one text; adding a format is adding an entry point,
never an if/elif in the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import ClassVar

from ..api import HostReport
from ..diagnostics import Diagnostic
from ..registry import Registry

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
