"""`iptables -L [-n] [-v] [-x] [--line-numbers] [-t TABLE]` listings -> the typed model.

Support threads paste listings far more often than iptables-save output. A listing is lossy
(no `-m` names, abbreviated counters, interfaces hidden without -v), so it ranks lowest in
`host.FIDELITY`: an iptables-save of the same table replaces it.

Structure (chain headers, the column header, the fixed columns of each rule) comes from
grammars/iptables_list.lark, one line at a time so a garbled line costs only that line. The free
text after the destination column is what each extension's print function wrote; the tokenizer
below (`_Tail`) turns it back into the iptables-save options it came from, and
`iptables_options.RuleMapper` maps those exactly as the iptables-save frontend does, so both
inputs speak one vocabulary. The tokenizer works on words (quoted strings and `/* ... */` kept
whole): at each word it tries the known match printers (`tcp dpt:22`, `ctstate X`, `ADDRTYPE
match ...`, ...), then the start of the target's own text (`to:`, `reject-with`, `MARK set`...);
words nothing claims become an UnknownMatch (or, trailing an extension target, that target's
text), never dropped. Runtime-dependent modules it recognises but cannot invert (recent,
hashlimit, owner, ...) become ModuleMatch with their listing text.
"""
from __future__ import annotations

import dataclasses
import re
import socket
from functools import lru_cache

from ..diagnostics import Diagnostic, Severity
from ..hooks import iptables_chain_hook
from ..host import Contribution
from ..matches import Match, ModuleMatch, UnknownMatch
from ..ruleset import Chain, Rule, Table
from ..span import Span
from ..statements import Action, LogAction, NatAction, OtherAction, UnknownAction, Verdict
from .iptables_options import (KNOWN_TARGETS, PROTOCOL_NAMES, OptionError, RuleMapper, Spec,
                               protocol_name)

FIDELITY = "iptables-list"
BUILTIN_CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
_UNITS = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}  # xtables divides by 1000
_ANY_ADDR = ("0.0.0.0/0", "::/0", "anywhere")
_LAYOUTS = {  # column header -> start symbol of the rule lines under it
    ("pkts", "bytes", "target", "prot", "opt", "in", "out", "source", "destination"):
        "rule_verbose",
    ("num", "pkts", "bytes", "target", "prot", "opt", "in", "out", "source", "destination"):
        "rule_verbose_num",
    ("target", "prot", "opt", "source", "destination"): "rule_plain",
    ("num", "target", "prot", "opt", "source", "destination"): "rule_plain_num",
}


# The grammar's rule layouts as regexes: the fast path for the common case (a 20k-rule listing
# is mostly rule lines). A line they do not match goes to the Lark parser, which also says
# where it breaks; tests check that both paths agree.
_W = r"(!?[A-Za-z0-9_]\S*)"
_F = r"(!?\S+)"
_COUNTS = r"(\d+[KMGTP]?)\s+(\d+[KMGTP]?)\s+"
_REST = rf"(?:{_W}\s+)?{_W}\s+([-!][-f])\s+"
_TAIL = r"(?:\s+(\S.*?))?\s*$"
_FAST = {
    "rule_verbose": re.compile(rf"^\s*{_COUNTS}{_REST}{_F}\s+{_F}\s+{_F}\s+{_F}{_TAIL}"),
    "rule_verbose_num": re.compile(
        rf"^\s*(\d+)\s+{_COUNTS}{_REST}{_F}\s+{_F}\s+{_F}\s+{_F}{_TAIL}"),
    "rule_plain": re.compile(rf"^\s*{_REST}{_F}\s+{_F}{_TAIL}"),
    "rule_plain_num": re.compile(rf"^\s*(\d+)\s+{_REST}{_F}\s+{_F}{_TAIL}"),
}


# `Chain INPUT (policy DROP 0 packets, 0 bytes)`, `Chain DOCKER (2 references)`: the grammar's
# chain_header, for the 35k chain lines of a kube-proxy listing.
_C = r"\d+[KMGTP]?"
_FAST_CHAIN = re.compile(
    rf"^\s*Chain\s+([^\s(]+)\s*\(\s*(?:policy\s+([A-Z]+)(?:\s+({_C})\s+packets\s*,\s*({_C})"
    rf"\s+bytes)?|{_C}\s+references?)\s*\)\s*$")


