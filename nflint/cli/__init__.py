"""The nflint command line (click)."""
from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="nflint")
def main() -> None:
    """nflint: explain why a Linux host's firewall breaks its network."""


