"""What the kernel said while the problem happened: conntrack events and kernel log lines.

Rules cite these to confirm a static finding with the user's own observation (the founding
case's second `[NEW]` entry for the reply direction, the `CT INVALID` LOG lines, a `martian
source` message). Field names are lower-case in both kinds (`src`, `dst`, `in`, `physin`, ...).
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from .. import grammars
from ..host import Contribution
from ..netstate import Evidence
from ..span import Span
from .positions import syntax_error

L3_NAMES = frozenset({"ipv4", "ipv6"})
TUPLE_KEYS = frozenset({"src", "dst", "sport", "dport", "type", "code"})
ICMP_PROTOS = frozenset({"icmp", "icmpv6", "ipv6-icmp"})
TCP_FLAGS = frozenset({"CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"})
IP_FLAGS = frozenset({"CE", "DF", "MF"})


@lru_cache(maxsize=1)
def _conntrack_parser() -> Lark:
    return Lark(grammars.read("conntrack.lark"), parser="lalr")


def _unused_note(c: Contribution, source: str, what: str, lines: list[int]) -> None:
    if lines:
        shown = ", ".join(map(str, lines[:5])) + ("" if len(lines) <= 5 else ", ...")
        c.assumptions.append(f"{source}: {len(lines)} {what} (lines {shown}) not used")


# ---- conntrack ------------------------------------------------------------------------------

def _read_head(words: list[str]) -> dict[str, str] | None:
    """`[ipv4 2] tcp 6 [timeout] [STATE]` -> fields, or None when the shape is wrong."""
    out: dict[str, str] = {}
    i = 0
    if i < len(words) and words[i] in L3_NAMES:
        out["l3"] = words[i]
        i += 2
    if i >= len(words) or words[i].isdigit():
        return None
    out["proto"] = words[i].lower()
    i += 1
    if i < len(words) and words[i].isdigit():
        out["protonum"] = words[i]
        i += 1
    if i < len(words) and words[i].isdigit():
        out["timeout"] = words[i]
        i += 1
    if i < len(words) and not words[i].isdigit():
        out["state"] = words[i]
        i += 1
    return out if i == len(words) else None


def _read_items(items: list[Token], proto: str, fields: dict[str, str]) -> None:
    """Split the key=value items into original tuple, reply tuple and entry-level fields."""
    tuple_keys = TUPLE_KEYS | ({"id"} if proto in ICMP_PROTOS else set())
    side, seen = "", set()
    flags: list[str] = []
    for tok in items:
        text = str(tok)
        if tok.type == "FLAG":
            flags.append(text[1:-1])
            continue
        key, _, value = text.partition("=")
        if key == "src" and side != "reply":
            side, seen = ("orig" if side == "" else "reply"), set()
        if side and key in tuple_keys and key not in seen:
            seen.add(key)
            fields[f"{side}_{key}"] = value
        else:
            fields.setdefault(key, value)
    fields["flags"] = ",".join(flags)


def parse_conntrack(text: str, source: str, *, line_offset: int = 0,
                    hint: dict | None = None) -> Contribution:
    """`conntrack -L` / `conntrack -E` lines -> Evidence(kind="conntrack")."""
    c = Contribution(fidelity="conntrack")
    expected = "expected a conntrack entry (`[EVENT] proto N [timeout] [STATE] src=.. dst=..`)"
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        try:
            tree = _conntrack_parser().parse(line)
        except LarkError as exc:
            c.problems.append(syntax_error(source, lineno, getattr(exc, "column", 1) or 1,
                                           f"cannot read conntrack line: {expected}",
                                           line_offset=line_offset))
            continue
        if tree.data == "summary":
            continue
        toks = [t for t in tree.children if isinstance(t, Token)]
        heads = [str(t.children[0]) for t in tree.children
                 if isinstance(t, Tree) and t.data == "head"]
        items = [t.children[0] for t in tree.children if isinstance(t, Tree) and t.data == "item"]
        head = _read_head(heads)
        if head is None or not any(str(t).startswith("src=") for t in items):
            column = len(line) - len(line.lstrip()) + 1
            c.problems.append(syntax_error(source, lineno, column,
                                           f"cannot read conntrack line: {expected}",
                                           line_offset=line_offset))
            continue
        fields: dict[str, str] = {}
        for t in toks:
            if t.type == "EVENT":
                fields["event"] = str(t)[1:-1]
            elif t.type == "TIMESTAMP":
                fields["timestamp"] = str(t)[1:-1]
        fields.setdefault("event", "")
        fields.update(head)
        _read_items(items, head["proto"], fields)
        start = len(line) - len(line.lstrip()) + 1
        span = Span(source, lineno + line_offset, start, lineno + line_offset,
                    len(line.rstrip()) + 1)
        c.evidence.append(Evidence("conntrack", span, line.strip(), tuple(fields.items())))
    return c


# ---- kernel log -----------------------------------------------------------------------------

# Everything before the message: dmesg "[  12.345678]", dmesg -T "[Wed Nov 12 19:46:36 2025]",
# syslog/journalctl "Nov 12 19:46:36 host kernel:", ISO stamps, a "<4>" level.
_STAMPS = [
    re.compile(r"<\d>"),
    re.compile(r"\[\s*\d+\.\d+\]"),
    re.compile(r"\[[A-Z][a-z]{2} [A-Z][a-z]{2}\s+\d+ \d\d:\d\d:\d\d \d{4}\]"),
    re.compile(r"[A-Z][a-z]{2}\s+\d+\s+\d\d:\d\d:\d\d(\.\d+)?\s+\S+\s+kernel:"),
    re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?\s+\S+\s+kernel:"),
    re.compile(r"[\w.\-]+\s+kernel:"),  # journalctl -o short-monotonic: "[  12.3] host kernel:"
    re.compile(r"kernel:"),
]
_LOG_START = re.compile(r"(?:^|\s)IN=\S*\s+OUT=")
_MARTIAN = re.compile(
    r"martian (?P<what>source|destination) (?P<dst>\S+) from (?P<src>[^\s,]+),? "
    r"(?:on dev|dev) (?P<dev>\S+)")
_LL_HEADER = re.compile(r"ll header:\s*(?P<hex>.*)")


def _message_start(line: str) -> int:
    pos = 0
    progressed = True
    while progressed:
        progressed = False
        while pos < len(line) and line[pos].isspace():
            pos += 1
        for stamp in _STAMPS:
            m = stamp.match(line, pos)
            if m:
                pos, progressed = m.end(), True
                break
    return pos


def _log_fields(prefix: str, body: str) -> dict[str, str]:
    fields: dict[str, str] = {"prefix": prefix}
    flags: list[str] = []
    ip_flags: list[str] = []
    words = body.split()
    for i, word in enumerate(words):
        if word.startswith("["):  # an ICMP error quotes the offending packet: keep it apart
            fields["inner"] = " ".join(words[i:])
            break
        key, eq, value = word.partition("=")
        if eq:
            fields.setdefault(key.lower(), value)
        elif word in TCP_FLAGS:
            flags.append(word)
        elif word in IP_FLAGS:
            ip_flags.append(word)
    fields["flags"] = " ".join(flags)
    fields["ip_flags"] = " ".join(ip_flags)
    return fields


def parse_kernel_log(text: str, source: str, *, line_offset: int = 0,
                     hint: dict | None = None) -> Contribution:
    """`journalctl -k` / `dmesg` / syslog lines: LOG-target lines -> kind "kernel-log",
    `martian source|destination` -> kind "martian". Other kernel messages are counted."""
    c = Contribution(fidelity="kernel-log")
    unused: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        start = _message_start(line)
        message = line[start:]
        span = Span(source, lineno + line_offset, start + 1, lineno + line_offset,
                    len(line.rstrip()) + 1)
        log = _LOG_START.search(message)
        if log:
            prefix = message[:log.start()].strip()
            body = message[log.start():]
            c.evidence.append(Evidence("kernel-log", span, message.strip(),
                                       tuple(_log_fields(prefix, body).items())))
            continue
        m = _MARTIAN.search(message)
        if m:
            fields = {"martian": m.group("what"), "dst": m.group("dst"), "src": m.group("src"),
                      "dev": m.group("dev")}
            c.evidence.append(Evidence("martian", span, message.strip(), tuple(fields.items())))
            continue
        ll = _LL_HEADER.search(message)
        if ll and c.evidence and c.evidence[-1].kind == "martian":
            prev = c.evidence[-1]
            c.evidence[-1] = dataclasses.replace(
                prev, fields=prev.fields + (("ll_header", ll.group("hex").strip()),))
            continue
        unused.append(lineno + line_offset)
    _unused_note(c, source, "kernel log line(s) that are neither LOG-target nor martian "
                 "messages", unused)
    return c
