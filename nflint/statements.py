"""Typed rule actions: iptables targets and nft statements in one vocabulary.

A rule's `actions` run in order once all its matches hold. `terminal` says whether the action ends
the evaluation of the base chain (accept/drop/reject/NAT/goto/return), as the kernel does.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Action:
    """Base of all actions."""

    @property
    def terminal(self) -> bool:
        return False


VERDICTS = ("accept", "drop", "reject", "return", "jump", "goto", "continue", "queue")


@dataclass(frozen=True, slots=True)
class Verdict(Action):
    """accept/drop/reject/return/jump/goto/continue/queue; `target` is the chain for jump/goto."""

    kind: str
    target: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def terminal(self) -> bool:
        return self.kind in ("accept", "drop", "reject", "return", "goto", "queue")


@dataclass(frozen=True, slots=True)
class VerdictMap(Action):
    """nft `vmap`: `key` is the canonical text of the looked-up expression, `entries` map element
    text to a Verdict; a named map keeps `map_name` and no entries."""

    key: str
    entries: tuple[tuple[str, Verdict], ...] = ()
    map_name: str | None = None

    @property
    def terminal(self) -> bool:
        return False  # an element that does not match falls through


@dataclass(frozen=True, slots=True)
class NatAction(Action):
    """DNAT/SNAT/MASQUERADE/REDIRECT (`dnat to`, `snat to`, `masquerade`, `redirect to`).

    `address` is the textual target ("172.18.0.4", "10.0.0.1-10.0.0.9") or None; `ports` an
    inclusive range or None. Terminal: NAT targets accept the packet in their chain.
    """

    kind: str  # "dnat" | "snat" | "masquerade" | "redirect"
    address: str | None = None
    ports: tuple[int, int] | None = None
    flags: tuple[str, ...] = ()
    family: str | None = None  # "ip" | "ip6": nft's `dnat ip to` in an inet table

    @property
    def terminal(self) -> bool:
        # `dnat ip to` in an inet chain leaves IPv6 packets alone, and the rule goes on
        # (nft_nat_inet_eval): it ends the chain only for its own family.
        return self.family is None

    def applies_to(self, ip_version: int) -> bool:
        """Whether the kernel runs this NAT on a packet of that IP version."""
        return self.family is None or self.family == ("ip" if ip_version == 4 else "ip6")

    @property
    def target(self) -> str:
        """Address and ports as iptables writes them: `172.18.0.4:80`, `[2001:db8::2]:80`
        (brackets keep an IPv6 address apart from its port), `:8080` for a port alone."""
        addr = self.address or ""
        if not self.ports:
            return addr
        lo, hi = self.ports
        if ":" in addr and not addr.startswith("["):
            addr = f"[{addr}]"
        return f"{addr}:{lo}" + (f"-{hi}" if hi != lo else "")


@dataclass(frozen=True, slots=True)
class NotrackAction(Action):
    """`-j NOTRACK`, `-j CT --notrack`, nft `notrack`: the packet stays UNTRACKED."""


@dataclass(frozen=True, slots=True)
class CtSetAction(Action):
    """`-j CT --zone/--helper/...`, nft `ct zone|mark|helper|... set`."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class MarkAction(Action):
    """`-j MARK/CONNMARK`, `meta mark set`, `ct mark set`."""

    kind: str  # "mark" | "connmark"
    op: str  # "set" | "and" | "or" | "xor" | "save" | "restore"
    value: int | None = None
    mask: int | None = None


@dataclass(frozen=True, slots=True)
class LogAction(Action):
    """`-j LOG/NFLOG/ULOG`, nft `log`."""

    prefix: str | None = None
    group: int | None = None
    level: str | None = None


@dataclass(frozen=True, slots=True)
class CounterAction(Action):
    """nft `counter` (iptables counters live on the rule)."""

    packets: int | None = None
    bytes: int | None = None


@dataclass(frozen=True, slots=True)
class OtherAction(Action):
    """A known action with no effect on the packet's path (TCPMSS, CHECKSUM, TRACE, limit, dup,
    mangle of fields nflint does not follow, ...)."""

    name: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class UnknownAction(Action):
    """A target or statement nflint cannot interpret; kept with its text."""

    text: str
    name: str = ""
