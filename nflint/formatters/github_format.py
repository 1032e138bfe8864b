"""GitHub Actions workflow commands: each finding becomes an annotation on its file and line.

The location is repeated inside the message because the raw log otherwise hides it
(yamllint#357), and the format is chosen explicitly rather than guessed from GITHUB_ACTIONS.
"""
from __future__ import annotations

from . import Formatter, RenderContext, all_diagnostics, fix_lines, location
from ..api import HostReport
from ..diagnostics import Severity

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubFormatter(Formatter):
    name = "github"
    description = "GitHub Actions annotations (::error file=...,line=...::)"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        out = []
        for d in all_diagnostics(reports):
            s = d.span
            # `<stdin>`, `<plugin x>`: no file to annotate, the message still says where.
            props = [] if s.source.startswith("<") else [f"file={_escape_property(s.source)}"]
            if s.line and props:
                props.append(f"line={s.line}")
                if s.column:
                    props.append(f"col={s.column}")
                if s.end_line:
                    props.append(f"endLine={s.end_line}")
            props.append(f"title={_escape_property(f'{d.code} {d.name}')}")
            body = "\n".join([f"{location(s)}: {d.message}",
                              *(f"{location(r.span)}: {r.message}" for r in d.related),
                              *fix_lines(d)])
            out.append(f"::{LEVELS[d.severity]} {','.join(props)}::{_escape_data(body)}\n")
        return "".join(out)
