"""Fix commands in the dialect of the input: `iptables`/`ip6tables` for iptables tables (legacy
binaries when the backend is legacy), `nft` for native nftables."""
from __future__ import annotations

import shlex

from .ruleset import Rule, Table


def iptables_binary(table: Table) -> str:
    base = "ip6tables" if table.family == "ip6" else "iptables"
    return base + "-legacy" if table.backend == "iptables-legacy" else base


def is_nft(table: Table) -> bool:
    return table.backend == "nft"


def delete_rule(table: Table, chain: str, rule: Rule) -> str:
    if is_nft(table):
        if rule.handle is not None:
            return f"nft delete rule {table.family} {table.name} {chain} handle {rule.handle}"
        return (f"nft -a list chain {table.family} {table.name} {chain}   "
                f"# then: nft delete rule {table.family} {table.name} {chain} handle <N>")
    spec = rule.raw
    prefix = f"-A {chain} "
    if spec.startswith(prefix):
        spec = spec[len(prefix):]
    return f"{iptables_binary(table)} -t {table.name} -D {chain} {spec}".rstrip()


def insert_rule(table: Table | None, family: str, table_name: str, chain: str,
                iptables_args: str, nft_expr: str, *, nft: bool) -> str:
    """A rule inserted at the top of a chain, written for the backend in use."""
    if nft:
        return f"nft insert rule {family} {table_name} {chain} {nft_expr}"
    binary = "ip6tables" if family == "ip6" else "iptables"
    if table is not None and table.backend == "iptables-legacy":
        binary += "-legacy"
    return f"{binary} -t {table_name} -I {chain} 1 {iptables_args}"


def quote(text: str) -> str:
    return shlex.quote(text)


SYSCTL_FILE = "/etc/sysctl.d/90-nflint.conf"


def set_sysctl(*pairs: tuple[str, str]) -> tuple[str, ...]:
    """`sysctl -w` for now, plus a line in sysctl.d so the value survives a reboot (and
    systemd-sysctl re-applying the distribution's files)."""
    now = "sysctl -w " + " ".join(f"{k}={v}" for k, v in pairs)
    lines = "\\n".join(f"{k} = {v}" for k, v in pairs)
    return now, f"printf '{lines}\\n' >> {SYSCTL_FILE}"
