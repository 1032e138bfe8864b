"""Docker networks: `docker network inspect` JSON and `docker network create` command lines.

A Docker network implies a Linux bridge the other inputs may never mention (the founding case's
br-lan137 is known from `-o com.docker.network.bridge.name=br-lan137`), so each bridge network
also contributes an Interface, addressed with its gateway unless `inhibit_ipv4` says Docker left
the bridge without an address (which is what trips rp_filter).

Pasted inspect output is often mangled (braces and addresses eaten by a forum's formatter): after
reporting the JSON error, the text is read line by line by indentation as a best effort.
"""
from __future__ import annotations

import ipaddress
import json
import re
import shlex
from dataclasses import dataclass, field

from ..host import Contribution
from ..netstate import DockerNetwork, Interface, IPInterface
from ..span import Span
from .positions import (LineIndex, array_items, json_documents,
                        refuse_deep_nesting, schema_problem, syntax_error)

BRIDGE_NAME = "com.docker.network.bridge.name"
INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4"
DRIVER_MTU = "com.docker.network.driver.mtu"


@dataclass
class _Net:
    """A network as read, before Docker's defaults are applied."""

    name: str
    span: Span
    id: str | None = None
    driver: str | None = None
    subnets: list[str] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    enable_ipv6: bool = False
    enable_ipv4: bool = True  # Docker 28: `--ipv4=false` / "EnableIPv4": false
    containers: list[tuple[str, str]] = field(default_factory=list)
    options_incomplete: bool = False  # a mangled paste lost option keys: the name may be one


def _true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _bridge_name(net: _Net) -> str | None:
    """The Linux bridge Docker creates for a bridge-driver network (libnetwork's naming)."""
    if net.driver != "bridge":
        return None
    if net.options.get(BRIDGE_NAME):
        return net.options[BRIDGE_NAME]
    if net.options_incomplete:
        return None
    if net.name == "bridge":
        return "docker0"
    if net.id:
        return "br-" + net.id[:12]
    return None


def _gateway_addresses(net: _Net) -> list[IPInterface]:
    out: list[IPInterface] = []
    for gw in net.gateways:
        gw_ip = gw.split("/", 1)[0]
        try:
            ip = ipaddress.ip_address(gw_ip)
        except ValueError:
            continue
        if ip.version == 4 and (not net.enable_ipv4
                                or _true(net.options.get(INHIBIT_IPV4, "false"))):
            continue
        if ip.version == 6 and not net.enable_ipv6:
            continue
        prefix = next((ipaddress.ip_network(s, strict=False).prefixlen for s in net.subnets
                       if _in_subnet(ip, s)), ip.max_prefixlen)
        out.append(ipaddress.ip_interface(f"{ip}/{prefix}"))
    return out


def _in_subnet(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, subnet: str) -> bool:
    try:
        return ip in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


def _emit(c: Contribution, net: _Net) -> None:
    bridge = _bridge_name(net)
    c.docker_networks.append(DockerNetwork(
        name=net.name, span=net.span, id=net.id, driver=net.driver, bridge_name=bridge,
        subnets=tuple(net.subnets), gateways=tuple(net.gateways),
        options=tuple(net.options.items()), internal=net.internal,
        enable_ipv6=net.enable_ipv6, containers=tuple(net.containers)))
    if bridge:
        mtu = net.options.get(DRIVER_MTU)
        c.interfaces.append(Interface(
            bridge, net.span, kind="bridge", addresses=tuple(_gateway_addresses(net)),
            mtu=int(mtu) if mtu and mtu.isdigit() else None, sources=("docker",)))


# ---- docker network inspect -----------------------------------------------------------------

def _from_object(obj: dict, span: Span) -> _Net:
    net = _Net(str(obj["Name"]), span, id=obj.get("Id") or None, driver=obj.get("Driver") or None,
               internal=bool(obj.get("Internal")), enable_ipv6=bool(obj.get("EnableIPv6")),
               enable_ipv4=obj.get("EnableIPv4", True) is not False)
    for cfg in (obj.get("IPAM") or {}).get("Config") or ():
        if cfg.get("Subnet"):
            net.subnets.append(cfg["Subnet"])
        if cfg.get("Gateway"):
            net.gateways.append(cfg["Gateway"])
    net.options = {str(k): str(v) for k, v in (obj.get("Options") or {}).items()}
    for ctr in (obj.get("Containers") or {}).values():
        net.containers.append((str(ctr.get("Name", "")), str(ctr.get("IPv4Address", ""))))
    return net


