"""iproute2 and bridge-utils output: `ip addr`, `ip [-d] link`, `ip route`, `ip -j ...`,
`bridge link`, `brctl show`.

Text and JSON fill the same intermediate `_Link` records so that both forms of one host give the
same interfaces. Peers are resolved only after the whole dump is read, because a veth's peer may
be listed after it; an `@ifN` index is only trusted as a name when the peer is in this namespace
(no link-netnsid): in another namespace the same index names a different interface.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from .. import grammars
from ..host import Contribution
from ..netstate import Interface, IPInterface, Route
from ..span import Span
from .positions import (LineIndex, array_items, grammar_error, json_documents,
                        refuse_deep_nesting, schema_problem, syntax_error)

# Link kinds as `ip -d link` names them on the line after link/ether (info_kind in JSON).
LINK_KINDS = frozenset("""
    bridge veth vxlan vlan macvlan macvtap ipvlan ipvtap wireguard dummy bond team tun tap
    gre gretap ip6gre ip6gretap ipip sit ip6tnl geneve vrf openvswitch ifb nlmon netdevsim
    bareudp xfrm vti vti6 can vcan hsr batadv ppp erspan ip6erspan amt gtp
""".split())
# `ip -d` detail lines that carry nothing the model keeps.
KNOWN_DETAILS = frozenset("""
    bridge_slave bond_slave team_slave vrf_slave altname alias vf prop RX: TX: link-netnsid
    RX TX
""".split())
# iproute2 link types that name the kind by themselves.
LINK_TYPE_KINDS = {"loopback": "loopback"}
# Routes of these types live in the `local` table unless the output names another.
LOCAL_TABLE_TYPES = frozenset({"local", "broadcast", "anycast"})


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammars.read("iproute.lark"), parser="lalr",
                start=["link_line", "brief_line", "route_line", "brctl_line"])


@dataclass
class _Link:
    """One interface while a dump is being read; frozen into an Interface at the end."""

    name: str
    span: Span
    index: int | None = None
    link_name: str | None = None  # `@name` / JSON "link": a veth peer or a lower device
    link_index: int | None = None  # `@ifN` / JSON "link_index"
    link_netnsid: int | None = None  # the `@` target lives in another namespace
    kind: str | None = None
    link_type: str | None = None
    detailed: bool = False  # `ip -d`: absence of a kind line then means a plain device
    master: str | None = None
    addresses: list[IPInterface] = field(default_factory=list)
    up: bool | None = None
    mtu: int | None = None
    bridge_options: list[tuple[str, str]] = field(default_factory=list)


def _to_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _pairs(words: list[str]) -> dict[str, str]:
    """Key/value attributes as iproute2 prints them ("mtu 1500 master br0 ...")."""
    out: dict[str, str] = {}
    for i in range(0, len(words) - 1, 2):
        out.setdefault(words[i], words[i + 1])
    return out


def _up(flags: list[str], state: str | None) -> bool | None:
    """Operational state when iproute2 knows it, else the administrative UP flag."""
    if state in ("UP",):
        return True
    if state in ("DOWN", "LOWERLAYERDOWN", "NOTPRESENT", "DORMANT"):
        return False
    if flags:
        return "UP" in flags
    return None


def _interfaces(links: list[_Link], label: str) -> list[Interface]:
    by_name = {link.name: link for link in links}
    by_index = {link.index: link for link in links if link.index is not None}

    def refers_to(a: _Link, b: _Link) -> bool:
        return a.link_name == b.name or (a.link_index is not None and a.link_index == b.index
                                         and a.link_netnsid is None)

    out = []
    for link in links:
        kind = link.kind or LINK_TYPE_KINDS.get(link.link_type or "")
        if kind is None and link.detailed and link.link_type == "ether":
            kind = "ether"
        peer: str | None = None
        peer_index: int | None = None
        if kind in (None, "veth"):
            target = None
            if link.link_name is not None:
                target = by_name.get(link.link_name)
            elif link.link_index is not None and link.link_netnsid is None:
                target = by_index.get(link.link_index)
            if target is not None and (kind == "veth" or refers_to(target, link)):
                peer, peer_index = target.name, target.index
            elif link.link_index is not None:
                peer_index = link.link_index
            elif kind == "veth" and link.link_name is not None:
                peer = link.link_name
        out.append(Interface(
            name=link.name, span=link.span, index=link.index, kind=kind, master=link.master,
            peer=peer, peer_index=peer_index, addresses=tuple(dict.fromkeys(link.addresses)),
            up=link.up, mtu=link.mtu, bridge_options=tuple(link.bridge_options),
            sources=(label,)))
    return out


def _address(text: str, prefix: int | None = None) -> IPInterface | None:
    try:
        if prefix is not None and "/" not in text:
            text = f"{text}/{prefix}"
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _words(items: list) -> list[str]:
    return [str(t.children[0]) for t in items if isinstance(t, Tree) and t.data == "attr"]


class _TextReader:
    """Line-by-line reading with one grammar start symbol; problems never stop the reading."""

    def __init__(self, source: str, line_offset: int, label: str) -> None:
        self.source = source
        self.offset = line_offset
        self.label = label
        self.c = Contribution(fidelity=label)
        self.unused: list[int] = []

    def span(self, lineno: int, column: int = 1, end: int | None = None) -> Span:
        line = lineno + self.offset
        return Span(self.source, line, column, line if end else None, end)

    def lines(self, text: str, start: str, what: str):
        """(line number, parse tree) of every readable line; NF001 for the others."""
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            try:
                tree = _parser().parse(line, start=start)
            except LarkError as exc:
                self.c.problems.append(grammar_error(
                    exc, self.source, lineno, f"cannot read {self.label} line: expected {what}",
                    line_offset=self.offset))
                continue
            yield lineno, line, tree

    def note_unused(self) -> None:
        if self.unused:
            shown = ", ".join(str(n + self.offset) for n in self.unused[:5])
            more = "" if len(self.unused) <= 5 else f" and {len(self.unused) - 5} more"
            self.c.assumptions.append(
                f"{self.source}: {len(self.unused)} {self.label} line(s) not used by the model "
                f"(lines {shown}{more})")


def _read_link_ref(link: _Link, items: list) -> None:
    """`NAME@ifN` / `NAME@LOWER`: the full and the brief listing name a link's other end alike."""
    for sub in items:
        if isinstance(sub, Tree) and sub.data == "link_ref":
            ref = str(sub.children[0])
            m = re.fullmatch(r"if(\d+)", ref)
            if m:
                link.link_index = int(m.group(1))
            elif ref != "NONE":
                link.link_name = ref


