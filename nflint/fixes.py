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


# -- commands for the packet-path rules -------------------------------------------------------

def nft_syntax(table: Table) -> bool:
    """Whether the user wrote (or dumped) this table in nft syntax. Native nft tables shaped like
    iptables' (`table ip filter` with FORWARD ...) carry the iptables-nft backend, so the rules'
    own text decides: iptables-save lines start with `-A`, listings have the `--` column."""
    if table.backend == "nft":
        return True
    texts = [r.raw for c in table.chains for r in c.rules if r.raw]
    return bool(texts) and not any(_iptables_text(t) for t in texts)


def _iptables_text(text: str) -> bool:
    return text.startswith("-A ") or " -- " in text or "0.0.0.0/0" in text


def _nft_name(name: str) -> str:
    """An interface name as an nft string literal (quoted: names may hold '-' or '.')."""
    return '"' + name.replace('"', "") + '"'


def notrack_command(table: Table | None, chain: str, iface: str, *, nft: bool,
                    family: str = "ip") -> str:
    """Leave frames entering `iface` untracked, at the top of a raw-priority prerouting chain."""
    if nft:
        fam, name = (table.family, table.name) if table is not None else (family, "raw")
        return (f"nft insert rule {fam} {name} {chain} iifname {quote(_nft_name(iface))} "
                f"notrack")
    binary = iptables_binary(table) if table is not None else "iptables"
    return f"{binary} -t raw -I {chain} 1 -i {iface} -j NOTRACK"


def nft_raw_chain_commands(family: str = "ip", table: str = "raw",
                           chain: str = "PREROUTING") -> tuple[str, ...]:
    """The table and chain `notrack_command` needs when the ruleset has none at raw priority."""
    return (f"nft add table {family} {table}",
            f"nft {quote(f'add chain {family} {table} {chain} {{ type filter hook prerouting priority raw; policy accept; }}')}")


def accept_command(table: Table, chain: str, *, in_iface: str | None = None,
                   out_iface: str | None = None, daddr: str | None = None,
                   proto: str | None = None, dport: int | None = None) -> str:
    """An accept inserted at the top of `chain`, written for the table's syntax."""
    if nft_syntax(table):
        words = []
        if in_iface:
            words.append(f"iifname {quote(_nft_name(in_iface))}")
        if out_iface:
            words.append(f"oifname {quote(_nft_name(out_iface))}")
        if daddr:
            words.append(f"{'ip6' if ':' in daddr else 'ip'} daddr {daddr}")
        if proto and dport is not None:
            words.append(f"{proto} dport {dport}")
        words.append("accept")
        return f"nft insert rule {table.family} {table.name} {chain} " + " ".join(words)
    args = []
    if in_iface:
        args += ["-i", in_iface]
    if out_iface:
        args += ["-o", out_iface]
    if daddr:
        args += ["-d", daddr]
    if proto and dport is not None:
        args += ["-p", proto, "--dport", str(dport)]
    return f"{iptables_binary(table)} -t {table.name} -I {chain} 1 {' '.join(args)} -j ACCEPT"
