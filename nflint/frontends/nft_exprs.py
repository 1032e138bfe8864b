"""libnftables JSON statements and expressions -> typed matches and actions.

Shared by both nft frontends: `nft -j` JSON is mapped directly, and the nft text frontend first
turns its parse into the very same JSON-shaped dicts, so the two cannot drift apart. The
vocabulary is the iptables one (`iptables_options`), so `-i eth0` and `iifname "eth0"`, `-p tcp
--dport 22` and `tcp dport 22` become equal matches:

- protocols via `iptables_options.protocol_name` ("ipv6-icmp" -> "icmpv6"); a transport header
  match (`tcp dport`, `icmp type`) also yields the ProtocolMatch nft adds as its hidden dependency
  (iptables spells it `-p tcp`), unless the rule already states that protocol.
- marks: `meta mark set` is normalised to iptables' `--set-xmark value/mask` (op "set"); `meta
  mark set ct mark` is CONNMARK "restore", `ct mark set meta mark` is "save".
- `limit`, `quota`, `ct count` and rate-limited meters are conditions, so they become ModuleMatch
  ("limit", "quota", "connlimit", "meter"), as their iptables modules do.
- `meta ibriport/obriport` (also spelt ibrport/obrport) is the bridge port: PhysdevMatch
  "in"/"out"; `meta ibrname/obrname` is the bridge itself: PhysdevMatch "in-bridge"/"out-bridge".
- `xt` statements (iptables-nft compat) keep their extension name; nft -j, and the text listing
  for what it cannot translate back, drop their parameters, so matches become
  UnknownMatch(module=name) and targets keep only what their name implies.
- flag sets are words whichever way they are spelt: `a,b`, `{ a, b }`, `a | b` (nested or flat
  `|`, as nft versions differ), and the numbers `nft -n` prints (`ct state 0x2,0x4`, `meta
  pkttype 1`, `tcp flags 0x2 / 0x2,0x10`) become nft's names (`SYMBOLS`).
- everything else compared to values is a FieldMatch whose `expr` is nft's own spelling
  ("ip dscp", "meta skuid", "ct original ip daddr"); unknown JSON is kept as compact JSON text.

Mapping is memoised per distinct statement (by its JSON text): large dumps repeat a few hundred
statement shapes, and the resulting frozen matches can be shared.
"""
from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable

from ..matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch, FieldMatch,
                       IcmpTypeMatch, InterfaceMatch, MarkMatch, Match, ModuleMatch, PhysdevMatch,
                       PortMatch, ProtocolMatch, SetMatch, TcpFlagsMatch, UnknownMatch)
from ..statements import (Action, CounterAction, CtSetAction, LogAction, MarkAction, NatAction,
                          NotrackAction, OtherAction, UnknownAction, Verdict, VerdictMap)
from .iptables_options import (ICMP_TYPES, ICMPV6_TYPES, LOG_TARGETS, NAT_TARGETS, OTHER_TARGETS,
                               VERDICT_TARGETS, protocol_name)

MASK32 = 0xFFFFFFFF
PORT_PROTOCOLS = frozenset(("tcp", "udp", "udplite", "sctp", "dccp"))
ADDRESS_PROTOCOLS = frozenset(("ip", "ip6"))
TCP_FLAG_NAMES = ("fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr")
VERDICT_KINDS = frozenset(("accept", "drop", "continue", "return", "jump", "goto"))
EQUAL_OPS = frozenset(("==", "in", "implicit"))
ORDER_OPS = frozenset(("<", ">", "<=", ">="))
PHYSDEV_META = {"ibriport": "in", "ibrport": "in", "obriport": "out", "obrport": "out",
                "ibrname": "in-bridge", "obrname": "out-bridge",
                "ibridgename": "in-bridge", "obridgename": "out-bridge"}
NAT_FLAGS = {"fully-random": "random-fully"}  # nft spelling -> iptables-save spelling
REJECT_ICMP6 = {"admin-prohibited": "adm-prohibited"}
RATE_STATEMENTS = frozenset(("limit", "quota", "ct count"))
LIMIT_UNITS = {"second": "sec", "minute": "min"}
XT_TARGET_KINDS = {"NOTRACK": NotrackAction()}
# Statements not memoised: xt (rule() reads them), and those a dump rarely repeats (a DNAT per
# endpoint, a vmap per service), where the memo key would cost more than it saves.
UNSHARED_KINDS = frozenset(("xt", "dnat", "snat", "vmap"))


# nft's symbol tables for the types `nft -n` prints as numbers (`ct state 0x2,0x4`, `meta
# pkttype 1`): numbers become the names the symbolic listing and `nft -j` give, so `nft -n list
# ruleset` and `nft list ruleset` build equal models. Bitmask types split a value into its bits.
CT_STATES = {1: "invalid", 2: "established", 4: "related", 8: "new", 64: "untracked"}
CT_STATUS = {1: "expected", 2: "seen-reply", 4: "assured", 8: "confirmed", 16: "snat",
             32: "dnat", 512: "dying"}
CT_EVENTS = {1 << i: n for i, n in enumerate(("new", "related", "destroy", "reply", "assured",
                                              "protoinfo", "helper", "mark", "seqadj",
                                              "secmark", "label"))}
TCP_FLAGS = {1 << i: n for i, n in enumerate(TCP_FLAG_NAMES)}
FIB_TYPES = dict(enumerate(("unspec", "unicast", "local", "broadcast", "anycast", "multicast",
                            "blackhole", "unreachable", "prohibit")))
ICMP_CODES = {0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable",
              3: "port-unreachable", 4: "frag-needed", 9: "net-prohibited",
              10: "host-prohibited", 13: "admin-prohibited"}
ICMPV6_CODES = {0: "no-route", 1: "admin-prohibited", 3: "addr-unreachable",
                4: "port-unreachable", 5: "policy-fail", 6: "reject-route"}
