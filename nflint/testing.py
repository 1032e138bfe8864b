"""Fixture checks for rule authors: the harness nflint's own rules are tested with.

A rule's fixture directory (`tests/rules/NF101-bridge-dnat-leak/` here; any directory in a
plugin) holds `bad*` inputs that must trigger the rule exactly where marked and `good*` inputs
that must not trigger it; an input is a file or a directory (one host). A line `# expect: NF101`
says the finding lands on the next line that is not a marker; JSON inputs, which have no
comments, use a sidecar `<name>.expect` with lines `NF101 <line>`. A bad input without markers
must produce at least one finding of the rule, anywhere.

    from nflint.testing import fixture_cases, fixture_problems

    @pytest.mark.parametrize("code,kind,path", fixture_cases(Path("tests/rules")))
    def test_fixture(code, kind, path):
        assert not fixture_problems(code, kind, path)
"""
from __future__ import annotations

import re
from pathlib import Path

from . import api

MARKER = re.compile(r"#\s*expect:\s*((?:NF\d{3}[ ,]*)+)")


def fixture_cases(root: Path) -> list[tuple[str, str, Path]]:
    """(code, "bad"|"good", input) for every fixture under `root`/<CODE>-<name>/."""
    cases = []
    for d in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        code = d.name.split("-", 1)[0]
        for entry in sorted(d.iterdir()):
            if entry.suffix == ".expect" or entry.name.startswith((".", "README")):
                continue
            for kind in ("bad", "good"):
                if entry.name.startswith(kind):
                    cases.append((code, kind, entry))
    return cases


def expected_findings(path: Path, code: str) -> set[tuple[str, int]]:
    """(file, line) of every marked finding of `code` in a fixture input."""
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


def fixture_problems(code: str, kind: str, path: Path) -> list[str]:
    """What is wrong with the rule on one fixture input; empty when it behaves."""
    reports = api.check_paths([str(path)])
    hits = [d for r in reports for d in r.diagnostics if d.code == code]
    crashes = [d.message for r in reports for d in r.diagnostics if d.code in ("NF004", "NF005")]
    if crashes:
        return crashes
    if kind == "good":
        return [f"{d.span}: {d.message}" for d in hits]
    if not hits:
        return [f"{code} did not fire on {path}"]
    expected = expected_findings(path, code)
    got = {(d.span.source, d.span.line) for d in hits}
    if expected and got != expected:
        return [f"{code}: expected at {sorted(expected)}, got {sorted(got)}"]
    return []
