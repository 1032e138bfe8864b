"""docs/rules.md is generated from the rules' docstrings and must be current."""
from pathlib import Path

from click.testing import CliRunner

from nflint.cli import main
from nflint.registry import default

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def test_rules_page_is_current():
    result = CliRunner().invoke(main, ["rules", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert DOCS.read_text() == result.output, (
        "docs/rules.md is stale: run `nflint rules --format markdown > docs/rules.md`")


def test_every_rule_has_an_anchor_and_the_required_sections():
    text = DOCS.read_text()
    for cls in default().sorted():
        assert f'<a id="{cls.code.lower()}"></a>' in text
        section = text.split(f"## {cls.code} {cls.name}", 1)[1].split("\n## ", 1)[0]
        for heading in ("What it does", "Why it matters", "Example", "Fix", "References"):
            assert f"### {heading}" in section, (cls.code, heading)


def test_explain_by_code_and_name():
    runner = CliRunner()
    by_code = runner.invoke(main, ["explain", "NF201"])
    by_name = runner.invoke(main, ["explain", "undefined-jump-target"])
    assert by_code.exit_code == 0 and by_code.output == by_name.output
    missing = runner.invoke(main, ["explain", "NF999"])
    assert missing.exit_code == 2
