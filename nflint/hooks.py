"""Netfilter hooks and priorities, as the kernel numbers them.

iptables tables (legacy x_tables and iptables-nft alike) register their built-in chains at fixed
priorities; nft base chains choose theirs, by number or by name with an offset. Both end up as
(family, hook, priority) here, so the engine sees one ordering for every backend.
"""
from __future__ import annotations

import re

HOOKS = ("ingress", "prerouting", "input", "forward", "output", "postrouting", "egress")

# iptables built-in chain name -> hook
IPTABLES_CHAIN_HOOKS = {
    "PREROUTING": "prerouting",
    "INPUT": "input",
    "FORWARD": "forward",
    "OUTPUT": "output",
    "POSTROUTING": "postrouting",
}

# include/uapi/linux/netfilter_ipv4.h enum nf_ip_hook_priorities (IPv6 uses the same numbers).
NF_IP_PRI_RAW = -300
NF_IP_PRI_CONNTRACK_DEFRAG = -400
NF_IP_PRI_CONNTRACK = -200
NF_IP_PRI_MANGLE = -150
NF_IP_PRI_NAT_DST = -100
NF_IP_PRI_FILTER = 0
NF_IP_PRI_SECURITY = 50
NF_IP_PRI_NAT_SRC = 100
NF_IP_PRI_CONNTRACK_HELPER = 300
NF_IP_PRI_CONNTRACK_CONFIRM = 2**31 - 1

# Bridge family (include/uapi/linux/netfilter_bridge.h nf_br_hook_priorities)
NF_BR_PRI_NAT_DST_BRIDGED = -300
NF_BR_PRI_FILTER_BRIDGED = -200
NF_BR_PRI_BRNF = 0
NF_BR_PRI_NAT_DST_OTHER = 100
NF_BR_PRI_FILTER_OTHER = 200
NF_BR_PRI_NAT_SRC = 300


def iptables_chain_hook(table: str, chain: str) -> tuple[str, int, str] | None:
    """(hook, priority, chain type) of an iptables built-in chain, or None for a user chain."""
    hook = IPTABLES_CHAIN_HOOKS.get(chain)
    if hook is None:
        return None
    if table == "nat":
        if hook in ("prerouting", "output"):
            return hook, NF_IP_PRI_NAT_DST, "nat"
        if hook in ("postrouting", "input"):
            return hook, NF_IP_PRI_NAT_SRC, "nat"
        return None
    prio = {
        "raw": NF_IP_PRI_RAW,
        "mangle": NF_IP_PRI_MANGLE,
        "filter": NF_IP_PRI_FILTER,
        "security": NF_IP_PRI_SECURITY,
    }.get(table)
    if prio is None:
        return None
    ctype = "route" if table == "mangle" and hook == "output" else "filter"
    return hook, prio, ctype


# nft named priorities (doc/nft.txt, "STANDARD PRIORITY NAMES"): per family.
_INET_PRIORITIES = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50,
                    "srcnat": 100}
_BRIDGE_PRIORITIES = {"dstnat": -300, "filter": -200, "out": 100, "srcnat": 300}
_PRIO_RE = re.compile(r"^\s*([a-z]+)\s*(?:([+-])\s*(\d+))?\s*$")


def resolve_priority(family: str, prio: int | str) -> int | None:
    """A chain priority as a number: `-100`, `"dstnat"`, `"filter - 1"`; None when the name does
    not exist in that family."""
    if isinstance(prio, int):
        return prio
    text = str(prio).strip()
    try:
        return int(text)
    except ValueError:
        pass
    m = _PRIO_RE.match(text)
    if not m:
        return None
    table = _BRIDGE_PRIORITIES if family == "bridge" else _INET_PRIORITIES
    base = table.get(m.group(1))
    if base is None:
        return None
    offset = int(m.group(3) or 0)
    return base - offset if m.group(2) == "-" else base + offset