ICMPX_CODES = {0: "no-route", 1: "port-unreachable", 2: "host-unreachable",
               3: "admin-prohibited"}
REJECT_CODES = {"icmp": ICMP_CODES, "icmpv6": ICMPV6_CODES, "icmpx": ICMPX_CODES}
ETHER_TYPES = {0x0800: "ip", 0x0806: "arp", 0x86DD: "ip6", 0x8100: "vlan"}
ARPHRD = {1: "ether", 512: "ppp", 768: "ipip", 769: "ipip6", 772: "loopback", 776: "sit",
          778: "ipgre"}
INET_PROTOS = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp",
               51: "ah", 58: "ipv6-icmp", 132: "sctp", 136: "udplite"}  # as nft prints them
TYPE_SYMBOLS: dict[str, tuple[dict[int, str], bool]] = {  # set key types `nft -n` numbers
    "inet_proto": (INET_PROTOS, False), "ct_state": (CT_STATES, True),
    "ct_status": (CT_STATUS, True), "ether_type": (ETHER_TYPES, False)}
SYMBOLS: dict[tuple, tuple[dict[int, str], bool]] = {  # left side -> (names, is a bitmask)
    ("ct", "state"): (CT_STATES, True), ("ct", "status"): (CT_STATUS, True),
    ("ct", "event"): (CT_EVENTS, True), ("ct", "direction"): ({0: "original", 1: "reply"}, False),
    ("payload", "tcp", "flags"): (TCP_FLAGS, True),
    ("payload", "icmp", "code"): (ICMP_CODES, False),
    ("payload", "icmpv6", "code"): (ICMPV6_CODES, False),
    ("fib", "type"): (FIB_TYPES, False),
    ("meta", "pkttype"): ({0: "host", 1: "broadcast", 2: "multicast", 3: "other"}, False),
    ("meta", "nfproto"): ({2: "ipv4", 10: "ipv6"}, False),
    ("meta", "protocol"): (ETHER_TYPES, False), ("payload", "ether", "type"): (ETHER_TYPES, False),
    ("payload", "vlan", "type"): (ETHER_TYPES, False),
    ("meta", "iiftype"): (ARPHRD, False), ("meta", "oiftype"): (ARPHRD, False),
}


class Unmappable(ValueError):
    """A value the typed match cannot hold; the caller falls back to FieldMatch."""


def compact(value: object) -> str:
    """JSON text of an unknown construct, as kept in UnknownMatch/UnknownAction."""
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _duration(seconds: int | float) -> str:
    """nft's own spelling of a duration (`1h30m`); JSON carries seconds (ms in some fields)."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return str(seconds)
    total = int(seconds)
    if total <= 0:
        return f"{seconds}s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            out.append(f"{total // size}{unit}")
            total %= size
    return "".join(out)


def expr_text(e: object) -> str:
    """Canonical nft-like text of an expression: `ip saddr`, `10.0.0.0/8`, `{ 22, 80 }`."""
    if isinstance(e, str):
        return e
    if isinstance(e, bool):
        return "exists" if e else "missing"
    if isinstance(e, (int, float)):
        return str(e)
    if e is None:
        return ""
    if isinstance(e, list):
        return ",".join(expr_text(x) for x in e)
    if not isinstance(e, dict) or len(e) != 1:
        return compact(e)
    (kind, v), = e.items()
    renderer = _TEXT.get(kind)
    if renderer is None:
        return compact(e)
    try:
        return renderer(v)
    except (TypeError, ValueError, KeyError, AttributeError):
        return compact(e)


def _payload_text(v: dict) -> str:
    if "protocol" in v:
        text = f"{v['protocol']} {v['field']}" if v.get("field") else v["protocol"]
        return f"{v['tunnel']} {text}" if v.get("tunnel") else text
    return f"@{v['base']},{v['offset']},{v['len']}"


def _ct_text(v: dict) -> str:
    parts = ["ct"]
    if v.get("dir"):
        parts.append(v["dir"])
    if v.get("family") and not str(v["key"]).startswith(("ip ", "ip6 ")):
        parts.append(v["family"])
    parts.append(v["key"])
    return " ".join(parts)


def _flags_text(flags: object) -> str:
    if isinstance(flags, list):
        return " . ".join(str(f) for f in flags)
    return str(flags or "")


def _hash_text(kind: str, v: dict) -> str:
    parts = [kind]
    if v.get("expr") is not None:
        parts.append(expr_text(v["expr"]))
    if "mode" in v:
        parts.append(v["mode"])
    parts += ["mod", str(v["mod"])]
    if v.get("seed"):
        parts += ["seed", hex(v["seed"])]
    if v.get("offset"):
        parts += ["offset", str(v["offset"])]
    return " ".join(parts)


def _elem_text(v: dict) -> str:
    parts = [expr_text(v["val"])]
    if v.get("timeout") is not None:
        parts += ["timeout", _duration(v["timeout"])]
    if v.get("expires") is not None:
        parts += ["expires", _duration(v["expires"])]
    for stmt in ("counter", "limit", "quota"):
        if stmt in v:
            parts.append(stmt)
    if v.get("comment") is not None:
        parts.append(f'comment "{v["comment"]}"')
    return " ".join(parts)


def _set_text(v: object) -> str:
    items = v if isinstance(v, list) else [v]
    return "{ " + ", ".join(_mapping_text(x) for x in items) + " }"


def _mapping_text(x: object) -> str:
    if isinstance(x, list) and len(x) == 2:
        return f"{expr_text(x[0])} : {expr_text(x[1])}"
    return expr_text(x)


def _binop(op: str):
    def render(v: list) -> str:
        return f" {op} ".join(_operand_text(x) for x in v)
    return render


def _operand_text(x: object) -> str:
    if isinstance(x, list):  # a flag list inside a binary operation: (syn | ack)
        return "(" + " | ".join(expr_text(i) for i in x) + ")"
    return expr_text(x)


def _verdict_text(kind: str):
    return lambda v: f"{kind} {expr_text(v['target'])}"


_TEXT = {
    "payload": _payload_text,
    "meta": lambda v: f"meta {v['key']}",
    "ct": _ct_text,
    "rt": lambda v: " ".join(p for p in ("rt", v.get("family"), v["key"]) if p),
    "fib": lambda v: f"fib {_flags_text(v.get('flags'))} {v['result']}",
    "socket": lambda v: f"socket {v['key']}" + (f" level {v['level']}" if "level" in v else ""),
    "osf": lambda v: "osf " + (f"ttl {v['ttl']} " if v.get("ttl") else "") + v["key"],
    "exthdr": lambda v: (f"{v['name']} {v['field']}" if v.get("field") else f"exthdr {v['name']}"),
    "tcp option": lambda v: " ".join(p for p in ("tcp option", v["name"], v.get("field")) if p),
    "ip option": lambda v: " ".join(p for p in ("ip option", v["name"], v.get("field")) if p),
    "sctp chunk": lambda v: " ".join(p for p in ("sctp chunk", v["name"], v.get("field")) if p),
    "numgen": lambda v: _hash_text("numgen", v),
    "jhash": lambda v: _hash_text("jhash", v),
    "symhash": lambda v: _hash_text("symhash", v),
    "concat": lambda v: " . ".join(expr_text(x) for x in v),
    "prefix": lambda v: f"{expr_text(v['addr'])}/{v['len']}",
    "range": lambda v: f"{expr_text(v[0])}-{expr_text(v[1])}",
    "set": _set_text,
    "map": lambda v: f"{expr_text(v['key'])} map {expr_text(v['data'])}",
    "elem": _elem_text,
    "&": _binop("&"), "|": _binop("|"), "^": _binop("^"), "<<": _binop("<<"), ">>": _binop(">>"),
    "accept": lambda v: "accept", "drop": lambda v: "drop", "continue": lambda v: "continue",
    "return": lambda v: "return", "jump": _verdict_text("jump"), "goto": _verdict_text("goto"),
}


# -- values ------------------------------------------------------------------------------------

def _items(right: object) -> list:
    """The alternatives a right-hand side stands for: an anonymous set's elements, else itself."""
    if isinstance(right, dict) and "set" in right and len(right) == 1:
        inner = right["set"]
        return inner if isinstance(inner, list) else [inner]
    return [right]


