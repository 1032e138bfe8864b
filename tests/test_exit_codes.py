"""Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/input errors; --min-severity
filters the display only. Every combination of fail-on x min-severity x finding severities."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from nflint.api import HostReport
from nflint.cli import main
from nflint.cli import check as check_cmd
from nflint.diagnostics import Diagnostic, Severity
from nflint.host import Host
from nflint.span import Span

RANK = {"info": 1, "warning": 2, "error": 3, "never": 99}
SEVERITY_SETS = [(), ("info",), ("warning",), ("error",), ("info", "warning"),
                 ("info", "error"), ("warning", "error"), ("info", "warning", "error")]


def _diag(sev: str, line: int) -> Diagnostic:
    return Diagnostic(code="NF202", name="unreachable-rule", severity=Severity.parse(sev),
                      message=f"a {sev} finding", span=Span("fw.rules", line, 1), key=(sev,))


@pytest.fixture
def dump(tmp_path):
    p = tmp_path / "fw.rules"
    p.write_text("*filter\nCOMMIT\n")
    return p


def _fake_check_paths(severities):
    def fake(paths, **kwargs):
        diags = [_diag(s, i) for i, s in enumerate(severities, 1)]
        return [HostReport("h", Host(), diags)]
    return fake


@pytest.mark.parametrize("severities", SEVERITY_SETS, ids=lambda s: "+".join(s) or "none")
@pytest.mark.parametrize("min_severity", ["info", "warning", "error"])
@pytest.mark.parametrize("fail_on", ["info", "warning", "error", "never"])
def test_exit_code_matrix(fail_on, min_severity, severities, dump, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(severities))
    result = CliRunner().invoke(main, ["check", "--isolated", "-f", "concise",
                                       "--fail-on", fail_on, "--min-severity", min_severity,
                                       str(dump)])
    expected = 1 if any(RANK[s] >= RANK[fail_on] for s in severities) else 0
    assert result.exit_code == expected, result.output
    shown = [s for s in severities if RANK[s] >= RANK[min_severity]]
    lines = result.stdout.splitlines()
    assert len(lines) == len(shown)
    assert [line.split(": ")[1] for line in lines] == shown


def test_default_fail_on_is_warning(dump, monkeypatch):
    for sev, expected in (("info", 0), ("warning", 1), ("error", 1)):
        monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths((sev,)))
        result = CliRunner().invoke(main, ["check", "--isolated", "-f", "concise", str(dump)])
        assert result.exit_code == expected, (sev, result.output)


@pytest.mark.parametrize("args, message", [
    (["check", "--isolated", "does-not-exist.rules"], "does not exist"),
    (["check", "--isolated"], "give at least one PATH"),
    (["check", "--isolated", "--fail-on", "sometimes", "{dump}"], "sometimes"),
    (["check", "--isolated", "-f", "xml", "{dump}"], "unknown format 'xml'"),
    (["check", "--isolated", "-f", "json", "-f", "text", "{dump}"], "only one --format"),
    (["check", "--isolated", "--baseline", "missing-baseline.json", "{dump}"],
     "cannot read baseline"),
])
def test_usage_and_input_errors_exit_2_without_traceback(args, message, dump, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(("error",)))
    argv = [a.replace("{dump}", str(dump)) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unreadable_input_is_exit_2(dump, monkeypatch):
    def broken(paths, **kwargs):
        raise PermissionError(13, "Permission denied", str(dump))
    monkeypatch.setattr(check_cmd, "check_paths", broken)
    result = CliRunner().invoke(main, ["check", "--isolated", str(dump)])
    assert result.exit_code == 2 and "cannot read input" in result.output


def test_several_formats_in_one_run(dump, tmp_path, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(("warning", "error")))
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    result = CliRunner().invoke(main, ["check", "--isolated", "-f", "concise",
                                       "-f", f"sarif={sarif}", "-f", f"junit={junit}", str(dump)])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2
    assert sarif.read_text().lstrip().startswith("{") and "<testsuites" in junit.read_text()
    assert "\x1b[" not in sarif.read_text()


@pytest.mark.parametrize("flag, env, expect_color", [
    ("always", {}, True), ("never", {}, False), ("auto", {}, False),
    ("always", {"NO_COLOR": "1"}, True), ("auto", {"NO_COLOR": "1"}, False),
])
def test_color_flag_and_no_color(flag, env, expect_color, dump, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(("error",)))
    result = CliRunner(env=env).invoke(main, ["check", "--isolated", "--color", flag, str(dump)])
    assert ("\x1b[" in result.stdout) == expect_color


def test_use_color_auto_follows_tty_and_no_color(monkeypatch):
    class Tty:
        def isatty(self):
            return True
    monkeypatch.setattr(check_cmd.sys, "stdout", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert check_cmd.use_color("auto") is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert check_cmd.use_color("auto") is False


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_unknown_rule_on_the_command_line_is_exit_2(flag, dump, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(()))
    result = CliRunner().invoke(main, ["check", "--isolated", flag, "NF202,unreachable-rules",
                                       str(dump)])
    assert result.exit_code == 2 and "'unreachable-rules'" in result.output
    ok = CliRunner().invoke(main, ["check", "--isolated", flag, "NF2,unreachable-rule", str(dump)])
    assert ok.exit_code == 0, ok.output


def test_shell_completion_offers_format_names():
    import os
    import subprocess
    import sys
    env = {**os.environ, "_NFLINT_COMPLETE": "bash_complete", "COMP_WORDS": "nflint check -f s",
           "COMP_CWORD": "3"}
    proc = subprocess.run([sys.executable, "-c", "from nflint.cli import main; main(prog_name='nflint')"],
                          env=env, capture_output=True, text=True, timeout=60)
    offered = {line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line}
    from nflint import formatters
    assert offered == {n for n in formatters.available() if n.startswith("s")}


def test_text_says_when_findings_are_hidden_by_min_severity(dump, monkeypatch):
    monkeypatch.setattr(check_cmd, "check_paths", _fake_check_paths(("warning", "info")))
    result = CliRunner().invoke(main, ["check", "--isolated", "--min-severity", "error",
                                       str(dump)])
    assert result.exit_code == 1
    assert "No problems found" not in result.stdout
    assert "2 below --min-severity not shown" in result.stdout


@pytest.mark.parametrize("extra", [[], ["-f", "json"], ["--write-baseline", "{tmp}/b.json"]])
def test_the_program_ends_with_its_output_written_and_its_exit_code(extra, tmp_path):
    """`python -m nflint` ends the process without freeing the model (cli.entry): everything
    it printed must still arrive, with the same exit code the in-process runner gives."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "examples" / "seed000"
    args = ["check", "--isolated", *[a.format(tmp=tmp_path) for a in extra], str(example)]
    proc = subprocess.run([sys.executable, "-m", "nflint", *args], capture_output=True,
                          text=True, timeout=120)
    inproc = CliRunner().invoke(main, args)
    assert proc.returncode == inproc.exit_code == (0 if "--write-baseline" in extra else 1)
    assert proc.stdout == inproc.stdout
    if extra[:2] == ["-f", "json"]:
        assert json.loads(proc.stdout)["hosts"]
    if "--write-baseline" in extra:
        assert json.loads((tmp_path / "b.json").read_text())


@pytest.mark.parametrize("command", [["check", "--isolated", "-f", "json"], ["parse"]])
def test_input_type_reads_the_whole_input_as_that_format(command, tmp_path):
    """Detected, a line of prose above the dump is skipped; with --input-type iptables-save the
    whole file is that format, so the same line is a syntax error in it."""
    import json
    dump = tmp_path / "paste.txt"
    dump.write_text("here is my firewall\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")

    def problems(*extra):
        result = CliRunner().invoke(main, [*command, *extra, str(dump)])
        assert result.exit_code in (0, 1), result.output
        doc = json.loads(result.stdout)
        return [(p["code"], p["location"]["line"]) for h in doc["hosts"]
                for p in h.get("diagnostics", h.get("problems", []))]
    assert ("NF001", 1) not in problems()
    assert ("NF001", 1) in problems("--input-type", "iptables-save")
