"""Lark grammars and JSON schemas of the input formats (installed as nflint.grammars)."""
from __future__ import annotations

from importlib import resources


def read(name: str) -> str:
    """The text of a grammar or schema file shipped in this package."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def path(name: str) -> str:
    return str(resources.files(__name__).joinpath(name))