@refuse_deep_nesting
def parse_inspect(text: str, source: str, *, line_offset: int = 0,
                  hint: dict | None = None) -> Contribution:
    """`docker network inspect NAME...`: a list of networks (a single object is accepted)."""
    c = Contribution(fidelity="docker network inspect")
    index = LineIndex(text)
    skipped_containers = 0
    for start, doc in json_documents(text):
        if isinstance(doc, dict):
            items = [(start, "", doc)]
        elif isinstance(doc, list):
            items = [(off, f"/{n}", obj) for n, (off, obj) in
                     enumerate(zip(array_items(text, start), doc))]
        else:
            # A paste with its braces eaten often starts `"Name": ...`, which decodes as a string.
            bad_json = isinstance(doc, json.JSONDecodeError)
            line, col = index.at(doc.pos if bad_json else start)
            what = f"invalid JSON: {doc.msg}" if bad_json else "expected a JSON list of networks"
            c.problems.append(syntax_error(
                source, line, col, f"cannot read docker network inspect output: {what}; "
                "the rest is read line by line as a best effort", line_offset=line_offset))
            first_line, first_col = index.at(start)
            _best_effort(c, text[start:], source, line_offset + first_line - 1, first_col - 1)
            break
        for offset, pointer, obj in items:
            line, col = index.at(offset)
            if isinstance(obj, dict) and "NetworkSettings" in obj and "IPAM" not in obj:
                skipped_containers += 1  # `docker inspect CONTAINER` lands here too
                continue
            problem = schema_problem("docker-inspect.schema.json", obj, "docker network",
                                     source, line, col, line_offset=line_offset, pointer=pointer)
            if problem is not None:
                c.problems.append(problem)
                continue
            _emit(c, _from_object(obj, Span(source, line + line_offset, col,
                                             pointer=pointer or None)))
    if skipped_containers:
        c.assumptions.append(f"{source}: {skipped_containers} container object(s) (`docker "
                             "inspect CONTAINER`) not used; networks come from `docker network "
                             "inspect`")
    return c


_KEY_LINE = re.compile(r'^(?P<indent>\s*)"(?P<key>[^"]*)"\s*:\s*(?P<value>.*?)\s*,?\s*$')


def _scalar(raw: str) -> str | None:
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1]
    if raw in ("true", "false") or re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return raw
    return None


def _best_effort(c: Contribution, text: str, source: str, line_offset: int,
                 first_indent: int = 0) -> None:
    """Read `"Key": value` lines of broken inspect output, nesting by indentation (braces may be
    gone). What cannot be placed is counted and said, never silently dropped."""
    stack: list[tuple[int, str]] = []
    net: _Net | None = None
    container: dict[str, str] = {}
    empty_keys = unplaced = 0

    def flush_container() -> None:
        if net is not None and container.get("Name"):
            net.containers.append((container["Name"], container.get("IPv4Address", "")))
        container.clear()

    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _KEY_LINE.match(line)
        if not m:
            continue
        indent = len(m.group("indent")) + (first_indent if lineno == 1 else 0)
        key, raw = m.group("key"), m.group("value")
        while stack and stack[-1][0] >= indent:
            if len(stack) == 2 and stack[0][1] == "Containers":
                flush_container()
            stack.pop()
        path = [k for _, k in stack]
        if raw.startswith("{") or raw.startswith("["):
            if raw not in ("{}", "[]"):
                stack.append((indent, key))
            continue
        value = _scalar(raw)
        if not path and key == "Name":
            flush_container()
            if net is not None:
                _emit(c, net)
            net = _Net(value or "", Span(source, lineno + line_offset, indent + 1))
            continue
        if net is None:
            unplaced += 1
            continue
        if not key:
            empty_keys += 1
            net.options_incomplete = net.options_incomplete or path == ["Options"]
            continue
        if not path:
            if key == "Id":
                net.id = value or None
            elif key == "Driver":
                net.driver = value or None
            elif key == "Internal":
                net.internal = _true(value)
            elif key == "EnableIPv6":
                net.enable_ipv6 = _true(value)
            elif key == "EnableIPv4":
                net.enable_ipv4 = _true(value)
        elif path[:2] == ["IPAM", "Config"] and value:
            if key == "Subnet":
                net.subnets.append(value)
            elif key == "Gateway":
                net.gateways.append(value)
        elif path == ["Options"] and value is not None:
            net.options[key] = value
        elif len(path) == 2 and path[0] == "Containers" and value:
            container[key] = value
    flush_container()
    if net is not None:
        _emit(c, net)
    if empty_keys:
        c.assumptions.append(f"{source}: {empty_keys} docker inspect line(s) with an empty key "
                             "(mangled paste) not used; a network whose options lost their keys "
                             "gets no bridge name")
    if unplaced:
        c.assumptions.append(f"{source}: {unplaced} docker inspect line(s) before any network "
                             "`\"Name\"` not used")


