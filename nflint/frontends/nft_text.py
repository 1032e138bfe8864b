"""`nft list ruleset` text -> the objects `nft -j list ruleset` prints -> the JSON mapper.

Text and JSON must give one model, so this frontend does not map anything itself: it rewrites
the listing into libnftables-JSON-shaped dicts ({"table": ...}, {"chain": ...}, {"rule": ...})
and hands them to `nft_json.contribution_from_objects`. tests/test_nft_pairs.py proves the
rewrite against nftables' own text/JSON dump pairs.

Pasted listings arrive mangled (lost braces, hand annotations, upper-case keywords, addresses
eaten by a forum's markdown), so the block structure is followed here by a small scanner and
each statement (one rule, one chain property, one set property) is parsed on its own with the
LALR grammar in grammars/nft.lark. A statement that does not parse costs that statement only:
it becomes one NF001 with its line, column and what was expected, the readable part of a
garbled rule is kept, and a `table`/`chain` header met inside an unclosed block closes it.
"""
from __future__ import annotations

import functools
import json
import re
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from lark import Lark, Token, Transformer
from lark.exceptions import GrammarError, LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .. import grammars
from ..diagnostics import Diagnostic, Severity
from ..gcpause import BIG_INPUT, gc_paused
from ..hooks import resolve_priority
from ..host import Contribution
from ..matches import UnknownMatch
from ..statements import UnknownAction
from ..ruleset import Rule, Table
from ..span import Span
from .nft_json import contribution_from_objects

FIDELITY = "nft-text"
FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
STARTS = ["rule", "chain_prop", "set_prop", "table_prop", "flowtable_prop", "obj_prop"]

_NAME = r'(?:"[^"]*"|[A-Za-z0-9_.$\-/]+)'
_TABLE_RE = re.compile(rf"^(?:add\s+)?table\s+(?:({'|'.join(FAMILIES)})\s+)?({_NAME})$")
_BLOCK_RE = re.compile(
    rf"^(chain|set|map|flowtable|counter|quota|limit|secmark|synproxy|tunnel|"
    rf"ct\s+helper|ct\s+timeout|ct\s+expectation)\s+({_NAME})$")
_HANDLE_RE = re.compile(r"#\s*handle\s+(\d+)")
_SPECIAL_RE = re.compile(r"[{};#]")
_SCAN_RE = re.compile(r'[{};#"]')
_ANNOTATION_ANY = re.compile(r"\(\d+\)|->|<-|[↓↑→←⇒]|=>")  # could a line start with one?
_DEFINE_RE = re.compile(r"^(?:re)?define\s+([A-Za-z_][\w-]*)\s*=\s*(.+)$", re.S)
_VAR_RE = re.compile(r"\$([A-Za-z_][\w-]*)")
_COMMAND_RE = re.compile(rf"^(?:add|create|insert)\s+(table|chain|rule)\s+"
                         rf"(?:({'|'.join(FAMILIES)})\s+)?(.+)$", re.S)
# Hand annotations people add to pasted listings: "(1)->", "->(2)", "↓", "(3)(4)->".
_ANNOTATION_RE = re.compile(r"^[ \t]*(?:(?:\(\d+\)|->|<-|[↓↑→←⇒]|=>)[ \t]*)+")
_UPPER_WORD_RE = re.compile(r"\b[A-Z][A-Z\-]+\b")
_CHAIN_PROPS = ("type", "policy", "device", "devices", "comment")

_UNITS = {"bytes": 1, "kbytes": 1024, "mbytes": 1024 ** 2, "gbytes": 1024 ** 3}
_TIME_RE = re.compile(r"(\d+)(ms|d|h|m|s)")
_TIME_FACTORS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_VALUE_LIKE = re.compile(r"^(?:\d+|0x[0-9a-fA-F]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|"
                         r"\d+\.\d+\.\d+\.\d+)$")
_INT_RE = re.compile(r"^(?:\d+|0x[0-9a-fA-F]+)$")
# (at most 18 digits: like `atom`, so the memo gives what the grammar gives)
_COUNTER_RE = re.compile(r"(?<![\w-])counter packets (\d{1,18}) bytes (\d{1,18})(?![\w.])")
# Expressions whose values are bit flags: their implicit comparison is printed as "in".
_BITMASK = ({"ct": {"key": "state"}}, {"ct": {"key": "status"}}, {"ct": {"key": "event"}},
            {"payload": {"protocol": "tcp", "field": "flags"}})
_BOOL_LHS = ("fib", "exthdr", "tcp option", "ip option", "sctp chunk")
_RT_KEYS = ("classid", "nexthop", "mtu", "ipsec")
_SET_FLAG_ORDER = {"constant": 0, "interval": 1, "timeout": 2, "dynamic": 3}
# `typeof EXPR` -> the datatype nft -j prints for it
_TYPEOF = {
    ("ip", "saddr"): "ipv4_addr", ("ip", "daddr"): "ipv4_addr",
    ("ip6", "saddr"): "ipv6_addr", ("ip6", "daddr"): "ipv6_addr",
    ("ip", "protocol"): "inet_proto", ("ip6", "nexthdr"): "inet_proto",
    ("meta", "l4proto"): "inet_proto", ("meta", "mark"): "mark", ("ct", "mark"): "mark",
    ("meta", "iifname"): "ifname", ("meta", "oifname"): "ifname",
    ("meta", "iif"): "iface_index", ("meta", "oif"): "iface_index",
    ("ether", "saddr"): "ether_addr", ("ether", "daddr"): "ether_addr",
    ("meta", "nfproto"): "nf_proto", ("ip", "dscp"): "dscp", ("ct", "state"): "ct_state",
}


def _typeof_type(expr):
    """The datatype nft -j prints for a `typeof` expression (a list for a concatenation); one
    nflint does not know becomes the text `typeof ip ttl`, still a valid type name."""
    if isinstance(expr, dict) and "concat" in expr:
        return [_typeof_type(e) for e in expr["concat"]]
    kind = next(iter(expr)) if isinstance(expr, dict) and expr else None
    body = expr.get(kind) if kind else None
    key = None
    if kind == "payload" and isinstance(body, dict):
        if body.get("field") in ("sport", "dport"):
            return "inet_service"
        key = (body.get("protocol"), body.get("field"))
    elif kind in ("meta", "ct") and isinstance(body, dict):
        key = (kind, body.get("key"))
    known = _TYPEOF.get(key)
    if known:
        return known
    from .nft_exprs import expr_text  # the mapper's canonical text of an expression
    return f"typeof {expr_text(expr)}"


# ---------------------------------------------------------------- values

def _seconds(text: str) -> int | float:
    """`2m3s` -> 123, `1h59m59s996ms` -> 7199 (nft -j prints whole seconds of set timeouts)."""
    total: float = 0
    for num, unit in _TIME_RE.findall(text):
        total += int(num) * _TIME_FACTORS[unit]
    if total >= 1 or total == 0:
        return int(total)  # nft -j prints whole seconds
    return round(total, 3)


def _int_or_self(text: str):
    if _INT_RE.match(text):
        return int(text, 0)
    return text


def atom(tok) -> object:
    """One lexer atom as nft -j prints it: numbers as numbers, prefixes and ranges as objects."""
    if not isinstance(tok, Token):
        return tok
    if tok.type == "STRING":
        return tok[1:-1]
    return atom_text(str(tok))


