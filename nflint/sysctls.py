"""Kernel parameters as the kernel applies them: given values, defaults, effective values.

Keys are normalised to dotted form (`net.ipv4.conf.br-lan137.rp_filter`, also from
`/proc/sys/net/ipv4/...` paths). Every lookup says whether the value was given or assumed, so a
finding that rests on a default can say so.
"""
from __future__ import annotations

from dataclasses import dataclass

from .span import Span

# Kernel defaults of a fresh network namespace (Documentation/networking/ip-sysctl.rst).
# `None` means "depends on the distribution": the caller must assume and say so.
KERNEL_DEFAULTS: dict[str, str] = {
    "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.conf.all.forwarding": "0",
    "net.ipv4.conf.default.forwarding": "0",
    "net.ipv4.conf.all.route_localnet": "0",
    "net.ipv6.conf.all.forwarding": "0",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.bridge.bridge-nf-call-arptables": "1",
    "net.netfilter.nf_conntrack_tcp_be_liberal": "0",
    "net.netfilter.nf_conntrack_tcp_loose": "1",
}


def normalise_key(key: str) -> str:
    """Dotted sysctl key; a /proc/sys path swaps '/' and '.' as `sysctl` does (eth0.100 -> eth0/100).
    `sysctl` also takes the slash form without /proc/sys (`net/ipv4/ip_forward`): a key whose
    first separator is '/' is a path."""
    key = key.strip()
    if key.startswith("/proc/sys/"):
        path = key[len("/proc/sys/"):]
        return path.translate(str.maketrans({"/": ".", ".": "/"}))
    slash, dot = key.find("/"), key.find(".")
    if slash > 0 and (dot == -1 or slash < dot):
        return key.translate(str.maketrans({"/": ".", ".": "/"}))
    return key


@dataclass(frozen=True)
class SysctlValue:
    key: str
    value: str
    span: Span | None  # None when assumed
    assumed: bool = False
    reason: str = ""

    @property
    def as_int(self) -> int | None:
        try:
            return int(self.value.split()[0])
        except (ValueError, IndexError):
            return None


@dataclass(frozen=True)
class Sysctls:
    values: tuple[SysctlValue, ...] = ()

    @property
    def given(self) -> dict[str, SysctlValue]:
        return {v.key: v for v in self.values}

    def __bool__(self) -> bool:
        return bool(self.values)

    def get(self, key: str, default: str | None = None, reason: str = "") -> SysctlValue | None:
        """The given value, else the kernel default (marked assumed), else `default` (assumed)."""
        v = self.given.get(key)
        if v is not None:
            return v
        if key in KERNEL_DEFAULTS:
            return SysctlValue(key, KERNEL_DEFAULTS[key], None, True,
                               reason or "not in the input; kernel default")
        if default is not None:
            return SysctlValue(key, default, None, True, reason or "not in the input; assumed")
        return None

    def int_value(self, key: str, default: int | None = None) -> int | None:
        v = self.get(key, None if default is None else str(default))
        return v.as_int if v else None

    def rp_filter(self, ifname: str) -> tuple[int, list[SysctlValue]]:
        """Effective rp_filter of an interface: max(conf.all, conf.<if>) (ip-sysctl.rst).
        A missing per-interface value falls back to conf.default (what a new interface gets)."""
        all_v = self.get("net.ipv4.conf.all.rp_filter")
        if_v = self.given.get(f"net.ipv4.conf.{ifname}.rp_filter") or self.get(
            "net.ipv4.conf.default.rp_filter")
        used = [v for v in (all_v, if_v) if v is not None]
        return max((v.as_int or 0) for v in used), used

    def forwarding(self, ifname: str, family: int = 4) -> tuple[int, list[SysctlValue]]:
        """Effective forwarding of an interface: the per-link value decides (ip-sysctl.rst).
        Writing conf.all (or ip_forward) copies to every link, so without a per-link value the
        all value stands; without either, ip_forward (IPv4) or the kernel default."""
        net = "ipv4" if family == 4 else "ipv6"
        v = (self.given.get(f"net.{net}.conf.{ifname}.forwarding")
             or self.given.get(f"net.{net}.conf.all.forwarding"))
        if v is None and family == 4:
            v = self.given.get("net.ipv4.ip_forward")
        if v is None:
            v = self.get(f"net.{net}.conf.all.forwarding")
        assert v is not None  # conf.all.forwarding has a kernel default
        return v.as_int or 0, [v]
