"""One pasted text -> sections, each with a format, a frontend hint and its original lines.

Support threads mix everything in one paste: prompts with their output, markdown fences, prose,
several dumps back to back. A section is a run of lines that one frontend should read; it keeps
its original line numbers (frontends get `line_offset`), so findings point into the user's own
text. What no frontend reads is still listed, as a skipped section with its line range.

Order of evidence, strongest first: a shell prompt's command (`$ sudo iptables -t nat -L -n -v`
says iptables-list, table nat, IPv4), a fence info string that names a format, then the content
(signature lines such as `Chain INPUT (policy ...`, `*filter`, `table inet x {`, `key = value`).
Within one run of lines, a signature of another format starts a new section, and a line that
cannot continue the current format ends it.

`# ` is both a root prompt and a comment in iptables-save, nft and YAML: it counts as a prompt
only when what follows looks like a command (a known command name and shell-like arguments).
"""
from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from .diagnostics import Diagnostic

# -- cleaning ----------------------------------------------------------------------------------

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")
_QUOTE_RE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
# A `>` quote marker at a line start. Led by a literal newline rather than `^` with re.M, so
# the search skips from newline to newline (16 MB: 6 ms instead of 70 ms); the first line
# is matched on its own.
_QUOTED_TEXT_RE = re.compile(r"\n[ \t]{0,3}>")
_QUOTED_FIRST_RE = re.compile(r"[ \t]{0,3}>")
# A margin of hand-drawn flow marks in front of indented content: `(2)->   chain DOCKER {`.
_MARGIN_RE = re.compile(r"^(\s*(?:\(\d+\)|->|<-|↓|↑|→|←)+(?:->)?)(?=\s{2,}\S)")


def clean_lines(text: str) -> tuple[list[str], list[str]]:
    """Lines without CR, ANSI colours and `> ` quote markers; second list: what was done."""
    notes: list[str] = []
    if "\r" in text:
        notes.append("CR line ends removed")
    lines = (text.replace("\r\n", "\n").replace("\r", "\n") if notes else text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\x1b" not in text and not _has_quote_markers(text):
        return lines, notes  # the common case, without a pass over every line
    out = []
    ansi = quoted = False
    for line in lines:
        if "\x1b" in line:
            new = _ANSI_RE.sub("", line)
            ansi = ansi or new != line
            line = new
        if line.lstrip(" \t").startswith(">"):
            new = _QUOTE_RE.sub("", line)
            quoted = quoted or new != line
            line = new
        out.append(line)
    if ansi:
        notes.append("ANSI colour codes removed")
    if quoted:
        notes.append("`> ` quote markers removed")
    return out, notes


def _has_quote_markers(text: str) -> bool:
    return ">" in text and bool(_QUOTED_FIRST_RE.match(text) or _QUOTED_TEXT_RE.search(text))


def strip_margin(line: str) -> str:
    """Blank out a flow-annotation margin, keeping columns (nft does not care about indent)."""
    m = _MARGIN_RE.match(line)
    return " " * len(m.group(1)) + line[m.end(1):] if m else line


# -- commands ----------------------------------------------------------------------------------

KNOWN_COMMANDS = frozenset((
    "iptables", "ip6tables", "iptables-save", "ip6tables-save", "iptables-legacy",
    "ip6tables-legacy", "iptables-nft", "ip6tables-nft", "iptables-legacy-save",
    "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save", "iptables-restore",
    "ip6tables-restore", "nft", "sysctl", "ip", "bridge", "brctl", "docker", "podman",
    "conntrack", "journalctl", "dmesg", "cat", "grep", "egrep", "less", "tail", "head", "netplan",
    "telnet", "curl", "wget", "ping", "ss", "netstat", "tcpdump", "systemctl", "modprobe",
    "lsmod", "ethtool", "ipset", "ebtables", "arptables", "firewall-cmd", "ufw", "echo", "ls",
    "docker-compose", "traceroute", "nc", "dig", "route", "ifconfig", "sudo", "tee", "bpftrace",
))
# Second words that make `# ip ...` a command rather than a comment that starts with "ip".
_IP_OBJECTS = frozenset(("a", "addr", "address", "l", "link", "r", "ro", "route", "rule",
                         "neigh", "n", "netns", "maddr", "monitor", "xfrm", "tunnel", "token"))

_IP_VERBS = frozenset(("show", "sh", "s", "list", "ls", "lst", "add", "del", "delete", "change",
                       "replace", "set", "get", "flush", "dev", "help", "save", "exec", "add",
                       "append", "test", "type"))

_ARG_RE = re.compile(r"^(?:[-/.~\d'\"$]|\S*[/=:.@*])")
_SUBCOMMANDS = _IP_OBJECTS | frozenset((
    "list", "show", "network", "ps", "inspect", "create", "exec", "run", "apply", "get", "try",
    "generate", "status", "restart", "start", "stop", "reload", "fdb", "vlan", "mdb", "addbr",
    "addif", "delif", "showmacs", "ruleset", "flush", "add", "insert", "delete", "replace",
    "save", "restore", "logs", "compose", "container", "monitor", "describe"))


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=False)
    except ValueError:
        return command.split()