def _set_ref(right: object) -> str | None:
    if isinstance(right, str) and right.startswith("@"):
        return right[1:]
    return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A plain address or CIDR; dotted quads skip ipaddress' slower string parser."""
    if "/" not in text and ":" not in text:
        try:
            return ipaddress.IPv4Network((int.from_bytes(socket.inet_pton(socket.AF_INET, text),
                                                         "big"), 32))
        except OSError:
            pass
    return ipaddress.ip_network(text, strict=False)


def _networks(right: object) -> tuple:
    nets = []
    for item in _items(right):
        if isinstance(item, dict) and "elem" in item:
            item = item["elem"]["val"]
        if isinstance(item, str):
            nets.append(_network(item))
        elif isinstance(item, dict) and "prefix" in item:
            p = item["prefix"]
            nets.append(ipaddress.ip_network(f"{p['addr']}/{p['len']}", strict=False))
        elif isinstance(item, dict) and "range" in item:
            lo, hi = (ipaddress.ip_address(x) for x in item["range"])
            nets.extend(ipaddress.summarize_address_range(lo, hi))
        else:
            raise Unmappable(compact(item))
    return tuple(nets)


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise Unmappable(str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            raise Unmappable(value) from None
    raise Unmappable(compact(value))


def _port_ranges(right: object, op: str) -> tuple[tuple[int, int], ...]:
    if op in ORDER_OPS:
        p = _int(right)
        lo, hi = {"<": (0, p - 1), "<=": (0, p), ">": (p + 1, 65535), ">=": (p, 65535)}[op]
        if lo > hi:
            raise Unmappable(f"{op} {p}")
        return ((lo, hi),)
    ranges = []
    for item in _items(right):
        if isinstance(item, dict) and "range" in item:
            ranges.append((_int(item["range"][0]), _int(item["range"][1])))
        else:
            p = _int(item)
            ranges.append((p, p))
    return tuple(ranges)


def _or_terms(item: object) -> list:
    """The leaves of an OR of flags: nft 1.0.6 prints `a | b | c` nested, {"|": [{"|": [a, b]},
    c]}, newer nft flat, {"|": [a, b, c]}; both are the same flag set."""
    if type(item) is dict and len(item) == 1 and type(item.get("|")) is list:
        return [leaf for x in item["|"] for leaf in _or_terms(x)]
    if type(item) is list:
        return [leaf for x in item for leaf in _or_terms(x)]
    return [item]


def _words(right: object) -> tuple[str, ...]:
    """Flag-like values (`established,related`, `a | b`, a set of names) as lower-case words."""
    out = []
    for item in _items(right):
        for leaf in _or_terms(item):
            if isinstance(leaf, (dict, bool)) or leaf is None:
                raise Unmappable(compact(leaf))
            out.append(expr_text(leaf).lower())
    return tuple(out)


def _symbol_table(left: object) -> tuple[dict[int, str], bool] | None:
    """The names of the values `left` is compared with, when nft has a symbol table for them."""
    if type(left) is not dict or len(left) != 1:
        return None
    for kind, v in left.items():
        if type(v) is not dict:
            return None
        if kind == "payload":
            return SYMBOLS.get(("payload", v.get("protocol"), v.get("field")))
        if kind == "ct":
            return None if v.get("dir") else SYMBOLS.get(("ct", v.get("key")))
        if kind == "fib":
            return SYMBOLS.get(("fib", v.get("result")))
        if kind == "meta":
            return SYMBOLS.get(("meta", v.get("key")))
    return None


def named(left: object, right: object) -> object:
    """`right` with the numbers of a symbolic type (as `nft -n` prints them) turned into names;
    a number of a bitmask type holding several bits becomes their OR."""
    table = _symbol_table(left)
    return right if table is None else _named(right, *table)


def named_element(e: object, key_types: tuple[str, ...]) -> object:
    """A set element with the numbers of its symbolic key types (`192.0.2.1 . 6 . 22` in an
    `ipv4_addr . inet_proto . inet_service` set, as `nft -n` lists it) turned into names."""
    if type(e) is dict and len(e) == 1:
        inner = e.get("elem")
        if type(inner) is dict and "val" in inner:
            return {"elem": {**inner, "val": named_element(inner["val"], key_types)}}
        parts = e.get("concat")
        if type(parts) is list and len(parts) == len(key_types):
            return {"concat": [named_element(x, (t,)) for x, t in zip(parts, key_types)]}
    if len(key_types) == 1 and key_types[0] in TYPE_SYMBOLS:
        return _named(e, *TYPE_SYMBOLS[key_types[0]])
    return e


def _named(x: object, names: dict[int, str], bitmask: bool) -> object:
    t = type(x)
    if t is int:
        if x in names:
            return names[x]
        if bitmask and x > 0:
            bits = [1 << i for i in range(x.bit_length()) if x & (1 << i)]
            if all(b in names for b in bits):
                return {"|": [names[b] for b in bits]}
        return x
    if t is list:
        return [_named(i, names, bitmask) for i in x]
    if t is dict and len(x) == 1:
        for k, v in x.items():
            if k in ("set", "|", "range"):
                return {k: _named(v, names, bitmask)}
    return x


def _values(right: object) -> tuple[str, ...]:
    out = []
    for item in _items(right):
        if isinstance(item, list):
            out.extend(expr_text(i) for i in item)
        else:
            out.append(expr_text(item))
    return tuple(out)


def _flag_list(value: object) -> tuple[str, ...]:
    if isinstance(value, dict) and "|" in value:
        value = _or_terms(value)
    if isinstance(value, list):
        return tuple(str(v).lower() for v in value)
    if isinstance(value, str):
        return tuple(f for f in value.lower().replace("|", ",").replace(" ", "").split(",") if f)
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(n for i, n in enumerate(TCP_FLAG_NAMES) if value & (1 << i))
    raise Unmappable(compact(value))


# -- matches -----------------------------------------------------------------------------------

def _one_key(e: object) -> tuple[str, object] | None:
    if isinstance(e, dict) and len(e) == 1:
        (k, v), = e.items()
        return k, v
    return None


def _set_fields(left: object) -> tuple[str, ...]:
    """The fields a set lookup keys on (`ip saddr . tcp dport` -> saddr, dport)."""
    kv = _one_key(left)
    if kv is None:
        return (expr_text(left),)
    kind, v = kv
    if kind == "concat" and isinstance(v, list):
        return tuple(f for x in v for f in _set_fields(x))
    if isinstance(v, dict):
        if kind == "payload" and v.get("field") and not v.get("tunnel"):
            return (str(v["field"]),)
        if kind in ("meta", "ct") and v.get("key"):
            return (str(v["key"]),) if kind == "meta" else (f"ct {v['key']}",)
    return (expr_text(left),)


def map_match(stmt: dict) -> list[Match]:
    """One `{"match": {op, left, right}}` -> its typed matches (usually one)."""
    body = stmt.get("match") if isinstance(stmt, dict) else None
    if not isinstance(body, dict) or "left" not in body or "right" not in body:
        return [UnknownMatch(compact(stmt))]
    op = body.get("op", "==")
    left, right = body["left"], body["right"]
    right = named(left, right)
    if op == "!":  # nft's OP_NEG on a bitmask: none of the given bits is set
        got = _none_of(left, right)
        if got is not None:
            return got
    negated = op == "!="
    try:
        got = _typed_match(op, left, right, negated)
    except (Unmappable, ValueError, TypeError, KeyError, IndexError, AttributeError):
        got = None
    if got is not None:
        return got
    kv = _one_key(left)
    if kv is None or kv[0] not in _TEXT or isinstance(left, (list, str)):
        return [UnknownMatch(compact(stmt))]
    shown = "==" if op in ("implicit",) else op
    return [FieldMatch(expr_text(left), "==" if negated else shown, _values(right),
                       negated=negated)]


def _none_of(left: object, right: object) -> list[Match] | None:
    kv = _one_key(left)
    if kv is None or not isinstance(kv[1], dict):
        return None
    kind, v = kv
    if kind == "ct" and not v.get("dir") and v.get("key") in ("state", "status", "event"):
        values = tuple(w.replace("_", "-") for w in _words(right))
        return [ConntrackMatch(str(v["key"]), values, negated=True)]
    if kind == "payload" and (v.get("protocol"), v.get("field")) == ("tcp", "flags"):
        return [TcpFlagsMatch(_flag_list(right), ())]
    return None


def _typed_match(op: str, left: object, right: object, negated: bool) -> list[Match] | None:
    kv = _one_key(left)
    if kv is None:
        return None
    kind, v = kv
    equal = op in EQUAL_OPS or negated
    ref = _set_ref(right)
    if ref is not None and equal:
        return [SetMatch(ref, _set_fields(left), negated=negated)]
    if kind == "meta" and isinstance(v, dict):
        return _meta_match(v.get("key"), op, right, negated, equal)
    if kind == "payload" and isinstance(v, dict) and not v.get("tunnel") and "protocol" in v:
        return _payload_match(v["protocol"], v.get("field"), op, right, negated, equal)
    if kind == "ct" and isinstance(v, dict):
        return _ct_match(v, op, right, negated, equal)
    if kind == "fib" and isinstance(v, dict) and v.get("result") == "type" and equal:
        flags = v.get("flags") or []
        flags = [flags] if isinstance(flags, str) else flags
        field = "saddr" if "saddr" in flags else "daddr"
        limit = "in" if "iif" in flags else "out" if "oif" in flags else None
        return [AddrTypeMatch(field, _words(right), limit, negated=negated)]
    if kind == "&" and isinstance(v, list) and len(v) == 2 and equal:
        return _masked_match(v[0], v[1], right, negated)
    return None


def _meta_match(key, op, right, negated, equal) -> list[Match] | None:
    if not equal:
        return None
    if key in ("iifname", "oifname", "iif", "oif"):
        names = tuple(expr_text(i) for i in _items(right))
        if any(isinstance(i, (dict, list)) for i in _items(right)):
            raise Unmappable(compact(right))
        return [InterfaceMatch("in" if key[0] == "i" else "out", names, negated=negated)]
    if key == "l4proto":
        return [ProtocolMatch(tuple(protocol_name(w) for w in _words(right)), negated=negated)]
    if key == "mark":
        return [MarkMatch("mark", _int(right), None, negated=negated)]
    kind = PHYSDEV_META.get(key)
    if kind is not None:
        items = _items(right)
        if len(items) != 1 or isinstance(items[0], (dict, list)):
            return None
        return [PhysdevMatch(kind, expr_text(items[0]), negated=negated)]
    return None


def _payload_match(proto, field, op, right, negated, equal) -> list[Match] | None:
    if proto in ADDRESS_PROTOCOLS and field in ("saddr", "daddr") and equal:
        return [AddressMatch(field, _networks(right), negated=negated)]
    if (proto, field) in (("ip", "protocol"), ("ip6", "nexthdr")) and equal:
        return [ProtocolMatch(tuple(protocol_name(w) for w in _words(right)), negated=negated)]
    if field in ("sport", "dport") and (proto in PORT_PROTOCOLS or proto == "th"):
        if not equal and op not in ORDER_OPS:
            return None
        port = PortMatch(field, _port_ranges(right, op), None if proto == "th" else proto,
                         negated=negated)
        return [port]
    if field == "type" and proto in ("icmp", "icmpv6") and equal:
        names = ICMP_TYPES if proto == "icmp" else ICMPV6_TYPES
        types = tuple(names.get(t, t) for t in _words(right))
        return [IcmpTypeMatch(proto, types, negated=negated)]
    if proto == "tcp" and field == "flags":
        if op == "in":  # `tcp flags syn`: the bit is set
            flags = _flag_list(right)
            return [TcpFlagsMatch(flags, flags)] if len(flags) == 1 else None
        if equal and not isinstance(right, dict):  # `tcp flags == syn`: all bits compared
            return [TcpFlagsMatch(TCP_FLAG_NAMES, _flag_list(right), negated=negated)]
    return None


def _ct_key(v: dict) -> str:
    key = str(v["key"])
    for prefix in ("ip6 ", "ip "):
        if key.startswith(prefix):
            key = key[len(prefix):]
    key = {"proto-src": "sport", "proto-dst": "dport"}.get(key, key)
    return f"{v['dir']}-{key}" if v.get("dir") else key


_CT_NAMES = {"state": frozenset(CT_STATES.values()), "status": frozenset(CT_STATUS.values()),
             "direction": frozenset(("original", "reply")), "event": frozenset(CT_EVENTS.values())}


def _ct_match(v, op, right, negated, equal) -> list[Match] | None:
    if not equal:
        return None
    if v.get("key") == "mark" and not v.get("dir"):
        return [MarkMatch("connmark", _int(right), None, negated=negated)]
    key = _ct_key(v)
    if key in ("state", "status", "direction", "event"):
        values = tuple(w.replace("_", "-") for w in _words(right))
        names = _CT_NAMES[key]  # a number is a bit the kernel compares as is
        if not all(w in names or w.isdigit() for w in values):  # nft refuses a bad name
            return [UnknownMatch(f"ct {key} {','.join(values)}", negated=negated)]
    elif key in ("protocol", "proto", "original-protocol", "reply-protocol"):
        values = tuple(protocol_name(w) for w in _words(right))
    else:
        values = _values(right)
    return [ConntrackMatch(key, values, negated=negated)]


def _masked_match(target, mask, right, negated) -> list[Match] | None:
    kv = _one_key(target)
    if kv is None or not isinstance(kv[1], dict):
        return None
    kind, v = kv
    if (kind, v.get("key")) in (("meta", "mark"), ("ct", "mark")) and not v.get("dir"):
        return [MarkMatch("mark" if kind == "meta" else "connmark", _int(right), _int(mask),
                          negated=negated)]
    if kind == "payload" and (v.get("protocol"), v.get("field")) == ("tcp", "flags") \
            and not isinstance(right, dict):
        mask, right = named(target, mask), named(target, right)
        return [TcpFlagsMatch(_flag_list(mask), _flag_list(right) if right != 0 else (),
                              negated=negated)]
    return None


def _dependency(m: Match) -> str | None:
    """The protocol nft silently requires for a transport header match."""
    if isinstance(m, PortMatch):
        return m.protocol
    if isinstance(m, IcmpTypeMatch):
        return m.family
    if isinstance(m, TcpFlagsMatch):
        return "tcp"
    return None


# -- statements --------------------------------------------------------------------------------

def verdict(kind: str, body: object) -> Verdict:
    if kind in ("jump", "goto"):
        target = body.get("target") if isinstance(body, dict) else body
        return Verdict(kind, expr_text(target))
    return Verdict(kind)


def _verdict_of(e: object) -> Verdict | None:
    kv = _one_key(e)
    if kv is not None and kv[0] in VERDICT_KINDS:
        return verdict(kv[0], kv[1])
    return None


def _options(body: dict, keys: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, expr_text(body[k])) for k in keys if k in body and body[k] is not None)


