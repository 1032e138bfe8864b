"""Every output format on the same reports: structure, locations, traces, fixes, suppressions."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from ci_model import SHADOWED, report
from nflint import formatters
from nflint.api import HostReport
from nflint.host import Host
from nflint.registry import default as default_registry

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / ".." / "shared" / "schemas" / \
    "sarif-schema-2.1.0.json"
SUPPRESSED_LINE = "-A INPUT -s 192.0.2.9/32 -m comment --comment \"nflint: ignore NF202 kept on purpose\" -j DROP\n"


def _ctx(color: bool = False) -> formatters.RenderContext:
    return formatters.RenderContext(default_registry(), color, "9.9.9")


def _render(name: str, reports, color: bool = False) -> str:
    return formatters.get(name).render(reports, _ctx(color))


@pytest.fixture(scope="module")
def findings() -> list[HostReport]:
    text = SHADOWED.replace("-A FORWARD", SUPPRESSED_LINE + "-A FORWARD")
    return [report(text)]


@pytest.fixture(scope="module")
def clean() -> list[HostReport]:
    return [HostReport("empty", Host(), [])]


def test_findings_fixture_has_what_formats_must_show(findings):
    codes = {d.code for d in findings[0].diagnostics}
    assert {"NF201", "NF202"} <= codes
    assert any(d.related for d in findings[0].diagnostics)
    assert any(d.fix for d in findings[0].diagnostics)
    assert [s.diagnostic.code for s in findings[0].suppressed] == ["NF202"]


def test_registry_is_entry_points_not_a_chain():
    names = {ep.name for ep in entry_points(group=formatters.GROUP)}
    assert {"text", "concise", "json", "sarif", "github", "junit", "checkstyle"} <= names
    for name, cls in formatters.available().items():
        assert issubclass(cls, formatters.Formatter) and cls.name == name and cls.description


@pytest.mark.parametrize("name", sorted(formatters.available()))
def test_every_format_renders_findings_and_clean_runs(name, findings, clean):
    full = _render(name, findings)
    empty = _render(name, clean)
    assert full and full.endswith("\n") and full != empty


def test_concise_one_line_per_finding(findings):
    lines = _render("concise", findings).splitlines()
    diags = findings[0].diagnostics
    assert len(lines) == len(diags)
    pattern = re.compile(r"^(\S+):(\d+):(\d+): (error|warning|info): (.+) \[(NF\d{3}) ([a-z0-9-]+)\]$")
    for line, d in zip(lines, diags):
        m = pattern.match(line)
        assert m, line
        assert (m[1], int(m[2]), m[4], m[6], m[7]) == (d.span.source, d.span.line,
                                                          str(d.severity), d.code, d.name)


def test_json_is_versioned_and_carries_traces_fixes_and_suppressions(findings):
    doc = json.loads(_render("json", findings))
    assert doc["version"] == 1 and doc["tool"]["version"] == "9.9.9"
    host = doc["hosts"][0]
    assert len(host["diagnostics"]) == len(findings[0].diagnostics)
    nf202 = next(d for d in host["diagnostics"] if d["code"] == "NF202")
    assert nf202["related"] and nf202["fix"]["commands"]
    assert host["suppressed"][0]["suppression"] == {"kind": "inSource",
                                                    "justification": "kept on purpose"}
    assert doc["summary"]["suppressed"] == 1


def test_sarif_rules_fingerprints_trace_and_suppressions(findings):
    doc = json.loads(_render("sarif", findings))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(set(ids))
    reg = default_registry()
    for r in rules:
        cls = reg.find(r["id"])
        assert r["name"] == cls.name and r["helpUri"] == cls.help_uri()
        assert r["help"]["text"] == cls.docs() and r["shortDescription"]["text"]
    results = run["results"]
    assert len(results) == len(findings[0].diagnostics) + len(findings[0].suppressed)
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert re.fullmatch(r"[0-9a-f]{32}", res["partialFingerprints"]["nflintFingerprint/v1"])
    nf202 = [r for r in results if r["ruleId"] == "NF202"]
    live = next(r for r in nf202 if "suppressions" not in r)
    assert live["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert live["codeFlows"][0]["threadFlows"][0]["locations"][-1]["location"][
        "physicalLocation"]["region"]["startLine"] == 6
    assert "fix:" in live["message"]["text"]
    silenced = next(r for r in nf202 if "suppressions" in r)
    assert silenced["suppressions"] == [{"kind": "inSource", "justification": "kept on purpose"}]
    assert live["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "fw.rules", "uriBaseId": "SRCROOT"}


@pytest.mark.parametrize("which", ["findings", "clean"])
def test_sarif_validates_against_the_official_schema(which, request):
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text())
    doc = json.loads(_render("sarif", request.getfixturevalue(which)))
    jsonschema.Draft4Validator(schema).validate(doc)


def test_sarif_odd_sources_stay_valid_uris():
    from nflint.formatters.sarif_format import _artifact
    assert _artifact("<stdin>") == {"uri": "%3Cstdin%3E"}
    assert _artifact("/etc/iptables/rules.v4")["uri"] == "file:///etc/iptables/rules.v4"
    assert _artifact("dumps/my host.rules") == {"uri": "dumps/my%20host.rules",
                                               "uriBaseId": "SRCROOT"}


def test_github_annotations_carry_file_and_line_and_escape(findings):
    lines = _render("github", findings).splitlines()
    assert len(lines) == len(findings[0].diagnostics)
    for line, d in zip(lines, findings[0].diagnostics):
        level = {"error": "error", "warning": "warning", "info": "notice"}[str(d.severity)]
        assert line.startswith(f"::{level} file={d.span.source},line={d.span.line},")
        assert f"title={d.code} {d.name}::{d.span.source}:{d.span.line}:" in line
        assert "\n" not in line
    nf202 = next(l for l in lines if "NF202" in l)
    assert "%0Afix: " in nf202
    from nflint.formatters.github_format import _escape_property
    assert _escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_junit_one_failure_per_finding_and_a_passing_clean_host(findings, clean):
    root = ET.fromstring(_render("junit", findings))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(findings[0].diagnostics) == int(root.get("failures"))
    assert all(c.find("failure") is not None for c in cases)
    assert {c.find("failure").get("type") for c in cases} == {d.code for d in findings[0].diagnostics}
    empty = ET.fromstring(_render("junit", clean))
    assert empty.get("failures") == "0" and empty.find("./testsuite/testcase").find("failure") is None


def test_checkstyle_one_error_per_finding_under_its_file(findings, clean):
    root = ET.fromstring(_render("checkstyle", findings))
    errors = [(f.get("name"), e) for f in root.findall("./file") for e in f.findall("error")]
    diags = findings[0].diagnostics
    assert len(errors) == len(diags)
    assert sorted((name, int(e.get("line")), e.get("severity"), e.get("source"))
                  for name, e in errors) == sorted(
        (d.span.source, d.span.line, str(d.severity), f"nflint.{d.code}.{d.name}") for d in diags)
    assert {e.get("severity") for _, e in errors} <= {"error", "warning", "info"}
    assert ET.fromstring(_render("checkstyle", clean)).findall("./file") == []


def test_text_colour_only_when_asked(findings):
    plain = _render("text", findings, color=False)
    colored = _render("text", findings, color=True)
    assert "\x1b[" not in plain and "\x1b[" in colored
    assert "1 suppressed inline" in plain
    for d in findings[0].diagnostics:
        assert f"{d.code} {d.name}: {default_registry().find(d.code).help_uri()}" in plain
    assert re.search(r"Found (\d+) problem", plain)[1] == str(len(findings[0].diagnostics))


SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"


def _real_inputs():
    """The founding seed and the first corpus dump of the fast formats: real spans, real
    findings, in seconds (nft text and the big mangled seed take minutes today)."""
    seeds = sorted((SHARED / "seeds").glob("000_*.txt")) if (SHARED / "seeds").is_dir() else []
    picked = {}
    index = SHARED / "corpus" / "INDEX.tsv"
    if index.is_file():
        for row in index.read_text().splitlines()[1:]:
            path, fmt = row.split("\t")[:2]
            if fmt in ("iptables-save", "nft-json"):
                picked.setdefault(fmt, SHARED / "corpus" / path)
    return [*seeds, *picked.values()]


@pytest.mark.parametrize("path", _real_inputs() or [None], ids=lambda p: p.name if p else "none")
def test_sarif_of_real_inputs_validates(path):
    if path is None or not SARIF_SCHEMA.is_file():
        pytest.skip("shared seeds/corpus or SARIF schema not found next to the repository")
    jsonschema = pytest.importorskip("jsonschema")
    from nflint.api import check_paths
    reports = check_paths([str(path)])
    doc = json.loads(_render("sarif", reports))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    assert len(doc["runs"][0]["results"]) == sum(len(r.diagnostics) + len(r.suppressed)
                                                 for r in reports)


def test_github_pseudo_sources_get_no_file_property():
    from nflint.diagnostics import Diagnostic, Severity
    from nflint.span import Span
    d = Diagnostic("NF004", "broken-plugin", Severity.WARNING, "plugin x failed",
                   Span("<plugin x>"))
    [line] = _render("github", [HostReport("h", Host(), [d])]).splitlines()
    assert line == "::warning title=NF004 broken-plugin::<plugin x>: plugin x failed"