_COLUMNS = frozenset(("num", "pkts", "bytes", "target", "prot", "opt", "in", "out", "source",
                      "destination"))  # the grammar's COLUMN


@lru_cache(maxsize=1)
def _parser():
    from lark import Lark

    from .. import grammars
    return Lark(grammars.read("iptables_list.lark"), parser="lalr",
                start=["chain_header", "column_header", *sorted(set(_LAYOUTS.values()))])


_PROTO_WORDS = frozenset(PROTOCOL_NAMES) | frozenset(PROTOCOL_NAMES.values()) | {"ipv6-icmp"}


def _with_opt_column(text: str, layout: str) -> str:
    """Old ip6tables printed the opt column blank: put `--` back after the protocol column
    (the first protocol-like word where the target or the protocol may stand)."""
    words = text.split()
    skip = (1 if layout.endswith("_num") else 0) + (2 if layout.startswith("rule_verbose") else 0)
    for k in (skip, skip + 1):
        if k < len(words) and words[k].lstrip("!").lower() in _PROTO_WORDS:
            if k + 1 < len(words) and re.fullmatch(r"[-!][-f]", words[k + 1]):
                return text
            return " ".join(words[:k + 1] + ["--"] + words[k + 1:])
    return text


def count(text: str) -> int:
    """`7238K` -> 7238000: iptables abbreviates counters in units of 1000 (without -x)."""
    unit = _UNITS.get(text[-1:])
    return int(text[:-1]) * unit if unit else int(text)


# -- the free-text tail ------------------------------------------------------------------------

_WORD_RE = re.compile(r'/\*.*?\*/|"(?:[^"\\]|\\.)*"|\S+')
_PORT_RE = re.compile(r"^(spts?|dpts?):(!?)(\S+)$")
_TCP_FLAG_BITS = (("FIN", 1), ("SYN", 2), ("RST", 4), ("PSH", 8), ("ACK", 16), ("URG", 32))
_CT_WORDS = {"ctstate": "--ctstate", "ctstatus": "--ctstatus", "ctproto": "--ctproto",
             "ctorigsrc": "--ctorigsrc", "ctorigdst": "--ctorigdst", "ctreplsrc": "--ctreplsrc",
             "ctrepldst": "--ctrepldst", "ctorigsrcport": "--ctorigsrcport",
             "ctorigdstport": "--ctorigdstport", "ctreplsrcport": "--ctreplsrcport",
             "ctrepldstport": "--ctrepldstport", "ctdir": "--ctdir", "ctexpire": "--ctexpire"}
# Printers whose text we recognise but do not invert: first word -> module.
_OPAQUE_WORDS = {"recent:": "recent", "owner": "owner", "string": "string", "helper": "helper",
                 "TOS": "tos", "tos": "tos", "DSCP": "dscp", "dscp": "dscp", "TTL": "ttl",
                 "HL": "hl", "u32": "u32", "TIME": "time", "policy": "policy", "socket": "socket",
                 "rpfilter": "rpfilter", "cgroup": "cgroup", "devgroup": "devgroup",
                 "quota:": "quota", "connbytes": "connbytes", "#conn": "connlimit",
                 "tcpmss": "tcpmss", "ECN": "ecn", "cpu": "cpu", "nfacct-name": "nfacct",
                 "realm": "realm", "cluster": "cluster", "ipvs": "ipvs",
                 "connlabel": "connlabel", "frag": "frag", "ipv6-opts": "dst", "rt": "rt",
                 "esp": "esp", "ah": "ah", "ipv6header": "ipv6header"}
# Where each target's own text starts in the tail.
_TARGET_START = {
    "DNAT": ("to:",), "SNAT": ("to:",), "MASQUERADE": ("masq", "random", "random-fully"),
    "REDIRECT": ("redir", "random"), "REJECT": ("reject-with",), "NFQUEUE": ("NFQUEUE",),
    "CT": ("NOTRACK", "CT"), "MARK": ("MARK",), "CONNMARK": ("CONNMARK",), "LOG": ("LOG",),
    "NFLOG": ("nflog-prefix", "nflog-group", "nflog-range", "nflog-size", "nflog-threshold"),
    "ULOG": ("ULOG",), "TCPMSS": ("TCPMSS",), "CHECKSUM": ("CHECKSUM",),
}