def _first_command(command: str) -> list[str]:
    """argv of the first command of a pipeline, without sudo/env prefixes."""
    head = re.split(r"\s(?:\|\|?|&&|;)\s?", " " + command.strip())[0] if "|" in command or \
        "&&" in command or ";" in command else command
    words = _words(_without_shell_comment(head))
    while words:
        w = words[0]
        if w == "sudo":
            words = words[1:]
            while words and words[0].startswith("-"):
                takes = words[0] in ("-u", "-g", "-h", "-p", "-C")
                words = words[2:] if takes else words[1:]
        elif re.match(r"^[A-Za-z_]\w*=", w) or w in ("env", "time", "command", "exec", "nice"):
            words = words[1:]
        else:
            break
    if words:
        words[0] = words[0].rsplit("/", 1)[-1]
    return words


_SHELL_COMMENT_RE = re.compile(r"(?:^|(?<=\s))#")


def _without_shell_comment(command: str) -> str:
    """`iptables-save # on the host` -> `iptables-save`: a `#` starting an unquoted word."""
    for m in _SHELL_COMMENT_RE.finditer(command):
        before = command[:m.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before
    return command


def looks_like_command(text: str) -> bool:
    """For `# text`: a known command with shell-like arguments, not a sentence; a dump command
    followed by prose in parentheses (`# ip6tables-save (on the host)`) counts too."""
    words = _first_command(text)
    if not words or words[0] not in KNOWN_COMMANDS:
        return False
    prose = next((i for i, w in enumerate(words) if w.startswith("(")), None)
    if prose and _describe(" ".join(words[:prose])).format is not None:
        return True
    if len(words) == 1:
        return words[0] not in ("ip", "cat", "grep", "echo", "bridge", "route", "less")
    nxt = words[1]
    if words[0] == "ip":
        if nxt.startswith("-"):
            return True
        # "# ip address of the gateway" is a comment; "# ip addr show dev br0" a command
        return nxt in _IP_OBJECTS and (len(words) == 2 or words[2] in _IP_VERBS
                                       or words[2].startswith("-"))
    # "# iptables is not used here" is a comment: an argument looks like an option, a path, an
    # address, a key, or a subcommand; plain English words do not
    return bool(_ARG_RE.match(nxt)) or nxt in _SUBCOMMANDS


@dataclass(frozen=True)
class CommandInfo:
    """What a command says about its output."""

    format: str | None
    hint: dict
    note: str = ""  # why no format, when none
    output_is_command: bool = False  # docker network create: the command text is the input


def _iptables(name: str, args: list[str]) -> CommandInfo:
    hint: dict = {}
    hint["family"] = "ip6" if name.startswith("ip6") else "ip"
    if "-legacy" in name:
        hint["backend"] = "iptables-legacy"
    elif "-nft" in name:
        hint["backend"] = "iptables-nft"
    table = None
    it = iter(range(len(args)))
    listing = rules = False
    for i in it:
        a = args[i]
        if a in ("-t", "--table") and i + 1 < len(args):
            table = args[i + 1]
            next(it, None)
        elif a.startswith("--table="):
            table = a.split("=", 1)[1]
        elif a in ("--list", "-L"):
            listing = True
        elif a in ("--list-rules", "-S"):
            rules = True
        elif re.match(r"^-[a-zA-Z]+$", a):
            letters = a[1:]
            if "t" in letters and letters.endswith("t") and i + 1 < len(args):
                table = args[i + 1]
                next(it, None)
            listing = listing or "L" in letters
            rules = rules or "S" in letters
    if table:
        hint["table"] = table
    if name.endswith("-save"):
        return CommandInfo("iptables-save", hint)
    if name.endswith("-restore"):
        return CommandInfo(None, hint, "iptables-restore reads rules, it prints none")
    if listing or rules:
        hint.setdefault("table", "filter")  # what iptables itself shows without -t
    if listing:
        return CommandInfo("iptables-list", hint)
    if rules:
        return CommandInfo("iptables-save", hint)  # `-S` prints the -A/-P/-N lines of a save
    return CommandInfo(None, hint, "a command that changes the ruleset (not a dump)")


def _ip(args: list[str]) -> CommandInfo:
    json_out = False
    obj = None
    hint: dict = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-j", "-json", "--json"):
            json_out = True
        elif a in ("-n", "-netns", "--netns", "-b", "-batch", "-rc", "-rcvbuf"):
            i += 1
        elif a in ("-br", "-brief", "--brief"):
            hint["brief"] = True
        elif a.startswith("-"):
            if re.match(r"^-[a-z]*j[a-z]*$", a) and a not in ("-json",):
                json_out = True
        else:
            obj = a
            break
        i += 1
    if obj == "netns" and i + 3 < len(args) and args[i + 1] == "exec":
        return describe_command(" ".join(shlex.quote(a) for a in args[i + 3:]))
    if json_out:
        return CommandInfo("ip-json", hint)
    kind = {"a": "ip-addr", "addr": "ip-addr", "address": "ip-addr", "l": "ip-link",
            "link": "ip-link", "r": "ip-route", "ro": "ip-route",
            "route": "ip-route"}.get(obj or "")
    if kind:
        return CommandInfo(kind, hint)
    return CommandInfo(None, hint, f"no frontend reads `ip {obj or ''}` output".replace(" ``", ""))


_FILTER_RE = re.compile(r"\|\s*(?:sudo\s+)?(?:grep|egrep|fgrep|rg|head|tail|awk|sed|cut)\b")


def describe_command(command: str) -> CommandInfo:
    """The format (and frontend hint) of a command's output, from the command line; a pipe
    through grep/head/... adds `filtered` (the output shows only part of the state)."""
    info = _describe(command)
    if _FILTER_RE.search(command):
        info = CommandInfo(info.format, dict(info.hint, filtered=True), info.note,
                           info.output_is_command)
    return info


def _describe(command: str) -> CommandInfo:
    words = _first_command(command)
    if not words:
        return CommandInfo(None, {}, "empty command")
    name, args = words[0], words[1:]
    argset = set(args)
    if re.match(r"^ip6?tables(-legacy|-nft)?(-save|-restore)?$", name):
        return _iptables(name, args)
    if name == "nft":
        if argset & {"-j", "--json"} or any(re.match(r"^-[a-z]*j[a-z]*$", a) for a in args):
            return CommandInfo("nft-json", {})
        if "list" in argset:
            return CommandInfo("nft-text", {})
        return CommandInfo(None, {}, "an nft command that changes the ruleset (not a dump)")
    if name == "sysctl":
        return CommandInfo("sysctl", {})
    if name == "ip":
        return _ip(args)
    if name == "bridge":
        if "link" in argset and not argset & {"-j", "-json", "--json"}:
            return CommandInfo("bridge-link", {})
        return CommandInfo(None, {}, "no frontend reads this `bridge` output")
    if name == "brctl":
        return CommandInfo("brctl", {})
    if name in ("docker", "podman"):
        if args[:2] == ["network", "create"]:
            return CommandInfo("docker-create", {}, output_is_command=True)
        if args[:2] == ["network", "inspect"] or args[:1] == ["inspect"]:
            return CommandInfo("docker-inspect", {})
        return CommandInfo(None, {}, f"no frontend reads `{name} {' '.join(args[:2])}` output")
    if name == "conntrack":
        if argset & {"-L", "--dump", "-E", "--event", "-G", "--get"}:
            return CommandInfo("conntrack", {})
        return CommandInfo(None, {}, "no frontend reads this conntrack output")
    if name == "dmesg" or (name == "journalctl" and argset & {"-k", "--dmesg"}):
        return CommandInfo("kernel-log", {})
    if name == "netplan" and args[:1] == ["get"]:
        return CommandInfo("netplan", {})
    if name in ("cat", "less", "tail", "head", "grep", "egrep"):
        return _by_path(args)
    return CommandInfo(None, {}, f"no frontend reads `{name}` output")


_PATH_FORMATS = (
    (re.compile(r"netplan/.*\.ya?ml$"), "netplan"),
    (re.compile(r"(^|/)sysctl\.(conf|d/.*)$"), "sysctl"),
    (re.compile(r"(rules\.v[46]|sysconfig/ip6?tables)$"), "iptables-save"),
    (re.compile(r"nftables\.conf$|\.nft$"), "nft-text"),
    (re.compile(r"(kern\.log|/messages|/syslog)$"), "kernel-log"),
)


def _by_path(args: list[str]) -> CommandInfo:
    for a in args:
        for pattern, fmt in _PATH_FORMATS:
            if pattern.search(a):
                return CommandInfo(fmt, {})
    return CommandInfo(None, {}, "")  # let the content decide


# -- content signatures ------------------------------------------------------------------------

_IFLINE = r"^\d+:\s+[^\s:]+(?:@[^\s:]+)?:\s+<[A-Za-z0-9_,\-]*>"
_ROUTE = (r"^(?:(?:unicast|local|broadcast|unreachable|blackhole|prohibit|throw|multicast|"
          r"anycast|nat)\s+)?(?:default|\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?|[0-9a-f]*:[0-9a-f:]*"
          r"(?:/\d+)?)(?:\s+(?:via|dev|proto|scope|table|src|metric|nhid|from|pref|linkdown|"
          r"onlink|mtu|expires)\b(?:\s+\S+)?)+\s*$")
_KLOG = (r"(?:^\w{3}\s+\d+\s+\d\d:\d\d:\d\d\s+\S+\s+kernel:|^\d{4}-\d\d-\d\dT\S+\s+\S+\s+kernel:"
         r"|^\[\s*\d+\.\d+\]\s|\bIN=\S*\s+OUT=\S*)")
_CT = (r"^\s*\[(?:NEW|UPDATE|DESTROY)\]\s|^(?:ipv4|ipv6)\s+\d+\s+\w+\s+\d+\s"
       r"|^(?:tcp|udp|icmp|icmpv6|sctp|dccp|gre|udplite|unknown)\s+\d+\s+(?:\d+\s+)?.*\bsrc=")
_LIST_RULE = (r"^\s*(?:\d+\s+)?(?:\d+[KMGTP]?\s+\d+[KMGTP]?\s+)?(?:\S+\s+)?!?[\w.\-]+\s+"
              r"[-!][-f]\s+\S+")
_LIST_HEADER = r"^\s*(?:num\s+)?(?:pkts\s+bytes\s+)?target\s+prot\s+opt\b"
_JSONISH = r'^\s*(?:["{}\[\],]|-?\d|true\b|false\b|null\b)'


class _Rx:
    """A line test by regex search that keeps its pattern (the signatures are combined)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._re = re.compile(pattern)

    def __call__(self, line: str) -> bool:
        return self._re.search(line) is not None


_rx = _Rx


def _indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


@dataclass(frozen=True)
class Signature:
    """How content shows a format: lines that start it, lines that may continue it."""

    format: str
    starts: _Rx
    continues: Callable[[str], bool]


SIGNATURES: tuple[Signature, ...] = (
    Signature("iptables-list", _rx(r"^\s*Chain\s+\S+\s+\((?:policy\s+\w+|\d+\s+references?)"
                                   r"|" + _LIST_HEADER),
              _rx(r"^\s*Chain\s+\S+\s+\(|" + _LIST_HEADER + "|" + _LIST_RULE
                  + r"|^# Warning: ")),
    Signature("iptables-save", _rx(r"^\s*\*(?:filter|nat|mangle|raw|security)\s*$"
                                   r"|^\s*:[\w\-]+\s+(?:ACCEPT|DROP|RETURN|-)\s+\[\d+:\d+\]"
                                   r"|^\s*-A\s+\S+\s|^\s*COMMIT\s*$"
                                   r"|^\s*-P\s+[A-Z]+\s+(?:ACCEPT|DROP)\b|^\s*-N\s+\S+\s*$"
                                   r"|^\s*# (?:Generated by|Completed on) "
                                   r"\S*(?:ip6?tables|xtables)"),
              _rx(r"^\s*[*:#]|^\s*-[AINPX]\s|^\s*COMMIT\b|^\s*\[\d+:\d+\]\s+-A\s")),
    Signature("nft-json", _rx(r'^\s*\{\s*"nftables"\s*:'), _rx(_JSONISH)),
    Signature("nft-text", _rx(r"^\s*table\s+(?:(?:ip|ip6|inet|arp|bridge|netdev)\s+)?"
                              r"[\w\-.]+\s*\{|^\s*flush\s+ruleset\s*$"),
              lambda s: _indented(s) or re.match(r"^(?:[}#]|(?:table|chain|set|map|flush|add|"
                                                  r"define|include|delete|insert)\b)", s)
              is not None),
    Signature("sysctl", _rx(r"^\s*(?:(?:abi|crypto|debug|dev|fs|kernel|net|sunrpc|user|vm)"
                            r"(?:\.[\w@:+\-/]+)+|[a-z0-9_]+(?:\.[\w@:+\-/]+){2,})\s*=\s*"),
              _rx(r"^\s*[a-z0-9_]+(?:\.[\w@:+\-/]+)+\s*=|^sysctl: ")),
    Signature("bridge-link", _rx(_IFLINE + r".*\bmaster\s+\S+.*\bstate\s+\w+.*\bcost\s+\d+"),
              _rx(r"^\d+:\s|^\s+\S")),
    Signature("ip-addr", _rx(_IFLINE), _rx(r"^\d+:\s|^\s+\S")),  # ip-link when no inet lines
    Signature("ip-route", _rx(_ROUTE), _rx(_ROUTE + r"|^\s+nexthop\s|^\s+\S")),
    Signature("brctl", _rx(r"^bridge name\s+bridge id\s+STP enabled"),
              _rx(r"^\S+\s+[0-9a-f]{4}\.[0-9a-f]{12}|^\s+\S+\s*$")),
    Signature("docker-create", _rx(r"^\s*(?:sudo\s+)?(?:docker|podman)\s+network\s+create\b"),
              lambda s: False),  # continuation lines follow `\` (handled in the splitter)
    Signature("netplan", _rx(r"^network:\s*$"),
              lambda s: _indented(s) or s.lstrip().startswith("#")),
    Signature("conntrack", _rx(_CT), _rx(_CT + r"|^conntrack v\d")),
    Signature("kernel-log", _rx(_KLOG), _rx(_KLOG)),
)
_BY_FORMAT = {s.format: s for s in SIGNATURES}
_JSON_CONT = _rx(_JSONISH)
_JSON_FORMATS = ("nft-json", "ip-json", "docker-inspect")


# An iptables-save rule or chain line: two alternatives of iptables-save's start signature,
# which no other format's start or margin pattern can match (see `extent`).
_SAVE_RULE_RE = re.compile(r"-A\s+\S+\s|:[\w\-]+\s+(?:ACCEPT|DROP|RETURN|-)\s+\[\d+:\d+\]")


def continues(fmt: str, line: str) -> bool:
    """Whether `line` may belong to a section of `fmt` (blank lines always may)."""
    if not line.strip():
        return True
    if fmt in ("ip-link", "ip-addr"):
        fmt = "ip-addr"
    sig = _BY_FORMAT.get(fmt)
    if sig is None:
        return _JSON_CONT(line) if fmt in _JSON_FORMATS else True
    return sig.continues(line) or sig.starts(line)


def json_kind(text: str) -> str | None:
    """nft-json / ip-json / docker-inspect, from the keys a JSON text uses."""
    head = text[:20000]
    if re.search(r'"nftables"\s*:', head):
        return "nft-json"
    if re.search(r'"(?:IPAM|EnableIPv6|Containers|ConfigOnly)"\s*:', head):
        return "docker-inspect"
    if re.search(r'"(?:ifindex|ifname|operstate|addr_info|link_type)"\s*:', head) or \
            re.search(r'"dst"\s*:', head) and re.search(r'"(?:dev|gateway|prefsrc|protocol)"\s*:',
                                                        head):
        return "ip-json"
    return None


_JSON_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _json_extent(lines: list[str], start: int, end: int) -> int:
    """Index past the JSON value starting at lines[start], by bracket balance per line (strings
    removed first; JSON strings never span lines). A value that never closes (a mangled paste)
    runs while lines look like JSON. Line by line at C speed: nft -j can be tens of MB."""
    after = start + 1
    while after < end and not lines[after].strip():
        after += 1
    if after >= end:  # nothing follows: the value is this line (nft -j: 40 MB on one line,
        return start + 1  # whose strings would take 0.3 s to blank out just to learn that)
    first = _JSON_STRING_RE.sub("", lines[start])
    if first.count("{") + first.count("[") <= first.count("}") + first.count("]"):
        return start + 1  # a one-line document (ip -j, nft -j)
    if lines[start][:1] in "[{":  # pretty-printed: the value ends at the first bracket back
        close = "]" if lines[start][0] == "[" else "}"  # in column 1 (checked by the counts)
        for k in range(start + 1, end):
            if lines[k][:1] == close and not lines[k][1:].strip(" ,"):
                block = _JSON_STRING_RE.sub("", "\n".join(lines[start:k + 1]))
                if block.count("{") + block.count("[") == block.count("}") + block.count("]"):
                    return k + 1
                break
    depth = 0
    for i in range(start, end):
        line = lines[i]
        if '"' in line:
            line = _JSON_STRING_RE.sub("", line)
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
        if depth <= 0:
            return i + 1
    i = start + 1
    while i < end and (not lines[i].strip() or _JSON_CONT(lines[i])):
        i += 1
    return i


# The start signatures in one regex, tried at the line start (every signature but kernel-log is
# anchored there; the first alternative that matches wins, as in SIGNATURES order); kernel-log,
# which may match mid-line, is searched last on its own.
_STARTS = re.compile("|".join(f"(?P<s{i}>{sig.starts.pattern})"
                              for i, sig in enumerate(SIGNATURES) if sig.format != "kernel-log"))


def detect_start(line: str) -> str | None:
    """The format whose signature starts at this line (content evidence only)."""
    m = _STARTS.match(line)
    if m:
        return SIGNATURES[int(m.lastgroup[1:])].format
    return "kernel-log" if _BY_FORMAT["kernel-log"].starts(line) else None


# -- sections ----------------------------------------------------------------------------------

@dataclass
class Section:
    """A run of lines of one input, its format (None: skipped) and what it gave the model."""

    source: str
    start_line: int  # 1-based, inclusive, in the original input
    end_line: int
    format: str | None
    detected_by: str  # "prompt: <command>" | "content" | "fence info string" | "whole file"
    text: str = ""  # the cleaned lines the frontend reads (first line = text_start)
    text_start: int = 0  # original line number of the first line of `text`
    hint: dict = field(default_factory=dict)
    note: str = ""  # why skipped, or what cleaning was done
    contribution: object = None  # host.Contribution once a frontend ran
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def line_offset(self) -> int:
        return self.text_start - 1

    @property
    def skipped(self) -> bool:
        return self.format is None or self.contribution is None

    @property
    def contributed(self) -> str:
        if self.contribution is not None:
            return self.contribution.summary()  # type: ignore[attr-defined]
        return "skipped" + (f": {self.note}" if self.note else "")

    def to_json(self) -> dict:
        return {"source": self.source, "start_line": self.start_line, "end_line": self.end_line,
                "format": self.format, "detected_by": self.detected_by, "hint": self.hint,
                "contributed": self.contributed, "note": self.note,
                "problems": [d.to_json() for d in self.problems]}

    def __str__(self) -> str:
        where = f"{self.source}:{self.start_line}-{self.end_line}"
        fmt = self.format or "-"
        out = f"{where} {fmt} ({self.detected_by}): {self.contributed}"
        if self.contribution is not None and self.note:
            out += f" [{self.note}]"
        return out


@dataclass
class _Region:
    """Lines between fences (or a fence's content) and what the fence said."""

    start: int  # index into lines
    end: int
    info: str | None  # fence info string, None outside fences, "" for a bare fence


_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+\-.]*)")
_PROMPTS = (
    re.compile(r"^\s*(\[[^\]\n]{1,80}\][#$%])\s*(\S.*)$"),  # [root@host ~]# cmd
    re.compile(r"^\s*([\w.\-]+@[\w.\-]+(?::[^\s#$]*)?\s?[#$%])\s*(\S.*)$"),  # user@host:~$ cmd
    re.compile(r"^\s*(\$)\s+(\S.*)$"),
    re.compile(r"^\s*(#)\s+(\S.*)$"),
)
_SHELL_FENCES = frozenset(("bash", "sh", "shell", "zsh", "console", "shell-session", "sh-session",
                           "terminal"))
