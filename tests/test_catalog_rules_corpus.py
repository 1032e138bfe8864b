"""The catalog rules NF106-NF109, NF203-NF205, NF401-NF402 over real dumps: Docker's own golden
rulesets (one backend, one filter table, no sysctls) must not trip the rules that need a second
backend, a second base chain, a sysctl or a bridge; NF108 must find what Docker really lacks (no
ct state invalid drop) and cite the rule that lets the packet through."""
from __future__ import annotations

from pathlib import Path

import pytest

from nflint import api

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
GOLDEN = CORPUS / "moby-golden"
QUIET = {"NF106", "NF107", "NF109", "NF203", "NF204", "NF205", "NF401", "NF402"}
SELECT = api.Selection(select=tuple(sorted(QUIET | {"NF108"})))


def _goldens(sub: str, limit: int = 40) -> list[Path]:
    d = GOLDEN / sub
    if not d.is_dir():
        pytest.skip(f"corpus not present at {d}")
    return sorted(d.glob("*.golden"))[:limit]


@pytest.mark.parametrize("sub", ["iptabler", "nftabler"])
def test_docker_goldens_trip_only_the_invalid_rule(sub):
    found = {}
    for path in _goldens(sub):
        for report in api.check_paths([str(path)], selection=SELECT):
            for d in report.diagnostics:
                assert d.code not in ("NF004", "NF005"), d.message
                found.setdefault(d.code, []).append(d)
    assert not (set(found) & QUIET), {c: found[c][0].message for c in set(found) & QUIET}
    invalid = found.get("NF108", [])
    assert invalid, "Docker's rulesets have no INVALID drop: NF108 should say so"
    for d in invalid:
        assert d.related and "NAT" in d.related[0].message
        assert "nf_conntrack_tcp_be_liberal" in d.message and "assumed" in d.message


def test_liberal_conntrack_silences_invalid_rule(tmp_path):
    def invalid_findings(path):
        return [d for r in api.check_paths([str(path)], selection=SELECT)
                for d in r.diagnostics if d.code == "NF108"]

    golden = next((g for g in _goldens("iptabler") if invalid_findings(g)), None)
    assert golden is not None, "no golden ruleset trips NF108"
    (tmp_path / "rules.txt").write_text(golden.read_text())
    assert invalid_findings(tmp_path)
    (tmp_path / "sysctl.conf").write_text("net.netfilter.nf_conntrack_tcp_be_liberal = 1\n")
    assert not invalid_findings(tmp_path)