def _service_port(text: str, proto: str) -> str:
    """`ssh` -> `22` (listings without -n name ports); unknown names stay as they are."""
    if text.isdigit():
        return text
    try:
        return str(socket.getservbyname(text, proto if proto in ("tcp", "udp") else "tcp"))
    except OSError:
        return text


def _ports(text: str, proto: str) -> str:
    return ",".join(":".join(_service_port(p, proto) for p in part.split(":"))
                    for part in text.split(","))


def _flag_names(hex_text: str) -> str:
    bits = int(hex_text, 16)
    if bits & 0x3F == 0x3F:
        return "FIN,SYN,RST,PSH,ACK,URG"
    names = [n for n, b in _TCP_FLAG_BITS if bits & b]
    return ",".join(names) or "NONE"


class _Tail:
    """The tail of one rule line, read back into iptables-save specs (see module docstring)."""

    def __init__(self, text: str, proto: str, target: str | None) -> None:
        self.words = _WORD_RE.findall(text)
        self.i = 0
        self.proto = proto
        self.target = target
        self.modules: list[tuple[str, list[Spec]]] = []  # (module, its specs), in order
        self.extra: list[Match] = []  # ModuleMatch/UnknownMatch built directly
        self.target_words: list[str] = []

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.words[j] if j < len(self.words) else ""

    def take(self) -> str:
        w = self.peek()
        self.i += 1
        return w

    def run(self) -> None:
        unknown: list[str] = []
        while self.i < len(self.words):
            start = self.i
            negated = False
            if self.peek() == "!" and self.peek(1):
                negated = True
                self.i += 1
            if self.match(negated):
                self.flush(unknown)
                continue
            self.i = start
            if self.target_starts():
                self.flush(unknown)
                self.target_words = self.words[self.i:]
                break
            unknown.append(self.take())
        if unknown:
            if self.target in KNOWN_TARGETS and self.target not in ("ACCEPT", "DROP", "RETURN"):
                self.target_words = unknown + self.target_words  # the extension's own text
            else:
                self.flush(unknown)

    def flush(self, unknown: list[str]) -> None:
        if unknown:
            self.extra.append(UnknownMatch(" ".join(unknown), "iptables-list"))
            unknown.clear()

    def target_starts(self) -> bool:
        w = self.peek()
        if w == "[goto]":
            return False
        return any(w == s or (s.endswith(":") and w.startswith(s))
                   for s in _TARGET_START.get(self.target or "", ()))

    def add(self, module: str, *specs: Spec) -> bool:
        self.modules.append((module, list(specs)))
        return True

    # each recogniser consumes its words and returns True, or consumes nothing and returns False
    def match(self, neg: bool) -> bool:
        w = self.peek()
        if w.startswith("/*") and w.endswith("*/"):
            self.take()
            return self.add("comment", (neg, "--comment", (w[2:-2].strip(),)))
        if w in ("tcp", "udp", "sctp", "dccp", "udplite") and _PORT_RE.match(self.peek(1)) \
                or w == "tcp" and self.peek(1).startswith(("flags:", "option=")):
            return self.ports(self.take())
        if w in ("tcp", "udp", "sctp", "dccp", "udplite") and not neg:
            self.take()  # `-m tcp` without options prints its name alone (kube-proxy's DNATs)
            return self.add(w)
        if w == "multiport" and self.peek(1) in ("sports", "dports", "ports"):
            self.take()
            which = self.take()
            inv = neg
            if self.peek() == "!":
                inv = not inv
                self.take()
            value = self.take()
            if value.startswith("!"):
                inv, value = not inv, value[1:]
            return self.add("multiport", (inv, f"--{which}", (_ports(value, self.proto),)))
        if w in ("state", "ctstate") or w in _CT_WORDS:
            return self.conntrack(neg)
        if w == "ADDRTYPE" and self.peek(1) == "match":
            return self.addrtype()
        if w == "PHYSDEV" and self.peek(1) == "match":
            return self.physdev()
        if w in ("mark", "connmark") and self.peek(1) == "match":
            self.i += 2
            value = self.take()
            inv = neg
            if value == "!":
                inv, value = not inv, self.take()
            elif value.startswith("!"):
                inv, value = not inv, value[1:]
            return self.add(w, (inv, "--mark", (value,)))
        if w == "match-set" and self.peek(1) and self.peek(2):
            self.take()
            name, flags = self.take(), self.take()
            return self.add("set", (neg, "--match-set", (name, flags)))
        if w in ("icmptype", "ipv6-icmptype") or (w in ("icmp", "ipv6-icmp")
                                                  and self.peek(1).startswith("!type")):
            return self.icmp(neg)
        if w in ("source", "destination") and self.peek(1) == "IP" and self.peek(2) == "range":
            self.i += 3
            inv = neg
            if self.peek() == "!":
                inv = not inv
                self.take()
            opt = "--src-range" if w == "source" else "--dst-range"
            return self.add("iprange", (inv, opt, (self.take(),)))
        if w == "limit:" and self.peek(1) == "avg":
            self.i += 2
            specs: list[Spec] = [(False, "--limit", (self.take(),))]
            if self.peek() == "burst":
                self.take()
                specs.append((False, "--limit-burst", (self.take(),)))
            return self.add("limit", *specs)
        if w == "length" and re.match(r"^!?\d+(:\d+)?$", self.peek(1)):
            self.take()
            value = self.take()
            return self.add("length", (neg or value.startswith("!"), "--length",
                                       (value.lstrip("!"),)))
        if w == "PKTTYPE" and self.peek(1) in ("=", "!="):
            self.take()
            inv = self.take() == "!="
            return self.add("pkttype", (inv, "--pkt-type", (self.take(),)))
        if w == "MAC" and self.peek(1):
            self.take()
            inv = neg
            if self.peek() == "!":
                inv = not inv
                self.take()
            return self.add("mac", (inv, "--mac-source", (self.take(),)))
        if w == "statistic" and self.peek(1) == "mode":
            self.i += 2
            specs = [(False, "--mode", (self.take(),))]
            while self.peek() in ("probability", "every", "packet"):
                key = self.take()
                specs.append((False, f"--{key}", (self.take(),)))
            return self.add("statistic", *specs)
        module = "hashlimit" if w == "limit:" else _OPAQUE_WORDS.get(w)
        if module is not None and self.peek(1):
            return self.opaque(module, neg)
        return False

    def ports(self, module: str) -> bool:
        specs: list[Spec] = []
        while True:
            w = self.peek()
            m = _PORT_RE.match(w)
            if m:
                opt = "--sport" if m.group(1).startswith("spt") else "--dport"
                specs.append((bool(m.group(2)), opt, (_ports(m.group(3), module),)))
            elif module == "tcp" and w.startswith("flags:"):
                value = w[len("flags:"):]
                inv = value.startswith("!")
                mask, _, comp = value.lstrip("!").partition("/")
                try:
                    specs.append((inv, "--tcp-flags", (_flag_names(mask), _flag_names(comp))))
                except ValueError:
                    break
            elif module == "tcp" and w.startswith("option="):
                value = w[len("option="):]
                specs.append((value.startswith("!"), "--tcp-option", (value.lstrip("!"),)))
            else:
                break
            self.take()
        return self.add(module, *specs)

    def conntrack(self, neg: bool) -> bool:
        if self.peek() == "state":
            self.take()
            value = self.take()
            inv = neg
            if value == "!":
                inv, value = not inv, self.take()
            return self.add("state", (inv, "--state", (value,)))
        specs: list[Spec] = []
        inv = neg
        while True:
            w = self.peek()
            if w == "!" and self.peek(1) in _CT_WORDS:
                inv = True
                self.take()
                continue
            opt = _CT_WORDS.get(w)
            if opt is None or not self.peek(1):
                break
            self.take()
            specs.append((inv, opt, (self.take(),)))
            inv = False
        return self.add("conntrack", *specs)

    def addrtype(self) -> bool:
        self.i += 2
        specs: list[Spec] = []
        while True:
            w = self.peek()
            if w in ("src-type", "dst-type"):
                self.take()
                value = self.take()
                opt = "--src-type" if w == "src-type" else "--dst-type"
                specs.append((value.startswith("!"), opt, (value.lstrip("!"),)))
            elif w in ("limit-in", "limit-out"):
                self.take()
                specs.append((False, "--limit-iface-" + w[len("limit-"):], ()))
            else:
                break
        return self.add("addrtype", *specs)

    def physdev(self) -> bool:
        self.i += 2
        specs: list[Spec] = []
        inv = False
        while True:
            w = self.peek()
            if w == "!":
                inv = True
                self.take()
                continue
            if w in ("--physdev-in", "--physdev-out"):
                self.take()
                specs.append((inv, w, (self.take(),)))
            elif w in ("--physdev-is-in", "--physdev-is-out", "--physdev-is-bridged"):
                self.take()
                specs.append((inv, w, ()))
            else:
                break
            inv = False
        return self.add("physdev", *specs)

    def icmp(self, neg: bool) -> bool:
        w = self.take()
        v6 = w.startswith("ipv6")
        inv = neg
        if w in ("icmp", "ipv6-icmp"):  # `icmp !type 8`
            self.take()
            inv = not inv
        value = self.take()
        if self.peek() == "code":
            self.take()
            value += "/" + self.take()
        return self.add("icmp6" if v6 else "icmp",
                        (inv, "--icmpv6-type" if v6 else "--icmp-type", (value,)))

    def opaque(self, module: str, neg: bool) -> bool:
        """Words up to the next word another printer claims: runtime state we cannot see."""
        words = [self.take()]
        while self.i < len(self.words) and not self.target_starts() and not self._claims():
            words.append(self.take())
        self.extra.append(ModuleMatch(module, (("listing", " ".join(words)),), negated=neg))
        return True

    def _claims(self) -> bool:
        """Whether the word at the cursor starts another printer (without consuming it)."""
        mark, n_mod, n_extra = self.i, len(self.modules), len(self.extra)
        hit = self.match(False)
        self.i = mark
        del self.modules[n_mod:]
        del self.extra[n_extra:]
        return hit