_FENCE_FORMATS = {"nft": "nft-text", "nftables": "nft-text", "netplan": "netplan",
                  "iptables-save": "iptables-save", "sysctl": "sysctl"}


def prompt_command(line: str) -> str | None:
    """The command of a shell-prompt line, or None."""
    if "$" not in line and "#" not in line and "%" not in line:  # most lines: no prompt sign
        return None
    for i, rx in enumerate(_PROMPTS):
        m = rx.match(line)
        if not m:
            continue
        cmd = m.group(2).strip()
        if rx is _PROMPTS[-1] and not looks_like_command(cmd):
            return None
        if rx is _PROMPTS[2]:
            words = _first_command(cmd)
            if not words or not re.match(r"^[A-Za-z_./][\w./\-]*$", words[0]):
                return None
        return cmd
    return None


def _bare_command(line: str) -> str | None:
    """A command without prompt inside a shell fence (`docker network create \\`)."""
    s = line.strip()
    if not s or s.startswith("#"):
        return None
    words = _first_command(s)
    return s if words and words[0] in KNOWN_COMMANDS else None


_COMPOSE_TOP = re.compile(r"^(?:services|networks|volumes|configs|secrets|version|name|x-[\w\-]+)"
                          r":|^#")


def _compose_extent(lines: list[str], i: int, b: int) -> int | None:
    """End of a docker-compose file starting at `services:` (line i), when its content shows
    fixed container addresses on named networks (what nflint reads from it); else None."""
    if not re.match(r"^services:\s*$", lines[i]):
        return None
    j = i + 1
    while j < b and (not lines[j].strip() or lines[j][:1] in " \t" or _COMPOSE_TOP.match(lines[j])):
        j += 1
    body = "\n".join(lines[i:j])
    if re.search(r"^\s+networks:", body, re.M) and re.search(r"^\s+ipv[46]_address:", body, re.M):
        return j
    return None


