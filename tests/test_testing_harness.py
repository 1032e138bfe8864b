"""nflint.testing, the fixture harness plugin authors use, fails where a rule misbehaves."""
from __future__ import annotations

from nflint.testing import expected_findings, fixture_cases, fixture_problems

SHADOW = ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -j ACCEPT\n{marker}"
          "-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n")


def test_marked_bad_input_passes_and_misplaced_or_missing_findings_fail(tmp_path):
    rule_dir = tmp_path / "NF202-unreachable-rule"
    rule_dir.mkdir()
    (rule_dir / "bad.rules").write_text(SHADOW.format(marker="# expect: NF202\n"))
    (rule_dir / "bad-wrong-line.rules").write_text(
        "# expect: NF202\n" + SHADOW.format(marker=""))
    (rule_dir / "good-but-is-not.rules").write_text(SHADOW.format(marker=""))
    (rule_dir / "bad-but-clean.rules").write_text("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")
    cases = {p.name: (code, kind, p) for code, kind, p in fixture_cases(tmp_path)}
    assert {c[:2] for c in cases.values()} == {("NF202", "bad"), ("NF202", "good")}
    assert expected_findings(cases["bad.rules"][2], "NF202") == {
        (str(cases["bad.rules"][2]), 5)}
    assert fixture_problems(*cases["bad.rules"]) == []
    assert "expected at" in fixture_problems(*cases["bad-wrong-line.rules"])[0]
    assert fixture_problems(*cases["good-but-is-not.rules"])
    assert "did not fire" in fixture_problems(*cases["bad-but-clean.rules"])[0]