def _target_specs(target: str, words: list[str]) -> tuple[str, list[Spec]] | None:
    """The iptables-save form of a target's listing text, or None when we cannot invert it."""
    specs: list[Spec] = []
    it = iter(words)
    w = list(words)
    if target in ("DNAT", "SNAT"):
        for word in it:
            if word.startswith("to:"):
                opt = "--to-destination" if target == "DNAT" else "--to-source"
                specs.append((False, opt, (word[3:],)))
            elif word in ("random", "random-fully", "persistent"):
                specs.append((False, "--" + word, ()))
            else:
                return None
        return target, specs
    if target in ("MASQUERADE", "REDIRECT"):
        for word in it:
            if word in ("masq", "redir") and next(it, "") in ("ports:", "ports"):
                specs.append((False, "--to-ports", (next(it, ""),)))
            elif word in ("random", "random-fully"):
                specs.append((False, "--" + word, ()))
            else:
                return None
        return target, specs
    if target == "REJECT" and len(w) == 2 and w[0] == "reject-with":
        return target, [(False, "--reject-with", (w[1],))]
    if target == "NFQUEUE" and w[:1] == ["NFQUEUE"]:
        if w[1:2] == ["num"] and len(w) == 3:
            return target, [(False, "--queue-num", (w[2],))]
        if w[1:2] == ["balance"] and len(w) == 3:
            return target, [(False, "--queue-balance", (w[2],))]
        return None
    if target == "CT":
        if w in (["NOTRACK"], ["CT", "notrack"]):
            return ("NOTRACK", []) if w == ["NOTRACK"] else ("CT", [(False, "--notrack", ())])
        if w[:1] == ["CT"] and len(w) % 2 == 1:
            return target, [(False, "--" + k, (v,)) for k, v in zip(w[1::2], w[2::2])]
        return None
    if target in ("MARK", "CONNMARK") and w[:1] == [target]:
        return _mark_specs(target, w[1:])
    if target == "LOG" and w[:1] == ["LOG"]:
        for key, value in zip(w[1::2], w[2::2]):
            if key == "level" and value != "4":  # 4 is the default iptables-save omits
                specs.append((False, "--log-level", (value,)))
            elif key == "prefix":
                specs.append((False, "--log-prefix", (_unquote(value),)))
        return target, specs
    if target == "NFLOG":
        for key, value in zip(w[0::2], w[1::2]):
            if not key.startswith("nflog-"):
                return None
            specs.append((False, "--" + key, (_unquote(value),)))
        return target, specs
    if target == "TCPMSS" and w[:1] == ["TCPMSS"]:
        if w[1:] == ["clamp", "to", "PMTU"]:
            return target, [(False, "--clamp-mss-to-pmtu", ())]
        if w[1:2] == ["set"] and len(w) == 3:
            return target, [(False, "--set-mss", (w[2],))]
        return None
    if target == "CHECKSUM" and w == ["CHECKSUM", "fill"]:
        return target, [(False, "--checksum-fill", ())]
    if not w:
        return target, []
    return None


