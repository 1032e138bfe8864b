"""One finding per line, `path:line:col: severity: message [CODE name]`: the gcc-style format
editors, `grep` and problem matchers already understand."""
from __future__ import annotations

from . import Formatter, RenderContext, all_diagnostics, location
from ..api import HostReport


class ConciseFormatter(Formatter):
    name = "concise"
    description = "one line per finding: path:line:col: severity: message [CODE name]"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        return "".join(f"{location(d.span)}: {d.severity}: {d.message} [{d.code} {d.name}]\n"
                       for d in all_diagnostics(reports))
