"""The non-firewall part of the host model: interfaces, routes, Docker networks, evidence.

Filled by the `ip`, `bridge`/`brctl`, netplan and `docker network inspect` frontends; several
inputs may describe the same interface, and the host builder merges them by name.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .span import Span

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(frozen=True)
class Interface:
    name: str
    span: Span
    index: int | None = None
    kind: str | None = None  # "bridge", "veth", "ether", "loopback", "dummy", "vxlan", ...
    master: str | None = None  # the bridge this port belongs to
    peer: str | None = None  # veth peer name, when known
    peer_index: int | None = None  # veth peer ifindex (`@ifN`, link_index)
    addresses: tuple[IPInterface, ...] = ()
    up: bool | None = None
    mtu: int | None = None
    bridge_options: tuple[tuple[str, str], ...] = ()  # e.g. ("nf_call_iptables", "1")
    sources: tuple[str, ...] = ()  # which inputs described it ("ip -j addr", "netplan", ...)

    @property
    def ipv4(self) -> tuple[ipaddress.IPv4Interface, ...]:
        return tuple(a for a in self.addresses if a.version == 4)

    @property
    def ipv6(self) -> tuple[ipaddress.IPv6Interface, ...]:
        return tuple(a for a in self.addresses if a.version == 6)

    def bridge_option(self, key: str) -> str | None:
        return dict(self.bridge_options).get(key)


@dataclass(frozen=True)
class Route:
    dst: str  # "default" or a prefix
    span: Span
    dev: str | None = None
    via: str | None = None
    table: str = "main"
    type: str = "unicast"  # "local", "broadcast", "blackhole", "unreachable", ...
    scope: str | None = None
    src: str | None = None
    proto: str | None = None
    metric: int | None = None

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if self.dst == "default":
            return None
        try:
            return ipaddress.ip_network(self.dst, strict=False)
        except ValueError:
            return None


@dataclass(frozen=True)
class DockerNetwork:
    """One network from `docker network inspect` or a pasted `docker network create`."""

    name: str
    span: Span
    id: str | None = None
    driver: str | None = None
    bridge_name: str | None = None  # com.docker.network.bridge.name, or br-<id[:12]>
    subnets: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    internal: bool = False
    enable_ipv6: bool = False
    containers: tuple[tuple[str, str], ...] = ()  # (name, IPv4 address/prefix)

    def option(self, key: str) -> str | None:
        return dict(self.options).get(key)


@dataclass(frozen=True)
class Evidence:
    """A conntrack event or kernel log line, parsed into fields, that rules may cite."""

    kind: str  # "conntrack" | "kernel-log" | "martian"
    span: Span
    text: str
    fields: tuple[tuple[str, str], ...] = field(default=())

    def get(self, key: str) -> str | None:
        return dict(self.fields).get(key)
