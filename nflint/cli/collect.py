"""`nflint collect`: snapshot this host's firewall and network state for `nflint check`."""
from __future__ import annotations

import sys

import click


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="Write the bundle to this file ('-' for standard output).")
def collect(output):
    """Run read-only commands (iptables-save for both backends, nft -j list ruleset, sysctl,
    ip -j addr/link/route, docker network inspect) and write one bundle that
    `nflint check BUNDLE` reads back. Missing tools or permissions are noted in the bundle."""
    from ..collect import collect_bundle

    text = collect_bundle()
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        click.echo(f"nflint: error: cannot write {output}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"nflint: wrote {output}", err=True)
