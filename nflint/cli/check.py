"""`nflint check`: lint inputs, print findings, exit 0/1/2 for CI."""
from __future__ import annotations

import sys

import click

from .. import __version__, formatters
from ..api import Selection, check_paths
from ..diagnostics import Severity
from ..registry import default as default_registry

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITY_CHOICES = click.Choice(["error", "warning", "info"], case_sensitive=False)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip() for v in values for p in v.split(",") if p.strip())


def read_stdin() -> str:
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def _use_color(choice: str) -> bool:
    import os
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "-f", "fmt", default="text", show_default=True,
              help="Output format: " + ", ".join(sorted(formatters.available())) + ".")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"],
                                              case_sensitive=False),
              default="warning", show_default=True,
              help="Exit 1 when a finding at or above this severity remains.")
@click.option("--min-severity", type=SEVERITY_CHOICES, default="info", show_default=True,
              help="Only show findings at or above this severity (does not change the exit code).")
@click.option("--select", multiple=True, help="Run only these rules (codes, prefixes or names).")
@click.option("--ignore", multiple=True, help="Skip these rules (codes, prefixes or names).")
@click.option("--host-per-file", is_flag=True, help="Treat each file as its own host.")
@click.option("--show-sections", is_flag=True,
              help="List the sections found in each input, their format and contribution.")
@click.option("--stdin-filename", default="<stdin>", show_default=True,
              help="Name to use for '-' (standard input) in locations.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True)
def check(paths, fmt, fail_on, min_severity, select, ignore, host_per_file, show_sections,
          stdin_filename, color):
    """Lint firewall dumps (files, directories, or '-' for standard input)."""
    available = formatters.available()
    if fmt not in available:
        raise click.BadParameter(f"unknown format {fmt!r}; choose from "
                                 f"{', '.join(sorted(available))}", param_hint="--format")
    selection = Selection(select=_split(select), ignore=_split(ignore))
    stdin_text = read_stdin() if "-" in paths else None
    try:
        reports = check_paths(list(paths), host_per_file=host_per_file, selection=selection,
                              stdin_text=stdin_text, stdin_name=stdin_filename)
    except OSError as exc:
        click.echo(f"nflint: cannot read input: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if show_sections:
        for r in reports:
            for s in r.sections:
                click.echo(str(s), err=False)
    floor = Severity.parse(min_severity)
    for r in reports:
        r.diagnostics = [d for d in r.diagnostics if d.severity >= floor]
    ctx = formatters.RenderContext(default_registry(), _use_color(color), __version__)
    click.echo(formatters.get(fmt).render(reports, ctx), nl=False)
    sys.exit(exit_code(reports, fail_on))


def exit_code(reports, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(fail_on)
    hit = any(d.severity >= threshold for r in reports for d in r.diagnostics)
    return EXIT_FINDINGS if hit else EXIT_CLEAN
