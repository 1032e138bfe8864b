"""netplan YAML (version 2): the configured topology — bridges and their members, veth pairs,
addresses and routes.

Sometimes the only record of a link: the founding case's veth pair between br-lan137 and
br-mellanox appears nowhere but in its netplan file, and that file as pasted is mis-indented.
So a YAML error is reported (NF001, with line and column) and then repaired by best effort —
first by moving the offending block to a neighbouring indentation level, else by dropping it —
so that what the file does say still reaches the model.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import yaml

from ..host import Contribution
from ..netstate import Interface, IPInterface, Route
from ..span import Span
from .positions import refuse_deep_nesting, schema_errors, syntax_error

# netplan section -> the kind the kernel will report for its devices
SECTION_KINDS: dict[str, str | None] = {
    "ethernets": "ether", "bridges": "bridge", "bonds": "bond", "vlans": "vlan",
    "tunnels": None, "vrfs": "vrf", "dummy-devices": "dummy", "virtual-ethernets": "veth",
    "wifis": None,
}
MAX_REPAIRS = 5
# PyYAML's scanner is quadratic in flow-collection depth ([[[...): refuse early what no netplan
# file ever needs.
MAX_FLOW_DEPTH = 100


@dataclass
class _Device:
    name: str
    span: Span
    kind: str | None = None
    master: str | None = None
    peer: str | None = None
    mtu: int | None = None
    addresses: list[IPInterface] = field(default_factory=list)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int) -> int:
    """One past the last line of the block that `lines[start]` opens (deeper lines below it)."""
    k = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > k):
        end += 1
    return end


def _repairs(lines: list[str], bad: int, line_offset: int = 0):
    """Candidate texts, most plausible first: the block at line `bad` shifted to each indentation
    level used above it (nearest first, deeper on a tie), then the block blanked out. Line
    numbers never change, so spans still point at the user's text."""
    if not 0 <= bad < len(lines) or not lines[bad].strip():
        return
    k = _indent(lines[bad])
    end = _block_end(lines, bad)
    where = f"lines {bad + 1 + line_offset}-{end + line_offset}"
    levels = {_indent(ln) for ln in lines[:bad] if ln.strip() and not ln.lstrip().startswith("#")}
    for level in sorted(levels - {k}, key=lambda lv: (abs(lv - k), -lv)):
        delta = level - k
        shifted = [(" " * (_indent(ln) + delta) + ln.lstrip(" ")) if ln.strip() else ln
                   for ln in lines[bad:end]]
        if all(_indent(ln) + delta >= 0 for ln in lines[bad:end] if ln.strip()):
            yield f"moved {where} to column {level + 1}", \
                lines[:bad] + shifted + lines[end:]
    yield f"ignored {where}", lines[:bad] + [""] * (end - bad) + lines[end:]


def _load(text: str) -> tuple[yaml.Node | None, object]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _error_line(exc: yaml.YAMLError) -> tuple[int, int, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context else str(problem)
    if mark is None:
        return 0, 1, message
    return mark.line, mark.column + 1, message


def _flow_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}" and depth:
            depth -= 1
    return deepest


def _load_repairing(text: str, c: Contribution, source: str,
                    line_offset: int) -> tuple[yaml.Node | None, object]:
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        c.problems.append(syntax_error(source, 1, 1, "netplan YAML nested too deeply to read",
                                       line_offset=line_offset))
        return None, None
    lines = text.splitlines()
    for _ in range(MAX_REPAIRS + 1):
        try:
            return _load("\n".join(lines))
        except yaml.YAMLError as exc:
            bad, column, message = _error_line(exc)
            c.problems.append(syntax_error(source, bad + 1, column,
                                           f"invalid netplan YAML: {message}",
                                           line_offset=line_offset))
            for what, candidate in _repairs(lines, bad, line_offset):
                try:
                    _load("\n".join(candidate))
                except yaml.YAMLError as again:
                    if _error_line(again)[0] <= bad:
                        continue  # this repair did not get past the broken line
                lines = candidate
                c.assumptions.append(f"{source}: netplan YAML read after a repair: {what}")
                break
            else:
                return None, None
    return None, None