def atom_text(text: str) -> object:
    """An ATOM's text as nft -j prints it (the fast path calls this without a Token)."""
    if _INT_RE.match(text) and len(text) <= 18:  # nft -j keeps wider raw data as hex text
        return int(text, 0)
    if text.startswith("-") and text[1:].isdigit():
        return int(text)
    if "/" in text:
        addr, _, length = text.rpartition("/")
        if length.isdigit() and (":" in addr or addr.count(".") == 3):
            return {"prefix": {"addr": addr, "len": int(length)}}
    if "-" in text:
        parts = text.split("-")
        if len(parts) == 2 and all(p and _VALUE_LIKE.match(p) for p in parts):
            return {"range": [_int_or_self(parts[0]), _int_or_self(parts[1])]}
    return text


def _val(x):
    return atom(x) if isinstance(x, Token) else x


def _text(x) -> str:
    return str(x)[1:-1] if isinstance(x, Token) and x.type == "STRING" else str(x)


def _addr_port(text: str) -> tuple[object | None, object | None]:
    """NAT/tproxy targets: `1.2.3.4:80`, `1.2.3.4-1.2.3.9:1-2`, `[2001:db8::1]:80`, `2001:db8::1`."""
    port = None
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        port = rest[1:] or None
    elif text.count(":") == 1:
        addr, _, port = text.partition(":")
    else:
        addr = text
    a = atom(Token("ATOM", addr)) if addr else None
    p = atom(Token("ATOM", port)) if port else None
    return a, p


# ---------------------------------------------------------------- parse tree -> JSON shapes

_BINOP_WORDS = {"and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>"}


