"""The nflint command line (click). Each command lives in its own module; this one only holds
the group and registers them."""
from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nflint")
def main() -> None:
    """nflint: explain why a Linux host's firewall breaks its network."""


from .check import check as _check  # noqa: E402
from .collect import collect as _collect  # noqa: E402
from .docs import explain as _explain, rules as _rules  # noqa: E402
from .parse import parse as _parse  # noqa: E402

for _cmd in (_check, _collect, _rules, _explain, _parse):
    main.add_command(_cmd)
from .trace import trace as _trace; main.add_command(_trace)  # noqa: E402,E702


def entry() -> None:
    """The `nflint` program. Unlike `main` (which tests call in-process through click's
    runner), it may end the process once its output is written, without freeing the model
    object by object: at 100k rules that teardown costs 0.2 s and changes nothing."""
    from . import check as check_command
    check_command.HARD_EXIT = True
    main()
