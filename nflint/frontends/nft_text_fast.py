"""Fast path for the rule lines of `nft list ruleset` text.

Lark's LALR parser costs ~0.1 ms per rule, so a 100k-rule kube-proxy listing took ~17 s. This
reader takes the rule lines made of the statements big listings are made of (payload, meta, ct,
fib and numgen matches with plain values, flag lists, anonymous sets and verdict maps; counter,
verdicts, jump/goto, comment, NAT, mark setting, reject, log, limit, notrack) and gives up
(returns None) on anything else, which then goes to Lark: grammars/nft.lark stays the grammar of
record and words every error.

It builds its output by calling the grammar's own transformer methods (`_ToJson`) with the items
Lark would hand them, so both paths share every mapping decision. What it must get right itself
is the token stream: a word counts as a value only when the grammar's ATOM/STRING/SETREF patterns
take it whole, and a word the grammar knows as a keyword is read as a value only where Lark's
contextual lexer would read it so (or where the keyword reading gives the same value);
tests/test_nft_text_fast.py proves fast == Lark on every corpus listing and on tricky lines.
"""
from __future__ import annotations

import re

from lark import Lark, Token

_OUTSIDE_PRINTABLE = re.compile(r"[^\t\x20-\x7e]").search  # odd spaces, newlines, controls

# after `ct` the grammar also takes these keywords (direction, object, count statement)
_CT_KEYWORDS = frozenset(("original", "reply", "helper", "timeout", "expectation", "count"))
LOG_LEVELS = frozenset(("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
                        "audit"))


def grammar_words(parser: Lark, rule: str) -> frozenset[str]:
    """The keywords a grammar rule of one-word alternatives takes (`!metakey: "mark" | ...`):
    read from the grammar, so the fast path cannot drift from it."""
    return frozenset(parser.get_terminal(sym.name).pattern.value
                     for r in parser.rules if r.origin.name == rule
                     for sym in r.expansion if sym.is_term
                     and parser.get_terminal(sym.name).pattern.type == "str")


class _GiveUp(Exception):
    """The line is not one the fast path is sure about: Lark reads it."""


def words_of(text: str) -> list[str] | None:
    """Whitespace-separated words, a quoted string (quote to next quote, as the grammar's STRING)
    being one word with its quotes; None when the quotes do not pair up."""
    if '"' not in text:
        return text.split()
    parts = text.split('"')
    if not len(parts) % 2:
        return None
    out: list[str] = []
    for k, part in enumerate(parts):
        if k % 2:
            out.append(f'"{part}"')
        else:
            out.extend(part.split())
    return out


_DIGIT_CLASS = bytes.maketrans(b"23456789", b"11111111")
_DIGIT_RUN = re.compile(rb"1[01]*")  # after _DIGIT_CLASS: a run led by a digit 1-9
_LONG_NUMBER = re.compile(rb"[01][01a-fA-Fx]{18}")  # may be an int too wide for `atom_text`
_STRING = re.compile(r'"[^"]*"')
TARGET = "\x01"  # stands for a jump/goto target in a shape key