def _marks(node: yaml.Node, pointer: str, out: dict[str, tuple[int, int]]) -> None:
    """JSON pointer -> (line, column) (0-based) of the key or item that introduces it."""
    out.setdefault(pointer, (node.start_mark.line, node.start_mark.column))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                p = f"{pointer}/{key.value.replace('~', '~0').replace('/', '~1')}"
                out[p] = (key.start_mark.line, key.start_mark.column)
                _marks(value, p, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[f"{pointer}/{i}"] = (item.start_mark.line, item.start_mark.column)
            _marks(item, f"{pointer}/{i}", out)


def _list(value: object) -> list:
    """A YAML list, or nothing: a scalar where a list belongs is a schema error, not a list of
    characters."""
    return value if isinstance(value, list) else []


class _Reader:
    def __init__(self, c: Contribution, source: str, line_offset: int,
                 marks: dict[str, tuple[int, int]]) -> None:
        self.c, self.source, self.offset, self.marks = c, source, line_offset, marks
        self.devices: dict[str, _Device] = {}
        self.renamed: dict[str, str] = {}  # netplan ID -> kernel name (`set-name`)

    def span(self, pointer: str) -> Span:
        while pointer not in self.marks and "/" in pointer:
            pointer = pointer.rsplit("/", 1)[0]
        line, col = self.marks.get(pointer, (0, 0))
        return Span(self.source, line + 1 + self.offset, col + 1, pointer=pointer or None)

    def problem(self, pointer: str, message: str) -> None:
        span = self.span(pointer)
        self.c.problems.append(syntax_error(self.source, span.line - self.offset, span.column,
                                            message, line_offset=self.offset, pointer=pointer))

    def device(self, name: str, pointer: str) -> _Device:
        name = self.renamed.get(name, name)
        if name not in self.devices:
            self.devices[name] = _Device(name, self.span(pointer))
        return self.devices[name]

    def read(self, network: dict) -> None:
        ethernets = network.get("ethernets")
        for net_id, conf in (ethernets.items() if isinstance(ethernets, dict) else ()):
            if not isinstance(conf, dict):
                continue
            if isinstance(conf.get("set-name"), str):
                self.renamed[str(net_id)] = conf["set-name"]
            elif "match" in conf:
                self.c.assumptions.append(
                    f"{self.source}: netplan ethernet {net_id!r} is matched by properties; its "
                    "kernel name is assumed to be the same")
        for section, kind in SECTION_KINDS.items():
            entries = network.get(section)
            if not isinstance(entries, dict):
                continue
            for name, conf in entries.items():
                pointer = f"/network/{section}/{name}"
                dev = self.device(str(name), pointer)
                conf = conf if isinstance(conf, dict) else {}
                dev.kind = kind or (str(conf["mode"]) if section == "tunnels" and "mode" in conf
                                    else dev.kind)
                self.read_device(dev, conf, pointer, section)

    def read_device(self, dev: _Device, conf: dict, pointer: str, section: str) -> None:
        if isinstance(conf.get("mtu"), int):
            dev.mtu = conf["mtu"]
        for i, entry in enumerate(_list(conf.get("addresses"))):
            text = next(iter(entry)) if isinstance(entry, dict) and entry else entry
            try:
                dev.addresses.append(ipaddress.ip_interface(str(text)))
            except ValueError:
                self.problem(f"{pointer}/addresses/{i}",
                             f"cannot read netplan address {text!r}: expected ADDRESS/PREFIX")
        if section in ("bridges", "bonds"):
            for i, member in enumerate(_list(conf.get("interfaces"))):
                port = self.device(str(member), f"{pointer}/interfaces/{i}")
                port.master = dev.name
        if section == "virtual-ethernets" and isinstance(conf.get("peer"), str):
            dev.peer = conf["peer"]
            other = self.device(conf["peer"], f"{pointer}/peer")
            other.peer = other.peer or dev.name
            other.kind = other.kind or "veth"
        for key in ("gateway4", "gateway6"):
            if isinstance(conf.get(key), str):
                self.c.routes.append(Route("default", self.span(f"{pointer}/{key}"),
                                           dev=dev.name, via=conf[key]))
        for i, route in enumerate(_list(conf.get("routes"))):
            if not isinstance(route, dict) or "to" not in route:
                continue
            dst = str(route["to"])
            if dst in ("0.0.0.0/0", "::/0"):
                dst = "default"
            metric = route.get("metric")
            self.c.routes.append(Route(
                dst, self.span(f"{pointer}/routes/{i}"), dev=dev.name,
                via=str(route["via"]) if "via" in route else None,
                table=str(route.get("table", "main")),
                metric=metric if isinstance(metric, int) else None))

    def interfaces(self) -> list[Interface]:
        return [Interface(d.name, d.span, kind=d.kind, master=d.master, peer=d.peer,
                          addresses=tuple(dict.fromkeys(d.addresses)), mtu=d.mtu,
                          sources=("netplan",))
                for d in self.devices.values()]


@refuse_deep_nesting
def parse(text: str, source: str, *, line_offset: int = 0,
          hint: dict | None = None) -> Contribution:
    c = Contribution(fidelity="netplan")
    node, data = _load_repairing(text, c, source, line_offset)
    if node is None:
        return c
    marks: dict[str, tuple[int, int]] = {}
    _marks(node, "", marks)
    reader = _Reader(c, source, line_offset, marks)
    for pointer, message in schema_errors("netplan.schema.json", data):
        reader.problem(pointer, f"unexpected netplan value at {pointer or '/'}: {message}")
    network = data.get("network") if isinstance(data, dict) else None
    if isinstance(network, dict):
        reader.read(network)
    c.interfaces.extend(reader.interfaces())
    return c
