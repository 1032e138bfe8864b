"""`nflint parse`: dump the host model as JSON, for debugging and bug reports."""
from __future__ import annotations

import json

import click

from ..serialize import host_to_json
from .options import input_type_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--host-per-file", is_flag=True, help="Treat each file as its own host.")
@input_type_option
def parse(paths, host_per_file, input_type):
    """Print the model nflint builds from PATHS as JSON."""
    from .. import inputs
    from .check import read_stdin

    stdin_text = read_stdin() if "-" in paths else None
    groups = inputs.load_hosts(list(paths), host_per_file=host_per_file, stdin_text=stdin_text,
                               fmt=input_type)
    doc = {"version": 1, "hosts": [
        {"label": g.label, "model": host_to_json(g.host),
         "problems": [d.to_json() for d in g.problems]} for g in groups]}
    click.echo(json.dumps(doc, indent=2))