# ---- docker network create ------------------------------------------------------------------

_VALUED = {"--driver": "driver", "-d": "driver", "--subnet": "subnet", "--gateway": "gateway",
           "--opt": "opt", "-o": "opt", "--ip-range": None, "--aux-address": None,
           "--label": None, "-l": None, "--scope": None, "--ipam-driver": None,
           "--ipam-opt": None, "--config-from": None}
_FLAGS = {"--internal": "internal", "--ipv6": "ipv6", "--ipv4": "ipv4", "--attachable": None,
          "--ingress": None, "--config-only": None}


def _commands(text: str):
    """(first line, last line, joined text) of every command, `\\` continuations joined."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, parts = i, []
        while True:
            line = lines[i].rstrip("\r")
            if line.rstrip().endswith("\\") and i + 1 < len(lines):
                parts.append(line.rstrip()[:-1])
                i += 1
                continue
            parts.append(line)
            break
        yield start + 1, i + 1, " ".join(parts)
        i += 1


def parse_create(text: str, source: str, *, line_offset: int = 0,
                 hint: dict | None = None) -> Contribution:
    """`docker network create [OPTIONS] NAME` as pasted, one network per command."""
    c = Contribution(fidelity="docker network create")
    for first, last, command in _commands(text):
        stripped = command.strip()
        if not stripped or stripped.startswith("#"):
            continue
        column = len(command) - len(command.lstrip()) + 1
        try:
            words = shlex.split(command)
        except ValueError as exc:
            c.problems.append(syntax_error(source, first, column,
                                           f"cannot read docker network create command: {exc}",
                                           line_offset=line_offset))
            continue
        while words and words[0] in ("$", "sudo"):
            words = words[1:]
        if words[:3] != ["docker", "network", "create"]:
            c.problems.append(syntax_error(
                source, first, column, "expected a `docker network create ... NAME` command",
                line_offset=line_offset))
            continue
        span = Span(source, first + line_offset, column, last + line_offset,
                    len(text.splitlines()[last - 1].rstrip()) + 1)
        net = _read_create(words[3:], span, c, source)
        if net is not None:
            _emit(c, net)
    return c


def _read_create(args: list[str], span: Span, c: Contribution, source: str) -> _Net | None:
    net = _Net("", span, driver="bridge")
    names: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        opt, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if opt in _VALUED:
            if eq:
                value = inline
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                c.problems.append(syntax_error(source, span.line, span.column,
                                               f"docker network create: {opt} needs a value"))
                return None
            what = _VALUED[opt]
            if what == "driver":
                net.driver = value
            elif what == "subnet":
                net.subnets.append(value)
            elif what == "gateway":
                net.gateways.append(value)
            elif what == "opt":
                key, _, val = value.partition("=")
                net.options[key] = val
        elif opt in _FLAGS:
            on = _true(inline) if eq else True
            if _FLAGS[opt] == "internal":
                net.internal = on
            elif _FLAGS[opt] == "ipv6":
                net.enable_ipv6 = on
            elif _FLAGS[opt] == "ipv4":
                net.enable_ipv4 = on
        elif word.startswith("-"):
            unknown.append(word)
        else:
            names.append(word)
        i += 1
    if unknown:
        c.assumptions.append(f"{span}: docker network create option(s) {' '.join(unknown)} "
                             "not known to nflint; ignored")
    if len(names) != 1:
        c.problems.append(syntax_error(
            source, span.line, span.column,
            f"docker network create: expected one network NAME, found {len(names)}"))
        return None
    net.name = names[0]
    return net