class _ToJson(Transformer):
    """Builds the nft -j fragments bottom-up, inline with the LALR parse (no tree is kept)."""

    # --- terminals kept by `!` rules come back as a one-item list
    def _kw(self, items):
        return str(items[0])

    proto = tunnel = metakey = ctdir = nfproto = fibflag = fibresult = tcpoptfield = _kw
    verdict_kw = jumpgoto = quotamode = rejecttype = natkind = masqredir = nattype = _kw
    objkind = setop = prio_sign = op = kwvalue = _kw

    def binop_sym(self, items):
        word = str(items[0])
        return _BINOP_WORDS.get(word, word)

    def string(self, items):
        return _text(items[0])

    def eq(self, items):
        return "="

    # --- expressions
    def payload(self, items):
        proto, fld = items[0], str(items[1])
        if proto in ("hbh", "frag", "dst", "mh", "srh"):
            return {"exthdr": {"name": proto, "field": fld}}
        return {"payload": {"protocol": proto, "field": fld}}

    def inner_payload(self, items):  # `vxlan ip saddr`: a header inside a tunnel
        return {"payload": {"tunnel": items[0], "protocol": items[1], "field": str(items[2])}}

    def rawpayload(self, items):
        base, off, length = str(items[0])[1:].split(",")
        return {"payload": {"base": base, "offset": int(off), "len": int(length)}}

    def meta(self, items):
        return {"meta": {"key": str(items[0])}}

    def ct(self, items):
        return {"ct": {"key": str(items[0])}}

    ct_obj = ct

    def ct_dir(self, items):
        return {"ct": {"key": str(items[1]), "dir": items[0]}}

    def ct_dir_family(self, items):
        return {"ct": {"key": f"{items[1]} {items[2]}", "dir": items[0]}}

    def fib(self, items):
        return {"fib": {"result": items[-1], "flags": list(items[:-1])}}

    def rt(self, items):
        key = str(items[-1])
        if key not in _RT_KEYS:
            return {"exthdr": {"name": "rt", "field": key}}
        out = {"key": key}
        if len(items) == 2:
            out["family"] = items[0]
        return {"rt": out}

    def socket(self, items):
        return {"socket": {"key": str(items[0])}}

    def socket_cgroup(self, items):
        return {"socket": {"key": "cgroupv2", "level": _val(items[0])}}

    def osf(self, items):
        out = {"key": str(items[-1])}
        if len(items) == 2:
            out["ttl"] = str(items[0])
        return {"osf": out}

    def exthdr(self, items):
        return {"exthdr": {"name": str(items[0])}}

    def tcpopt(self, items):
        out = {"name": str(items[0])}
        if len(items) > 1:
            out["field"] = items[1]
        return {"tcp option": out}

    def numgen(self, items):
        out = {"mode": str(items[0]), "mod": _val(items[1]),
               "offset": _val(items[2]) if len(items) > 2 else 0}
        return {"numgen": out}

    def jhash(self, items):
        out = {"mod": _val(items[1]), "expr": _val(items[0])}
        out.update(items[2:])
        return {"jhash": out}

    def symhash(self, items):
        out = {"mod": _val(items[0])}
        out.update(items[1:])
        return {"symhash": out}

    def hash_seed(self, items):
        return ("seed", _val(items[0]))

    def hash_offset(self, items):
        return ("offset", _val(items[0]))

    def binop(self, items):
        right = _val(items[2])
        if items[1] == "&" and isinstance(right, dict) and list(right) == ["|"] and all(
                isinstance(f, str) for f in right["|"]):
            right = right["|"]  # `& (fin|syn)` of older listings is today's `/ fin,syn` mask
        return {items[1]: [_val(items[0]), right]}

    def value_binop(self, items):
        left, op, right = _val(items[0]), items[1], _val(items[2])
        if op == "|" and isinstance(left, dict) and list(left) == ["|"]:
            return {"|": left["|"] + [right]}  # nft -j prints `a | b | c` flat
        return {op: [left, right]}

    def paren(self, items):
        return _val(items[0])

    def concat(self, items):
        return {"concat": [_val(i) for i in items]}

    value_concat = concat

    def flag_list(self, items):
        return [_val(i) for i in items]

    def range_str(self, items):
        return {"range": [_text(items[0]), _text(items[1])]}

    def setref(self, items):
        return str(items[0])

    def anon_set(self, items):
        return {"set": [_val(i) for i in items]}

    def elem_with_opts(self, items):
        out = {"val": _val(items[0])}
        for opt in items[1:]:
            out.update(opt)
        return {"elem": out}

    def eo_timeout(self, items):
        return {"timeout": _seconds(str(items[0]))}

    def eo_expires(self, items):
        return {"expires": _seconds(str(items[0]))}

    def eo_comment(self, items):
        return {"comment": _text(items[0])}

    def elem_opt(self, items):  # a stateful statement attached to an element
        return items[0]

    def map_elem(self, items):
        return [_val(items[0]), _val(items[1])]

    def map_data(self, items):
        if len(items) == 1 and isinstance(items[0], str) and items[0].startswith("@"):
            return items[0]
        return {"set": items}

    def map_lookup(self, items):
        return {"map": {"key": _val(items[0]), "data": items[1]}}

    # --- statements
    def match_stmt(self, items):
        left = items[0]
        if len(items) == 3:
            op, right = items[1], _val(items[2])
        else:
            right = _val(items[1])
            op = "in" if isinstance(right, list) or (
                left in _BITMASK and not (isinstance(right, dict) and
                                          ("set" in right or "range" in right))
                and not (isinstance(right, str) and right.startswith("@"))) else "=="
        if isinstance(left, dict) and next(iter(left)) in _BOOL_LHS and right in ("exists",
                                                                                  "missing"):
            right = right == "exists"
        return {"match": {"op": op, "left": left, "right": right}}

    def masked_match(self, items):  # `tcp flags [!=] syn / syn,ack`
        op = items[1] if len(items) == 4 else "=="
        left, value, mask = items[0], _val(items[-2]), _val(items[-1])
        return {"match": {"op": op, "left": {"&": [left, mask]}, "right": value}}

    def vmap_stmt(self, items):
        return {"vmap": {"key": _val(items[0]), "data": items[1]}}

    def verdict(self, items):
        return {items[0]: None}

    def jump(self, items):
        return {items[0]: {"target": str(items[1])}}

    def counter_stmt(self, items):
        if not items:
            return {"counter": None}
        return {"counter": {"packets": _val(items[0]), "bytes": _val(items[1])}}

    def counter_ref(self, items):
        return {"counter": _val(items[0])}

    def quota_stmt(self, items):
        inv = items and items[0] in ("over", "until")
        mode = items[0] if inv else None
        rest = items[1:] if inv else items
        out = {"val": _val(rest[0]), "val_unit": str(rest[1])}
        if len(rest) > 2:
            out["used"] = _val(rest[2])
            out["used_unit"] = str(rest[3])
        if mode == "over":
            out["inv"] = True
        return {"quota": out}

    def quota_ref(self, items):
        return {"quota": _val(items[0])}

    def limit_stmt(self, items):
        inv = bool(items) and items[0] in ("over", "until")
        rest = [str(i) for i in (items[1:] if inv else items)]
        out: dict = {}
        if len(rest) >= 2 and "/" in rest[1]:  # `1 mbytes/second`
            unit, _, per = rest[1].partition("/")
            out.update(rate=int(rest[0]), per=per, rate_unit=unit)
            rest = rest[2:]
        else:
            rate, _, per = rest[0].partition("/")
            out.update(rate=int(rate), per=per)
            rest = rest[1:]
        if rest:
            out["burst"] = int(rest[0])
            if len(rest) > 1 and rest[1] != "packets":
                out["burst_unit"] = rest[1]
        elif "rate_unit" not in out:
            out["burst"] = 5  # the kernel default, omitted by older listings
        if inv:
            out["inv"] = True
        return {"limit": out}

    def limit_ref(self, items):
        return {"limit": _val(items[0])}

    def log_stmt(self, items):
        out: dict = {}
        for opt in items:
            out.update(opt)
        return {"log": out or None}

    def lo_prefix(self, items):
        return {"prefix": _text(items[0])}

    def lo_level(self, items):
        return {"level": str(items[0])}

    def lo_group(self, items):
        return {"group": _val(items[0])}

    def lo_snaplen(self, items):
        return {"snaplen": _val(items[0])}

    def lo_qthreshold(self, items):
        return {"queue-threshold": _val(items[0])}

    def lo_flags(self, items):
        return {"flags": _val(items[0])}

    def reject_stmt(self, items):
        if not items:
            return {"reject": None}  # completed per family by the driver
        if items[0] == "tcp":
            return {"reject": {"type": "tcp reset"}}
        out = {"type": items[0]}
        if len(items) > 1:
            out["expr"] = str(items[1])
        return {"reject": out}

    def nat_type(self, items):
        return ("type", list(items))

    def nat_flags(self, items):
        return ("flags", [str(i) for i in items])

    def qflags(self, items):
        return list(items)

    qflag = natflag = _kw

    def atom_flags(self, items):
        return [str(i) for i in items] if len(items) > 1 else str(items[0])

    def nat_target(self, items):
        v = items[0]
        if isinstance(v, Token) and v.type == "ATOM":
            addr, port = _addr_port(str(v))
            return ("target", addr, port)
        return ("target", _val(v), None)

    def nat_port_only(self, items):
        v = items[0]
        if isinstance(v, Token) and v.type == "ATOM":
            return ("target", None, atom(v))
        return ("target", None, _val(v))

    def nat_addr_service(self, items):  # `-S` listings: `dnat to 192.0.2.1:"http"`
        return ("target", atom(Token("ATOM", str(items[0]).rstrip(":"))), _text(items[1]))

    def nat_stmt(self, items):
        kind = items[0]
        out: dict = {}
        flags: list = []
        for it in items[1:]:
            if isinstance(it, str):
                out["family"] = it
            elif it[0] == "type":
                out["type_flags"] = it[1][0] if len(it[1]) == 1 else it[1]
                if "prefix" in it[1]:
                    flags.append("netmap")  # a prefix mapping is a netmap in the kernel
            elif it[0] == "flags":
                flags.extend(it[1])
            else:
                if it[1] is not None:
                    out["addr"] = it[1]
                if it[2] is not None:
                    out["port"] = it[2]
        if kind in ("masquerade", "redirect") and "addr" in out and "port" not in out:
            out["port"] = out.pop("addr")  # `redirect to 3128`: these only take a port
        if flags:
            out["flags"] = flags[0] if len(flags) == 1 else flags
        return {kind: out or None}

    def tproxy_stmt(self, items):
        out: dict = {}
        for it in items:
            if isinstance(it, str):
                out["family"] = it
            else:
                if it[1] is not None:
                    out["addr"] = it[1]
                if it[2] is not None:
                    out["port"] = it[2]
        return {"tproxy": out}

    def fwd_stmt(self, items):
        out: dict = {}
        rest = list(items)
        if rest and isinstance(rest[0], str) and rest[0] in ("ip", "ip6"):
            out["family"] = rest.pop(0)
        if len(rest) == 2:
            out["addr"], out["dev"] = _val(rest[0]), _val(rest[1])
        else:
            out["dev"] = _val(rest[0])
        return {"fwd": out}

    def dup_stmt(self, items):
        out = {"addr": _val(items[0])}
        if len(items) > 1:
            out["dev"] = _val(items[1])
        return {"dup": out}

    def queue_stmt(self, items):
        out: dict = {}
        # grammar order: [flags] [to/num expr] [legacy flags]; flags come as str or list
        for v in items:
            if isinstance(v, list) or v in ("bypass", "fanout"):
                out["flags"] = v[0] if isinstance(v, list) and len(v) == 1 else v
            else:
                out["num"] = _val(v)
        return {"queue": out or None}

    def notrack_stmt(self, items):
        return {"notrack": None}

    def mangle_stmt(self, items):
        key, value = items[0], _val(items[1])
        if isinstance(key, dict) and "ct" in key and key["ct"].get("key") in (
                "helper", "timeout", "expectation") and "dir" not in key["ct"]:
            return {f"ct {key['ct']['key']}": value}
        if key == {"meta": {"key": "secmark"}} and isinstance(value, str):
            return {"secmark": value}  # a named secmark object, not a mangle
        return {"mangle": {"key": key, "value": value}}

    def set_stmt(self, items):
        op, ref, elem = items[0], items[1], _val(items[2])
        opts: dict = {}
        stmts, data = [], None
        for it in items[3:]:
            key = next(iter(it)) if isinstance(it, dict) and len(it) == 1 else None
            if key in ("timeout", "expires", "comment"):
                opts.update(it)
            elif key in ("counter", "limit", "quota"):
                stmts.append(it)
            else:
                data = _val(it)
        if opts:
            elem = {"elem": {"val": elem, **opts}}
        if data is not None:
            out = {"op": op, "elem": elem, "data": data, "map": ref}
        else:
            out = {"op": op, "elem": elem, "set": ref}
        if stmts:
            out["stmt"] = stmts
        return {"map" if data is not None else "set": out}

    def flow_stmt(self, items):
        return {"flow": {"op": "add", "flowtable": items[0]}}

    def ctcount_stmt(self, items):
        out = {"val": _val(items[-1])}
        if len(items) > 1:
            out["inv"] = True
        return {"ct count": out}

    def synproxy_stmt(self, items):
        out: dict = {}
        flags = []
        for opt in items:
            if opt[0] in ("timestamp", "sack-perm"):
                flags.append(opt[0])
            elif opt[0] == "name":
                return {"synproxy": opt[1]}
            else:
                out[opt[0]] = opt[1]
        if flags:
            out["flags"] = flags
        return {"synproxy": out}

    def synproxy_opt(self, items):
        return (str(items[0]), _val(items[1]) if len(items) > 1 else None)

    def xt_stmt(self, items):
        return {"xt": {"type": str(items[0]), "name": _text(items[1])}}

    def last_stmt(self, items):
        return {"last": {"used": str(items[0])}}

    def comment(self, items):
        return ("comment", _text(items[0]))

    def rule(self, items):
        exprs, comment = [], None
        for it in items:
            if isinstance(it, tuple) and it[0] == "comment":
                comment = it[1]
            else:
                exprs.append(it)
        return exprs, comment

    # --- chain / set / table / flowtable / object properties: (key, value) pairs
    def device(self, items):
        v = _val(items[0])
        if isinstance(v, dict) and "set" in v:
            v = v["set"]
            v = v[0] if len(v) == 1 else v
        return ("dev", v)

    def prio(self, items):
        if len(items) == 1:
            return ("prio", _val(items[0]))
        return ("prio", f"{items[0]} {items[1]} {items[2]}")

    def chain_type(self, items):
        out = {"type": str(items[0]), "hook": str(items[1])}
        out.update(items[2:])
        return out

    def chain_policy(self, items):
        return {"policy": str(items[0])}

    def chain_devices(self, items):
        return dict(items)

    def chain_comment(self, items):
        return {"comment": items[0][1]}

    def chain_flags(self, items):
        return {"flags": [str(items[0])]}

    def type_list(self, items):
        return [str(i) for i in items]

    def typeof_list(self, items):
        return items[0] if len(items) == 1 else {"concat": list(items)}

    def sp_type(self, items):
        t = items[0][0] if len(items[0]) == 1 else items[0]
        out = {"type": t}
        if len(items) > 1:
            out["map"] = items[1][0] if len(items[1]) == 1 else items[1]
        return out

    def sp_typeof(self, items):
        out = {"type": _typeof_type(items[0])}
        if len(items) > 1:
            out["map"] = (str(items[1]) if isinstance(items[1], Token)
                          else _typeof_type(items[1]))
        return out

    def sp_flags(self, items):
        v = _val(items[0])
        flags = v if isinstance(v, list) else [v]
        return {"flags": sorted(flags, key=lambda f: _SET_FLAG_ORDER.get(f, 99))}

    def sp_timeout(self, items):
        return {"timeout": _seconds(str(items[0]))}

    def sp_gc(self, items):
        return {"gc-interval": _seconds(str(items[0]))}

    def sp_size(self, items):
        return {"size": _val(items[0])}

    def sp_policy(self, items):
        return {"policy": str(items[0])}

    def sp_automerge(self, items):
        return {"auto-merge": True}

    def sp_counter(self, items):
        return {"stmt": [{"counter": None}]}

    def sp_comment(self, items):
        return {"comment": items[0][1]}

    def sp_stmt(self, items):
        return {"stmt": list(items)}

    def stmt_only(self, items):
        return items[0]

    def set_elements(self, items):
        return {"elem": [_val(i) for i in items]}

    def sp_elements(self, items):
        return items[0]

    def tp_flags(self, items):
        return {"flags": _val(items[0])}

    def tp_comment(self, items):
        return {"comment": items[0][1]}

    def ft_hook(self, items):
        return {"hook": str(items[0]), "prio": items[1][1]}

    def ft_devices(self, items):
        return dict(items)

    def ft_flags(self, items):
        v = _val(items[0])
        return {"flags": v if isinstance(v, list) else [v]}

    def ft_counter(self, items):
        return {}  # nft -j does not print it

    def obj_prop(self, items):
        return [_val(i) if not isinstance(i, Token) or i.type != "ATOM" else str(i)
                for i in items]


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    """Built once per process (and cached on disk by Lark): grammar analysis costs ~50 ms."""
    return Lark(grammars.read("nft.lark"), parser="lalr", lexer="contextual", start=STARTS,
                transformer=_ToJson(), cache=True, maybe_placeholders=False)