def _rate_options(kind: str, body: object) -> tuple[tuple[str, str], ...]:
    if isinstance(body, str):
        return (("name", body),)
    if not isinstance(body, dict):
        return ()
    if kind == "limit":  # spelt as iptables-save prints -m limit: 5/sec, burst 5 left out
        unit = body.get("rate_unit", "packets")
        per = body.get("per", "second")
        rate = f"{body.get('rate')}/{LIMIT_UNITS.get(per, per)}"
        opts = [("limit", rate if unit == "packets" else f"{rate} {unit}")]
        if body.get("burst") and (body["burst"] != 5 or unit != "packets"):
            opts.append(("limit-burst", f"{body['burst']}" + (
                "" if unit == "packets" else f" {body.get('burst_unit', 'bytes')}")))
    elif kind == "quota":
        opts = [("quota", f"{body.get('val')} {body.get('val_unit', 'bytes')}")]
        if body.get("used"):
            opts.append(("used", f"{body['used']} {body.get('used_unit', 'bytes')}"))
    else:  # ct count
        return (("connlimit-above" if body.get("inv") else "connlimit-upto",
                 str(body.get("val"))),)
    if body.get("inv"):
        opts.append(("over", ""))
    return tuple(opts)


def _nat_action(kind: str, body: object) -> NatAction:
    if not isinstance(body, dict):
        return NatAction(kind)
    addr = body.get("addr")
    address = expr_text(addr) if addr is not None else None
    ports = None
    port = body.get("port")
    if port is not None:
        try:
            rng = _port_ranges(port, "==")
            ports = rng[0] if len(rng) == 1 else None
        except (Unmappable, TypeError, KeyError, IndexError):
            address = f"{address or ''}:{expr_text(port)}"
    flags = []
    for key in ("flags", "type_flags"):
        for f in _flag_list(body[key]) if key in body else ():
            flags.append(NAT_FLAGS.get(f, f))
    family = body.get("family")
    return NatAction(kind, address, ports, tuple(flags),
                     family=family if family in ("ip", "ip6") else None)


