"""Every rule proves itself on fixtures: tests/rules/<code>-<name>/ holds `bad*` inputs (files or
directories, one host each) that must trigger the rule exactly where marked, and `good*` inputs
that must not trigger it.

Markers: a line `# expect: NF101` (any comment syntax the format accepts: `#` for dumps, pastes
and nft text) says the finding lands on the next line that is not a marker. JSON inputs, which
have no comments, use a sidecar `<name>.expect` with lines `NF101 <line>`. A bad input without
markers must produce at least one finding of the rule, anywhere.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nflint import api

FIXTURES = Path(__file__).parent / "rules"
MARKER = re.compile(r"#\s*expect:\s*((?:NF\d{3}[ ,]*)+)")


def _cases():
    for d in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        code = d.name.split("-", 1)[0]
        for entry in sorted(d.iterdir()):
            if entry.suffix == ".expect" or entry.name.startswith((".", "README")):
                continue
            kind = "bad" if entry.name.startswith("bad") else "good" if entry.name.startswith(
                "good") else None
            if kind:
                yield pytest.param(code, kind, entry, id=f"{d.name}/{entry.name}")


def _expected(path: Path, code: str) -> set[tuple[str, int]]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    found = set()
    for f in files:
        if not f.is_file() or f.suffix == ".expect":
            continue
        sidecar = f.with_name(f.name + ".expect")
        if sidecar.exists():
            for line in sidecar.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == code:
                    found.add((str(f), int(parts[1])))
            continue
        pending = False
        for no, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            m = MARKER.search(line)
            if m:
                pending = pending or code in m.group(1)
                continue
            if pending:
                found.add((str(f), no))
                pending = False
    return found


@pytest.mark.parametrize("code,kind,path", list(_cases()))
def test_rule_fixture(code, kind, path):
    reports = api.check_paths([str(path)])
    hits = [d for r in reports for d in r.diagnostics if d.code == code]
    crashes = [d.message for r in reports for d in r.diagnostics if d.code in ("NF004", "NF005")]
    assert not crashes, crashes
    if kind == "good":
        assert not hits, [f"{d.span}: {d.message}" for d in hits]
        return
    assert hits, f"{code} did not fire on {path}"
    expected = _expected(path, code)
    if expected:
        got = {(d.span.source, d.span.line) for d in hits}
        assert got == expected, f"{code}: expected at {sorted(expected)}, got {sorted(got)}"


def test_every_rule_has_fixtures():
    from nflint.registry import default
    have = {d.name.split("-", 1)[0] for d in FIXTURES.iterdir() if d.is_dir()}
    # NF004/NF005/NF008 are failures of nflint itself; everything else has fixtures.
    exempt = {"NF004", "NF005", "NF008"}
    missing = sorted(set(default().rules) - have - exempt)
    assert not missing, f"rules without fixtures in tests/rules/: {missing}"