@functools.lru_cache(maxsize=1)
def _fast():
    """The rule-line fast path (nft_text_fast.py), built on this grammar and transformer."""
    from .nft_text_fast import FastRules
    return FastRules(_parser(), _ToJson(), atom_text)


# ---------------------------------------------------------------- block scanner

@dataclass
class _Stmt:
    """One statement of the listing: `text` starts at (line, column) of the input."""

    text: str
    line: int
    column: int
    handle: int | None = None


@dataclass
class _Block:
    kind: str  # table | chain | set | map | flowtable | object | skip
    name: str
    line: int
    column: int
    handle: int | None = None
    family: str = ""
    obj_kind: str = ""
    implicit: bool = False  # opened from the prompt hint, no `{` of its own


def _scan(text: str, notes: "_Notes"):
    """Yield ("open", header _Stmt), ("close", _Stmt) and ("stmt", _Stmt) events.

    `{` opens a block when the words before it are a block header (`chain NAME`, `set NAME`,
    ...), otherwise it is part of the statement (an anonymous set, `elements = {`); a statement
    ends at a newline or `;` outside inline braces and quotes. A statement starts at its first
    non-blank character. Lines are cut at the special characters only (a 100k-rule listing has
    ~70k lines with braces: chain headers, closing braces, maps).
    """
    buf: list[str] = []
    has_text = False  # whether buf holds more than blanks
    start = (0, 0)
    depth = 0
    pending_handle = None

    def flush():
        nonlocal buf, pending_handle, has_text
        s = "".join(buf).strip()
        buf = []
        has_text = False
        if s:
            h, pending_handle = pending_handle, None
            return _Stmt(s, start[0], start[1], h)
        return None

    annotated = _ANNOTATION_ANY.search(text) is not None
    for lineno, line in enumerate(text.split("\n"), 1):
        m = _ANNOTATION_RE.match(line) if annotated else None
        if m and m.end() < len(line) and any(c in m.group() for c in "()->↓↑→←⇒="):
            notes.annotation(lineno, m.group().strip())
            line = " " * m.end() + line[m.end():]
        if depth == 0 and not has_text:  # the shapes of a listing's brace lines, in one go
            stripped = line.strip()
            if stripped == "}":
                yield "close", _Stmt("}", lineno, line.index("}") + 1)
                buf = []
                continue
            if stripped[-1:] == "{" and not _SCAN_RE.search(stripped, 0, len(stripped) - 1):
                head = stripped[:-1].strip()
                if _TABLE_RE.match(head) or _BLOCK_RE.match(head):
                    yield "open", _Stmt(head, lineno, len(line) - len(line.lstrip()) + 1)
                    buf = []
                    continue
        if depth == 0 and not _SPECIAL_RE.search(line):
            # the common case, one statement per line: no braces, `;` or comment
            if has_text:
                st = flush()
                if st:
                    yield "stmt", st
            stripped = line.strip()
            if stripped:
                yield "stmt", _Stmt(stripped, lineno, len(line) - len(line.lstrip()) + 1,
                                    pending_handle)
                pending_handle = None
            buf = []
            has_text = False
            continue
        i, n = 0, len(line)
        in_str = False
        while i < n:
            if in_str:  # up to the closing quote
                j = line.find('"', i)
                if j < 0:
                    buf.append(line[i:])
                    break
                buf.append(line[i:j + 1])
                in_str = False
                i = j + 1
                continue
            sm = _SCAN_RE.search(line, i)
            j = sm.start() if sm else n
            if j > i:  # plain characters: the first non-blank one may start the statement
                seg = line[i:j]
                if has_text:
                    buf.append(seg)
                else:
                    lead = len(seg) - len(seg.lstrip())
                    if lead < len(seg):
                        start = (lineno, i + lead + 1)
                        buf = [seg[lead:]]
                        has_text = True
                    else:
                        buf.append(seg)
            if j >= n:
                break
            c = line[j]
            if c == '"':
                if not has_text:
                    start = (lineno, j + 1)
                buf.append(c)
                has_text = in_str = True
            elif c == "#":
                hm = _HANDLE_RE.match(line, j)
                if hm:
                    pending_handle = int(hm.group(1))
                break
            elif c == "{":
                head = "".join(buf).strip()
                if depth == 0 and (_TABLE_RE.match(head) or _BLOCK_RE.match(head)):
                    buf = []
                    has_text = False
                    hdr = _Stmt(head, start[0], start[1])
                    hm = _HANDLE_RE.search(line, j)
                    if hm:
                        hdr.handle = int(hm.group(1))
                    yield "open", hdr
                else:
                    if not head:
                        start = (lineno, j + 1)
                    depth += 1
                    buf.append(c)
                    has_text = True
            elif c == "}":
                if depth:
                    depth -= 1
                    buf.append(c)
                else:
                    st = flush()
                    if st:
                        yield "stmt", st
                    yield "close", _Stmt("}", lineno, j + 1)
            elif depth == 0:  # `;`
                st = flush()
                if st:
                    yield "stmt", st
            else:  # `;` inside braces is part of the statement
                buf.append(c)
            i = j + 1
        if depth == 0:
            st = flush()
            if st:
                yield "stmt", st
        else:
            buf.append("\n")
    st = flush()
    if st:
        yield "stmt", st