class FastRules:
    """`parse(text)` -> (what `Lark.parse(text, start="rule")` returns, shape key), or None.

    The shape key stands for the schema validity of the rule object built from the result, so
    nft -j's schema check runs once per shape instead of once per rule: it is the rule's words
    with quoted strings and jump/goto targets blanked (the schema takes any string there) and
    each run of digits led by 1-9 written as `1` (counters, addresses and ports fall together;
    the schema has no bounds). Zeros leading a run, and every other character, are kept: they
    decide which words are numbers, prefixes, ranges or enum words. A word that may be an
    integer wider than `atom_text` reads as one gets no key. Enum positions (log level, numgen
    mode, NAT family, reject type, fib result) only take words the fast path knows.
    """

    def __init__(self, parser: Lark, transformer, atom_text) -> None:
        self.t = transformer
        self.atom_text = atom_text
        self._atoms: dict[str, object] = {}  # word -> atom_text(word): ports, protocols, CIDRs
        self.atom_word = re.compile(parser.get_terminal("ATOM").pattern.to_regexp()).fullmatch
        self.setref_word = re.compile(parser.get_terminal("SETREF").pattern.to_regexp()).fullmatch
        self.keywords = frozenset(t.pattern.value for t in parser.terminals
                                  if t.pattern.type == "str")
        self.protos = grammar_words(parser, "proto")
        self.metakeys = grammar_words(parser, "metakey")
        self.ops = grammar_words(parser, "op")
        self.binops = grammar_words(parser, "binop_sym")
        self.fibflags = grammar_words(parser, "fibflag")
        self.fibresults = grammar_words(parser, "fibresult")
        self.verdicts = grammar_words(parser, "verdict_kw")
        self.natflags = grammar_words(parser, "natflag")
        self.reject_types = grammar_words(parser, "rejecttype")
        self.kwvalues = self.protos | {"snat", "dnat", "masquerade", "redirect"}  # read as values
        t = transformer
        lhs = self._lhs_stmt
        self.starters = {w: lhs for w in
                         self.protos | self.metakeys | {"meta", "ct", "fib", "numgen"}}
        self.starters.update({w: self._verdict for w in self.verdicts})
        self.starters.update(jump=self._jump, goto=self._jump, counter=self._counter,
                             comment=self._comment, dnat=self._nat, snat=self._nat,
                             masquerade=self._nat, redirect=self._nat, reject=self._reject,
                             log=self._log, limit=self._limit, notrack=self._notrack)
        assert set(self.starters) <= self.keywords, set(self.starters) - self.keywords
        self._notrack_json = t.notrack_stmt

    def atom(self, w: str):
        """`atom_text(w)`, remembered (values are only read, so a prefix dict may be shared)."""
        v = self._atoms.get(w)
        if v is None:
            v = self.atom_text(w)
            if len(self._atoms) < 50_000:
                self._atoms[w] = v
        return v

    def parse(self, text: str):
        if not text.isascii() or (not text.isprintable() and _OUTSIDE_PRINTABLE(text)):
            return None
        words = words_of(text)
        if not words:
            return None
        try:
            result = self._rule(words)
        except (_GiveUp, IndexError, ValueError, KeyError, TypeError, AttributeError):
            return None
        key = " ".join(words)  # with the targets blanked by now
        if '"' in key:
            key = _STRING.sub('""', key)
        key = key.encode().translate(_DIGIT_CLASS)  # ASCII: checked above
        if _LONG_NUMBER.search(key):
            return result, None
        return result, _DIGIT_RUN.sub(b"1", key)

    def _rule(self, words: list[str]):
        items = []
        i, n = 0, len(words)
        starters = self.starters
        while i < n:
            handler = starters.get(words[i])
            if handler is None:
                raise _GiveUp
            item, i = handler(words, i)
            items.append(item)
        return self.t.rule(items)

    # --- values
    def _value(self, w: str):
        """A value where the grammar takes ATOM, STRING or a keyword that reads as a value."""
        if w[0] == '"':
            return w[1:-1]
        if self.atom_word(w) and (w not in self.keywords or w in self.kwvalues):
            return self.atom(w)
        raise _GiveUp

    def _atom_only(self, w: str) -> str:
        """A word where the grammar takes only ATOM (after `jump`, `meta`, `counter packets`)."""
        if self.atom_word(w):
            return w
        raise _GiveUp

    def _rhs(self, words: list[str], i: int):
        w = words[i]
        if w == "{":
            elems, i = self._elements(words, i + 1, trailing_comma=True)
            return self.t.anon_set(elems), i
        if w[0] == "@":
            if self.setref_word(w):
                return w, i + 1
            raise _GiveUp
        if "," in w and w[0] != '"':
            return self.t.flag_list([self._value(p) for p in w.split(",")]), i + 1
        return self._value(w), i + 1

    def _elements(self, words: list[str], i: int, trailing_comma: bool):
        """Set elements up to the closing `}`: values and `a . b` concatenations, separated by
        commas (alone or at the end of a word)."""
        elems: list = []
        cur: list = []
        want_value = True
        while True:
            w = words[i]
            i += 1
            if w == "}":
                if want_value and (cur or not elems or not trailing_comma):
                    raise _GiveUp
                if cur:
                    elems.append(cur[0] if len(cur) == 1 else self.t.value_concat(cur))
                return elems, i
            if w == "," or w == ".":
                if want_value:
                    raise _GiveUp
                if w == ",":
                    elems.append(cur[0] if len(cur) == 1 else self.t.value_concat(cur))
                    cur = []
                want_value = True
                continue
            if not want_value:
                raise _GiveUp
            comma = w[-1] == "," and len(w) > 1
            cur.append(self._value(w[:-1] if comma else w))
            if comma:
                elems.append(cur[0] if len(cur) == 1 else self.t.value_concat(cur))
                cur = []
            else:
                want_value = False

    # --- expressions
    def _primary(self, words: list[str], i: int):
        w = words[i]
        t = self.t
        if w in self.protos:
            field = words[i + 1]
            if field == "option":  # `tcp option ...`
                raise _GiveUp
            return t.payload([w, self._atom_only(field)]), i + 2
        if w in self.metakeys:
            return t.meta([w]), i + 1
        if w == "meta":
            return t.meta([self._atom_only(words[i + 1])]), i + 2
        if w == "ct":
            key = words[i + 1]
            if key in _CT_KEYWORDS:
                raise _GiveUp
            return t.ct([self._atom_only(key)]), i + 2
        if w == "fib":
            flags = [words[i + 1]]
            i += 2
            while words[i] == ".":
                flags.append(words[i + 1])
                i += 2
            result = words[i]
            if result not in self.fibresults or not self.fibflags.issuperset(flags):
                raise _GiveUp
            return t.fib([*flags, result]), i + 1
        if w == "numgen":
            mode = words[i + 1]
            if mode not in ("inc", "random") or words[i + 2] != "mod":
                raise _GiveUp
            items = [mode, self.atom(self._atom_only(words[i + 3]))]
            i += 4
            if i < len(words) and words[i] == "offset":
                items.append(self.atom(self._atom_only(words[i + 1])))
                i += 2
            return t.numgen(items), i
        raise _GiveUp

    def _expr(self, words: list[str], i: int):
        """A primary expression and its binary operators (`meta mark & 0x4000`)."""
        e, i = self._primary(words, i)
        n = len(words)
        while i < n and words[i] in self.binops:
            operand = words[i + 1]
            if operand in self.keywords:  # Lark's lexer may read a keyword there
                raise _GiveUp
            operand = self.atom(self._atom_only(operand))
            e = self.t.binop([e, self.t.binop_sym([words[i]]), operand])
            i += 2
        return e, i

    def _lhs(self, words: list[str], i: int):
        e, i = self._expr(words, i)
        if i < len(words) and words[i] == ".":
            parts = [e]
            while i < len(words) and words[i] == ".":
                e, i = self._expr(words, i + 1)
                parts.append(e)
            e = self.t.concat(parts)
        return e, i

    # --- statements: each returns (json, index of the next word)
    def _lhs_stmt(self, words: list[str], i: int):
        t = self.t
        left, i = self._lhs(words, i)
        w = words[i]
        if w == "vmap":
            data, i = self._map_data(words, i + 1)
            return t.vmap_stmt([left, data]), i
        if w == "set":
            value, i = self._set_value(words, i + 1)
            return t.mangle_stmt([left, value]), i
        if w in self.ops:
            right, i = self._rhs(words, i + 1)
            return t.match_stmt([left, w, right]), i
        right, i = self._rhs(words, i)
        return t.match_stmt([left, right]), i

    def _set_value(self, words: list[str], i: int):
        w = words[i]
        if w in self.metakeys or w in ("meta", "ct", "fib", "numgen"):
            return self._expr(words, i)
        if w[0] == '"':
            return w[1:-1], i + 1
        if w in self.keywords or not self.atom_word(w):
            raise _GiveUp
        return self.atom(w), i + 1

    def _verdict_word(self, words: list[str], i: int):
        """A verdict inside a map: `accept`, `goto chain`; a comma glued to its end is left
        for the caller (returned as the third item)."""
        w = words[i]
        if w in ("jump", "goto"):
            target = words[i + 1]
            comma = target[-1] == ","
            verdict = self.t.jump([w, self._atom_only(target[:-1] if comma else target)])
            words[i + 1] = TARGET + "," if comma else TARGET
            return verdict, i + 2, comma
        comma = w[-1] == ","
        if comma:
            w = w[:-1]
        if w not in self.verdicts:
            raise _GiveUp
        return self.t.verdict([w]), i + 1, comma

    def _map_data(self, words: list[str], i: int):
        t = self.t
        w = words[i]
        if w[0] == "@":
            if self.setref_word(w):
                return t.map_data([w]), i + 1
            raise _GiveUp
        if w != "{":
            raise _GiveUp
        i += 1
        elems = []
        while True:
            key = [self._value(words[i])]
            i += 1
            while words[i] == ".":
                key.append(self._value(words[i + 1]))
                i += 2
            if words[i] != ":":
                raise _GiveUp
            verdict, i, comma = self._verdict_word(words, i + 1)
            elems.append(t.map_elem([key[0] if len(key) == 1 else t.value_concat(key), verdict]))
            if not comma and words[i] == ",":
                comma, i = True, i + 1
            if words[i] == "}":
                if comma:  # the grammar takes no trailing comma in a map
                    raise _GiveUp
                return t.map_data(elems), i + 1
            if not comma:
                raise _GiveUp

    def _verdict(self, words: list[str], i: int):
        return self.t.verdict([words[i]]), i + 1

    def _jump(self, words: list[str], i: int):
        verdict = self.t.jump([words[i], self._atom_only(words[i + 1])])
        words[i + 1] = TARGET
        return verdict, i + 2

    def _counter(self, words: list[str], i: int):
        if i + 1 < len(words) and words[i + 1] == "packets":
            if words[i + 3] != "bytes":
                raise _GiveUp
            return self.t.counter_stmt([self._count(words[i + 2]), self._count(words[i + 4])]), \
                i + 5
        return self.t.counter_stmt([]), i + 1

    def _count(self, w: str):
        """A counter value: plain decimal digits are what `atom_text` reads as int(w, 0)."""
        if w.isdigit() and len(w) <= 18 and (w[0] != "0" or len(w) == 1):
            return int(w)
        return self.atom_text(self._atom_only(w))

    def _comment(self, words: list[str], i: int):
        w = words[i + 1]
        if w[0] != '"':
            raise _GiveUp
        return self.t.comment([Token("STRING", w)]), i + 2

    def _nat(self, words: list[str], i: int):
        t = self.t
        items: list = [words[i]]
        i += 1
        n = len(words)
        if items[0] in ("dnat", "snat") and i < n and words[i] in ("ip", "ip6"):
            items.append(words[i])
            i += 1
        if i < n and words[i] == "to":
            target = words[i + 1]
            if not target[0].isdigit() or not self.atom_word(target):
                raise _GiveUp  # `:port`, `[v6]:port`, names and expressions: Lark
            items.append(t.nat_target([Token("ATOM", target)]))
            i += 2
        if i < n and words[i] not in self.starters:
            flags = words[i].split(",")
            if not self.natflags.issuperset(flags):
                raise _GiveUp
            items.append(t.nat_flags(flags))
            i += 1
        return t.nat_stmt(items), i

    def _reject(self, words: list[str], i: int):
        items: list = []
        i += 1
        n = len(words)
        if i < n and words[i] == "with":
            if words[i + 1] not in self.reject_types:
                raise _GiveUp
            items.append(words[i + 1])
            i += 2
            if i < n and words[i] == "type":
                i += 1
            if i < n and words[i] not in self.keywords and self.atom_word(words[i]):
                items.append(words[i])  # an optional ATOM: a keyword would start a statement
                i += 1
        return self.t.reject_stmt(items), i

    def _log(self, words: list[str], i: int):
        t = self.t
        opts = []
        i += 1
        n = len(words)
        while i < n:
            w = words[i]
            if w == "prefix" and words[i + 1][0] == '"':
                opts.append(t.lo_prefix([Token("STRING", words[i + 1])]))
            elif w == "level" and words[i + 1] in LOG_LEVELS:
                opts.append(t.lo_level([words[i + 1]]))
            elif w == "group":
                opts.append(t.lo_group([self.atom(self._atom_only(words[i + 1]))]))
            else:
                break
            i += 2
        return t.log_stmt(opts), i

    def _limit(self, words: list[str], i: int):
        if words[i + 1] != "rate":
            raise _GiveUp
        i += 2
        items = []
        if words[i] in ("over", "until"):
            items.append(words[i])
            i += 1
        items.append(self._atom_only(words[i]))
        i += 1
        n = len(words)
        if i < n and "/" in words[i] and self.atom_word(words[i]):
            items.append(words[i])  # `1 mbytes/second`: no keyword holds a `/`
            i += 1
        if i < n and words[i] == "burst":
            items += [self._atom_only(words[i + 1]), self._atom_only(words[i + 2])]
            i += 3
        return self.t.limit_stmt(items), i

    def _notrack(self, words: list[str], i: int):
        return self._notrack_json([]), i + 1
