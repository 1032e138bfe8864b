"""iptables options -> typed matches and actions, shared by both iptables-save parse paths.

The tokenizers (the Lark grammar and the fast `str.split` path) only cut a rule line into specs
`(negated, option, values)`; everything that gives the options a meaning lives here, once, so the
two paths cannot drift apart. Results are memoised per distinct spec group: a 100k-rule
kube-proxy dump repeats the same handful of matches, and frozen matches can be shared.

Vocabulary (lower case, nft spelling wherever nft has a name):
- protocols: /etc/protocols names; numbers are named (6 -> "tcp", 17 -> "udp", 1 -> "icmp",
  58 -> "icmpv6", ...), and "ipv6-icmp"/"icmp6" are spelt "icmpv6". `-p all` (or 0) matches every
  protocol, so it yields no match.
- ICMP types: nft names ("echo-request"); a numeric type with a code stays "type/code" with the
  type named ("destination-unreachable/4").
- conntrack keys: "state", "status", "protocol", "direction", "expiration", "original-saddr",
  "original-daddr", "reply-saddr", "reply-daddr", "original-sport", "original-dport",
  "reply-sport", "reply-dport"; values lower case, "_" spelt "-" ("seen-reply").
- TCP flags: lower case, ALL/NONE expanded; `--syn` is `fin,syn,rst,ack` / `syn`.
- port ranges are inclusive (lo, hi) as written; a reversed range (`60000:29`, seen in real
  dumps) is kept and matches nothing, as in the kernel.
- `-f` (non-first fragment): FieldMatch("ip frag-off & 0x1fff", "!=", ("0",)).
- option tuples of ModuleMatch/Verdict/OtherAction: (name without dashes, value or ""); a negated
  option is named with a leading "!" ("!string").
- MARK/CONNMARK --set-xmark v/m and --set-mark v/m: op "set" (kernel: mark = (mark & ~m) ^ v).
- LOG levels: nft names (emerg alert crit err warn notice info debug).
- ipset flags `src,dst`: the first dimension is "saddr"/"daddr", later ones "sport"/"dport"
  (hash:ip,port, the common concatenation).
- A target that is not a known extension is a jump to a chain of that name; one that carries
  options nflint does not know becomes UnknownAction.
"""
from __future__ import annotations

import ipaddress
import socket

from ..matches import (AddressMatch, AddrTypeMatch, CommentMatch, ConntrackMatch, FieldMatch,
                       IcmpTypeMatch, InterfaceMatch, MarkMatch, Match, ModuleMatch, PhysdevMatch,
                       PortMatch, ProtocolMatch, SetMatch, TcpFlagsMatch, UnknownMatch)
from ..statements import (Action, CtSetAction, LogAction, MarkAction, NatAction, NotrackAction,
                          OtherAction, UnknownAction, Verdict)

Spec = tuple[bool, str, tuple[str, ...]]  # (negated, option, values)


class OptionError(ValueError):
    """A rule iptables itself would refuse; `option` locates it in the line."""

    def __init__(self, message: str, option: str = "") -> None:
        super().__init__(message)
        self.option = option


PROTOCOL_NAMES = {
    "0": "all", "1": "icmp", "2": "igmp", "4": "ipip", "6": "tcp", "8": "egp", "17": "udp",
    "33": "dccp", "41": "ipv6", "43": "ipv6-route", "44": "ipv6-frag", "46": "rsvp", "47": "gre",
    "50": "esp", "51": "ah", "58": "icmpv6", "59": "ipv6-nonxt", "60": "ipv6-opts", "89": "ospf",
    "103": "pim", "108": "comp", "112": "vrrp", "115": "l2tp", "132": "sctp", "135": "mh",
    "136": "udplite",
}
PROTOCOL_ALIASES = {"ipv6-icmp": "icmpv6", "icmp6": "icmpv6", "ipencap": "ipip", "ipv6-mh": "mh"}