class _Splitter:
    def __init__(self, lines: list[str], source: str, has_fences: bool = True,
                 whole: str | None = None) -> None:
        self.has_fences = has_fences
        self.lines = lines
        # The input text when `lines` are exactly its lines: a section covering all of them
        # reuses it instead of joining a second copy (47 MB for a 300k-rule dump).
        self.whole = whole
        self.source = source
        self.sections: list[Section] = []
        self.claimed = [False] * len(lines)

    # sections are built from 0-based [a, b) line indexes
    def emit(self, a: int, b: int, fmt: str | None, how: str, hint: dict | None = None,
             note: str = "", text_from: int | None = None) -> None:
        text_from = a if text_from is None else text_from
        while b > text_from and not self.lines[b - 1].strip():
            b -= 1
        while text_from < b and not self.lines[text_from].strip():
            text_from += 1
        if b <= a:
            return
        body = self.lines[text_from:b]
        notes = [note] if note else []
        as_read = True
        if fmt in ("nft-text", None) and any(_MARGIN_RE.match(x) for x in body):
            body = [strip_margin(x) for x in body]
            notes.append("annotation margin blanked")
            as_read = False
        if self.whole is not None and as_read and text_from == 0 and b == len(self.lines):
            text = self.whole if self.whole.endswith("\n") else self.whole + "\n"
        else:
            text = "\n".join(body) + "\n" if body else ""
        if body and body[0][:1] in (" ", "\t"):  # only an indented first line can be dedented
            text = textwrap.dedent(text)
        if fmt == "iptables-save" and not re.search(r"^\*\w", text, re.M) and (
                re.search(r"^-[PN]\s", text, re.M) or re.search(
                    r"\s-[a-zA-Z]*S\b|--list-rules", (hint or {}).get("command", ""))):
            text = rules_as_save(text, (hint or {}).get("table") or "filter")
            text_from -= 1  # the added `*table` line stands for the line before the rules
            notes.append("`iptables -S` rules read as iptables-save")
        if fmt == "ip-addr" and not re.search(r"^\s+inet6?\s", text, re.M):
            fmt = "ip-link"
        for i in range(a, b):
            self.claimed[i] = True
        self.sections.append(Section(self.source, a + 1, b, fmt, how, text, text_from + 1,
                                     dict(hint or {}), "; ".join(notes)))

    def regions(self) -> list[_Region]:
        out: list[_Region] = []
        i, start, n = 0, 0, len(self.lines)
        if not self.has_fences:
            return [_Region(0, n, None)] if n else []
        while i < n:
            m = _FENCE_RE.match(self.lines[i])
            if not m:
                i += 1
                continue
            if start < i:
                out.append(_Region(start, i, None))
            fence = m.group(1)
            j = i + 1
            while j < n and not self.lines[j].strip().startswith(fence[0] * len(fence)):
                j += 1
            self.claimed[i] = True  # markup, not content
            if j < n:
                self.claimed[j] = True
            out.append(_Region(i + 1, j, m.group(2).lower()))
            i = start = j + 1
        if start < n:
            out.append(_Region(start, n, None))
        return out

    def run(self) -> list[Section]:
        for region in self.regions():
            self.region(region)
        self.skipped()
        self.sections.sort(key=lambda s: s.start_line)
        return self.sections

    def region(self, r: _Region) -> None:
        shell = r.info in _SHELL_FENCES
        i = r.start
        pending = r.start  # first line not yet given to a section
        while i < r.end:
            line = self.lines[i]
            cmd = prompt_command(line)
            bare = cmd is None and shell and _bare_command(line)
            if cmd is None and not bare:
                i += 1
                continue
            if pending < i:
                self.content(pending, i, r.info)
            command, j = (cmd or bare or ""), i + 1
            while command.endswith("\\") and j < r.end:  # continuation lines
                command = command[:-1].rstrip() + " " + self.lines[j].strip()
                j += 1
            k = j
            while k < r.end and prompt_command(self.lines[k]) is None and not (
                    shell and _bare_command(self.lines[k])):
                k += 1
            self.command(i, j, k, command, bool(cmd), r.info)
            i = pending = k
        if pending < r.end:
            self.content(pending, r.end, r.info)

    def command(self, at: int, out_start: int, out_end: int, command: str, prompted: bool,
                info: str | None) -> None:
        desc = describe_command(command)
        shown = command if len(command) <= 100 else command[:99] + "…"
        how = f"prompt: {shown}" if prompted else f"command: {shown}"
        hint = dict(desc.hint, command=command)
        if desc.output_is_command:
            text = "\n".join(self.lines[at:out_start])
            # the command's own text, prompt and all: the frontend reads the arguments
            self.emit(at, out_start, desc.format, how, hint)
            self.sections[-1].text = _strip_prompt(text) + "\n"
            self.content(out_start, out_end, info)
            return
        has_output = any(self.lines[x].strip() for x in range(out_start, out_end))
        if not has_output:
            self.emit(at, out_start, None, how, hint,
                      desc.note or "a command with no output pasted")
            return
        if desc.format is None:
            # unknown (or content-decided) output: the content says what it is
            first = len(self.sections)
            self.content(out_start, out_end, info, hint)
            found = self.sections[first:]
            got = [s for s in found if s.format]
            if got and any(self.lines[x].strip() for x in range(out_start, got[0].start_line - 1)):
                got = []  # the output begins with text nobody reads: the prompt keeps that text
            for s in found:
                if not got or s is not got[0]:
                    s.hint = {}  # the prompt speaks for the output right after it only
            if got:
                for x in range(at, out_start):  # the prompt and its continuation lines
                    self.claimed[x] = True
                got[0].start_line = at + 1
                got[0].detected_by = f"{how} + content"
                return
            # the output nobody reads stays with its prompt: up to the first blank line
            end = out_start
            while end < out_end and self.lines[end].strip() and not self.claimed[end]:
                end += 1
            self.emit(at, end, None, how, hint, desc.note or "no known format")
            return
        fmt = desc.format
        end = out_start
        if fmt in _JSON_FORMATS:
            first = next((x for x in range(out_start, out_end) if self.lines[x].strip()),
                         out_start)
            if self.lines[first].lstrip()[:1] in "[{":
                end = _json_extent(self.lines, first, out_end)
            else:
                end = first
                while end < out_end and continues(fmt, self.lines[end]):
                    end += 1
            if fmt == "ip-json":
                kind = json_kind("\n".join(self.lines[first:end]))
                fmt = kind or fmt
        else:
            end = self.extent(fmt, out_start, out_end, other_starts=False)
        self.emit(at, end, fmt, how, hint, text_from=out_start)
        if end < out_end:
            self.content(end, out_end, info)

    def extent(self, fmt: str, j: int, b: int, *, other_starts: bool) -> int:
        """Where a section of `fmt` continuing at line j ends (exclusive). It ends at a line
        that cannot continue it, or (`other_starts`, content evidence) at another format's
        signature. One garbled line inside a block (a paste that interleaved stderr, a chat
        client that broke a line) does not end it when the lines around it continue the
        format: the frontend reports that line instead of the rest losing its context."""
        save = fmt == "iptables-save"
        while j < b:
            if save and _SAVE_RULE_RE.match(self.lines[j]):
                j += 1  # the bulk of a dump: continues it, and starts no other format
                continue
            nxt = strip_margin(self.lines[j])
            if nxt.strip():
                other = detect_start(nxt) if other_starts else None
                if other is not None and not _same_family(other, fmt):
                    # another format's signature starts a new section, unless this format
                    # is free-form and the line fits it (an indented YAML/nft line)
                    if not (fmt in ("netplan", "nft-text") and continues(fmt, nxt)):
                        break
                elif not continues(fmt, nxt) and not self.garbled_inside(fmt, j, b):
                    break
            j += 1
        return j

    def garbled_inside(self, fmt: str, j: int, b: int) -> bool:
        prev_ok = j > 0 and self.lines[j - 1].strip() != ""
        nxt = self.lines[j + 1] if j + 1 < b else ""
        return (prev_ok and nxt.strip() != "" and continues(fmt, nxt)
                and detect_start(self.lines[j]) is None and prompt_command(nxt) is None)

    def content(self, a: int, b: int, info: str | None, hint: dict | None = None) -> None:
        fenced = _FENCE_FORMATS.get(info or "")
        if fenced is not None and any(self.lines[x].strip() for x in range(a, b)):
            self.emit(a, b, fenced, "fence info string", hint)
            return
        i = a
        while i < b:
            line = self.lines[i]
            if not line.strip():
                i += 1
                continue
            s = line.lstrip()
            fmt = None
            if s[:1] in "[{":
                end = _json_extent(self.lines, i, b)
                fmt = json_kind("\n".join(self.lines[i:end]))
                if fmt:
                    self.emit(i, end, fmt, "content", hint)
                    i = end
                    continue
            if line.startswith("services:"):
                end = _compose_extent(self.lines, i, b)
                if end is not None:
                    self.emit(i, end, "docker-compose", "content", hint)
                    i = end
                    continue
            fmt = detect_start(strip_margin(line))
            if fmt is None:
                i += 1
                continue
            j = i + 1
            if fmt == "docker-create":
                while self.lines[j - 1].rstrip().endswith("\\") and j < b:
                    j += 1
                self.emit(i, j, fmt, "content", hint)
                self.sections[-1].text = _strip_prompt(self.sections[-1].text)
                i = j
                continue
            j = self.extent(fmt, i + 1, b, other_starts=True)
            self.emit(i, j, fmt, "content", hint)
            i = j

    def skipped(self) -> None:
        """Every line no section claimed, grouped into runs: listed, never silently dropped."""
        i, n = 0, len(self.lines)
        while i < n:
            if self.claimed[i] or not self.lines[i].strip():
                i += 1
                continue
            j = i
            last = i
            while j < n and not self.claimed[j]:
                if self.lines[j].strip():
                    last = j
                j += 1
            self.sections.append(Section(self.source, i + 1, last + 1, None, "content",
                                         "", i + 1, {}, "not a format nflint reads"))
            i = j


