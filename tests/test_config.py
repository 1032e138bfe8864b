"""Configuration: discovery upward, precedence, every key's effect, and errors that name the key."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from ci_model import SHADOWED, report
from nflint import config
from nflint.api import Selection
from nflint.cli import main
from nflint.cli import check as check_cmd
from nflint.registry import default as default_registry

REG = default_registry()


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_found_upward_from_the_input(tmp_path):
    cfg = _write(tmp_path / ".nflint.toml", 'ignore = ["NF202"]\n')
    deep = _write(tmp_path / "a" / "b" / "fw.rules", SHADOWED)
    assert config.find(deep) == cfg
    assert config.discover(deep, REG).ignore == ("NF202",)


def test_pyproject_counts_only_with_a_tool_table(tmp_path):
    _write(tmp_path / ".nflint.toml", 'select = ["NF201"]\n')
    _write(tmp_path / "repo" / "pyproject.toml", "[project]\nname = 'x'\n")
    dump = _write(tmp_path / "repo" / "fw.rules", SHADOWED)
    assert config.find(dump) == tmp_path / ".nflint.toml"
    _write(tmp_path / "repo" / "pyproject.toml", "[tool.nflint]\nselect = ['NF202']\n")
    assert config.discover(dump, REG).select == ("NF202",)


def test_dot_file_wins_over_pyproject_in_the_same_directory(tmp_path):
    _write(tmp_path / "pyproject.toml", "[tool.nflint]\nselect = ['NF202']\n")
    _write(tmp_path / ".nflint.toml", "select = ['NF201']\n")
    assert config.discover(tmp_path, REG).select == ("NF201",)


def test_no_config_anywhere_is_the_default(tmp_path):
    if any((d / n).exists() for d in (tmp_path, *tmp_path.parents) for n in config.FILENAMES):
        pytest.skip("a config file exists above the temporary directory")
    assert config.discover(tmp_path / "x.rules", REG) == config.Config()
    assert config.Config().selection() == Selection()


@pytest.mark.parametrize("text, names", [
    ("selec = ['NF201']\n", "selec"),
    ("[severity]\nNF999 = 'error'\n", "severity.NF999"),
    ("[severity]\nNF202 = 'fatal'\n", "severity.NF202"),
    ("fail-on = 'sometimes'\n", "fail-on"),
    ("select = ['not-a-rule']\n", "select"),
    ("[rules.unreachable-rule]\ncolour = 1\n", "rules.unreachable-rule.colour"),
    ("[rules.no-such-rule]\n", "rules.no-such-rule"),
    ("[per-file-ignores]\n'*.rules' = ['bogus-name']\n", 'per-file-ignores."*.rules"'),
    ("select = [\n", "invalid TOML"),
])
def test_errors_name_the_key(tmp_path, text, names):
    p = _write(tmp_path / ".nflint.toml", text)
    with pytest.raises(config.ConfigError) as exc:
        config.load(p, REG)
    assert names in str(exc.value) and str(p) in str(exc.value)


def test_errors_in_pyproject_carry_the_tool_prefix(tmp_path):
    p = _write(tmp_path / "pyproject.toml", "[tool.nflint]\nignored = ['NF202']\n")
    with pytest.raises(config.ConfigError, match=r"tool\.nflint\.ignored"):
        config.load(p, REG)


def test_cli_config_error_is_exit_2_with_a_clear_message(tmp_path, monkeypatch):
    _write(tmp_path / ".nflint.toml", "fail_on = 'error'\n")
    dump = _write(tmp_path / "fw.rules", SHADOWED)
    monkeypatch.setattr(check_cmd, "check_paths", lambda *a, **k: pytest.fail("must not run"))
    result = CliRunner().invoke(main, ["check", str(dump)])
    assert result.exit_code == 2
    assert "fail_on" in result.output and "unknown key" in result.output
    assert "Traceback" not in result.output


def test_select_ignore_severity_and_per_file_ignores_take_effect(tmp_path):
    base = {d.code for d in report().diagnostics}
    assert {"NF201", "NF202"} <= base
    cfg = config.load(_write(tmp_path / ".nflint.toml",
                             "ignore = ['unreachable-rule']\n[severity]\nNF201 = 'info'\n"), REG)
    r = report(selection=cfg.selection())
    assert "NF202" not in {d.code for d in r.diagnostics}
    assert {str(d.severity) for d in r.diagnostics if d.code == "NF201"} == {"info"}
    cfg = config.load(_write(tmp_path / ".nflint.toml",
                             "[per-file-ignores]\n'fw.rules' = ['NF201']\n"), REG)
    r = report(selection=cfg.selection())
    assert {d.code for d in r.diagnostics} == base - {"NF201"}
    r = report(source="other.rules", selection=cfg.selection())
    assert "NF201" in {d.code for d in r.diagnostics}


def test_command_line_select_replaces_and_ignore_adds(tmp_path):
    cfg = config.load(_write(tmp_path / ".nflint.toml",
                             "select = ['NF2']\nignore = ['NF201']\n"), REG)
    sel = cfg.selection(select=("NF202",), ignore=("NF203",))
    assert sel.select == ("NF202",) and sel.ignore == ("NF201", "NF203")
    assert cfg.selection().select == ("NF2",)


def test_fail_on_and_min_severity_from_config(tmp_path, monkeypatch):
    from nflint.api import HostReport
    from nflint.diagnostics import Diagnostic, Severity
    from nflint.host import Host
    from nflint.span import Span
    _write(tmp_path / ".nflint.toml", "fail-on = 'error'\nmin-severity = 'error'\n")
    dump = _write(tmp_path / "fw.rules", SHADOWED)
    warn = Diagnostic("NF202", "unreachable-rule", Severity.WARNING, "w", Span(str(dump), 3, 1))
    monkeypatch.setattr(check_cmd, "check_paths", lambda *a, **k: [HostReport("h", Host(), [warn])])
    result = CliRunner().invoke(main, ["check", "-f", "concise", str(dump)])
    assert result.exit_code == 0 and result.stdout == ""
    result = CliRunner().invoke(main, ["check", "-f", "concise", "--fail-on", "warning",
                                       "--min-severity", "info", str(dump)])
    assert result.exit_code == 1 and "unreachable-rule" in result.stdout
    result = CliRunner().invoke(main, ["check", "--isolated", "-f", "concise", str(dump)])
    assert result.exit_code == 1


def test_rule_options_reach_the_rule(tmp_path, monkeypatch):
    from nflint.lintrule import LintRule
    seen = {}

    class Probe(LintRule):
        """Probe.

        What it does:
        Why it matters:
        Example:
        Fix:
        References:
        """
        code, name, options = "NF990", "probe-rule", {"limit": 3}

        def check(self, host):
            seen.update(self.settings)
            return ()

    from nflint.registry import Registry
    reg = Registry()
    reg.add(Probe, "test")
    cfg = config.load(_write(tmp_path / ".nflint.toml", "[rules.probe-rule]\nlimit = 7\n"), reg)
    report(selection=cfg.selection(), registry=reg)
    assert seen == {"limit": 7}
    with pytest.raises(config.ConfigError, match="expected int"):
        config.load(_write(tmp_path / ".nflint.toml", "[rules.NF990]\nlimit = 'x'\n"), reg)