ICMP_TYPES = {
    "0": "echo-reply", "3": "destination-unreachable", "4": "source-quench", "5": "redirect",
    "8": "echo-request", "9": "router-advertisement", "10": "router-solicitation",
    "11": "time-exceeded", "12": "parameter-problem", "13": "timestamp-request",
    "14": "timestamp-reply", "15": "info-request", "16": "info-reply",
    "17": "address-mask-request", "18": "address-mask-reply",
}
ICMPV6_TYPES = {
    "1": "destination-unreachable", "2": "packet-too-big", "3": "time-exceeded",
    "4": "parameter-problem", "128": "echo-request", "129": "echo-reply",
    "130": "mld-listener-query", "131": "mld-listener-report", "132": "mld-listener-done",
    "133": "nd-router-solicit", "134": "nd-router-advert", "135": "nd-neighbor-solicit",
    "136": "nd-neighbor-advert", "137": "nd-redirect", "141": "ind-neighbor-solicit",
    "142": "ind-neighbor-advert", "143": "mld2-listener-report",
}
LOG_LEVELS = {"0": "emerg", "1": "alert", "2": "crit", "3": "err", "4": "warn", "5": "notice",
              "6": "info", "7": "debug", "error": "err", "warning": "warn", "panic": "emerg"}
TCP_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg")

# Modules nflint understands but whose outcome depends on runtime state: kept as ModuleMatch.
OPAQUE_MODULES = frozenset((
    "limit", "statistic", "recent", "string", "owner", "mac", "length", "tcpmss", "u32", "time",
    "hashlimit", "connlimit", "pkttype", "rpfilter", "helper", "dscp", "tos", "ttl", "hl", "ecn",
    "ipv6header", "frag", "hbh", "dst", "rt", "esp", "ah", "mh", "policy", "socket", "cgroup",
    "cpu", "devgroup", "quota", "connbytes", "nfacct", "bpf", "realm", "cluster", "osf", "ipvs",
    "connlabel", "l2tp", "rateest", "ipcomp", "condition", "srh", "eui64", "connrate",
))
PORT_MODULES = {
    "tcp": frozenset(("--tcp-flags", "--syn", "--tcp-option")),
    "udp": frozenset(),
    "udplite": frozenset(),
    "sctp": frozenset(("--chunk-types",)),
    "dccp": frozenset(("--dccp-types", "--dccp-option")),
}
PORT_OPTIONS = {"--sport": "sport", "--source-port": "sport", "--dport": "dport",
                "--destination-port": "dport"}
MULTIPORT_OPTIONS = {"--sports": "sport", "--source-ports": "sport", "--dports": "dport",
                     "--destination-ports": "dport", "--ports": "port"}
CONNTRACK_KEYS = {
    "--ctstate": "state", "--ctstatus": "status", "--ctproto": "protocol", "--ctdir": "direction",
    "--ctexpire": "expiration", "--ctorigsrc": "original-saddr", "--ctorigdst": "original-daddr",
    "--ctreplsrc": "reply-saddr", "--ctrepldst": "reply-daddr",
    "--ctorigsrcport": "original-sport", "--ctorigdstport": "original-dport",
    "--ctreplsrcport": "reply-sport", "--ctrepldstport": "reply-dport",
}
# What each key can be (xt_conntrack, xt_state; SNAT/DNAT are ctstate's virtual states).
CONNTRACK_NAMES = {
    "state": frozenset(("invalid", "established", "related", "new", "untracked", "snat", "dnat")),
    "status": frozenset(("none", "expected", "seen-reply", "assured", "confirmed")),
    "direction": frozenset(("original", "reply")),
}
PHYSDEV_KINDS = {"--physdev-in": "in", "--physdev-out": "out", "--physdev-is-in": "is-in",
                 "--physdev-is-out": "is-out", "--physdev-is-bridged": "is-bridged"}

VERDICT_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return",
                   "QUEUE": "queue", "NFQUEUE": "queue"}
