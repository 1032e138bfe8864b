"""`nflint trace`: walk one flow through the host and print what happens to it, hook by hook."""
from __future__ import annotations

import ipaddress
import json

import click

from ..diagnostics import Severity
from .options import input_type_option


def _load_host(paths, stdin_text, fmt=None):
    """Inputs -> (Host, problems); the one place the trace command reads files."""
    from .. import inputs
    host, problems, _ = inputs.load_host(list(paths), stdin_text=stdin_text, fmt=fmt)
    return host, problems


def _address(ctx, param, value):
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IP address") from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--in", "in_iface", metavar="IFACE",
              help="Interface the first packet enters on (default: where the source lives).")
@click.option("--bridged", is_flag=True,
              help="The packet enters IFACE (a bridge) as a frame to be bridged.")
@click.option("--src", required=True, callback=_address, help="Client address.")
@click.option("--sport", type=click.IntRange(0, 65535), help="Client port (default 40000).")
@click.option("--dst", required=True, callback=_address, help="Server address.")
@click.option("--proto", type=click.Choice(["tcp", "udp", "icmp"]), default="tcp",
              show_default=True)
@click.option("--dport", type=click.IntRange(0, 65535), help="Server port.")
@click.option("--reply", is_flag=True,
              help="Continue with the server's answer (and, for TCP, the rest of the handshake"
                   " and the first data segment) back to the client.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--max-branches", type=click.IntRange(1, 1024), default=32, show_default=True,
              help="How many paths to follow when matches cannot be decided.")
@input_type_option
def trace(paths, in_iface, bridged, src, sport, dst, proto, dport, reply, fmt, max_branches,
          input_type):
    """Trace a flow from --src to --dst through the host described by PATHS."""
    from ..engine import Flow, simulate
    from ..engine.render import render_json, render_text
    from .check import read_stdin

    if ipaddress.ip_address(src).version != ipaddress.ip_address(dst).version:
        raise click.BadParameter("--src and --dst must be of the same IP version")
    if proto in ("tcp", "udp") and dport is None:
        raise click.BadParameter("--dport is required for tcp and udp", param_hint="--dport")
    stdin_text = read_stdin() if "-" in paths else None
    host, problems = _load_host(paths, stdin_text, input_type)
    errors = [p for p in problems if p.severity >= Severity.ERROR]
    if errors:
        click.echo(f"nflint trace: {len(errors)} input problem(s); run `nflint check` to see "
                   f"them. The trace uses what could be read.", err=True)
    flow = Flow(src, dst, proto, dport=dport, sport=sport, in_iface=in_iface, bridged=bridged,
                exchange=reply)
    result = simulate(host, flow, max_branches=max_branches)
    if fmt == "json":
        click.echo(json.dumps(render_json(result, reply=reply), indent=2))
    else:
        click.echo(render_text(result, reply=reply), nl=False)
