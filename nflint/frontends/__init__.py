"""Frontends: one module per input format, each turning text into a `Contribution`.

A frontend is a function `parse(text, source, *, line_offset=0, hint=None) -> Contribution`:
`source` names the input for spans, `line_offset` is added to every line number (a section that
starts further down a pasted text), `hint` carries what a shell prompt said (e.g.
{"table": "nat", "family": "ip6", "backend": "iptables-legacy"}). Frontends never raise on bad
input: they report `NF001 syntax-error` problems and keep going.

Formats register here by name; nflint/sections.py decides which format a text is.
"""
from __future__ import annotations

import importlib
from typing import Callable, Protocol

from ..host import Contribution


class Frontend(Protocol):
    def __call__(self, text: str, source: str, *, line_offset: int = 0,
                 hint: dict | None = None) -> Contribution: ...


# format name -> "module:function", imported on first use to keep start-up fast.
FORMATS: dict[str, str] = {
    "iptables-save": "nflint.frontends.iptables_save:parse",
    "iptables-list": "nflint.frontends.iptables_list:parse",
    "nft-json": "nflint.frontends.nft_json:parse",
    "nft-text": "nflint.frontends.nft_text:parse",
    "sysctl": "nflint.frontends.sysctl:parse",
    "ip-addr": "nflint.frontends.iproute:parse_addr",
    "ip-link": "nflint.frontends.iproute:parse_link",
    "ip-route": "nflint.frontends.iproute:parse_route",
    "ip-json": "nflint.frontends.iproute:parse_json",
    "bridge-link": "nflint.frontends.iproute:parse_bridge_link",
    "brctl": "nflint.frontends.iproute:parse_brctl",
    "docker-inspect": "nflint.frontends.docker:parse_inspect",
    "docker-create": "nflint.frontends.docker:parse_create",
    "netplan": "nflint.frontends.netplan:parse",
    "docker-compose": "nflint.frontends.compose:parse",
    "conntrack": "nflint.frontends.evidence:parse_conntrack",
    "kernel-log": "nflint.frontends.evidence:parse_kernel_log",
}


def get(fmt: str) -> Frontend:
    target = FORMATS[fmt]
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def register(fmt: str, target: str) -> None:
    FORMATS[fmt] = target


Parser = Callable[..., Contribution]
