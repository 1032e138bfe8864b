"""`nflint check`: lint inputs, print findings, exit 0/1/2 for CI.

Exit codes: 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 usage, input,
configuration or baseline errors. `--min-severity` only filters what is shown: failing is
decided before it, so hiding warnings never turns a failing run green.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from .. import __version__, formatters
from ..api import HostReport, check_paths
from ..diagnostics import Severity
from ..registry import default as default_registry
from .options import input_type_option

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITY_CHOICES = click.Choice(["error", "warning", "info"], case_sensitive=False)
FAIL_ON_CHOICES = click.Choice(["error", "warning", "info", "never"], case_sensitive=False)
DEFAULT_FAIL_ON, DEFAULT_MIN_SEVERITY = "warning", "info"
HARD_EXIT = False  # set by `nflint.cli.entry`: the process may end as soon as its output is out


class InputError(Exception):
    """Something the user must fix before nflint can run: exit 2 with a one-line message."""


class FormatSpec(click.ParamType):
    """`FMT` or `FMT=PATH`; completes format names from the formatter registry."""

    name = "FMT[=PATH]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        fmt, sep, path = value.partition("=")
        known = formatters.available()
        if fmt not in known:
            self.fail(f"unknown format {fmt!r}; choose from {', '.join(sorted(known))}",
                      param, ctx)
        if sep and not path:
            self.fail(f"{value!r}: give a file name after '='", param, ctx)
        return fmt, path or None

    def shell_complete(self, ctx, param, incomplete):
        return [CompletionItem(n) for n in sorted(formatters.available()) if n.startswith(incomplete)]


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip() for v in values for p in v.split(",") if p.strip())


def read_stdin() -> str:
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def use_color(choice: str) -> bool:
    """`always`/`never` win; `auto` means a terminal on stdout and no NO_COLOR."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def exit_code(reports: list[HostReport], fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(fail_on)
    hit = any(d.severity >= threshold for r in reports for d in r.diagnostics)
    return EXIT_FINDINGS if hit else EXIT_CLEAN


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option("--format", "-f", "formats", multiple=True, type=FormatSpec(),
              help="Output format, optionally written to a file: -f sarif=nflint.sarif. "
                   "Repeat to write several formats in one run; at most one goes to stdout. "
                   "Formats: " + ", ".join(sorted(formatters.available())) + " (default: text).")
@click.option("--fail-on", type=FAIL_ON_CHOICES, default=None,
              help=f"Exit 1 when a finding at or above this severity remains "
                   f"[default: {DEFAULT_FAIL_ON}].")
@click.option("--min-severity", type=SEVERITY_CHOICES, default=None,
              help=f"Only show findings at or above this severity; does not change the exit "
                   f"code [default: {DEFAULT_MIN_SEVERITY}].")
@click.option("--select", multiple=True,
              help="Run only these rules (codes, prefixes or names; comma-separated or "
                   "repeated). Replaces the config file's select.")
@click.option("--ignore", multiple=True,
              help="Skip these rules (codes, prefixes or names). Adds to the config file's.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Use this config file instead of searching upward from the first input.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Hide findings recorded in this baseline file (content fingerprints).")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False),
              help="Record every current finding in this file, then exit 0.")
@click.option("--no-inline-suppressions", is_flag=True,
              help="Report findings even where an `nflint: ignore` comment suppresses them.")
@click.option("--live", is_flag=True,
              help="Collect this host's state (as `nflint collect` does) and check it.")
@click.option("--host-per-file", is_flag=True, help="Treat each file as its own host.")
@click.option("--show-sections", is_flag=True,
              help="List the sections found in each input, their format and contribution.")
@input_type_option
@click.option("--stdin-filename", default="<stdin>", show_default=True,
              help="Name to use for '-' (standard input) in locations.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text format; `auto` honours NO_COLOR.")
def check(paths, formats, fail_on, min_severity, select, ignore, config_path, isolated,
          baseline_path, write_baseline_path, no_inline_suppressions, live, host_per_file,
          show_sections, input_type, stdin_filename, color):
    """Lint firewall dumps (files, directories, or '-' for standard input).

    Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or input errors.
    """
    formats = list(formats) or [("text", None)]
    if sum(1 for _, path in formats if path is None) > 1:
        raise click.UsageError("only one --format may write to standard output; "
                               "give the others a file: -f FMT=PATH")
    if not paths and not live:
        raise click.UsageError("give at least one PATH ('-' for standard input) or --live")
    if live and "-" in paths:
        raise click.UsageError("--live reads the host itself; do not combine it with '-'")
    try:
        code = _run(list(paths), formats, fail_on, min_severity, select, ignore, config_path,
                    isolated, baseline_path, write_baseline_path, no_inline_suppressions, live,
                    host_per_file, show_sections, input_type, stdin_filename, color)
    except InputError as exc:
        click.echo(f"nflint: error: {exc}", err=True)
        code = EXIT_ERROR
    sys.exit(code)