def _reject(body: object) -> Verdict:
    if not isinstance(body, dict) or "type" not in body:
        return Verdict("reject")
    rtype = body["type"]
    code = body.get("expr")
    if type(code) is str and code.isdigit():  # `nft -n`: reject with icmpx 3
        code = int(code)
    if type(code) is int:
        code = REJECT_CODES.get(rtype, {}).get(code, code)
    code = expr_text(code) if code is not None else None
    if rtype == "tcp reset":
        with_ = "tcp-reset"
    elif code is None:
        with_ = rtype
    elif rtype == "icmpv6":
        with_ = "icmp6-" + REJECT_ICMP6.get(code, code)
    else:
        with_ = f"{rtype}-{code}"
    return Verdict("reject", options=(("reject-with", with_),))


def _mark_value(value: object) -> tuple[str, int | None, int | None] | None:
    """`meta mark set <value>` as iptables' --set-xmark value/mask (or None if not that form)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "set", value, MASK32
    kv = _one_key(value)
    if kv is None:
        return None
    kind, v = kv
    if kind == "ct" and isinstance(v, dict) and v.get("key") == "mark":
        return "restore", None, MASK32  # iptables-save: --nfmask/--ctmask 0xffffffff
    if kind in ("|", "^", "&") and isinstance(v, list) and len(v) == 2:
        inner, operand = v
        try:
            k = _int(operand) & MASK32
        except Unmappable:
            return None
        ikv = _one_key(inner)
        if ikv and ikv[0] == "meta" and isinstance(ikv[1], dict) and ikv[1].get("key") == "mark":
            # mark | k == (mark & ~k) ^ k;  mark ^ k == (mark & ~0) ^ k;
            # mark & k == (mark & ~~k) ^ 0
            return {"|": ("set", k, k), "^": ("set", k, 0), "&": ("set", 0, ~k & MASK32)}[kind]
        if kind == "^" and ikv and ikv[0] == "&" and isinstance(ikv[1], list) and len(ikv[1]) == 2:
            try:
                keep = _int(ikv[1][1]) & MASK32
            except Unmappable:
                return None
            return "set", k, ~keep & MASK32
    return None


def _mangle(body: object) -> Action:
    if not isinstance(body, dict):
        return UnknownAction(compact({"mangle": body}), "mangle")
    key, value = body.get("key"), body.get("value")
    kv = _one_key(key)
    if kv is not None and isinstance(kv[1], dict):
        kind, v = kv
        if kind == "meta" and v.get("key") == "mark":
            got = _mark_value(value)
            if got is not None:
                op, val, mask = got
                return MarkAction("connmark" if op == "restore" else "mark", op, val, mask)
        if kind == "ct" and v.get("key") == "mark" and not v.get("dir"):
            vkv = _one_key(value)
            if vkv and vkv[0] == "meta" and isinstance(vkv[1], dict) \
                    and vkv[1].get("key") == "mark":
                return MarkAction("connmark", "save", None, MASK32)
            if isinstance(value, int) and not isinstance(value, bool):
                return MarkAction("connmark", "set", value, MASK32)
        if kind == "ct":
            return CtSetAction(_ct_key(v), expr_text(named(key, value)))
    return OtherAction("mangle", (("key", expr_text(key)), ("value", expr_text(value))))


def _vmap(body: object) -> Action:
    if not isinstance(body, dict):
        return UnknownAction(compact({"vmap": body}), "vmap")
    key, data = expr_text(body.get("key")), body.get("data")
    ref = _set_ref(data)
    if ref is not None:
        return VerdictMap(key, map_name=ref)
    entries = []
    symbols = _symbol_table(body.get("key"))  # `ct state vmap { 0x1 : drop }` from nft -n
    for item in _items(data):
        if isinstance(item, list) and len(item) == 2:
            v = _verdict_of(item[1])
            if v is not None:
                k = item[0] if symbols is None else _named(item[0], *symbols)
                entries.append((expr_text(k), v))
                continue
        return UnknownAction(compact({"vmap": body}), "vmap")
    return VerdictMap(key, tuple(entries))


def _xt(body: object) -> tuple[list[Match], list[Action]]:
    """iptables-nft compat: nft -j shows only the extension's name; keep what the name implies."""
    body = body if isinstance(body, dict) else {}
    name = str(body.get("name", ""))
    xtype = body.get("type", "match")
    detail = {k: v for k, v in body.items() if k not in ("type", "name")}
    if xtype == "match":
        if name == "comment" and isinstance(detail.get("comment"), str):
            return [CommentMatch(detail["comment"])], []
        return [UnknownMatch(f"xt match {name} (its parameters are not in nft's listing; "
                             "read this table from iptables-save)", name)], []
    lost = (("xt", "parameters not in nft's listing"),)
    if name in VERDICT_TARGETS:
        return [], [Verdict(VERDICT_TARGETS[name], options=lost)]
    if name in NAT_TARGETS:
        return [], [NatAction(NAT_TARGETS[name])]
    if name in XT_TARGET_KINDS:
        return [], [XT_TARGET_KINDS[name]]
    if name in LOG_TARGETS:
        return [], [LogAction()]
    if name in OTHER_TARGETS:
        return [], [OtherAction(name, lost)]
    return [], [UnknownAction(f"xt {xtype} {name} (its parameters are not in nft's listing; "
                              "read this table from iptables-save)", name)]


