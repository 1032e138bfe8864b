"""Kernel parameters as pasted: `sysctl -a`, sysctl.conf lines, /proc/sys reads, `sysctl -w`.

A `sysctl -w` line in a thread is a change the author made, not a reading: it is kept as a given
value (it is what the kernel had afterwards) but its reason says it was set by a command, so a
finding resting on it can tell "you set this" from "the dump shows this".
"""
from __future__ import annotations

import re
import shlex
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from .. import grammars
from ..host import Contribution
from ..netstate import Evidence
from ..span import Span
from ..sysctls import SysctlValue, normalise_key
from .positions import grammar_error

EXPECTED = "expected `key = value`, `/proc/sys/path:value` or a `sysctl -w key=value` command"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammars.read("sysctl.lark"), parser="lalr")


def _command_words(command: str) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    while words and words[0] in ("$", "#", "sudo"):
        words = words[1:]
    return words


def _keys_from_command(command: str) -> tuple[list[str], bool]:
    """Keys whose bare values a prompt's command prints (`cat /proc/sys/..`, `sysctl -n ..`),
    and whether that command writes (`sysctl -w`)."""
    words = _command_words(command)
    if not words:
        return [], False
    if words[0] == "cat":
        return [normalise_key(w) for w in words[1:] if w.startswith("/proc/sys/")], False
    if words[0] == "sysctl":
        writes = "-w" in words or "--write" in words or any("=" in w for w in words[1:])
        if "-n" in words or "--values" in words:
            keys = [normalise_key(w.split("=", 1)[0]) for w in words[1:] if not w.startswith("-")]
            return keys, writes
        return [], writes
    return [], False


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


_ERROR_KEY = re.compile(r"(/proc/sys/[^\s:\"']+)|[\"']([\w./-]+)[\"']")


class _Reader:
    def __init__(self, source: str, line_offset: int, hint: dict | None) -> None:
        self.source = source
        self.offset = line_offset
        self.c = Contribution(fidelity="sysctl")
        command = (hint or {}).get("command") or ""
        self.value_keys, self.by_command = _keys_from_command(command)
        self.command = command.strip()
        self.skipped_reads = 0

    def span(self, lineno: int, start: int, end: int) -> Span:
        line = lineno + self.offset
        return Span(self.source, line, start, line, end)

    def add(self, key: str, value: str, span: Span, reason: str) -> None:
        self.c.sysctls.append(SysctlValue(normalise_key(key), value.strip(), span, False, reason))

    def given_reason(self) -> str:
        if self.by_command:
            return f"set by command: {self.command}"
        return ""

    def read_line(self, lineno: int, line: str) -> None:
        try:
            tree = _parser().parse(line)
        except LarkError as exc:
            self.c.problems.append(grammar_error(exc, self.source, lineno,
                                                 f"cannot read sysctl line: {EXPECTED}",
                                                 line_offset=self.offset))
            return
        node = tree.children[0]
        assert isinstance(node, Tree)
        handler = getattr(self, f"_{node.data}")
        handler(lineno, line, node.children)

    def _assignment(self, lineno: int, line: str, items: list[Token]) -> None:
        key = next(t for t in items if t.type == "KEY")
        value = next((t for t in items if t.type == "VALUE"), None)
        end = (value.end_column if value is not None else key.end_column) or len(line) + 1
        self.add(str(key), str(value or ""), self.span(lineno, key.column or 1, end),
                 self.given_reason())

    _proc_pair = _assignment

    def _command(self, lineno: int, line: str, items: list[Token]) -> None:
        args = [t for t in items if t.type == "ARG"]
        command = line.strip()
        for arg in args:
            word = _unquote(str(arg))
            if word.startswith("-") or "=" not in word:
                if not word.startswith("-"):
                    self.skipped_reads += 1
                continue
            key, _, value = word.partition("=")
            self.add(key, value, self.span(lineno, arg.column or 1, arg.end_column or 1),
                     f"set by command: {command}")

    def _message(self, lineno: int, line: str, items: list[Token]) -> None:
        text = str(items[0]).strip()
        m = _ERROR_KEY.search(text)
        key = normalise_key(m.group(1) or m.group(2)) if m else ""
        span = self.span(lineno, items[0].column or 1, items[0].end_column or 1)
        self.c.evidence.append(Evidence("sysctl-error", span, text,
                                        (("key", key), ("message", text))))

    def _comment(self, lineno: int, line: str, items: list[Token]) -> None:
        return

    def _applying(self, lineno: int, line: str, items: list[Token]) -> None:
        """`sysctl --system` names the file whose values follow; later files win, as in the
        kernel, because later values replace earlier ones in the host model."""
        return

    def read_value(self, lineno: int, line: str) -> None:
        """A bare value printed by the prompt's command, matched to its keys in order."""
        if not self.value_keys:
            self.read_line(lineno, line)
            return
        key = self.value_keys.pop(0)
        start = len(line) - len(line.lstrip()) + 1
        self.add(key, line, self.span(lineno, start, len(line.rstrip()) + 1),
                 self.given_reason() or f"read by command: {self.command}")


def parse(text: str, source: str, *, line_offset: int = 0,
          hint: dict | None = None) -> Contribution:
    reader = _Reader(source, line_offset, hint)
    bare_values = bool(reader.value_keys)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if bare_values:
            reader.read_value(lineno, line)
        else:
            reader.read_line(lineno, line)
    if reader.skipped_reads:
        reader.c.assumptions.append(
            f"{source}: {reader.skipped_reads} `sysctl KEY` read command(s) without output ignored")
    return reader.c
