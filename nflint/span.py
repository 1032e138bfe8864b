"""Where a model node came from, so every finding can point back at the user's own text."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A place in an input: 1-based line and column; JSON inputs add a JSON pointer."""

    source: str
    line: int = 0
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if self.line and self.column:
            where += f":{self.column}"
        if self.pointer:
            where += f"#{self.pointer}"
        return where

    def to_json(self) -> dict:
        out: dict = {"source": self.source, "line": self.line, "column": self.column}
        if self.end_line is not None:
            out["end_line"] = self.end_line
            out["end_column"] = self.end_column
        if self.pointer is not None:
            out["pointer"] = self.pointer
        return out

    def shifted(self, lines: int) -> "Span":
        """The same place seen from a larger text (a section starting `lines` lines further down)."""
        if not self.line:
            return self
        end = self.end_line + lines if self.end_line is not None else None
        return Span(self.source, self.line + lines, self.column, end, self.end_column, self.pointer)


UNKNOWN_SPAN = Span("<unknown>")
# Where the facts nflint adds to a what-if host come from (an assumed device behind a bridge
# port, a trial fix): never the user's input, and never evidence about the real host.
WHATIF_SPAN = Span("<nflint what-if>")