NAT_TARGETS = {"DNAT": "dnat", "SNAT": "snat", "MASQUERADE": "masquerade", "REDIRECT": "redirect"}
OTHER_TARGETS = frozenset((
    "TCPMSS", "CHECKSUM", "TRACE", "SET", "CLASSIFY", "DSCP", "TOS", "TTL", "HL", "SECMARK",
    "CONNSECMARK", "AUDIT", "TEE", "IDLETIMER", "LED", "HMARK", "SYNPROXY", "TPROXY", "NETMAP",
    "CLUSTERIP", "ECN", "RATEEST", "TCPOPTSTRIP", "DNPT", "SNPT", "IPV4OPTSSTRIP",
))
LOG_TARGETS = frozenset(("LOG", "NFLOG", "ULOG"))
KNOWN_TARGETS = (frozenset(VERDICT_TARGETS) | frozenset(NAT_TARGETS) | OTHER_TARGETS
                 | LOG_TARGETS | frozenset(("NOTRACK", "CT", "MARK", "CONNMARK")))

# Options every rule understands, whatever modules it loads: option -> (kind, number of values).
GENERIC = {
    "-s": ("saddr", 1), "--source": ("saddr", 1), "--src": ("saddr", 1),
    "-d": ("daddr", 1), "--destination": ("daddr", 1), "--dst": ("daddr", 1),
    "-p": ("proto", 1), "--protocol": ("proto", 1),
    "-i": ("in", 1), "--in-interface": ("in", 1), "-o": ("out", 1), "--out-interface": ("out", 1),
    "-f": ("frag", 0), "--fragment": ("frag", 0),
    "-m": ("match", 1), "--match": ("match", 1),
    "-j": ("jump", 1), "--jump": ("jump", 1), "-g": ("goto", 1), "--goto": ("goto", 1),
    "-c": ("counters", 2), "--set-counters": ("counters", 2),
}


def spec_text(spec: Spec) -> str:
    """A spec as iptables-save would print it (for UnknownMatch/UnknownAction)."""
    neg, opt, values = spec
    words = ["!"] if neg else []
    words.append(opt)
    for v in values:
        if not v or any(c.isspace() or c in "\"'\\#!" for c in v):
            v = '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        words.append(v)
    return " ".join(words)


def protocol_name(text: str) -> str:
    name = _PROTOCOL_MEMO.get(text)
    if name is None:
        lower = text.lower()
        name = PROTOCOL_ALIASES.get(lower) or PROTOCOL_NAMES.get(lower, lower)
        if len(_PROTOCOL_MEMO) < 1024:
            _PROTOCOL_MEMO[text] = name
    return name


_PROTOCOL_MEMO: dict[str, str] = {}


def _one(spec: Spec) -> str:
    if len(spec[2]) != 1:
        raise OptionError(f"option {spec[1]} takes one value, got {len(spec[2])}", spec[1])
    return spec[2][0]


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    addr, sep, plen = text.partition("/")
    if "." in addr and (not sep or plen.isdigit() and plen.isascii()):
        try:  # 2x faster than ip_network for the common dotted quad, same result
            packed = socket.inet_pton(socket.AF_INET, addr)
        except OSError:
            pass
        else:
            return ipaddress.IPv4Network((int.from_bytes(packed, "big"), int(plen) if sep else 32),
                                         strict=False)
    return ipaddress.ip_network(text, strict=False)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} out of range")
    return port


def _port_range(text: str, sep: str = ":") -> tuple[int, int]:
    """`80`, `1024:65535`, `:1023` and `1024:` (open ends) -> an inclusive range."""
    if sep in text:
        lo, _, hi = text.partition(sep)
        lo_p = _port(lo) if lo else 0
        hi_p = _port(hi) if hi else 65535
        return lo_p, hi_p  # a reversed range is kept: the kernel compares lo <= p <= hi too
    p = _port(text)
    return p, p


def _mark(text: str) -> tuple[int, int | None]:
    value, _, mask = text.partition("/")
    return int(value, 0), (int(mask, 0) if mask else None)


def _icmp_type(text: str, names: dict[str, str]) -> str:
    t, sep, code = text.partition("/")
    return names.get(t, t.lower()) + sep + code


def _tcp_flags(text: str) -> tuple[str, ...]:
    flags = text.lower()
    if flags == "all":
        return TCP_FLAGS
    if flags == "none":
        return ()
    return tuple(flags.split(","))


