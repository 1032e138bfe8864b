"""Paths, stdin and directories -> sections -> frontends -> one Host (or one per file).

Everything a user names on the command line describes one machine unless `--host-per-file`
says otherwise: a directory of dumps, several files, or one pasted thread all merge through the
same HostBuilder. A frontend that is missing or breaks costs only its section: the section is
listed with what happened, and the rest of the input is still read.
"""
from __future__ import annotations

import dataclasses
import sys
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Union

from . import sections as sectioning
from .diagnostics import Diagnostic, Severity
from .gcpause import BIG_INPUT, gc_paused
from .host import Contribution, Host, HostBuilder
from .sections import Section
from .span import Span


@dataclass(frozen=True)
class InputText:
    """One input already in memory: `source` names it in every span."""

    source: str
    text: str


InputLike = Union[str, Path, InputText]


@dataclass
class HostGroup:
    """One host's model with the problems met while reading it and the sections it came from."""

    label: str
    host: Host
    problems: list[Diagnostic] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def _files_under(directory: Path) -> list[Path]:
    """Regular files below a directory, sorted, skipping hidden names (.git, editor files)."""
    out = []
    for p in sorted(directory.rglob("*")):
        rel = p.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        out.append(p)
    return out


def read_inputs(items: Iterable[InputLike], *, stdin_text: str | None = None,
                stdin_name: str = "<stdin>") -> list[InputText]:
    """Expand paths ("-" is stdin, directories are walked) into texts. Unreadable paths raise
    OSError: the caller decides (the CLI exits 2)."""
    out: list[InputText] = []
    for item in items:
        if isinstance(item, InputText):
            out.append(item)
            continue
        name = str(item)
        if name == "-":
            text = stdin_text if stdin_text is not None else sys.stdin.read()
            out.append(InputText(stdin_name, text))
            continue
        path = Path(name)
        if path.is_dir():
            out.extend(InputText(str(p), p.read_text(encoding="utf-8", errors="replace"))
                       for p in _files_under(path))
        else:
            out.append(InputText(name, path.read_text(encoding="utf-8", errors="replace")))
    return out


def _frontend_failed(section: Section, fmt: str, exc: BaseException) -> Diagnostic:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return Diagnostic(
        "NF008", "frontend-crashed", Severity.WARNING,
        f"the {fmt} frontend failed on lines {section.start_line}-{section.end_line} "
        f"({type(exc).__name__}: {exc}{at}); that section is not in the model, please report "
        "this", Span(section.source, section.text_start), key=(fmt, type(exc).__name__))


def run_section(section: Section) -> None:
    """Give one section to its frontend; fills `contribution` and `problems`, never raises."""
    if section.format is None:
        return
    from . import frontends

    try:
        parse = frontends.get(section.format)
    except (KeyError, ImportError, AttributeError):
        section.note = "; ".join(x for x in ("frontend not available", section.note) if x)
        return
    try:
        contribution = parse(section.text, section.source, line_offset=section.line_offset,
                             hint=dict(section.hint) or None)
    except Exception as exc:  # a frontend bug must not hide the rest of the paste
        section.problems.append(_frontend_failed(section, section.format, exc))
        section.note = "; ".join(x for x in ("frontend failed", section.note) if x)
        return
    section.contribution = contribution
    section.problems.extend(contribution.problems)


def sections_of(inp: InputText, fmt: str | None = None) -> list[Section]:
    """Split one input and run each section's frontend."""
    found = sectioning.split(inp.text, inp.source, fmt)
    for s in found:
        run_section(s)
    return found


def _merge_excerpts(contribution: Contribution, seen: dict) -> Contribution:
    """A paste often shows one table in several excerpts (the nat PREROUTING part, later its
    POSTROUTING part). Within one input, a table seen before at the same fidelity gains the
    new excerpt's chains (a chain shown again replaces its earlier copy) instead of being
    replaced by it; HostBuilder then keeps the merged table."""
    merged = []
    for t in contribution.tables:
        key = (t.backend, t.family, t.name, contribution.fidelity)
        old = seen.get(key)
        if old is not None:
            names = {c.name for c in t.chains}
            t = dataclasses.replace(
                old, chains=tuple(c for c in old.chains if c.name not in names) + t.chains,
                sets=old.sets + tuple(x for x in t.sets if x not in old.sets),
                objects=old.objects + tuple(x for x in t.objects if x not in old.objects),
                complete=old.complete and t.complete)
        seen[key] = t
        merged.append(t)
    return dataclasses.replace(contribution, tables=merged) if merged else contribution