def _run(paths, formats, fail_on, min_severity, select, ignore, config_path, isolated,
         baseline_path, write_baseline_path, no_inline_suppressions, live, host_per_file,
         show_sections, input_type, stdin_filename, color) -> int:
    from .. import baseline as baselines
    from .. import config as configs

    registry = default_registry()
    try:
        if isolated:
            cfg = configs.Config()
        elif config_path:
            cfg = configs.load(config_path, registry)
        else:
            start = next((p for p in paths if p != "-"), ".")
            cfg = configs.discover(start, registry)
    except configs.ConfigError as exc:
        raise InputError(f"config: {exc}") from None
    select, ignore = _split(select), _split(ignore)
    for flag, tokens in (("--select", select), ("--ignore", ignore)):
        bad = [t for t in tokens if not configs.selects_something(t, registry)]
        if bad:
            near = registry.closest(bad[0])
            raise InputError(f"{flag}: {', '.join(map(repr, bad))} is not a rule code, code "
                             f"prefix or name" + (f" (did you mean {near}?)" if near else "")
                             + " (see `nflint rules`)")
    selection = cfg.selection(select, ignore)
    selection.inline_suppressions = not no_inline_suppressions
    fail_on = (fail_on or cfg.fail_on or DEFAULT_FAIL_ON).lower()
    floor = Severity.parse(min_severity or cfg.min_severity or DEFAULT_MIN_SEVERITY)

    stdin_text = read_stdin() if "-" in paths else None
    if live:
        from ..collect import collect_bundle, live_source_name
        stdin_text, stdin_filename = collect_bundle(), live_source_name()
        paths = paths + ["-"]
    try:
        reports = check_paths(paths, host_per_file=host_per_file, selection=selection,
                              registry=registry, stdin_text=stdin_text, stdin_name=stdin_filename,
                              fmt=input_type)
    except OSError as exc:
        raise InputError(f"cannot read input: {exc}") from None

    if write_baseline_path:
        try:
            n = baselines.write(write_baseline_path, reports)
        except OSError as exc:
            raise InputError(f"cannot write baseline: {exc}") from None
        click.echo(f"nflint: wrote {n} finding(s) to {write_baseline_path}", err=True)
        return _done(EXIT_CLEAN)
    baseline_file = baseline_path or (str(cfg.baseline) if cfg.baseline else None)
    if baseline_file:
        try:
            known = baselines.load(baseline_file)
        except baselines.BaselineError as exc:
            raise InputError(str(exc)) from None
        left = len(known) - baselines.apply(reports, known)
        if left:  # ratchet: fixed findings should leave the baseline, or they may come back
            click.echo(f"nflint: {left} baseline entr{'y' if left == 1 else 'ies'} matched no "
                       f"finding (fixed?); re-write it with --write-baseline {baseline_file}",
                       err=True)

    code = exit_code(reports, fail_on)  # before display filtering, by design
    for r in reports:
        shown = [d for d in r.diagnostics if d.severity >= floor]
        r.below_min_severity = len(r.diagnostics) - len(shown)
        r.diagnostics = shown
        r.suppressed = [s for s in r.suppressed if s.diagnostic.severity >= floor]
    if show_sections:
        for r in reports:
            for s in r.sections:
                click.echo(str(s), err=True)
    _emit(reports, formats, registry, color)
    return _done(code)


def _done(code: int) -> int:
    """Ends the process here when allowed, while `reports` still holds the model, so that
    exiting does not free a million objects one by one."""
    if HARD_EXIT:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    return code


def _emit(reports, formats, registry, color: str) -> None:
    for fmt, path in formats:
        colored = path is None and use_color(color)
        text = formatters.get(fmt).render(reports, formatters.RenderContext(
            registry, colored, __version__))
        if path is None:
            click.echo(text, nl=False, color=colored)
            continue
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {fmt} output to {path}: {exc.strerror or exc}") from None