_LINK_WHAT = "`N: name: <FLAGS> ...`, `link/...`, `inet[6] ADDRESS ...` or a detail line"


def _read_links(reader: _TextReader, text: str) -> list[_Link]:
    links: list[_Link] = []
    cur: _Link | None = None
    for lineno, line, tree in reader.lines(text, "link_line", _LINK_WHAT):
        node = tree.children[0]
        items = node.children
        words = _words(items)
        if node.data == "header":
            name_tok = items[1]
            cur = _Link(str(name_tok), reader.span(lineno, name_tok.column or 1,
                                                   name_tok.end_column))
            cur.index = _to_int(items[0])
            _read_link_ref(cur, items)
            flags_tok = next(t for t in items if isinstance(t, Token) and t.type == "FLAGS")
            flags = [f for f in str(flags_tok)[1:-1].split(",") if f]
            attrs = _pairs(words)
            cur.mtu = _to_int(attrs.get("mtu"))
            cur.master = attrs.get("master")
            if "link-netnsid" in attrs:
                cur.link_netnsid = _to_int(attrs["link-netnsid"])
            state = attrs.get("state")
            cur.up = _up(flags, state if state and state.isupper() else None)
            links.append(cur)
            continue
        if cur is None:
            reader.c.problems.append(syntax_error(
                reader.source, lineno, 1, f"cannot read {reader.label} line: it comes before "
                "any `N: name: <FLAGS>` interface line", line_offset=reader.offset))
            continue
        if node.data == "linktype":
            cur.link_type = str(items[0]).split("/", 1)[1]
            for key in ("link-netnsid", "link-netns"):  # the latter names the namespace
                if key in words:
                    i = words.index(key)
                    value = words[i + 1] if i + 1 < len(words) else ""
                    cur.link_netnsid = _to_int(value) if value.isdigit() else -1
            cur.detailed = cur.detailed or "promiscuity" in words
        elif node.data == "inet":
            addr = _address(str(items[1]))
            if addr is None:
                reader.c.problems.append(syntax_error(
                    reader.source, lineno, items[1].column or 1,
                    f"cannot read address {str(items[1])!r}", line_offset=reader.offset))
            else:
                cur.addresses.append(addr)
        elif node.data == "detail":
            word = str(items[0])
            if word in LINK_KINDS:
                cur.kind = word
                cur.detailed = True
                if word == "bridge":
                    cur.bridge_options = list(_pairs(words).items())
            elif word not in KNOWN_DETAILS:
                reader.unused.append(lineno)
    return links