def _with_listing_text(action: Action, text: str) -> Action:
    """Keep target text we could not read on the action the target name gives (its kind and
    whether it ends the chain stay right; the text is never dropped)."""
    if isinstance(action, (Verdict, OtherAction)):
        return dataclasses.replace(action, options=action.options + (("listing", text),))
    if isinstance(action, NatAction):
        return dataclasses.replace(action, flags=action.flags + (f"listing={text}",))
    if isinstance(action, UnknownAction):
        return dataclasses.replace(action, text=f"{action.text} {text}")
    if isinstance(action, LogAction):
        return action  # prefix/level lost: logging does not change the packet's path
    return UnknownAction(f"-j {action.__class__.__name__} {text}")


def _mark_specs(target: str, w: list[str]) -> tuple[str, list[Spec]] | None:
    full = "0xffffffff"
    if len(w) == 2 and w[0] in ("set", "xset"):
        value = w[1] if "/" in w[1] else f"{w[1]}/{full}"
        return target, [(False, "--set-xmark", (value,))]
    if len(w) == 2 and w[0] in ("and", "or", "xor"):
        return target, [(False, f"--{w[0]}-mark", (w[1],))]
    if target == "CONNMARK" and w[:1] in (["save"], ["restore"]):
        opts = dict(zip(w[1::2], w[2::2]))
        mask = opts.get("mask")
        nf = opts.get("nfmask", mask or full)
        ct = opts.get("ctmask", mask or full).lstrip("~")
        return target, [(False, f"--{w[0]}-mark", ()), (False, "--nfmask", (nf,)),
                        (False, "--ctmask", (ct,))]
    return None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