class _Notes:
    """Recoveries worth one info note each (not one per line): annotations, upper case."""

    def __init__(self) -> None:
        self.annotations: list[tuple[int, str]] = []
        self.uppercased: list[tuple[int, str]] = []

    def annotation(self, line: int, text: str) -> None:
        self.annotations.append((line, text))


# ---------------------------------------------------------------- statement parsing

_WORDS = {"ATOM": "a value", "STRING": "a quoted string", "NEG_ATOM": "a number",
          "SETREF": "a set reference (@name)", "RAWPAYLOAD": "a raw payload (@th,0,16)",
          "$END": "the end of the statement"}


@functools.lru_cache(maxsize=1)
def _keywords() -> dict[str, str]:
    """Terminal name -> the word it stands for, to say what was expected in plain words."""
    return {t.name: t.pattern.value for t in _parser().terminals if t.pattern.type == "str"}


_COMMON = ("accept", "drop", "counter", "jump", "goto", "ip", "tcp", "meta", "ct", "type",
           "policy", "flags", "elements")


def _expected(names) -> str:
    """Plain words ("a value", "a keyword such as `accept`") rather than 60 terminal names."""
    kw = _keywords()
    names = set(names)
    parts = []
    if names & {"ATOM", "STRING", "NEG_ATOM", "SETREF"}:
        parts.append("a value (address, port, name, @set or { set })")
    words = {kw[n] for n in names if n in kw and kw[n][:1].isalpha()}
    if words:
        common = [w for w in _COMMON if w in words] or sorted(words)
        shown = ", ".join(f"`{w}`" for w in common[:5])
        parts.append(f"a keyword such as {shown}" if len(words) > len(common[:5]) else shown)
    symbols = sorted(kw[n] for n in names if n in kw and not kw[n][:1].isalpha())
    if symbols and not parts:
        parts.append(", ".join(f"`{x}`" for x in symbols[:6]))
    if "$END" in names and not parts:
        parts.append(_WORDS["$END"])
    return " or ".join(parts) if parts else "something else"


def _error_offset(e: UnexpectedInput, text: str) -> int:
    if isinstance(e, UnexpectedToken):
        if e.token.type == "$END":
            return len(text)
        return e.token.start_pos or 0
    return getattr(e, "pos_in_stream", 0) or 0


def _describe(e: UnexpectedInput, text: str) -> str:
    if isinstance(e, UnexpectedToken):
        if e.token.type == "$END":
            return f"the statement ends too early: expected {_expected(e.expected)}"
        return f"cannot read `{e.token}` here: expected {_expected(e.expected)}"
    if isinstance(e, UnexpectedCharacters):
        off = e.pos_in_stream
        word = text[off:].split(None, 1)[0] if text[off:].strip() else text[off:off + 1]
        allowed = getattr(e, "allowed", None) or ()
        return f"cannot read `{word}` here: expected {_expected(allowed)}"
    return "cannot read this statement"


