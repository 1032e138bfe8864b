"""The ```console examples in docs/*.md are run, so the documentation cannot drift from nflint.

Each block runs in one bash process (so `echo $?` sees the previous command) inside a fresh copy
of tests/data/ci. Lines starting with `$ ` are commands; the lines up to the next command are
its expected output (stdout and stderr together). In expected output, `...` inside a line
matches any text and a line that is only `...` matches any number of lines.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATA = Path(__file__).parent / "data" / "ci"
BLOCK_RE = re.compile(r"^```console\n(.*?)^```", re.M | re.S)
MARK = "@@nflint-docs-example@@"


def _blocks():
    for md in sorted(DOCS.glob("*.md")):
        text = md.read_text()
        for m in BLOCK_RE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(md, m.group(1), id=f"{md.name}:{line}")


def _parse(block: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        else:
            raise AssertionError(f"output before the first command: {line!r}")
    return steps


def _pattern(expected: list[str]) -> re.Pattern:
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in line.split("...")) + r"\n")
    return re.compile("".join(parts))


def test_docs_have_examples():
    assert len(list(_blocks())) >= 5


@pytest.mark.parametrize("md, block", list(_blocks()))
def test_console_example(md, block, tmp_path):
    work = tmp_path / "ci"
    shutil.copytree(DATA, work)
    steps = _parse(block)
    script = ["exec 2>&1", "export COLUMNS=200 NO_COLOR=1"]
    installed = Path(sys.executable).parent / "nflint"
    if installed.is_file():  # the console script, so usage messages say `nflint`
        script.append(f"export PATH={shlex.quote(str(installed.parent))}:\"$PATH\"")
    else:
        script.append(f"nflint() {{ {shlex.quote(sys.executable)} -m nflint \"$@\"; }}")
    for i, (cmd, _) in enumerate(steps):
        # the marker must not hide the previous command's status from `echo $?`
        script.append(f"__status=$?; echo {MARK}{i}; (exit $__status)")
        script.append(cmd)
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, capture_output=True,
                          text=True, timeout=120)
    chunks = re.split(rf"^{MARK}\d+\n", proc.stdout, flags=re.M)[1:]
    assert len(chunks) == len(steps), proc.stdout
    for (cmd, expected), actual in zip(steps, chunks):
        assert _pattern(expected).fullmatch(actual), (
            f"{md.name}: `{cmd}`\n--- expected\n" + "\n".join(expected)
            + f"\n--- actual\n{actual}")


def test_pre_commit_hook_runs_on_many_paths():
    yaml = pytest.importorskip("yaml")
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    assert all(files.search(n) for n in ("a.rules", "x/b.nft", "c.iptables"))
    assert not files.search("README.md")
    argv = shlex.split(hook["entry"]) + hook.get("args", [])
    assert argv[:2] == ["nflint", "check"]
    targets = [str(DATA / n) for n in ("clean.rules", "shadowed.rules", "broken.rules")]
    cmd = [sys.executable, "-m", "nflint", *argv[1:]]
    proc = subprocess.run(cmd + targets, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    reported = {line.split(":", 1)[0] for line in proc.stdout.splitlines()}
    assert reported == {targets[1], targets[2]}
    proc = subprocess.run(cmd + targets[:1], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == ""