def _read_brief(reader: _TextReader, text: str) -> list[_Link]:
    """`ip -br`: one line per interface, state then addresses (addr) or MAC and flags (link)."""
    links = []
    for lineno, line, tree in reader.lines(text, "brief_line", "`NAME[@LINK] STATE ...`"):
        items = tree.children
        link = _Link(str(items[0]), reader.span(lineno, items[0].column or 1,
                                                items[0].end_column))
        _read_link_ref(link, items)
        state = str(next(t for t in items[1:] if isinstance(t, Token)))
        words = _words(items)
        flags = next((w[1:-1].split(",") for w in words if w.startswith("<")), [])
        link.up = _up(flags, state if state.isupper() and state != "UNKNOWN" else None)
        for word in words:
            if "/" in word and (addr := _address(word)) is not None:
                link.addresses.append(addr)
        links.append(link)
    return links


_BRIEF_LINE = re.compile(r"\S+\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)"
                         r"(\s|$)")


def _is_brief(text: str, hint: dict | None) -> bool:
    """`ip -br` output: the prompt said so, or the first line is `NAME STATE ...` and no line
    has the `N: name:` shape."""
    if (hint or {}).get("brief"):
        return True
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return bool(_BRIEF_LINE.match(first)) and not re.search(r"^\s*\d+:\s", text, re.MULTILINE)


def _text_links(text: str, source: str, line_offset: int, label: str,
                hint: dict | None = None) -> Contribution:
    reader = _TextReader(source, line_offset, label)
    if _is_brief(text, hint):
        links = _read_brief(reader, text)
    else:
        links = _read_links(reader, text)
    reader.c.interfaces.extend(_interfaces(links, label))
    reader.note_unused()
    return reader.c


def parse_addr(text: str, source: str, *, line_offset: int = 0,
               hint: dict | None = None) -> Contribution:
    """`ip addr` / `ip address show` / `ip -br addr` text."""
    return _text_links(text, source, line_offset, "ip addr", hint)


def parse_link(text: str, source: str, *, line_offset: int = 0,
               hint: dict | None = None) -> Contribution:
    """`ip link` / `ip -d link` / `ip -br link` text (also accepts `ip -s link`)."""
    return _text_links(text, source, line_offset, "ip link", hint)


def parse_bridge_link(text: str, source: str, *, line_offset: int = 0,
                      hint: dict | None = None) -> Contribution:
    """`bridge link`: the same header lines; only bridge membership is new here."""
    c = _text_links(text, source, line_offset, "bridge link")
    _add_masters(c, "bridge link")
    return c


def _add_masters(c: Contribution, label: str) -> None:
    """A port's master is a bridge; say so even when the dump lists only the ports."""
    known = {i.name for i in c.interfaces}
    for port in list(c.interfaces):
        if port.master and port.master not in known:
            known.add(port.master)
            c.interfaces.append(Interface(port.master, port.span, kind="bridge", sources=(label,)))


def parse_brctl(text: str, source: str, *, line_offset: int = 0,
                hint: dict | None = None) -> Contribution:
    """`brctl show`: a bridge row, then one indented row per further member."""
    reader = _TextReader(source, line_offset, "brctl show")
    bridge: str | None = None
    for lineno, line, tree in reader.lines(text, "brctl_line", "`bridge name  bridge id  "
                                           "STP enabled  interfaces` rows"):
        items = tree.children
        if tree.data == "heading":
            continue
        if tree.data == "bridge":
            bridge = str(items[0])
            reader.c.interfaces.append(Interface(
                bridge, reader.span(lineno, items[0].column or 1, items[0].end_column),
                kind="bridge", sources=("brctl show",)))
            members = items[3:]
        else:
            members = items
            if bridge is None:
                reader.c.problems.append(syntax_error(
                    source, lineno, items[0].column or 1,
                    "cannot read brctl show line: a member row before any bridge row",
                    line_offset=line_offset))
                continue
        for tok in members:
            reader.c.interfaces.append(Interface(
                str(tok), reader.span(lineno, tok.column or 1, tok.end_column), master=bridge,
                sources=("brctl show",)))
    return reader.c


# ---- routes ---------------------------------------------------------------------------------