def map_statement(stmt: object) -> tuple[list[Match], list[Action]]:
    """One element of a rule's `expr` list -> (matches, actions) it contributes."""
    kv = _one_key(stmt)
    if kv is None:
        return [], [UnknownAction(compact(stmt))]
    kind, body = kv
    if kind == "match":
        return map_match(stmt), []
    if kind in VERDICT_KINDS:
        return [], [verdict(kind, body)]
    handler = _STATEMENTS.get(kind)
    if handler is None:
        return [], [UnknownAction(compact(stmt), kind)]
    try:
        return handler(kind, body)
    except (Unmappable, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return [], [UnknownAction(compact(stmt), kind)]


def _counter(kind, body):
    if isinstance(body, dict):
        return [], [CounterAction(body.get("packets"), body.get("bytes"))]
    if isinstance(body, str):
        return [], [OtherAction("counter", (("name", body),))]
    return [], [CounterAction()]


def _log(kind, body):
    body = body if isinstance(body, dict) else {}
    return [], [LogAction(body.get("prefix"), body.get("group"), body.get("level"))]


def _set_statement(kind, body):
    opts = (("op", str(body.get("op"))), ("set", expr_text(body.get(kind))),
            ("elem", expr_text(body.get("elem"))))
    if "data" in body:
        opts += (("data", expr_text(body["data"])),)
    inner = body.get("stmt") or []
    if any(_one_key(s) and _one_key(s)[0] in RATE_STATEMENTS for s in inner):
        return [ModuleMatch("meter", opts)], []
    return [], [OtherAction(kind, opts)]


def _meter(kind, body):
    opts = (("name", str(body.get("name", ""))), ("key", expr_text(body.get("key"))),
            ("stmt", expr_text(body.get("stmt"))))
    kv = _one_key(body.get("stmt"))
    if kv is not None and kv[0] in RATE_STATEMENTS:
        return [ModuleMatch("meter", opts)], []
    return [], [OtherAction("meter", opts)]


def _other(keys: tuple[str, ...]):
    def handler(kind, body):
        if isinstance(body, dict):
            return [], [OtherAction(kind, _options(body, keys))]
        return [], [OtherAction(kind, (("name", expr_text(body)),) if body is not None else ())]
    return handler


def _queue(kind, body):
    body = body if isinstance(body, dict) else {}
    opts = []
    if "num" in body:
        opts.append(("queue-num", expr_text(body["num"])))
    if body.get("flags"):
        opts.append(("flags", ",".join(_flag_list(body["flags"]))))
    return [], [Verdict("queue", options=tuple(opts))]


_STATEMENTS = {
    "counter": _counter,
    "log": _log,
    "reject": lambda kind, body: ([], [_reject(body)]),
    "queue": _queue,
    "snat": lambda kind, body: ([], [_nat_action(kind, body)]),
    "dnat": lambda kind, body: ([], [_nat_action(kind, body)]),
    "masquerade": lambda kind, body: ([], [_nat_action(kind, body)]),
    "redirect": lambda kind, body: ([], [_nat_action(kind, body)]),
    "notrack": lambda kind, body: ([], [NotrackAction()]),
    "mangle": lambda kind, body: ([], [_mangle(body)]),
    "vmap": lambda kind, body: ([], [_vmap(body)]),
    "limit": lambda kind, body: ([ModuleMatch("limit", _rate_options(kind, body))], []),
    "quota": lambda kind, body: ([ModuleMatch("quota", _rate_options(kind, body))], []),
    "ct count": lambda kind, body: ([ModuleMatch("connlimit", _rate_options(kind, body))], []),
    "ct helper": lambda kind, body: ([], [CtSetAction("helper", expr_text(body))]),
    "ct timeout": lambda kind, body: ([], [CtSetAction("timeout", expr_text(body))]),
    "ct expectation": lambda kind, body: ([], [CtSetAction("expectation", expr_text(body))]),
    "set": _set_statement,
    "map": _set_statement,
    "meter": _meter,
    "xt": lambda kind, body: _xt(body),
    "tproxy": _other(("family", "addr", "port")),
    "fwd": _other(("dev", "family", "addr")),
    "dup": _other(("addr", "dev")),
    "synproxy": _other(("mss", "wscale", "flags")),
    "secmark": _other(()),
    "flow": _other(("op", "flowtable")),
    "last": _other(("used",)),
}


def _left_key(left: object) -> object:
    """A hashable stand-in for a match's left side: `{"payload": {"protocol": "ip", "field":
    "saddr"}}` -> ("payload", (("protocol", "ip"), ("field", "saddr"))); cheaper than repr."""
    if type(left) is dict and len(left) == 1:
        for kind, body in left.items():
            return (kind, tuple(body.items())) if type(body) is dict else (kind, body)
    return repr(left)


class StatementMapper:
    """Maps rule expr lists, fast on what big dumps are made of. `match` statements are memoised
    on (op, left, right) when the right side is a scalar (dumps repeat the same comparisons, and
    frozen matches can be shared), else, like most other statements, on their repr; verdicts on
    their target; counters are built directly."""

    def __init__(self) -> None:
        self._memo: dict[tuple, tuple[tuple[Match, ...], tuple[Action, ...]]] = {}
        self._verdicts: dict[tuple[str, object], Verdict] = {}
        # whether the last rule() held an iptables-nft `xt` statement, and one without detail
        self.saw_xt = self.saw_bare_xt = False

    def statement(self, stmt: object) -> tuple[tuple[Match, ...], tuple[Action, ...]]:
        key = None
        if type(stmt) is dict and len(stmt) == 1:
            for kind, body in stmt.items():
                if kind == "counter" and type(body) is dict:
                    return (), (CounterAction(body.get("packets"), body.get("bytes")),)
                if kind in VERDICT_KINDS:
                    target = body.get("target") if type(body) is dict else None
                    vkey = (kind, target if type(target) is str else repr(target))
                    v = self._verdicts.get(vkey)
                    if v is None:
                        v = self._verdicts[vkey] = verdict(kind, body)
                    return (), (v,)
                if kind == "match" and type(body) is dict:
                    right = body.get("right")
                    tr = type(right)
                    if tr is str or tr is int or tr is bool:
                        left = body.get("left")
                        if type(left) is dict and len(left) == 1:  # _left_key, inlined
                            for lkind, lbody in left.items():
                                lkey = (lkind, tuple(lbody.items()) if type(lbody) is dict
                                        else lbody)
                        else:
                            lkey = repr(left)
                        key = (body.get("op"), lkey, tr, right)
                        try:
                            got = self._memo.get(key)
                        except TypeError:  # a list or dict inside the left side
                            key = (body.get("op"), repr(body.get("left")), type(right), right)
                            got = self._memo.get(key)
                    else:
                        key = (kind, repr(body))
                        got = self._memo.get(key)
                    if got is not None:
                        return got
                elif kind not in UNSHARED_KINDS:  # marks, logs: repr tells types apart
                    key = (kind, repr(body))
                    got = self._memo.get(key)
                    if got is not None:
                        return got
        try:
            m, a = map_statement(stmt)
        except Exception:  # a mapper bug must not lose the rule: keep it as unknown
            m, a = [], [UnknownAction(compact(stmt))]
        got = (tuple(m), tuple(a))
        if key is not None and len(self._memo) < 200_000:
            self._memo[key] = got
        return got

    def rule(self, stmts: object, comment: str | None = None
             ) -> tuple[tuple[Match, ...], tuple[Action, ...], tuple[int, int] | None]:
        """A rule's expr list -> (matches, actions, its first counter as (packets, bytes)).
        Counters and verdicts, most of a big dump's statements, are handled inline."""
        matches: list[Match] = []
        actions: list[Action] = []
        counters = None
        stated: set[str] | None = None
        verdicts = self._verdicts
        counter, verdict_kinds = CounterAction, VERDICT_KINDS  # locals: this loop runs 300k times
        self.saw_xt = self.saw_bare_xt = False
        for stmt in stmts if type(stmts) is list else [stmts]:
            if type(stmt) is dict and len(stmt) == 1:
                for kind, body in stmt.items():
                    pass
                if kind == "counter" and type(body) is dict:
                    packets, nbytes = body.get("packets"), body.get("bytes")
                    if counters is None and packets is not None and nbytes is not None:
                        counters = (packets, nbytes)
                    actions.append(counter(packets, nbytes))
                    continue
                if kind in verdict_kinds:
                    target = body.get("target") if type(body) is dict else None
                    vkey = (kind, target if type(target) is str else repr(target))
                    v = verdicts.get(vkey)
                    if v is None:
                        v = verdicts[vkey] = (Verdict(kind, target) if type(target) is str
                                              and kind in ("jump", "goto")
                                              else verdict(kind, body))
                    actions.append(v)
                    continue
                if kind == "xt":
                    self.saw_xt = True
                    if not isinstance(body, dict) or set(body) <= {"type", "name"}:
                        self.saw_bare_xt = True
            m, a = self.statement(stmt)
            for match in m:
                tm = type(match)
                if tm is ProtocolMatch:
                    if not match.negated and len(match.protocols) == 1:
                        if stated is None:
                            stated = set()
                        stated.add(match.protocols[0])
                elif tm is PortMatch or tm is IcmpTypeMatch or tm is TcpFlagsMatch:
                    dep = _dependency(match)
                    if stated is None:
                        stated = set()
                    if dep is not None and dep not in stated:
                        matches.append(ProtocolMatch((dep,)))
                        stated.add(dep)
                matches.append(match)
            if a:
                if counters is None:
                    for action in a:
                        if type(action) is CounterAction and action.packets is not None \
                                and action.bytes is not None:
                            counters = (action.packets, action.bytes)
                            break
                actions.extend(a)
        if comment is not None:
            matches.append(CommentMatch(comment))
        return tuple(matches), tuple(actions), counters


def element_text(e: object) -> str:
    """A set element as nft prints it (`10.0.0.0/8`, `1.2.3.4 . tcp . 80`, `80-90`)."""
    return expr_text(e)


def elements(elem: object) -> list[object]:
    if elem is None:
        return []
    return elem if isinstance(elem, list) else [elem]
