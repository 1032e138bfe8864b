"""`nflint rules` and `nflint explain`: the rule catalogue from the rules' own docstrings."""
from __future__ import annotations

import sys

import click
from tabulate import tabulate

from ..registry import default as default_registry


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "markdown"]), default="table",
              show_default=True, help="markdown: the full reference page (docs/rules.md).")
def rules(fmt):
    """List every rule: code, name, default severity, summary."""
    reg = default_registry()
    if fmt == "markdown":
        from ..rule_docs import rules_markdown
        click.echo(rules_markdown(reg), nl=False)
        return
    rows = [(c.code, c.name, str(c.severity), c.summary()) for c in reg.sorted()]
    click.echo(tabulate(rows, headers=["code", "name", "severity", "summary"]))
    for p in reg.problems:
        click.echo(f"warning: {p.message}", err=True)


@click.command()
@click.argument("rule")
def explain(rule):
    """Print a rule's documentation (RULE is a code like NF101 or a name)."""
    registry = default_registry()
    cls = registry.find(rule)
    if cls is None:
        near = registry.closest(rule)
        hint = f" (did you mean {near}?)" if near else ""
        click.echo(f"nflint: no rule {rule!r}{hint}; `nflint rules` lists them", err=True)
        sys.exit(2)
    click.echo(f"{cls.code} {cls.name} (default severity: {cls.severity})\n")
    click.echo(cls.docs())
    click.echo(f"\nDocs: {cls.help_uri()}")