# -- the listing -------------------------------------------------------------------------------

def _infer_table(chain_names: list[str], targets: set[str]) -> str:
    """Which table an unhinted listing shows, from its built-in chains and targets."""
    if targets & {"DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP"}:
        return "nat"
    if targets & {"NOTRACK", "CT"}:
        return "raw"
    if targets & {"MARK", "CONNMARK", "TCPMSS", "TOS", "DSCP", "TTL", "HL", "CHECKSUM", "TPROXY"}:
        return "mangle"
    names = set(chain_names)
    if names & {"PREROUTING", "POSTROUTING"} and "FORWARD" not in names:
        return "nat"
    if names & {"PREROUTING", "POSTROUTING"}:
        return "mangle"
    return "filter"


class _Listing:
    """State of one parse: chains collected per table as the lines come."""

    def __init__(self, source: str, line_offset: int, hint: dict) -> None:
        self.source = source
        self.offset = line_offset
        self.hint = hint
        self.mapper = RuleMapper()
        self.layout: str | None = None
        self.problems: list[Diagnostic] = []
        self.assumptions: list[str] = []
        self.tables: list[dict] = []  # {"chains": [...], "line": n, "targets": set()}
        self.chain: dict | None = None
        self.orphans = 0  # rule lines of a filtered listing that lost their chain

    def span(self, line: int, column: int = 1, end_column: int | None = None) -> Span:
        return Span(self.source, line + self.offset, column, line + self.offset
                    if end_column else None, end_column)

    def error(self, line: int, column: int, message: str) -> None:
        self.problems.append(Diagnostic(
            "NF001", "syntax-error", Severity.ERROR, message, self.span(line, column),
            key=(self.source, message)))

    def feed(self, lineno: int, text: str) -> None:
        from lark.exceptions import LarkError

        stripped = text.strip()
        if not stripped:
            return
        if stripped.startswith("#"):  # iptables-nft's "# Warning: iptables-legacy tables present"
            if "legacy tables present" in stripped:
                self.assumptions.append("the host also has iptables-legacy tables (not listed)")
            return
        first = stripped.split(None, 1)[0]
        if first == "Chain":
            start = "chain_header"
        elif first in ("num", "pkts", "target") and " prot " in f" {stripped} ":
            start = "column_header"
        elif self.layout is None:
            if self.hint.get("filtered"):
                self.orphans += 1  # `| grep` kept the rule but not its chain header
                return
            self.error(lineno, 1, "rule line before any column header (expected `Chain NAME "
                                  "(...)` and a `target prot opt ...` header)")
            return
        else:
            start = self.layout
        if start == "chain_header":
            m = _FAST_CHAIN.match(text)
            if m is not None:
                policy, packets, nbytes = m.group(2, 3, 4)
                self.chain_header(lineno, m.group(1), policy is not None, policy,
                                  (packets, nbytes) if packets is not None else None)
                return
        elif start == "column_header":
            cols = tuple(stripped.split())
            if _COLUMNS.issuperset(cols):  # the grammar's column_header: COLUMN+
                self.column_header(lineno, cols)
                return
        fast = _FAST.get(start)
        m = fast.match(text) if fast is not None else None
        if m is None and fast is not None:
            m = fast.match(_with_opt_column(text, start))
            if m is not None:
                note = ("listing without an opt column (ip6tables before 1.8 left it blank); "
                        "read as `--`")
                if note not in self.assumptions:
                    self.assumptions.append(note)
        if m is not None:
            self.rule(lineno, start, list(m.groups()))
            return
        try:
            tree = _parser().parse(text.rstrip(), start=start)
        except LarkError as exc:
            column = getattr(exc, "column", 1) or 1
            what = {"chain_header": "`Chain NAME (policy P [N packets, M bytes])` or "
                                    "`Chain NAME (N references)`",
                    "column_header": "a column header"}.get(start, "a rule line with columns "
                                                            "of the header above")
            self.error(lineno, column if column > 0 else 1, f"unreadable listing line: "
                                                            f"expected {what}")
            return
        if start == "chain_header":
            self.chain_header_tree(lineno, tree)
        elif start == "column_header":
            self.column_header(lineno, tuple(str(t) for t in tree.children))
        else:
            self.rule(lineno, tree.data, tree.children)

    def chain_header(self, lineno: int, name: str, builtin: bool, policy: str | None,
                     counts: tuple[str, str] | None) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None or (name in table["names"] and not self.hint.get("table")):
            table = {"chains": [], "names": set(), "line": lineno, "targets": set()}
            self.tables.append(table)
        counters = (count(counts[0]), count(counts[1])) if counts else None
        self.chain = {"name": name, "line": lineno, "policy": policy.lower() if policy else None,
                      "counters": counters, "rules": [], "builtin": builtin}
        table["chains"].append(self.chain)
        table["names"].add(name)

    def chain_header_tree(self, lineno: int, tree) -> None:
        info = tree.children[1]
        builtin = info.data == "builtin_info"
        counts = info.children[1] if builtin else None
        self.chain_header(lineno, str(tree.children[0]), builtin,
                          str(info.children[0]) if builtin else None,
                          tuple(str(c) for c in counts.children) if counts is not None else None)

    def column_header(self, lineno: int, cols: tuple[str, ...]) -> None:
        layout = _LAYOUTS.get(cols)
        if layout is None:
            self.error(lineno, 1, f"unknown column layout {' '.join(cols)!r}")
            return
        if layout != self.layout and self.layout is not None:
            self.assumptions.append("listing mixes column layouts; each rule read by the "
                                    "header above it")
        self.layout = layout
        if "in" not in cols:
            note = ("listing without -v: in/out interfaces and counters are not shown, so rules "
                    "are read as if they matched every interface")
            if note not in self.assumptions:
                self.assumptions.append(note)

    def rule(self, lineno: int, layout: str, children: list) -> None:
        """One rule line; `children` are its columns in grammar order (None: absent)."""
        if self.chain is None:
            if self.hint.get("filtered"):
                self.orphans += 1
                return
            self.error(lineno, 1, "rule line before any `Chain` header")
            return
        raw = " ".join(str(t) for t in children if t is not None)
        toks = list(children)
        verbose = layout.startswith("rule_verbose")
        if layout.endswith("_num"):
            toks = toks[1:]
        counters = None
        if verbose:
            counters = (count(str(toks[0])), count(str(toks[1])))
            toks = toks[2:]
        target, prot, opt = toks[0], toks[1], toks[2]
        fields = [str(t) for t in toks[3:-1]]
        tail = toks[-1]
        ifaces = fields[:2] if verbose else ["*", "*"]
        src, dst = fields[-2:]
        target_name = str(target) if target is not None else None
        specs: list[Spec] = []
        for opt_name, value in (("-s", src), ("-d", dst), ("-i", ifaces[0]), ("-o", ifaces[1])):
            neg = value.startswith("!")
            value = value[1:] if neg else value
            if value in _ANY_ADDR or value == "*":
                continue
            specs.append((neg, opt_name, (value,)))
        prot_text = str(prot)
        prot_neg = prot_text.startswith("!")
        prot_name = prot_text.lstrip("!").lower()
        if prot_name not in ("0", "all"):
            specs.append((prot_neg, "-p", (prot_name,)))
        if str(opt) in ("-f", "!f"):
            specs.append((str(opt) == "!f", "-f", ()))
        goto = False
        tail_text = str(tail) if tail is not None else ""
        if tail_text.startswith("[goto]"):
            goto, tail_text = True, tail_text[len("[goto]"):].strip()
        reader = _Tail(tail_text, protocol_name(prot_name), target_name)
        reader.run()
        for module, mspecs in reader.modules:
            specs.append((False, "-m", (module,)))
            specs.extend(mspecs)
        leftover = ""  # target text we could not turn back into options
        if target_name is not None:
            self.tables[-1]["targets"].add(target_name)
            if goto:
                specs.append((False, "-g", (target_name,)))
            else:
                inverted = (_target_specs(target_name, reader.target_words)
                            if target_name in KNOWN_TARGETS else (target_name, []))
                if inverted is None:
                    inverted, leftover = (target_name, []), " ".join(reader.target_words)
                specs.append((False, "-j", (inverted[0],)))
                specs.extend(inverted[1])
        try:
            matches, actions, _ = self.mapper.map(specs)
        except OptionError as exc:
            self.error(lineno, 1, f"listing rule cannot be read back: {exc}")
            return
        if leftover:
            actions = tuple(_with_listing_text(a, leftover) for a in actions)
        rule_line = lineno
        self.chain["rules"].append(Rule(
            matches=matches + tuple(reader.extra), actions=actions,
            span=self.span(rule_line), raw=raw, counters=counters,
            index=len(self.chain["rules"])))

    def finish(self) -> list[Table]:
        out = []
        if self.orphans:
            self.assumptions.append(
                f"{self.orphans} rule line(s) of the filtered listing in {self.source} (`| grep` "
                "or similar) came without their chain header and are not in the model")
        family = self.hint.get("family") or "ip"
        backend = self.hint.get("backend")
        if backend is None:
            backend = "iptables-nft"
            if self.tables:
                self.assumptions.append("backend iptables-nft assumed (the listing does not say; "
                                        "a prompt with iptables-legacy would)")
        for t in self.tables:
            names = [c["name"] for c in t["chains"]]
            name = self.hint.get("table")
            if not name:
                name = _infer_table(names, t["targets"])
                self.assumptions.append(f"table {name} inferred for the listing at "
                                        f"{self.source}:{t['line'] + self.offset} (no prompt "
                                        "said which)")
            chains = []
            for c in t["chains"]:
                hook = iptables_chain_hook(name, c["name"]) if c["builtin"] else None
                last = c["rules"][-1].span.line if c["rules"] else c["line"] + self.offset
                chains.append(Chain(
                    name=c["name"], rules=tuple(c["rules"]),
                    span=Span(self.source, c["line"] + self.offset, 1, last),
                    hook=hook[0] if hook else None, priority=hook[1] if hook else None,
                    type=hook[2] if hook else None, policy=c["policy"], counters=c["counters"]))
            defined = set(names)
            jumps = {j for c in chains for r in c.rules for j in r.jump_targets}
            complete = set(BUILTIN_CHAINS.get(name, ())) <= defined and jumps <= defined
            if not complete:
                self.assumptions.append(f"the {name} listing at {self.source}:"
                                        f"{t['line'] + self.offset} is partial (built-in or "
                                        "jumped-to chains missing)")
            last_line = max((ch.span.end_line or ch.span.line) for ch in chains)
            out.append(Table(backend=backend, family=family, name=name, chains=tuple(chains),
                             span=Span(self.source, t["line"] + self.offset, 1, last_line),
                             complete=complete))
        return out


def parse(text: str, source: str, *, line_offset: int = 0, hint: dict | None = None
          ) -> Contribution:
    listing = _Listing(source, line_offset, dict(hint or {}))
    for lineno, line in enumerate(text.splitlines(), start=1):
        listing.feed(lineno, line)
    tables = listing.finish()
    return Contribution(tables=tables, fidelity=FIDELITY, problems=listing.problems,
                        assumptions=listing.assumptions)
