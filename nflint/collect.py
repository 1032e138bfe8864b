"""Collect a live host's netfilter and network state into one bundle `nflint check` reads back.

The bundle is what a careful user would paste into a support thread: each command's output
after a root prompt line (`# iptables-nft-save`), so the section splitter recognises every part
by its command. Only read-only commands run. A missing tool, a failing command or missing
permissions become `# nflint-collect:` note lines in the bundle, never an error: a partial
picture is still worth checking, and the notes say what is missing.
"""
from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from typing import Callable

from . import __version__

TIMEOUT = 20  # seconds per command; a hung daemon (docker) must not hang the collection
NOTE = "# nflint-collect:"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[list[str]], Result]
Which = Callable[[str], "str | None"]


def run_command(argv: list[str]) -> Result:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                              errors="replace", stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Result(124, "", f"timed out after {TIMEOUT}s")
    except OSError as exc:
        return Result(126, "", str(exc))
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _iptables_commands(which: Which) -> list[list[str]]:
    """Both backends of both families where present; the unsuffixed tool on older systems."""
    out = []
    for fam in ("iptables", "ip6tables"):
        variants = [f"{fam}-{backend}-save" for backend in ("nft", "legacy")
                    if which(f"{fam}-{backend}-save")]
        out.extend([v] for v in (variants or [f"{fam}-save"]))
    return out


def _net_sysctls(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if line.startswith("net."))


class Bundle:
    """Accumulates prompt + output parts and notes, in command order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def note(self, text: str) -> None:
        self.parts.append(f"{NOTE} {text}\n")

    def section(self, prompt: str, output: str) -> None:
        if output and not output.endswith("\n"):
            output += "\n"
        self.parts.append(f"# {prompt}\n{output}")

    def text(self) -> str:
        return "".join(self.parts)


def _failure(argv: list[str], res: Result) -> str:
    why = (res.stderr.strip().splitlines() or [f"exit status {res.returncode}"])[0]
    if res.returncode != 0 and os.geteuid() != 0 and "denied" in why.lower():
        why += " (run as root)"
    return f"`{' '.join(argv)}` failed: {why}"


def _output(b: Bundle, run: Runner, which: Which, argv: list[str]) -> str | None:
    """A command's output, or None with a note in the bundle saying why it is missing (a
    missing tool or a failure must not end the collection)."""
    if which(argv[0]) is None:
        shown = f" `{' '.join(argv)}`" if len(argv) > 1 else ""  # a bare tool names itself
        b.note(f"{argv[0]} not found; skipped{shown}")
        return None
    res = run(argv)
    if res.returncode != 0:
        b.note(_failure(argv, res))
        return None
    return res.stdout


def collect_bundle(run: Runner = run_command, which: Which = shutil.which) -> str:
    b = Bundle()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    b.note(f"nflint {__version__} on {socket.gethostname()} at {now}, uid {os.geteuid()}")

    def simple(argv: list[str], prompt: str | None = None,
               transform: Callable[[str], str] = lambda s: s) -> None:
        out = _output(b, run, which, argv)
        if out is not None:
            b.section(prompt or " ".join(argv), transform(out))

    for argv in _iptables_commands(which):
        out = _output(b, run, which, argv)
        if out is None:
            continue
        if not any(line.startswith("*") for line in out.splitlines()):
            b.note(f"{argv[0]} printed no tables")
        else:
            b.section(argv[0], out)
    simple(["nft", "-j", "list", "ruleset"])
    simple(["sysctl", "-a"], "sysctl -a | grep '^net\\.'", _net_sysctls)
    simple(["ip", "-j", "addr"])
    simple(["ip", "-j", "-d", "link"])
    simple(["ip", "-j", "route"])
    _docker(b, run, which)
    return b.text()


def _docker(b: Bundle, run: Runner, which: Which) -> None:
    if which("docker") is None:
        b.note("docker not found; no docker networks collected")
        return
    listed = run(["docker", "network", "ls", "--format", "{{.Name}}"])
    if listed.returncode != 0:
        b.note(_failure(["docker", "network", "ls"], listed))
        return
    names = [n for n in listed.stdout.split() if n]
    if not names:
        b.note("docker lists no networks")
        return
    argv = ["docker", "network", "inspect", *names]
    res = run(argv)
    if res.returncode != 0:
        b.note(_failure(argv, res))
        return
    b.section(" ".join(argv), res.stdout)


def live_source_name() -> str:
    return f"live:{socket.gethostname()}"
