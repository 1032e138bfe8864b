"""Checkstyle XML, the report format Jenkins (warnings-ng), reviewdog and many editors read.

One `<file>` per source that has findings, one `<error>` per finding. Checkstyle knows the
severities error, warning and info, as nflint does; `source` carries the code and name.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from . import Formatter, RenderContext, all_diagnostics
from ..api import HostReport


class CheckstyleFormatter(Formatter):
    name = "checkstyle"
    description = "Checkstyle XML: one file element per input, one error element per finding"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        root = ET.Element("checkstyle", version="4.3")
        files: dict[str, ET.Element] = {}
        for d in all_diagnostics(reports):
            source = d.span.source or "<unknown>"
            node = files.get(source)
            if node is None:
                node = files[source] = ET.SubElement(root, "file", name=source)
            error = ET.SubElement(node, "error", line=str(d.span.line or 0),
                                  severity=str(d.severity), message=d.message,
                                  source=f"nflint.{d.code}.{d.name}")
            if d.span.column:
                error.set("column", str(d.span.column))
        ET.indent(root)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
