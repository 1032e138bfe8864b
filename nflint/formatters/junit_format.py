"""JUnit XML for CI systems that only show test reports (GitLab, Jenkins, Azure).

One test suite per host, one failing test case per finding, and one passing case for a clean
host so the report shows that the check ran.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from . import Formatter, RenderContext, fix_lines, location
from ..api import HostReport


class JunitFormatter(Formatter):
    name = "junit"
    description = "JUnit XML: one test suite per host, one failing test case per finding"

    def render(self, reports: list[HostReport], ctx: RenderContext) -> str:
        root = ET.Element("testsuites", name="nflint")
        total = failures = 0
        for r in reports:
            suite = ET.SubElement(root, "testsuite", name=f"nflint {r.label}")
            for d in r.diagnostics:
                case = ET.SubElement(suite, "testcase", classname=d.span.source or r.label,
                                     name=f"{d.code} {d.name} at {location(d.span)}")
                if d.span.line:
                    case.set("file", d.span.source)
                    case.set("line", str(d.span.line))
                failure = ET.SubElement(case, "failure", type=d.code,
                                        message=f"{d.severity}: {d.message}")
                failure.text = "\n".join([f"{location(d.span)}: {d.severity}: {d.message}",
                                          *(f"  {location(x.span)}: {x.message}"
                                            for x in d.related), *fix_lines(d)])
            if not r.diagnostics:
                ET.SubElement(suite, "testcase", classname=r.label, name="no findings")
            count = max(len(r.diagnostics), 1)
            suite.set("tests", str(count))
            suite.set("failures", str(len(r.diagnostics)))
            suite.set("errors", "0")
            total += count
            failures += len(r.diagnostics)
        root.set("tests", str(total))
        root.set("failures", str(failures))
        root.set("errors", "0")
        ET.indent(root)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