def _option_name(spec: Spec) -> str:
    name = spec[1].lstrip("-")
    return "!" + name if spec[0] else name


def _options(specs: tuple[Spec, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((_option_name(s), " ".join(s[2])) for s in specs)


def _nat_to(text: str) -> tuple[str | None, tuple[int, int] | None]:
    """`a[-b][:p[-q]]`, `[v6]:p`, `v6` -> (address text, port range)."""
    port_text = None
    if text.startswith("["):
        head, sep, tail = text.rpartition("]:")
        addr = head if sep else text
        port_text = tail if sep else None
        addr = addr.replace("[", "").replace("]", "")
    elif text.count(":") == 1:
        addr, port_text = text.split(":")
    else:
        addr = text
    ports = _port_range(port_text, "-") if port_text else None
    return addr or None, ports


class RuleMapper:
    """Turns the specs of one rule into typed matches and actions; one instance per parse (its
    memo tables grow with the distinct specs of the input).

    Most module options map one spec to one match and are memoised spec by spec; modules without
    a per-option handler (opaque ones, addrtype, unknown ones) are mapped from all their options
    together (one ModuleMatch; addrtype's --limit-iface-* qualifies its type matches)."""

    def __init__(self) -> None:
        self._generic: dict[Spec, Match | None] = {}
        self._per_spec: dict[tuple, dict[Spec, Match | None]] = {}  # (module, proto) -> memo
        self._grouped: dict[tuple, tuple[Match, ...]] = {}
        self._targets: dict[tuple, tuple[Action, ...]] = {}

    def map(self, specs: list[Spec]) -> tuple[tuple[Match, ...], tuple[Action, ...],
                                                  tuple[int, int] | None]:
        matches: list[Match] = []
        add = matches.append
        counters = None
        proto = None
        module: str | None = None  # the -m module (or implicit protocol module) in effect
        group: list[Spec] | None = None  # options of a grouped module, gathered until it ends
        group_at = 0  # where its matches go, to keep the order of the line
        target: tuple[str, str] | None = None  # ("jump"|"goto", name)
        target_specs: list[Spec] = []
        in_target = False  # options now belong to the -j target
        generic = self._generic
        per_spec = self._per_spec
        memo_of = None  # (module, proto) whose memo `memo` is
        memo: dict = {}
        for spec in specs:
            g = GENERIC.get(spec[1])
            if g is None:
                if in_target:
                    target_specs.append(spec)
                    continue
                if module is None:
                    if proto in _IMPLICIT_MODULES:
                        # `-p tcp --dport 22`: iptables loads the protocol's match implicitly.
                        module = _IMPLICIT_MODULES[proto]
                    else:
                        raise OptionError(f"unknown option {spec[1]} (no -m module or -j target "
                                          "before it)", spec[1])
                if group is not None:
                    group.append(spec)
                    continue
                if memo_of != (module, proto):
                    memo_of = (module, proto)
                    memo = per_spec.get(memo_of)
                    if memo is None:
                        memo = per_spec[memo_of] = {}
                m = memo.get(spec, False)
                if m is False:
                    m = memo[spec] = _spec_match(module, proto, spec)
                if m is not None:
                    add(m)
                continue
            kind, arity = g
            values = spec[2]
            if len(values) != arity:
                raise OptionError(f"option {spec[1]} takes {arity or 'no'} value"
                                  f"{'' if arity == 1 else 's'}, got {len(values)}", spec[1])
            if kind == "match":
                if spec[0]:
                    raise OptionError("`!` cannot negate -m", spec[1])
                if group is not None:
                    matches[group_at:group_at] = self._group(module, group)
                module, in_target = values[0], False
                group = [] if module not in _PER_SPEC_MODULES else None
                group_at = len(matches)
            elif kind == "jump" or kind == "goto":
                if target is not None:
                    raise OptionError("a rule has only one -j/-g target", spec[1])
                if spec[0]:
                    raise OptionError(f"`!` cannot negate {spec[1]}", spec[1])
                if group is not None:
                    matches[group_at:group_at] = self._group(module, group)
                    group = None
                module, target, in_target = None, (kind, values[0]), True
            elif kind == "counters":
                try:
                    counters = (int(values[0]), int(values[1]))
                except ValueError:
                    raise OptionError(f"{spec[1]} needs two numbers", spec[1]) from None
            else:
                m = generic.get(spec, False)
                if m is False:
                    m = generic[spec] = _generic_match(kind, spec)
                if m is not None:
                    add(m)
                if kind == "proto":
                    proto = protocol_name(values[0])
        if group is not None:
            matches[group_at:group_at] = self._group(module, group)
        actions = self._target(target, target_specs) if target is not None else ()
        return tuple(matches), actions, counters

    def _group(self, module: str, specs: list[Spec]) -> tuple[Match, ...]:
        key = (module, *specs)
        got = self._grouped.get(key)
        if got is None:
            got = self._grouped[key] = _group_matches(module, tuple(specs))
        return got

    def _target(self, target: tuple[str, str], specs: list[Spec]) -> tuple[Action, ...]:
        key = (target, *specs) if specs else target
        got = self._targets.get(key)
        if got is None:
            got = self._targets[key] = _target_actions(target[0], target[1], tuple(specs))
        return got


def _generic_match(kind: str, spec: Spec) -> Match | None:
    neg, opt, values = spec
    if kind in ("saddr", "daddr"):
        try:
            nets = tuple(_network(a) for a in values[0].split(","))
        except ValueError:
            return UnknownMatch(spec_text(spec))  # a host name: resolved at restore time
        return AddressMatch(kind, nets, negated=neg)
    if kind == "proto":
        name = protocol_name(values[0])
        if name == "all" and not neg:
            return None
        return ProtocolMatch((name,), negated=neg)
    if kind in ("in", "out"):
        return InterfaceMatch(kind, (values[0],), negated=neg)
    # kind == "frag": the second and further fragments of a datagram
    return FieldMatch("ip frag-off & 0x1fff", "!=", ("0",), negated=neg)


def _spec_match(module: str, proto: str | None, spec: Spec) -> Match | None:
    """The match of one option of a module whose options are independent of each other."""
    try:
        m = _MODULE_HANDLERS[module](module, proto, spec)
    except OptionError:
        raise  # a missing value: iptables would refuse the line
    except (ValueError, IndexError):
        return UnknownMatch(spec_text(spec), module)
    if m is _OPAQUE:
        return ModuleMatch(module, _options((spec,)))
    return m


def _group_matches(module: str, specs: tuple[Spec, ...]) -> tuple[Match, ...]:
    if module in OPAQUE_MODULES:
        return (ModuleMatch(module, _options(specs)),)
    if module == "addrtype":
        return _addrtype_matches(specs)
    text = " ".join(["-m", module, *(spec_text(s) for s in specs)])
    return (UnknownMatch(text, module),)


_OPAQUE = object()  # a handler's answer for "known option, kept in a ModuleMatch"


def _ports_handler(module: str, proto: str | None, spec: Spec):
    neg, opt, values = spec
    field = PORT_OPTIONS.get(opt)
    if field is not None:
        return PortMatch(field, (_port_range(_one(spec)),), module, negated=neg)
    if opt == "--tcp-flags" and module == "tcp":
        if len(values) != 2:
            raise ValueError("--tcp-flags takes a mask and a comparison")
        return TcpFlagsMatch(_tcp_flags(values[0]), _tcp_flags(values[1]), negated=neg)
    if opt == "--syn" and module == "tcp" and not values:
        return TcpFlagsMatch(("fin", "syn", "rst", "ack"), ("syn",), negated=neg)
    if opt in PORT_MODULES[module]:
        return _OPAQUE
    return UnknownMatch(spec_text(spec), module)


def _multiport_handler(module, proto, spec):
    neg, opt, values = spec
    field = MULTIPORT_OPTIONS.get(opt)
    if field is None:
        return UnknownMatch(spec_text(spec), module)
    ranges = tuple(_port_range(p) for p in _one(spec).split(","))
    return PortMatch(field, ranges, proto, negated=neg)


def _icmp_handler(module, proto, spec):
    neg, opt, values = spec
    if module == "icmp" and opt == "--icmp-type":
        return IcmpTypeMatch("icmp", (_icmp_type(_one(spec), ICMP_TYPES),), negated=neg)
    if module == "icmp6" and opt == "--icmpv6-type":
        return IcmpTypeMatch("icmpv6", (_icmp_type(_one(spec), ICMPV6_TYPES),), negated=neg)
    return UnknownMatch(spec_text(spec), module)


def _conntrack_handler(module, proto, spec):
    neg, opt, values = spec
    key = "state" if module == "state" and opt == "--state" else (
        CONNTRACK_KEYS.get(opt) if module == "conntrack" else None)
    if key is None:
        return UnknownMatch(spec_text(spec), module)
    text = _one(spec)
    if key in ("state", "status", "direction"):
        vals = tuple(v.lower().replace("_", "-") for v in text.split(","))
        bad = [v for v in vals if v not in CONNTRACK_NAMES[key]]
        if bad:  # iptables refuses the rule; the engine must not read it as "never matches"
            raise ValueError(f"unknown conntrack {key} {bad[0]!r}")
    elif key == "protocol":
        vals = (protocol_name(text),)
    else:
        vals = (text,)
    return ConntrackMatch(key, vals, negated=neg)


def _addrtype_matches(specs: tuple[Spec, ...]) -> tuple[Match, ...]:
    limit = None
    for s in specs:
        if s[1] == "--limit-iface-in":
            limit = "in"
        elif s[1] == "--limit-iface-out":
            limit = "out"
    out: list[Match] = []
    for spec in specs:
        neg, opt, values = spec
        if opt in ("--limit-iface-in", "--limit-iface-out") and not values:
            continue  # folded into the type matches
        field = {"--src-type": "saddr", "--dst-type": "daddr"}.get(opt)
        if field is None or len(values) != 1:
            out.append(UnknownMatch(spec_text(spec), "addrtype"))
            continue
        types = tuple(t.lower() for t in values[0].split(","))
        out.append(AddrTypeMatch(field, types, limit, negated=neg))
    return tuple(out)


def _mark_handler(module, proto, spec):
    neg, opt, values = spec
    if opt != "--mark":
        return UnknownMatch(spec_text(spec), module)
    value, mask = _mark(_one(spec))
    return MarkMatch(module, value, mask, negated=neg)


def _comment_handler(module, proto, spec):
    if spec[1] != "--comment":
        return UnknownMatch(spec_text(spec), module)
    return CommentMatch(_one(spec), negated=spec[0])


def _physdev_handler(module, proto, spec):
    neg, opt, values = spec
    kind = PHYSDEV_KINDS.get(opt)
    if kind is None:
        return UnknownMatch(spec_text(spec), module)
    if kind in ("in", "out"):
        return PhysdevMatch(kind, _one(spec), negated=neg)
    if values:
        raise ValueError(f"{opt} takes no value")
    return PhysdevMatch(kind, negated=neg)


def _set_handler(module, proto, spec):
    neg, opt, values = spec
    if opt not in ("--match-set", "--set"):
        return _OPAQUE  # --return-nomatch, --update-counters, --packets-gt, ... (not validated)
    if len(values) != 2:
        raise ValueError("--match-set takes a set name and flags")
    fields = tuple(
        ("saddr" if f == "src" else "daddr") if i == 0 else ("sport" if f == "src" else "dport")
        for i, f in enumerate(values[1].split(",")))
    return SetMatch(values[0], fields, negated=neg)


def _iprange_handler(module, proto, spec):
    neg, opt, values = spec
    field = {"--src-range": "saddr", "--dst-range": "daddr"}.get(opt)
    if field is None:
        return UnknownMatch(spec_text(spec), module)
    first, _, last = _one(spec).partition("-")
    lo = ipaddress.ip_address(first)
    hi = ipaddress.ip_address(last) if last else lo
    nets = tuple(ipaddress.summarize_address_range(lo, hi))
    return AddressMatch(field, nets, negated=neg)


_MODULE_HANDLERS = {
    **{m: _ports_handler for m in PORT_MODULES},
    "multiport": _multiport_handler,
    "icmp": _icmp_handler, "icmp6": _icmp_handler,
    "state": _conntrack_handler, "conntrack": _conntrack_handler,
    "mark": _mark_handler, "connmark": _mark_handler,
    "comment": _comment_handler,
    "physdev": _physdev_handler,
    "set": _set_handler,
    "iprange": _iprange_handler,
}

_PER_SPEC_MODULES = frozenset(_MODULE_HANDLERS)
_IMPLICIT_MODULES = {**{p: p for p in PORT_MODULES}, "icmp": "icmp", "icmpv6": "icmp6"}


# -- targets -----------------------------------------------------------------------------------

def _target_actions(kind: str, name: str, specs: tuple[Spec, ...]) -> tuple[Action, ...]:
    def unknown() -> tuple[Action, ...]:
        words = ["-g" if kind == "goto" else "-j", name, *(spec_text(s) for s in specs)]
        return (UnknownAction(" ".join(words), name),)

    if kind == "goto" or name not in KNOWN_TARGETS:
        if specs:
            return unknown()
        return (Verdict(kind, name),)
    try:
        return _known_target(name, specs)
    except OptionError:
        raise
    except (ValueError, IndexError):
        return unknown()


def _values(specs: tuple[Spec, ...]) -> dict[str, str]:
    return {s[1]: " ".join(s[2]) for s in specs}


def _known_target(name: str, specs: tuple[Spec, ...]) -> tuple[Action, ...]:
    verdict = VERDICT_TARGETS.get(name)
    if verdict is not None:
        return (Verdict(verdict, options=_options(specs)),)
    nat = NAT_TARGETS.get(name)
    if nat is not None:
        address = ports = None
        flags = []
        for spec in specs:
            opt = spec[1]
            if opt in ("--to-destination", "--to-source", "--to") and address is None \
                    and ports is None:
                address, ports = _nat_to(_one(spec))
            elif opt == "--to-ports" and ports is None:
                ports = _port_range(_one(spec), "-")
            else:
                flags.append(_option_name(spec) + ("=" + " ".join(spec[2]) if spec[2] else ""))
        return (NatAction(nat, address, ports, tuple(flags)),)
    opts = _values(specs)
    if name == "NOTRACK":
        return (NotrackAction(),)
    if name == "CT":
        if "--notrack" in opts:
            return (NotrackAction(),)
        if not specs:
            return (OtherAction("CT"),)
        return tuple(CtSetAction(s[1].lstrip("-"), " ".join(s[2])) for s in specs)
    if name in ("MARK", "CONNMARK"):
        return (_mark_action(name.lower(), opts),)
    if name in LOG_TARGETS:
        prefix = opts.get("--log-prefix", opts.get("--nflog-prefix", opts.get("--ulog-prefix")))
        group = opts.get("--nflog-group", opts.get("--ulog-nlgroup"))
        level = opts.get("--log-level")
        return (LogAction(prefix, int(group) if group is not None else None,
                          LOG_LEVELS.get(level, level) if level is not None else None),)
    return (OtherAction(name, _options(specs)),)


def _mark_action(kind: str, opts: dict[str, str]) -> MarkAction:
    for opt, op in (("--set-xmark", "set"), ("--set-mark", "set"), ("--and-mark", "and"),
                    ("--or-mark", "or"), ("--xor-mark", "xor")):
        if opt in opts:
            value, mask = _mark(opts[opt])
            return MarkAction(kind, op, value, mask)
    for opt, op, mask_opt in (("--save-mark", "save", "--nfmask"),
                              ("--restore-mark", "restore", "--ctmask")):
        if opt in opts:
            mask = opts.get("--mask", opts.get(mask_opt))
            return MarkAction(kind, op, None, int(mask, 0) if mask else None)
    raise ValueError(f"{kind.upper()} without an operation")
