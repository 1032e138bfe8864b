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

# Options every rule understands, whatever modules it loads.
GENERIC = {
    "-s": "saddr", "--source": "saddr", "--src": "saddr",
    "-d": "daddr", "--destination": "daddr", "--dst": "daddr",
    "-p": "proto", "--protocol": "proto",
    "-i": "in", "--in-interface": "in", "-o": "out", "--out-interface": "out",
    "-f": "frag", "--fragment": "frag",
    "-m": "match", "--match": "match",
    "-j": "jump", "--jump": "jump", "-g": "goto", "--goto": "goto",
    "-c": "counters", "--set-counters": "counters",
}
_ARITY = {"saddr": 1, "daddr": 1, "proto": 1, "in": 1, "out": 1, "frag": 0, "match": 1,
          "jump": 1, "goto": 1, "counters": 2}


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
    name = text.lower()
    return PROTOCOL_ALIASES.get(name) or PROTOCOL_NAMES.get(name, name)


def _one(spec: Spec) -> str:
    if len(spec[2]) != 1:
        raise OptionError(f"option {spec[1]} takes one value, got {len(spec[2])}", spec[1])
    return spec[2][0]


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
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
    memo tables grow with the distinct spec groups of the input)."""

    def __init__(self) -> None:
        self._generic: dict[Spec, Match | None] = {}
        self._modules: dict[tuple, tuple[Match, ...]] = {}
        self._targets: dict[tuple, tuple[Action, ...]] = {}

    def map(self, specs: list[Spec]) -> tuple[tuple[Match, ...], tuple[Action, ...],
                                                  tuple[int, int] | None]:
        matches: list[Match] = []
        counters = None
        proto = None
        module: str | None = None  # the -m module (or implicit protocol module) being filled
        mod_specs: list[Spec] = []
        target: tuple[str, str] | None = None  # ("jump"|"goto", name)
        target_specs: list[Spec] = []
        sink = None  # where a module/target option goes: "module" | "target" | None
        generic = self._generic
        for spec in specs:
            kind = GENERIC.get(spec[1])
            if kind is None:
                if sink is None and (proto in PORT_MODULES or proto in ("icmp", "icmpv6")):
                    # `-p tcp --dport 22`: iptables loads the protocol's match implicitly.
                    module = "icmp6" if proto == "icmpv6" else proto
                    mod_specs = []
                    sink = "module"
                if sink == "module":
                    mod_specs.append(spec)
                elif sink == "target":
                    target_specs.append(spec)
                else:
                    raise OptionError(f"unknown option {spec[1]} (no -m module or -j target "
                                      "before it)", spec[1])
                continue
            values = spec[2]
            if len(values) != _ARITY[kind]:
                if kind == "frag":
                    raise OptionError(f"option {spec[1]} takes no value", spec[1])
                n = _ARITY[kind]
                raise OptionError(f"option {spec[1]} takes {n} value{'s' if n > 1 else ''}, got "
                                  f"{len(values)}", spec[1])
            if kind == "match":
                if module is not None:
                    matches.extend(self._module(module, proto, mod_specs))
                module, mod_specs, sink = values[0], [], "module"
                if spec[0]:
                    raise OptionError("`!` cannot negate -m", spec[1])
            elif kind == "jump" or kind == "goto":
                if target is not None:
                    raise OptionError("a rule has only one -j/-g target", spec[1])
                if spec[0]:
                    raise OptionError(f"`!` cannot negate {spec[1]}", spec[1])
                if module is not None:
                    matches.extend(self._module(module, proto, mod_specs))
                    module, mod_specs = None, []
                target, sink = (kind, values[0]), "target"
            elif kind == "counters":
                try:
                    counters = (int(values[0]), int(values[1]))
                except ValueError:
                    raise OptionError(f"{spec[1]} needs two numbers", spec[1]) from None
            else:
                m = generic.get(spec, False)
                if m is False:
                    m = generic[spec] = self._generic_match(kind, spec)
                if m is not None:
                    matches.append(m)
                if kind == "proto":
                    proto = protocol_name(values[0])
        if module is not None:
            matches.extend(self._module(module, proto, mod_specs))
        actions = self._target(target, target_specs) if target is not None else ()
        return tuple(matches), actions, counters

    # -- generic options ---------------------------------------------------------------------

    def _generic_match(self, kind: str, spec: Spec) -> Match | None:
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

    # -- match modules -----------------------------------------------------------------------

    def _module(self, module: str, proto: str | None, specs: list[Spec]) -> tuple[Match, ...]:
        key = (module, proto, *specs)
        got = self._modules.get(key)
        if got is None:
            got = self._modules[key] = tuple(self._module_matches(module, proto, tuple(specs)))
        return got

    def _module_matches(self, module: str, proto: str | None, specs: tuple[Spec, ...]):
        if module in OPAQUE_MODULES:
            yield ModuleMatch(module, _options(specs))
            return
        handler = _MODULE_HANDLERS.get(module)
        if handler is None:
            text = " ".join(["-m", module, *(spec_text(s) for s in specs)])
            yield UnknownMatch(text, module)
            return
        rest: list[Spec] = []
        for spec in specs:
            try:
                m = handler(module, proto, spec, specs)
            except (ValueError, IndexError):
                m = UnknownMatch(spec_text(spec), module)
            if m is _OPAQUE:
                rest.append(spec)
            elif m is not None:
                yield m
        if rest:
            yield ModuleMatch(module, _options(tuple(rest)))

    # -- targets -----------------------------------------------------------------------------

    def _target(self, target: tuple[str, str], specs: list[Spec]) -> tuple[Action, ...]:
        key = (target, *specs)
        got = self._targets.get(key)
        if got is None:
            got = self._targets[key] = _target_actions(target[0], target[1], tuple(specs))
        return got


_OPAQUE = object()  # a handler's answer for "known option, kept in a ModuleMatch"


def _ports_handler(module: str, proto: str | None, spec: Spec, specs: tuple[Spec, ...]):
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


def _multiport_handler(module, proto, spec, specs):
    neg, opt, values = spec
    field = MULTIPORT_OPTIONS.get(opt)
    if field is None:
        return UnknownMatch(spec_text(spec), module)
    ranges = tuple(_port_range(p) for p in _one(spec).split(","))
    return PortMatch(field, ranges, proto, negated=neg)


def _icmp_handler(module, proto, spec, specs):
    neg, opt, values = spec
    if module == "icmp" and opt == "--icmp-type":
        return IcmpTypeMatch("icmp", (_icmp_type(_one(spec), ICMP_TYPES),), negated=neg)
    if module == "icmp6" and opt == "--icmpv6-type":
        return IcmpTypeMatch("icmpv6", (_icmp_type(_one(spec), ICMPV6_TYPES),), negated=neg)
    return UnknownMatch(spec_text(spec), module)


def _conntrack_handler(module, proto, spec, specs):
    neg, opt, values = spec
    key = "state" if module == "state" and opt == "--state" else (
        CONNTRACK_KEYS.get(opt) if module == "conntrack" else None)
    if key is None:
        return UnknownMatch(spec_text(spec), module)
    text = _one(spec)
    if key in ("state", "status", "direction"):
        vals = tuple(v.lower().replace("_", "-") for v in text.split(","))
    elif key == "protocol":
        vals = (protocol_name(text),)
    else:
        vals = (text,)
    return ConntrackMatch(key, vals, negated=neg)


def _addrtype_handler(module, proto, spec, specs):
    neg, opt, values = spec
    if opt in ("--limit-iface-in", "--limit-iface-out") and not values:
        return None  # folded into the type matches below
    field = {"--src-type": "saddr", "--dst-type": "daddr"}.get(opt)
    if field is None:
        return UnknownMatch(spec_text(spec), module)
    limit = None
    for s in specs:
        if s[1] == "--limit-iface-in":
            limit = "in"
        elif s[1] == "--limit-iface-out":
            limit = "out"
    types = tuple(t.lower() for t in _one(spec).split(","))
    return AddrTypeMatch(field, types, limit, negated=neg)


def _mark_handler(module, proto, spec, specs):
    neg, opt, values = spec
    if opt != "--mark":
        return UnknownMatch(spec_text(spec), module)
    value, mask = _mark(_one(spec))
    return MarkMatch(module, value, mask, negated=neg)


def _comment_handler(module, proto, spec, specs):
    if spec[1] != "--comment":
        return UnknownMatch(spec_text(spec), module)
    return CommentMatch(_one(spec), negated=spec[0])


def _physdev_handler(module, proto, spec, specs):
    neg, opt, values = spec
    kind = PHYSDEV_KINDS.get(opt)
    if kind is None:
        return UnknownMatch(spec_text(spec), module)
    if kind in ("in", "out"):
        return PhysdevMatch(kind, _one(spec), negated=neg)
    if values:
        raise ValueError(f"{opt} takes no value")
    return PhysdevMatch(kind, negated=neg)


def _set_handler(module, proto, spec, specs):
    neg, opt, values = spec
    if opt not in ("--match-set", "--set"):
        return _OPAQUE  # --return-nomatch, --update-counters, --packets-gt, ...
    if len(values) != 2:
        raise ValueError("--match-set takes a set name and flags")
    fields = tuple(
        ("saddr" if f == "src" else "daddr") if i == 0 else ("sport" if f == "src" else "dport")
        for i, f in enumerate(values[1].split(",")))
    return SetMatch(values[0], fields, negated=neg)


def _iprange_handler(module, proto, spec, specs):
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
    "addrtype": _addrtype_handler,
    "mark": _mark_handler, "connmark": _mark_handler,
    "comment": _comment_handler,
    "physdev": _physdev_handler,
    "set": _set_handler,
    "iprange": _iprange_handler,
}


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