def _units(text: str) -> list[tuple[int, int]]:
    """Word spans of a statement, a `{ ... }` group and a quoted string counting as one word."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        j, depth, in_str = i, 0, False
        while j < n:
            c = text[j]
            if in_str:
                in_str = c != '"'
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c.isspace() and depth <= 0:
                break
            j += 1
        out.append((i, j))
        i = j
    return out


def _try(text: str, start: str):
    try:
        return _parser().parse(text, start=start), None
    except UnexpectedInput as e:
        return None, e
    except GrammarError:
        raise  # our bug, not the input's
    except (LarkError, ValueError, IndexError, KeyError, TypeError, AttributeError) as e:
        return None, e


_PROTO_WORDS = frozenset(("ip", "ip6", "tcp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6",
                          "igmp", "ah", "esp", "comp", "ether", "vlan", "arp", "th", "gre"))
_PROTO_FIELDS = frozenset(("l4proto", "protocol", "nexthdr", "type", "nfproto"))


def _salvage(text: str, err_off: int, depth: int = 0):
    """The readable statements of a garbled rule: drop the fewest words around the error so
    that what precedes and what follows both parse. Returns (exprs, skipped word texts).

    A kept part that ends in a protocol name used as a value (`ip daddr udp`, where a forum ate
    the address) scores worse: there the protocol name more likely starts the next statement."""
    units = _units(text)
    k = next((i for i, (a, b) in enumerate(units) if a <= err_off < b), len(units))
    best, best_score = None, None
    for j in range(k, max(-1, k - 6), -1):
        for s in range(j + 1, min(k + 1, len(units)) + 1):
            head = text[:units[j][0]] if j < len(units) else text
            tail = text[units[s][0]:] if s < len(units) else ""
            hres = ([[], None], None) if not head.strip() else _try(head, "rule")
            if hres[0] is None:
                continue
            extra, recursed = [], 0
            texprs: list = []
            if tail.strip():
                tres, terr = _try(tail, "rule")
                if tres is None:
                    if depth >= 2 or not isinstance(terr, UnexpectedInput):
                        continue
                    texprs, extra = _salvage(tail, _error_offset(terr, tail), depth + 1)
                    if not texprs:
                        continue
                    recursed = 1
                else:
                    texprs = tres[0]
            words = [text[a:b] for a, b in units[:j]]
            penalty = 4 if (len(words) >= 2 and words[-1] in _PROTO_WORDS
                            and words[-2] not in _PROTO_FIELDS) else 0
            skipped = [text[units[j][0]:units[s - 1][1]]] + extra
            score = (sum(len(x.split()) for x in skipped) + penalty, recursed, -j)
            if best_score is None or score < best_score:
                best, best_score = (hres[0][0] + texprs, skipped), score
    return best or ([], [text])


# ---------------------------------------------------------------- objects

def _size_bytes(num, unit) -> int:
    return int(num) * _UNITS.get(str(unit), 1)


def _object_body(kind: str, words: list) -> dict:
    """Properties of a named stateful object from its body words, as nft -j prints them."""
    out: dict = {}
    w = list(words)
    if "comment" in w[:-1]:
        i = w.index("comment")
        out["comment"] = str(w[i + 1])
        del w[i:i + 2]
    if kind == "counter":
        for i in range(0, len(w) - 1, 2):
            out[str(w[i])] = _val(Token("ATOM", str(w[i + 1])))
    elif kind == "quota":
        if w and w[0] in ("over", "until"):
            out["inv"] = w.pop(0) == "over"
        if len(w) >= 2:
            out["bytes"] = _size_bytes(w[0], w[1])
            out["inv"] = out.pop("inv", False)
        inv = out.pop("inv", False)
        out["used"] = _size_bytes(w[3], w[4]) if len(w) >= 5 and w[2] == "used" else 0
        out["inv"] = inv  # nft -j key order: bytes, used, inv
    elif kind == "limit":
        if w and w[0] == "rate":
            w.pop(0)
        if w and w[0] in ("over", "until"):
            out["inv"] = w.pop(0) == "over"
        if w:
            if len(w) > 1 and "/" in str(w[1]):
                unit, _, per = str(w[1]).partition("/")
                out.update(rate=int(w[0]), per=per, rate_unit=unit)
                w = w[2:]
            else:
                rate, _, per = str(w[0]).partition("/")
                out.update(rate=int(rate), per=per)
                w = w[1:]
        if len(w) >= 2 and w[0] == "burst":
            out["burst"] = int(w[1])
        elif "rate_unit" not in out:
            out["burst"] = 5
    elif kind == "secmark":
        if w:
            out["context"] = str(w[0])
    elif kind == "synproxy":
        flags = []
        i = 0
        while i < len(w):
            if w[i] in ("mss", "wscale") and i + 1 < len(w):
                out[w[i]] = _val(Token("ATOM", str(w[i + 1])))
                i += 2
            else:
                flags.append(str(w[i]))
                i += 1
        if flags:
            out["flags"] = flags
    else:  # ct helper / ct timeout / ct expectation: `key value` pairs
        i = 0
        while i < len(w):
            key = str(w[i])
            if i + 1 < len(w) and w[i + 1] == "=":
                i += 1
            if i + 1 >= len(w):
                break
            value = w[i + 1]
            if isinstance(value, dict) and "set" in value:
                value = {str(k): _seconds(v) if isinstance(v, str) else v
                         for k, v in value["set"]}
            elif key == "timeout" and kind == "ct expectation":
                value = int(_seconds(str(value)) * 1000)
            elif isinstance(value, str):
                value = _int_or_self(value)
            out[key] = value
            i += 2
    return out


# ---------------------------------------------------------------- assembling the objects

@dataclass
class _TableAcc:
    obj: dict
    span: Span
    chains: dict = field(default_factory=dict)  # name -> [obj, span]
    sets: list = field(default_factory=list)
    objects: list = field(default_factory=list)
    flowtables: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # (obj, span, raw)


class _Reader:
    def __init__(self, source: str, line_offset: int, hint: dict | None = None,
                 fast: bool = True) -> None:
        self.source = source
        self.fast = _fast().parse if fast else None
        self.hint = hint or {}
        self.line_offset = line_offset
        self.tables: dict[tuple[str, str], _TableAcc] = {}
        self.problems: list[Diagnostic] = []
        self.notes = _Notes()
        self.stack: list[_Block] = []
        self.current: dict | None = None  # the open chain/set/flowtable/object body
        self.defines: dict[str, str] = {}
        self._rule_memo: dict[str, str] = {}  # rule text, counter zeroed -> its parse as JSON
        # rule span (line, column) -> (texts it could not read, whether no action was read):
        # kept as unknown matches so a garbled rule never looks broader than the one written
        self.unread: dict[tuple[int, int], tuple[list[str], bool]] = {}

    # --- diagnostics
    def span(self, line: int, column: int) -> Span:
        return Span(self.source, line + self.line_offset, column)

    def problem(self, line: int, column: int, message: str,
                severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Diagnostic("NF001", "syntax-error", severity, message,
                                        self.span(line, column),
                                        key=(self.source, message)))

    def parse_error(self, st: _Stmt, e: Exception, what: str) -> int:
        if isinstance(e, UnexpectedInput):
            off = _error_offset(e, st.text)
            line, col = self._locate(st, off)
            self.problem(line, col, f"{what}: {_describe(e, st.text)}")
            return off
        self.problem(st.line, st.column, f"{what}: cannot read it ({type(e).__name__})")
        return 0

    @staticmethod
    def _locate(st: _Stmt, off: int) -> tuple[int, int]:
        before = st.text[:off]
        nl = before.count("\n")
        if nl:
            return st.line + nl, off - before.rfind("\n")
        return st.line, st.column + off

    # --- structure
    def close_all(self, why_line: int, why: str) -> None:
        while self.stack:
            self.close(why_line, why)

    def close(self, line: int, why: str | None = None) -> None:
        blk = self.stack.pop()
        if why and blk.kind != "skip" and not blk.implicit:
            self.problem(line, 1, f"missing `}}` for {blk.kind} {blk.name} (line "
                         f"{blk.line + self.line_offset}): closed it because {why}",
                         Severity.WARNING)
        self.current = None

    def table_acc(self) -> _TableAcc | None:
        for blk in reversed(self.stack):
            if blk.kind == "table":
                return self.tables.get((blk.family, blk.name))
        return None

    def open(self, hdr: _Stmt) -> None:
        head = hdr.text
        tm = _TABLE_RE.match(head)
        if tm:
            if self.stack:
                self.close_all(hdr.line, "a new `table` starts here")
            family, name = tm.group(1) or "ip", _unquote(tm.group(2))
            self.stack.append(_Block("table", name, hdr.line, hdr.column, hdr.handle, family))
            key = (family, name)
            if key not in self.tables:
                obj = {"family": family, "name": name}
                if hdr.handle is not None:
                    obj["handle"] = hdr.handle
                self.tables[key] = _TableAcc({"table": obj}, self.span(hdr.line, hdr.column))
            return
        bm = _BLOCK_RE.match(head)
        kind, name = re.sub(r"\s+", " ", bm.group(1)), _unquote(bm.group(2))
        while self.stack and self.stack[-1].kind not in ("table",):
            self.close(hdr.line, f"a new `{kind}` starts here")
        acc = self.table_acc()
        if acc is None and self.hint.get("table"):
            # a pasted chain without its table; the shell prompt said which table it was
            family = self.hint.get("family") or "ip"
            self.open(_Stmt(f"table {family} {self.hint['table']}", hdr.line, hdr.column))
            self.stack[-1].implicit = True
            acc = self.table_acc()
        if acc is None:
            self.problem(hdr.line, hdr.column, f"`{kind} {name}` outside of any `table` block: "
                         "its body is not read")
            self.stack.append(_Block("skip", name, hdr.line, hdr.column))
            return
        fam, tname = acc.obj["table"]["family"], acc.obj["table"]["name"]
        span = self.span(hdr.line, hdr.column)
        body: dict = {"family": fam, "table": tname, "name": name}
        if hdr.handle is not None:
            body["handle"] = hdr.handle
        if kind == "chain":
            if name in acc.chains:
                body = acc.chains[name][0]["chain"]
            else:
                acc.chains[name] = [{"chain": body}, span]
            blk_kind = "chain"
        elif kind in ("set", "map"):
            acc.sets.append([{kind: body}, span])
            blk_kind = "set"
        elif kind == "flowtable":
            acc.flowtables.append([{kind: body}, span])
            blk_kind = "flowtable"
        else:
            body["_words"] = []
            acc.objects.append([{kind: body}, span])
            blk_kind = "object"
        self.stack.append(_Block(blk_kind, name, hdr.line, hdr.column, hdr.handle, fam, kind))
        self.current = body

    # --- statements
    def statement(self, st: _Stmt) -> None:
        if "$" in st.text and self.defines:
            st.text = _VAR_RE.sub(lambda m: self.defines.get(m.group(1), m.group()), st.text)
        top = self.stack[-1] if self.stack else None
        if top is None:
            self.toplevel(st)
        elif top.kind == "skip":
            pass  # the body of a block reported as unreadable at its header
        elif top.kind == "table":
            self.prop(st, "table_prop", self.table_acc().obj["table"], "table property")
        elif top.kind == "chain":
            if st.text.startswith(_CHAIN_PROPS) and st.text.split(None, 1)[0] in _CHAIN_PROPS:
                self.chain_prop(st, top)
            else:
                self.rule(st, top)
        elif top.kind == "set":
            self.prop(st, "set_prop", self.current, "set property")
        elif top.kind == "flowtable":
            self.prop(st, "flowtable_prop", self.current, "flowtable property", prio=True)
        elif top.kind == "object":
            res, err = _try(st.text, "obj_prop")
            if res is None:
                self.parse_error(st, err, f"{top.obj_kind} {top.name}")
            else:
                self.current["_words"].extend(res)

    def toplevel(self, st: _Stmt) -> None:
        first = st.text.split(None, 1)[0]
        dm = _DEFINE_RE.match(st.text)
        if dm:
            self.defines[dm.group(1)] = dm.group(2).strip()
            return
        if first == "flush":
            return  # `flush ruleset` at the top of an nft -f file
        if first == "include":
            self.problem(st.line, st.column, "`include` not followed: nflint reads only the "
                         "text it is given", Severity.INFO)
            return
        cm = _COMMAND_RE.match(st.text)
        if cm:
            self.command(st, cm)
            return
        self.problem(st.line, st.column, "expected a `table` block here (nft list ruleset "
                     f"output starts every block with `table FAMILY NAME {{`), got `{st.text[:40]}`")

    def command(self, st: _Stmt, m: re.Match) -> None:
        """`add table|chain|rule ...` lines of an nft -f script, read like the listing blocks."""
        what, family, rest = m.group(1), m.group(2) or "ip", m.group(3)
        words = rest.split(None, 2 if what == "rule" else 1)
        body = ""
        if what == "chain" and len(words) >= 2 and "{" in words[-1]:
            words[-1], _, body = words[-1].partition("{")
            body = body.rsplit("}", 1)[0]
            words = [w for w in (x.strip() for x in words) if w]
        if what == "table":
            self.open(_Stmt(f"table {family} {words[0]}", st.line, st.column))
            self.stack.clear()
            return
        if len(words) < 2 or (what == "rule" and len(words) < 3):
            self.problem(st.line, st.column, f"`{st.text[:40]}`: expected `add {what} "
                         f"[FAMILY] TABLE {'CHAIN RULE' if what == 'rule' else 'CHAIN'}`")
            return
        self.open(_Stmt(f"table {family} {words[0]}", st.line, st.column))
        self.open(_Stmt(f"chain {words[1]}", st.line, st.column))
        if what == "rule":
            self.rule(_Stmt(words[2], st.line, st.column + st.text.index(words[2]), st.handle),
                      self.stack[-1])
        for prop in (p.strip() for p in body.split(";")):
            if prop:
                self.chain_prop(_Stmt(prop, st.line, st.column), self.stack[-1])
        self.stack.clear()
        self.current = None

    def prop(self, st: _Stmt, start: str, target: dict, what: str, prio: bool = False) -> None:
        res, err = _try(st.text, start)
        if res is None:
            self.parse_error(st, err, what)
            return
        if prio and "prio" in res:
            res["prio"] = resolve_priority(target["family"], res["prio"]) if isinstance(
                res["prio"], str) else res["prio"]
        target.update(res)

    def chain_prop(self, st: _Stmt, blk: _Block) -> None:
        res, err = _try(st.text, "chain_prop")
        if res is None:
            self.parse_error(st, err, f"chain {blk.name}")
            return
        if "prio" in res and isinstance(res["prio"], str):
            num = resolve_priority(blk.family, res["prio"])
            if num is None:
                self.problem(st.line, st.column, f"unknown priority name `{res['prio']}` "
                             f"for the {blk.family} family", Severity.WARNING)
            else:
                res["prio"] = num
        self.current.update(res)

    def rule(self, st: _Stmt, blk: _Block) -> None:
        text = st.text
        if not text.islower() and _has_upper_keyword(text):
            lowered = _lower_keywords(text)
            if lowered != text:
                self.notes.uppercased.append((st.line, st.column))
                text = lowered
        fast = self.fast(text) if self.fast is not None else None
        if fast is not None:  # most lines of a big listing (nft_text_fast.py)
            res, key = fast
        else:
            key = None
            res, err = self._parse_rule(text)
        if res is None:
            if not isinstance(err, UnexpectedInput):
                self.problem(st.line, st.column, f"rule in chain {blk.name}: cannot read it "
                             f"({type(err).__name__}); kept as an unknown rule")
                exprs, skipped = [], [text]
            else:
                off = _error_offset(err, text)
                line, col = self._locate(_Stmt(text, st.line, st.column), off)
                exprs, skipped = _salvage(text, off)
                unread = ", ".join(f"`{s}`" for s in skipped)
                kept = (f"; read the rest of the rule, {unread} kept as unknown (may match)"
                        if exprs else "; kept as an unknown rule (may match, action unknown)")
                self.problem(line, col, f"rule in chain {blk.name}: {_describe(err, text)}{kept}")
            self.unread[(st.line + self.line_offset, st.column)] = (skipped, not exprs)
            comment = None
        else:
            exprs, comment = res
        acc = self.table_acc()
        fam = blk.family
        if "reject" in text:
            exprs = [_complete(e, fam) for e in exprs]
        elif type(exprs) is not list:
            exprs = list(exprs)
        body = {"family": fam, "table": acc.obj["table"]["name"], "chain": blk.name,
                "expr": exprs}
        if comment is not None:
            body["comment"] = comment
        if st.handle is not None:
            body["handle"] = st.handle
        if key is not None:
            key = (fam, st.handle is None, key)
        acc.rules.append(({"rule": body}, self.span(st.line, st.column), st.text, key))

    def _parse_rule(self, text: str):
        """`_try(text, "rule")`, memoised per listing: listings repeat rules that differ only in
        their counter, so the text is keyed with `counter packets 0 bytes 0`. A repeat gets a
        fresh copy through JSON (used only if JSON gives the parse back equal)."""
        m = _COUNTER_RE.search(text) if text.count("counter") == 1 else None
        key = text if m is None else f"{text[:m.start()]}counter packets 0 bytes 0{text[m.end():]}"
        kept = self._rule_memo.get(key)
        if kept is None:
            res, err = _try(key, "rule")
            if res is None:
                return _try(text, "rule") if m is not None else (res, err)
            if len(self._rule_memo) < 50_000:
                self._rule_memo[key] = res
        elif type(kept) is tuple:  # the first repeat: can JSON copy it?
            copied = json.dumps(kept)
            self._rule_memo[key] = copied if json.loads(copied) == list(kept) else ""
            return self._parse_rule(text)
        elif not kept:
            return _try(text, "rule")
        else:
            res = tuple(json.loads(kept))
        if m is not None:
            for e in res[0]:
                if type(e) is dict and type(e.get("counter")) is dict:
                    e["counter"] = {"packets": int(m.group(1)), "bytes": int(m.group(2))}
                    break
        return res, None

    def finish(self, last_line: int) -> None:
        while self.stack:
            self.close(last_line, "the input ends here")
        for acc in self.tables.values():
            for obj, _ in acc.chains.values():
                if "hook" in obj["chain"]:
                    obj["chain"].setdefault("policy", "accept")  # the kernel's default
            for obj, _ in acc.sets:
                body = next(iter(obj.values()))
                if "timeout" in body and "timeout" not in body.get("flags", ()):
                    body["flags"] = sorted([*body.get("flags", ()), "timeout"],
                                           key=lambda f: _SET_FLAG_ORDER.get(f, 99))
            for obj, _ in acc.objects:
                kind = next(iter(obj))
                body = obj[kind]
                words = body.pop("_words")
                try:
                    body.update(_object_body(kind, words))
                except (ValueError, IndexError, TypeError):
                    self.problem(acc.span.line - self.line_offset, 1, f"cannot read the body of "
                                 f"{kind} {body.get('name')}: {' '.join(map(str, words))[:80]}")
        if self.notes.annotations:
            line, text = self.notes.annotations[0]
            self.problem(line, 1, f"ignored hand annotations like `{text}` at the start of "
                         f"{len(self.notes.annotations)} line(s)", Severity.INFO)
        if self.notes.uppercased:
            line, col = self.notes.uppercased[0]
            self.problem(line, col, "read upper-case keywords (e.g. `COUNTER`) as lower case "
                         f"on {len(self.notes.uppercased)} line(s): nft itself rejects them",
                         Severity.INFO)

    def objects(self) -> tuple[list, list, list, list]:
        """The objects in nft -j order, their spans, raw texts and shape keys (see
        `_contribution`; None: validate this one)."""
        objs, spans, raws, keys = [], [], [], []
        for acc in self.tables.values():
            objs.append(acc.obj)
            spans.append(acc.span)
            raws.append("")
            keys.append(None)
            for o, s in acc.chains.values():
                objs.append(o)
                spans.append(s)
                raws.append("")
                keys.append(_chain_shape(o["chain"]))
            for o, s in acc.sets + acc.objects + acc.flowtables:
                objs.append(o)
                spans.append(s)
                raws.append("")
                keys.append(None)
            for o, s, r, k in acc.rules:
                objs.append(o)
                spans.append(s)
                raws.append(r)
                keys.append(k)
        return objs, spans, raws, keys


def _has_upper_keyword(text: str) -> bool:
    """Whether an upper-case word of `text` is a keyword in lower case: kube-proxy's chain
    names (`service-XCYJZCOA-...`) hold upper-case words on most rules, and are no keyword."""
    upper = _UPPER_WORD_RE.findall(text)
    return bool(upper) and not _keyword_set().isdisjoint(map(str.lower, upper))


@functools.lru_cache(maxsize=1)
def _keyword_set() -> frozenset[str]:
    return frozenset(_keywords().values())


def _lower_keywords(text: str) -> str:
    """`COUNTER` -> `counter` (pasted from a blog that upper-cased them); a chain name after
    jump/goto stays as it is, even when it spells a keyword."""
    kw = _keyword_set()

    def fix(m: re.Match) -> str:
        word = m.group()
        if text.count('"', 0, m.start()) % 2:
            return word  # inside a quoted string
        before = text[:m.start()].split()
        if before and before[-1] in ("jump", "goto", "JUMP", "GOTO"):
            return word
        return word.lower() if word.lower() in kw else word
    return _UPPER_WORD_RE.sub(fix, text)


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name


def _complete(expr: dict, family: str) -> dict:
    """What the listing leaves implicit but nft -j spells out (a bare `reject`)."""
    if "reject" in expr and expr["reject"] is None:
        kind = {"ip": "icmp", "ip6": "icmpv6"}.get(family, "icmpx")
        return {"reject": {"type": kind, "expr": "port-unreachable"}}
    return expr


def _read(text: str, source: str, line_offset: int, hint: dict | None, fast: bool = True):
    r = _Reader(source, line_offset, hint, fast)
    lines = text.count("\n") + 1
    for kind, st in _scan(text, r.notes):
        try:
            if kind == "open":
                r.open(st)
            elif kind == "close":
                if r.stack:
                    r.close(st.line)
                else:
                    r.problem(st.line, st.column, "unexpected `}`: no block is open here")
            else:
                r.statement(st)
        except Exception as e:  # noqa: BLE001 - bad input must never become a traceback
            r.problem(st.line, st.column, f"cannot read this statement ({type(e).__name__}: "
                      f"{e})")
    r.finish(lines)
    objs, spans, raws, keys = r.objects()
    return objs, spans, raws, r.problems, r.unread, keys


def read_objects(text: str, source: str, *, line_offset: int = 0, hint: dict | None = None,
                 fast: bool = True):
    """(objects, spans, raw texts, problems): the listing as `nft -j list ruleset` objects.
    `fast=False` sends every rule line to Lark (the tests compare both paths)."""
    with gc_paused() if len(text) > BIG_INPUT else nullcontext():
        return _read(text, source, line_offset, hint, fast)[:4]


@functools.lru_cache(maxsize=1)
def _enum_words() -> frozenset[str]:
    """Every string the nft -j schema enumerates somewhere (families, hooks, policies...)."""
    words: set[str] = set()

    def walk(x) -> None:
        if isinstance(x, dict):
            words.update(v for v in x.get("enum", ()) if isinstance(v, str))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(json.loads(grammars.read("nft.schema.json")))
    return frozenset(words)


def _chain_shape(body: dict) -> tuple | None:
    """What the schema can tell apart in a chain object: its keys in order, the type of each
    value and the strings it enumerates (the schema has no patterns or bounds); None for
    anything else (lists, floats): validated on its own."""
    enums = _enum_words()
    out = []
    for k, v in body.items():
        t = type(v)
        if t is str:
            out.append((k, v if v in enums else None))
        elif t is int:
            out.append((k, int))
        else:
            return None
    return tuple(out)


def _keep_unread(tables: list[Table], unread: dict) -> list[Table]:
    """The tables with each garbled rule's unreadable words as UnknownMatch (and, for a rule
    with no readable statement, UnknownAction): nft -j objects cannot carry them."""
    out = []
    for t in tables:
        chains = []
        for ch in t.chains:
            rules = tuple(_with_unread(r, unread.get((r.span.line, r.span.column)))
                          for r in ch.rules)
            chains.append(ch if all(a is b for a, b in zip(rules, ch.rules))
                          else replace(ch, rules=rules))
        out.append(t if all(a is b for a, b in zip(chains, t.chains))
                   else replace(t, chains=tuple(chains)))
    return out


def _with_unread(rule: Rule, unread: tuple[list[str], bool] | None) -> Rule:
    if unread is None:
        return rule
    texts, whole = unread
    matches = rule.matches + tuple(UnknownMatch(t, module="nft") for t in texts)
    actions = rule.actions + ((UnknownAction(texts[0], name="nft"),) if whole else ())
    return replace(rule, matches=matches, actions=actions)


def parse(text: str, source: str, *, line_offset: int = 0, hint: dict | None = None
          ) -> Contribution:
    """The nflint frontend entry point for `nft list ruleset` text."""
    with gc_paused() if len(text) > BIG_INPUT else nullcontext():
        objs, spans, raws, problems, unread, keys = _read(text, source, line_offset, hint)
    c = contribution_from_objects(objs, source, spans, fidelity=FIDELITY, raw_texts=raws,
                                  shape_keys=keys, release=True)
    c.problems[:0] = problems
    if unread:
        c.tables = _keep_unread(c.tables, unread)
    return c
