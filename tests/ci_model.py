"""Shared by the CI-interface tests: hosts built from iptables-save text through the real
frontend, without the input loader, so formatters, suppressions and baselines are tested on
the same model `nflint check` builds."""
from __future__ import annotations

from pathlib import Path

from nflint import api, frontends
from nflint.host import HostBuilder

DATA = Path(__file__).parent / "data" / "ci"

# Two findings with traces and fixes: NF202 (warning, related + fix) and NF201 (error, fix).
SHADOWED = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 192.0.2.0/24 -j ACCEPT
-A INPUT -s 192.0.2.7/32 -j DROP
-A FORWARD -j DOCKER-USER
COMMIT
"""


def build(text: str, source: str = "fw.rules"):
    contribution = frontends.get("iptables-save")(text, source)
    b = HostBuilder()
    b.add_source(source)
    b.add(contribution)
    return b.build(), b.problems


def report(text: str = SHADOWED, source: str = "fw.rules", **kwargs) -> api.HostReport:
    host, problems = build(text, source)
    return api.check_host(host, problems, label=source, texts={source: text}, **kwargs)
