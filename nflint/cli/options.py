"""Options several commands share, defined once so that they read and behave the same."""
from __future__ import annotations

import click

from ..frontends import FORMATS

input_type_option = click.option(
    "--input-type", type=click.Choice(sorted(FORMATS)), default=None,
    help="Read every input as this format instead of detecting the sections of each (for a "
         "dump the detection misreads).")