_ROUTE_VALUE_KEYS = frozenset({"dev", "via", "table", "proto", "scope", "src", "metric",
                               "pref", "nhid", "weight", "expires", "error", "realm", "from",
                               "tos", "advmss", "hoplimit"})


def _route_attrs(words: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        key = words[i]
        if key in _ROUTE_VALUE_KEYS and i + 1 < len(words):
            value = words[i + 1]
            if key == "via" and value in ("inet", "inet6") and i + 2 < len(words):
                i += 1
                value = words[i + 1]
            out.setdefault(key, value)
            i += 2
        elif key == "mtu" and i + 1 < len(words):
            i += 3 if words[i + 1] == "lock" else 2
        else:
            i += 1
    return out


def _command_table(hint: dict | None) -> str | None:
    hint = hint or {}
    if hint.get("table"):
        return str(hint["table"])
    m = re.search(r"\btable\s+(\S+)", str(hint.get("command") or ""))
    if m and m.group(1) != "all":
        return m.group(1)
    return None


def _route(dst: str, span: Span, rtype: str, attrs: dict, table: str | None) -> Route:
    if "table" in attrs:
        table = attrs["table"]
    elif table is None:
        table = "local" if rtype in LOCAL_TABLE_TYPES else "main"
    return Route(dst=dst, span=span, dev=attrs.get("dev"), via=attrs.get("via"),
                 table=str(table), type=rtype, scope=attrs.get("scope"),
                 src=attrs.get("src"), proto=attrs.get("proto"),
                 metric=_to_int(attrs.get("metric")))


def parse_route(text: str, source: str, *, line_offset: int = 0,
                hint: dict | None = None) -> Contribution:
    """`ip route` / `ip -6 route` / `ip route show table X`; multipath nexthops become one Route
    each, so every next hop can be checked."""
    reader = _TextReader(source, line_offset, "ip route")
    table = _command_table(hint)
    # (dst, type, attrs, span, nexthops): a head with nexthops stands for its hops
    heads: list[tuple[str, str, dict, Span, list[tuple[dict, Span]]]] = []
    for lineno, line, tree in reader.lines(text, "route_line", "`[TYPE] DESTINATION attrs...` "
                                           "or a `nexthop` line"):
        span = reader.span(lineno, len(line) - len(line.lstrip()) + 1, len(line.rstrip()) + 1)
        attrs = _route_attrs(_words(tree.children))
        if tree.data == "nexthop":
            if not heads:
                reader.c.problems.append(syntax_error(
                    source, lineno, span.column, "cannot read ip route line: a `nexthop` line "
                    "without a route before it", line_offset=line_offset))
            else:
                heads[-1][4].append((attrs, span))
            continue
        tokens = [t for t in tree.children if isinstance(t, Token)]
        rtype = str(tokens[0]) if tokens[0].type == "ROUTE_TYPE" else "unicast"
        heads.append((str(tokens[-1]), rtype, attrs, span, []))
    for dst, rtype, attrs, span, hops in heads:
        if not hops:
            reader.c.routes.append(_route(dst, span, rtype, attrs, table))
        for hop, hop_span in hops:
            reader.c.routes.append(_route(dst, hop_span, rtype, {**attrs, **hop}, table))
    return reader.c


# ---- ip -j ----------------------------------------------------------------------------------

def _json_kind(obj: dict) -> str | None:
    if "ifname" in obj:
        return "interface"
    if "dst" in obj and "lladdr" not in obj and not isinstance(obj.get("state"), list):
        return "route"
    return None


def _json_link(obj: dict, span: Span) -> _Link:
    link = _Link(str(obj["ifname"]), span, index=_to_int(obj.get("ifindex")))
    if obj.get("link"):
        link.link_name = str(obj["link"])
    link.link_index = _to_int(obj.get("link_index"))
    link.link_netnsid = _to_int(obj.get("link_netnsid"))
    link.link_type = obj.get("link_type")
    link.detailed = "promiscuity" in obj or "linkinfo" in obj
    info = obj.get("linkinfo") or {}
    if info.get("info_kind"):
        link.kind = str(info["info_kind"])
    if link.kind == "bridge":
        data = info.get("info_data") or {}
        link.bridge_options = [(str(k), _json_scalar(v)) for k, v in data.items()
                               if not isinstance(v, (dict, list))]
    link.master = obj.get("master")
    link.mtu = _to_int(obj.get("mtu"))
    state = obj.get("operstate")
    link.up = _up(list(obj.get("flags") or ()), state if state != "UNKNOWN" else None)
    for a in obj.get("addr_info") or ():
        if "local" in a:
            addr = _address(str(a["local"]), _to_int(a.get("prefixlen")))
            if addr is not None:
                link.addresses.append(addr)
    return link


def _json_scalar(v: object) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def _json_routes(obj: dict, span: Span, table: str | None) -> list[Route]:
    def attrs_of(o: dict) -> dict:
        via = o.get("gateway") or (o.get("via") or {}).get("host")
        return {"dev": o.get("dev"), "via": via, "scope": o.get("scope"),
                "src": o.get("prefsrc"), "proto": o.get("protocol"), "metric": o.get("metric")}

    base = {k: (None if v is None else str(v)) for k, v in attrs_of(obj).items()}
    if "table" in obj:
        base["table"] = str(obj["table"])
    base = {k: v for k, v in base.items() if v is not None}
    rtype = str(obj.get("type") or "unicast")
    hops = obj.get("nexthops") or []
    if not hops:
        return [_route(str(obj["dst"]), span, rtype, base, table)]
    routes = []
    for hop in hops:
        extra = {k: str(v) for k, v in attrs_of(hop).items() if v is not None}
        routes.append(_route(str(obj["dst"]), span, rtype, {**base, **extra}, table))
    return routes


@refuse_deep_nesting
def parse_json(text: str, source: str, *, line_offset: int = 0,
               hint: dict | None = None) -> Contribution:
    """Any `ip -j` output (addr, link, -d link, route; several pasted one after another):
    each object is told apart by its keys and checked against grammars/ip-json.schema.json."""
    c = Contribution(fidelity="ip -j")
    index = LineIndex(text)
    table = _command_table(hint)
    links: list[_Link] = []
    labels: set[str] = set()
    skipped = 0
    for start, doc in json_documents(text):
        if isinstance(doc, json.JSONDecodeError):
            line, col = index.at(doc.pos)
            c.problems.append(syntax_error(source, line, col, f"invalid JSON: {doc.msg}",
                                           line_offset=line_offset))
            continue
        if not isinstance(doc, (list, dict)):
            line, col = index.at(start)
            c.problems.append(syntax_error(source, line, col, "expected a JSON array of `ip -j` "
                                           "objects", line_offset=line_offset))
            continue
        items = [(start, doc)] if isinstance(doc, dict) else list(zip(array_items(text, start),
                                                                       doc))
        for n, (offset, obj) in enumerate(items):
            line, col = index.at(offset)
            pointer = "" if isinstance(doc, dict) else f"/{n}"
            span = Span(source, line + line_offset, col, pointer=pointer or None)
            if not isinstance(obj, dict):
                c.problems.append(syntax_error(source, line, col, "expected an `ip -j` object",
                                               line_offset=line_offset, pointer=pointer))
                continue
            if not obj:
                continue  # `ip -4 -j addr` prints {} for interfaces without IPv4 addresses
            kind = _json_kind(obj)
            if kind is None:
                skipped += 1
                continue
            problem = schema_problem("ip-json.schema.json", obj, f"`ip -j` {kind}", source,
                                     line, col, line_offset=line_offset, pointer=pointer,
                                     definition=kind)
            if problem is not None:
                c.problems.append(problem)
                continue
            if kind == "interface":
                links.append(_json_link(obj, span))
                labels.add("ip -j addr" if "addr_info" in obj else "ip -j link")
            else:
                c.routes.extend(_json_routes(obj, span, table))
    merged: dict[str, _Link] = {}
    for link in links:  # `ip -j addr` and `ip -j link` of one host pasted together
        old = merged.get(link.name)
        merged[link.name] = link if old is None else _merge_links(old, link)
    label = " + ".join(sorted(labels)) or "ip -j"
    c.interfaces.extend(_interfaces(list(merged.values()), label))
    if skipped:
        c.assumptions.append(f"{source}: {skipped} `ip -j` object(s) that are neither interfaces "
                             "nor routes (neighbours, rules, ...) not used")
    return c


def _merge_links(old: _Link, new: _Link) -> _Link:
    for name in ("index", "link_name", "link_index", "link_netnsid", "kind", "link_type",
                 "master", "up", "mtu"):
        if getattr(new, name) is not None:
            setattr(old, name, getattr(new, name))
    old.detailed = old.detailed or new.detailed
    old.addresses += [a for a in new.addresses if a not in old.addresses]
    old.bridge_options = old.bridge_options or new.bridge_options
    return old
