"""Shared by the non-firewall frontends: turning offsets into spans and bad input into NF001.

JSON and YAML libraries report character offsets or 0-based marks; every finding must point at a
1-based line and column of the user's own paste, shifted by where the section started. JSON
inputs are checked against the schemas in grammars/ before they are read.
"""
from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from functools import lru_cache, wraps

import jsonschema

from .. import grammars
from ..host import Contribution

from ..diagnostics import Diagnostic, Severity
from ..span import Span


def syntax_error(source: str, line: int, column: int, message: str, *,
                 line_offset: int = 0, pointer: str | None = None) -> Diagnostic:
    """The one way a frontend says "I could not read this"; parsing goes on after it."""
    span = Span(source, line + line_offset, column, pointer=pointer)
    return Diagnostic("NF001", "syntax-error", Severity.ERROR, message, span,
                      key=(source, message))


def grammar_error(exc: Exception, source: str, line: int, message: str, *,
                  line_offset: int = 0) -> Diagnostic:
    """NF001 at the column where a line grammar gave up; not every lark error carries one."""
    return syntax_error(source, line, getattr(exc, "column", 1) or 1, message,
                        line_offset=line_offset)


class LineIndex:
    """Offset -> (line, column), both 1-based, for one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1


def json_documents(text: str) -> Iterator[tuple[int, object] | tuple[int, json.JSONDecodeError]]:
    """Every top-level JSON value in `text` with its start offset.

    Pasted threads concatenate outputs (`ip -j addr; ip -j route`), so one text may hold several
    documents. A decode error is yielded in place of the value and ends the scan: what follows a
    broken document cannot be located reliably.
    """
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return
        try:
            value, nxt = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield pos, exc
            return
        yield pos, value
        pos = nxt


def array_items(text: str, start: int) -> list[int]:
    """Start offsets of the items of the JSON array at `start` (already known to be valid).

    `json` gives no positions, so each item is re-decoded in place; the cost is one extra pass.
    """
    decoder = json.JSONDecoder()
    offsets: list[int] = []
    pos = start + 1
    end = len(text)
    while pos < end:
        while pos < end and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= end or text[pos] == "]":
            break
        offsets.append(pos)
        _, pos = decoder.raw_decode(text, pos)
    return offsets


@lru_cache(maxsize=None)
def _validator(schema_file: str, definition: str | None) -> jsonschema.protocols.Validator:
    schema = json.loads(grammars.read(schema_file))
    if definition is not None:
        schema = {**schema, "$ref": f"#/$defs/{definition}"}
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_errors(schema_file: str, value: object,
                  definition: str | None = None) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each way `value` breaks the schema (or one of its $defs)."""
    out = []
    for err in _validator(schema_file, definition).iter_errors(value):
        pointer = "".join(f"/{p}" for p in err.absolute_path)
        message = err.message if len(err.message) <= 160 else err.message[:157] + "..."
        out.append((pointer, message))
    return out


def schema_problem(schema_file: str, value: object, what: str, source: str, line: int,
                   column: int, *, line_offset: int = 0, pointer: str = "",
                   definition: str | None = None) -> Diagnostic | None:
    """NF001 for the first way one JSON object breaks its schema, pointing into it, or None:
    one message finds the object, and the reader goes on with the next one."""
    errors = schema_errors(schema_file, value, definition)
    if not errors:
        return None
    where, message = errors[0]
    return syntax_error(source, line, column, f"cannot read {what}: {where or '/'}: {message}",
                        line_offset=line_offset, pointer=pointer + where)


def refuse_deep_nesting(parse: Callable[..., Contribution]) -> Callable[..., Contribution]:
    """JSON and YAML readers recurse per nesting level: a hostile or corrupt paste thousands of
    levels deep must become an NF001, not a RecursionError."""
    @wraps(parse)
    def guarded(text: str, source: str, *, line_offset: int = 0,
                hint: dict | None = None) -> Contribution:
        try:
            return parse(text, source, line_offset=line_offset, hint=hint)
        except RecursionError:
            c = Contribution()
            c.problems.append(syntax_error(source, 1, 1, "input nested too deeply to read",
                                           line_offset=line_offset))
            return c
    return guarded
