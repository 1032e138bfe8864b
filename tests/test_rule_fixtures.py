"""Every rule proves itself on fixtures in tests/rules/<code>-<name>/, with the harness plugin
authors get too (nflint/testing.py says how fixtures and their `# expect:` markers work)."""
from __future__ import annotations

from pathlib import Path

import pytest

from nflint.testing import fixture_cases, fixture_problems

FIXTURES = Path(__file__).parent / "rules"


@pytest.mark.parametrize("code,kind,path", [
    pytest.param(*case, id=f"{case[2].parent.name}/{case[2].name}")
    for case in fixture_cases(FIXTURES)])
def test_rule_fixture(code, kind, path):
    problems = fixture_problems(code, kind, path)
    assert not problems, problems


def test_every_rule_has_fixtures():
    from nflint.registry import default
    have = {d.name.split("-", 1)[0] for d in FIXTURES.iterdir() if d.is_dir()}
    # NF004/NF005/NF008 are failures of nflint itself; everything else has fixtures.
    exempt = {"NF004", "NF005", "NF008"}
    missing = sorted(set(default().rules) - have - exempt)
    assert not missing, f"rules without fixtures in tests/rules/: {missing}"
