"""Rules load through entry points; broken plugins and crashing rules become diagnostics."""
from importlib.metadata import EntryPoint

import pytest

from nflint import api, registry
from nflint.diagnostics import Severity
from nflint.host import Host
from nflint.lintrule import LintRule, RuleDefinitionError


def test_builtin_rules_come_from_entry_points():
    reg = registry.load()
    assert not reg.problems, [p.message for p in reg.problems]
    assert {"NF002", "NF201", "NF202"} <= set(reg.rules)
    for cls in reg.rules.values():
        assert cls.summary(), cls
        assert reg.find(cls.name) is cls and reg.find(cls.code.lower()) is cls


def test_broken_plugin_is_reported_not_fatal(monkeypatch):
    good = EntryPoint("NF201", "nflint.rules.structure:UndefinedJumpTarget", registry.GROUP)
    missing = EntryPoint("NF999", "nflint_no_such_module:Rule", registry.GROUP)
    not_a_rule = EntryPoint("NF998", "os.path:join", registry.GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [good, missing, not_a_rule])
    reg = registry.load()
    assert set(reg.rules) == {"NF201"}
    assert [p.code for p in reg.problems] == ["NF004", "NF004"]
    assert "nflint_no_such_module" in reg.problems[0].message


def test_rule_contract_is_enforced_at_definition():
    with pytest.raises(RuleDefinitionError, match="kebab"):
        class BadName(LintRule):  # noqa: F841
            """x\n\nWhat it does:\nWhy it matters:\nExample:\nFix:\nReferences:\n"""
            code, name = "NF900", "Bad_Name"
    with pytest.raises(RuleDefinitionError, match="References"):
        class NoRefs(LintRule):  # noqa: F841
            """x\n\nWhat it does:\nWhy it matters:\nExample:\nFix:\n"""
            code, name = "NF901", "no-refs"


def test_crashing_rule_is_reported_and_others_still_run():
    class Boom(LintRule):
        """Always crashes.\n\nWhat it does:\nWhy it matters:\nExample:\nFix:\nReferences:\n"""
        code, name, severity = "NF990", "boom", Severity.ERROR

        def check(self, host):
            raise RuntimeError("kaput")
            yield  # pragma: no cover

    reg = registry.Registry()
    reg.add(Boom, "test")
    reg.add(registry.load().rules["NF201"], "test")
    diags = api.run_rules(Host(), registry=reg)
    assert [d.code for d in diags] == ["NF005"]
    assert "kaput" in diags[0].message


def test_selection_by_code_prefix_and_name():
    reg = registry.load()
    sel = api.Selection(select=("NF2",), ignore=("unreachable-rule",))
    enabled = {c.code for c in reg.sorted() if sel.enabled(c)}
    assert "NF201" in enabled and "NF202" not in enabled
    assert all(code.startswith("NF2") for code in enabled)


@pytest.mark.parametrize("typo, meant", [("isolation-drp", "isolation-drop"),
                                         ("unreachable-rules", "unreachable-rule"),
                                         ("NF1O1", "NF101"), ("nf1o4", "NF104")])
def test_a_mistyped_rule_gets_a_did_you_mean_everywhere_rules_are_named(typo, meant, tmp_path):
    from click.testing import CliRunner
    from nflint import config
    from nflint.cli import main
    from nflint.registry import default
    assert default().closest(typo) == meant
    assert default().closest("completely-unrelated-words") is None
    explained = CliRunner().invoke(main, ["explain", typo])
    assert explained.exit_code == 2 and f"did you mean {meant}?" in explained.output
    dump = tmp_path / "fw.rules"
    dump.write_text("*filter\nCOMMIT\n")
    selected = CliRunner().invoke(main, ["check", "--isolated", "--select", typo, str(dump)])
    assert selected.exit_code == 2 and f"did you mean {meant}?" in selected.output
    (tmp_path / ".nflint.toml").write_text(f'[severity]\n"{typo}" = "error"\n')
    with pytest.raises(config.ConfigError, match=f"did you mean {meant}"):
        config.discover(str(dump), default())