def rules_as_save(text: str, table: str) -> str:
    """`iptables -S` output (-P/-N/-A lines of one table) as iptables-save text, keeping each
    line where it was: the `*table` line goes in front (the caller moves the text start up by
    one line) and `COMMIT` after the end."""
    out = [f"*{table}"]
    for line in text.splitlines():
        m = re.match(r"^-P\s+(\S+)\s+(\S+)(?:\s+-c\s+(\d+)\s+(\d+))?\s*$", line)
        if m:
            out.append(f":{m.group(1)} {m.group(2)} [{m.group(3) or 0}:{m.group(4) or 0}]")
            continue
        m = re.match(r"^-N\s+(\S+)\s*$", line)
        out.append(f":{m.group(1)} - [0:0]" if m else line)
    return "\n".join(out) + "\nCOMMIT\n"


def _same_family(a: str, b: str) -> bool:
    link = ("ip-addr", "ip-link")
    return a == b or (a in link and b in link)


def _strip_prompt(text: str) -> str:
    first, _, rest = text.partition("\n")
    for rx in _PROMPTS:
        m = rx.match(first)
        if m:
            first = m.group(2)
            break
    return first + ("\n" + rest if rest else "")


def split(text: str, source: str, fmt: str | None = None) -> list[Section]:
    """The sections of one input. `fmt` forces one format for the whole text."""
    lines, notes = clean_lines(text)
    note = "; ".join(notes)
    if fmt is not None:
        sec = Section(source, 1, max(len(lines), 1), fmt, "whole file",
                      "\n".join(lines) + "\n", 1, {}, note)
        return [sec]
    pristine = "\r" not in text and sum(map(len, lines)) + len(lines) in (len(text),
                                                                          len(text) + 1)
    sections = _Splitter(lines, source, "```" in text or "~~~" in text,
                         text if pristine else None).run()
    known = [s for s in sections if s.format]
    if len(sections) == 1 and known and known[0].detected_by == "content":
        known[0].detected_by = "whole file"
    if note:
        for s in known:
            s.note = "; ".join(x for x in (s.note, note) if x)
    return sections