def _build(texts: list[InputText], fmt: str | None) -> tuple[Host, list[Diagnostic],
                                                             list[Section]]:
    big = sum(len(t.text) for t in texts) > BIG_INPUT
    with gc_paused(freeze=True) if big else nullcontext():  # the model lives for the run
        return _build_model(texts, fmt)


def _build_model(texts: list[InputText], fmt: str | None
                 ) -> tuple[Host, list[Diagnostic], list[Section]]:
    builder = HostBuilder()
    all_sections: list[Section] = []
    problems: list[Diagnostic] = []
    for inp in texts:
        builder.add_source(inp.source)
        seen: dict = {}
        for s in sections_of(inp, fmt):
            all_sections.append(s)
            if s.contribution is not None:
                builder.add(_merge_excerpts(s.contribution, seen))  # type: ignore[arg-type]
            else:
                problems.extend(s.problems)
    problems = builder.problems + problems + _nothing_read(texts, all_sections)
    return builder.build(), problems, all_sections


def _nothing_read(texts: list[InputText], sections: list[Section]) -> list[Diagnostic]:
    """NF009 when text was given but no part of it is a format nflint reads: a CI job whose
    dump step wrote an error message instead must not pass as "no problems found". (An empty
    input stays quiet: `iptables-save` prints nothing on a host without tables.)"""
    if any(s.contribution is not None or s.problems for s in sections):
        return []
    skipped = [s for s in sections if s.format is None]
    if not skipped:
        return []
    first = skipped[0]
    inp = next((t for t in texts if t.source == first.source), texts[0])
    line = inp.text.split("\n", first.start_line)[first.start_line - 1].strip()
    shown = line if len(line) <= 60 else line[:59] + "…"
    count = sum(s.end_line - s.start_line + 1 for s in skipped)
    sources = ", ".join(dict.fromkeys(s.source for s in skipped))
    return [Diagnostic(
        "NF009", "nothing-recognized", Severity.WARNING,
        f"nothing in {sources} is a format nflint reads ({count} line(s) skipped, the first: "
        f"{shown!r}), so no firewall state was checked; give iptables-save, nft list ruleset, "
        "sysctl or ip output (see `nflint check --show-sections`)",
        Span(first.source, first.start_line), key=("nothing-recognized", sources))]


def load_host(inputs: Iterable[InputLike], *, fmt: str | None = None,
              stdin_text: str | None = None, stdin_name: str = "<stdin>"
              ) -> tuple[Host, list[Diagnostic], list[Section]]:
    """All inputs as one host: (model, problems met while reading, sections)."""
    return _build(read_inputs(inputs, stdin_text=stdin_text, stdin_name=stdin_name), fmt)


def load_host_per_file(inputs: Iterable[InputLike], *, fmt: str | None = None,
                       stdin_text: str | None = None, stdin_name: str = "<stdin>"
                       ) -> list[HostGroup]:
    """Each input file as its own host (`--host-per-file`)."""
    out = []
    for inp in read_inputs(inputs, stdin_text=stdin_text, stdin_name=stdin_name):
        host, problems, secs = _build([inp], fmt)
        out.append(HostGroup(inp.source, host, problems, secs))
    return out


def load_hosts(paths: Iterable[InputLike], *, host_per_file: bool = False,
               stdin_text: str | None = None, stdin_name: str = "<stdin>",
               fmt: str | None = None) -> list[HostGroup]:
    """What the CLI calls: one HostGroup, or one per file with `host_per_file`."""
    if host_per_file:
        return load_host_per_file(paths, fmt=fmt, stdin_text=stdin_text, stdin_name=stdin_name)
    texts = read_inputs(paths, stdin_text=stdin_text, stdin_name=stdin_name)
    host, problems, secs = _build(texts, fmt)
    label = texts[0].source if len(texts) == 1 else f"host ({len(texts)} inputs)"
    return [HostGroup(label, host, problems, secs)]
