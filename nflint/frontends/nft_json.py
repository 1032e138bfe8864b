"""`nft -j list ruleset` (libnftables JSON) -> tables, chains, rules, sets and stateful objects.

Contract shared with the nft text frontend, which turns its parse into the same JSON-shaped dicts:

    contribution_from_objects(objects, source, spans=None, *, fidelity="nft-json") -> Contribution

`objects` is the list under "nftables" (metainfo, table, chain, rule, set, map, element,
flowtable, counter, quota, ct helper/timeout/expectation, limit, secmark, synproxy, ... and the
add/create/insert command wrappers of `nft -j -f` input). `spans[i]` locates objects[i]; without
spans each object gets Span(source, pointer="/nftables/i"). Every object is validated against
grammars/nft.schema.json first: an invalid one becomes one NF001 problem carrying its JSON pointer
and what was expected, and is skipped; the others are mapped. Rules attach to their chain by
(family, table, chain) in the order given (a chain or table never declared is created). Optional
keyword `raw_texts[i]` becomes Rule.raw of a rule object (the text frontend passes its line).

`parse(text, source, *, line_offset=0, hint=None)` is the standard frontend entry: it decodes the
document one top-level object at a time (with the garbage collector paused: a 40 MB dump is
millions of containers), so each object knows its line and column and is mapped and dropped
before the next is decoded; malformed JSON is one NF001 at its line and column.

Validation is per object with one precompiled validator, cached per structural shape: the key is
the object's JSON text with free-text strings and integers blanked (keys and short lower-case
words, the only values the schema constrains, are kept), so a 100k-rule dump runs the validator
for a few dozen distinct shapes instead of 100k objects. The schema keeps to enums of such words
for exactly that reason (tests/test_nft_json.py checks it). That key costs three regex passes,
so a cheaper `quick_key` (one bytes.translate: digits out, upper case folded) is looked up
first; it is remembered only for objects whose shape key was valid, and a kube-proxy-like dump
has about a thousand of them. Objects holding floats are always validated. One contrived case
can share a verdict wrongly: an array string ending in ": ", ", " or "[" followed by a string
starting with ",", "}", "]" or ":" is blanked off its boundaries; such an object is then read
by the mapper, which never trusts types and never raises.

Backends: a table holding `xt` statements, or an ip/ip6 table named like an iptables table whose
base chains all carry iptables' built-in names, was written by iptables-nft ("iptables-nft");
every other table is "nft". nft -j drops xt parameters, so a dump with xt statements adds one
NF003 "xt-compat-rules" warning naming the tables and asking for `iptables-save` output, whose
view of the same table then wins in the host builder (its fidelity ranks higher). The nft
text listing translates most xt extensions back into nft syntax and prints bare `xt` only for the
rest; NF003 words the loss by the input form (`XT_LOSS`).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .. import grammars
from ..diagnostics import Diagnostic, Severity
from ..gcpause import BIG_INPUT, gc_paused
from ..hooks import IPTABLES_CHAIN_HOOKS, resolve_priority
from ..host import Contribution
from ..ruleset import Chain, NamedSet, NftObject, Rule, Table
from ..span import Span
from .nft_exprs import (StatementMapper, compact, element_text, elements, expr_text,
                        named_element)
from .positions import LineIndex, syntax_error

FIDELITY = "nft-json"
IPTABLES_TABLES = {
    "filter": frozenset(("INPUT", "FORWARD", "OUTPUT")),
    "nat": frozenset(("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")),
    "mangle": frozenset(("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")),
    "raw": frozenset(("PREROUTING", "OUTPUT")),
    "security": frozenset(("INPUT", "FORWARD", "OUTPUT")),
}
ADD_COMMANDS = frozenset(("add", "create", "insert", "replace"))
# Why xt parameters are missing, by input form: (NF003's reason, the assumption's aside).
XT_LOSS = {
    FIDELITY: ("nft -j does not print their parameters", "nft -j drops them"),
    "nft-text": ("`nft list ruleset` prints them as `xt match NAME`/`xt target NAME` when it "
                 "cannot translate them back into nft syntax, without their parameters",
                 "nft could not translate them back and printed no parameters"),
}
IGNORED_COMMANDS = frozenset(("delete", "destroy", "flush", "rename", "list", "reset"))
IDENTITY = frozenset(("family", "table", "name", "handle"))
_HEAD = re.compile(r'\s*\{\s*"nftables"\s*:\s*\[\s*')
# Shape key (see the module docstring): free-text string values become S, with one literal-
# prefixed pass per place a value can stand (sre scans literal prefixes fast); digits vanish.
_KEEP = rb'(?:[a-z](?:[a-z0-9_ -]{0,30}[a-z0-9_-])?|[=!<>&|^]{1,2})'
_BODY = rb'[^"\\]*(?:\\.[^"\\]*)*'
_VALUE_STRINGS = tuple(
    (re.compile(re.escape(lead) + rb'"(?!' + _KEEP + rb'")' + _BODY + rb'"(?=[,}\]])'),
     lead + b"S")
    for lead in (b": ", b", ", b"["))
# Enum words with digits are renamed before digits vanish, so "ip6" never meets "ip4": the new
# name holds a control character, which a JSON string cannot hold unescaped.
DIGIT_ENUM_WORDS = ("ip6", "icmpv6")  # `quick_key` relies on each ending in 6
_DIGIT_ENUMS = tuple((f'"{w}"'.encode(), f'"{w.rstrip("0123456789")}\x01"'.encode())
                     for w in DIGIT_ENUM_WORDS)
# A first, cheaper shape key (see `quick_key`): one bytes.translate, digits deleted and
# upper-case letters folded into one.
_QUICK_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"X" * 26)
_FLOAT = re.compile(r'(?<![\w."])-?\d+(?:\.\d+)?[.eE]')
EXPECTED_DOC = 'expected a JSON object {"nftables": [...]} as printed by `nft -j list ruleset`'


@lru_cache(maxsize=None)
def _validator(definition: str = "object"):
    """A precompiled validator for one definition of the schema. The schema itself is checked
    against the metaschema by tests/test_nft_json.py, not here: that costs 70 ms per run."""
    from jsonschema import Draft202012Validator

    schema = json.loads(grammars.read("nft.schema.json"))
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def shape_key(text: str) -> bytes:
    """An object's JSON text with everything the schema does not constrain blanked out: free-text
    string values become S, digits vanish (so integers become empty). Floats never get here:
    the reader keys objects holding one as None (1.0 and 1.5 differ for `integer`)."""
    b = text.encode("utf-8", "surrogatepass")
    for pattern, repl in _VALUE_STRINGS:
        b = pattern.sub(repl, b)
    for word, token in _DIGIT_ENUMS:
        if word in b:
            b = b.replace(word, token)
    return b.translate(None, b"0123456789")


def quick_key(text: str, renames: tuple = _DIGIT_ENUMS) -> bytes:
    """A cheaper stand-in for `shape_key`, tried first: the text with digits deleted (as there)
    and upper-case letters folded into one (one C pass: counters, IPv4 addresses and generated
    chain names like kube-proxy's fall together). Strings that differ only by digits or by
    upper-case letters get one shape key too (digits vanish there; a string holding an upper-case
    letter is no enum word, so it is blanked), so objects with one quick key have one shape key,
    but for strings longer than any enum word. A quick key is remembered only once the shape key
    of an object holding it was found valid; a new one falls back to `shape_key`. `renames`
    may leave out digit enum words the whole document does not hold."""
    try:
        b = text.encode()
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        b = text.encode("utf-8", "surrogatepass")
    if renames and b'6"' in b:  # both digit enum words end in 6
        for word, token in renames:
            if word in b:
                b = b.replace(word, token)
    return b.translate(_QUICK_FOLD, b"0123456789")


def _pointer(path: Sequence) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _describe(error) -> str:
    """What the schema expected, in words (jsonschema's own message, trimmed)."""
    msg = error.message
    if len(msg) > 200:
        msg = msg[:200] + "..."
    if error.validator in ("anyOf", "oneOf"):
        msg = f"{msg}: not a valid {error.schema.get('description', 'value')}"
    return msg


@dataclass
class _TableAcc:
    family: str
    name: str
    span: Span
    handle: int | None = None
    flags: tuple[str, ...] = ()
    chains: dict[str, dict] = field(default_factory=dict)
    sets: list[NamedSet] = field(default_factory=list)
    set_index: dict[str, int] = field(default_factory=dict)
    objects: list[NftObject] = field(default_factory=list)
    xt: bool = False  # holds iptables-nft compat statements
    xt_rules: int = 0  # rules with bare xt statements (parameters lost)
    first_xt: Span | None = None


class _Builder:
    """Accumulates objects in order; `finish()` freezes the tables."""

    def __init__(self, source: str, fidelity: str) -> None:
        self.source = source
        self.fidelity = fidelity
        self.tables: dict[tuple[str, str], _TableAcc] = {}
        self.problems: list[Diagnostic] = []
        self.headers: list[str] = []
        self.mapper = StatementMapper()
        self._last_chain: tuple[tuple, dict | None, _TableAcc | None] = ((), None, None)
        self.ignored: dict[str, int] = {}  # nft -j -f commands that change no listed element
        self.last_table: tuple[str, str] | None = None  # of the last object read
        self.truncated = False  # the input stopped mid-document: the last table may go on
        self.shapes: dict[bytes, bool] = {}
        self.quick: set[bytes] = set()  # quick keys of objects whose shape is valid
        self.renames = _DIGIT_ENUMS  # the digit enum words quick_key must look for

    # -- validation ----------------------------------------------------------------------------

    def validate(self, obj: object, span: Span, key: bytes | None) -> bool:
        """True if `obj` is valid; else one NF001 is reported. A shape known valid skips the
        validator; an invalid shape is re-checked (its reported path must be this object's)."""
        if key is not None and self.shapes.get(key):
            return True
        try:
            errors = list(_validator().iter_errors(obj))
        except Exception as exc:  # a validator failure must not stop the read
            self.problems.append(self._error(span, f"could not validate: {exc}"))
            return True
        if key is not None:
            self.shapes[key] = not errors
        return True if not errors else self._report(errors, span)

    def check(self, obj: object, span: Span, text: str | None, floats: bool = False) -> bool:
        """Validate one top-level object; `text` is its JSON text when the input had one.
        An add/create/insert/replace command is checked by the element it wraps."""
        quick = None
        if text is not None and not floats:
            quick = quick_key(text, self.renames)
            if quick in self.quick:  # never holds a command: those are keyed by what they wrap
                return True
        if type(obj) is dict and len(obj) == 1:
            (kind, body), = obj.items()
            if kind in ADD_COMMANDS and type(body) is dict and len(body) == 1:
                inner = Span(span.source, span.line, span.column,
                             pointer=f"{span.pointer or ''}/{kind}")
                return self.validate(body, inner, _object_key(body))
        if text is None:
            return self.validate(obj, span, _object_key(obj))
        if quick is None:  # a float: 1.0 and 1.5 differ for `integer`
            return self.validate(obj, span, None)
        key = shape_key(text)
        valid = self.validate(obj, span, key)
        if self.shapes.get(key):
            self.quick.add(quick)
        return valid

    def _report(self, errors: list, span: Span) -> bool:
        if not errors:
            return True
        from jsonschema.exceptions import best_match

        err = best_match(errors)
        where = _pointer(err.absolute_path)
        pointer = (span.pointer or "") + where
        kind = _kind_of_path(err.absolute_path)
        msg = f"invalid nft -j {kind} at {pointer or '/'}: {_describe(err)}; object skipped"
        self.problems.append(syntax_error(self.source, span.line, span.column, msg,
                                          pointer=pointer))
        return False

    def _error(self, span: Span, message: str) -> Diagnostic:
        return Diagnostic("NF001", "syntax-error", Severity.ERROR, message, span,
                          key=(self.source, message))

    # -- objects -------------------------------------------------------------------------------

    def add(self, obj: object, span: Span, raw: str = "") -> None:
        if type(obj) is dict and len(obj) == 1 and type(obj.get("rule")) is dict:
            body = obj["rule"]  # most objects: straight to _add_rule
            if "table" in body:
                try:
                    self._add_rule(body, span, raw)
                except Exception as exc:  # as below
                    self.problems.append(self._error(
                        span, f"could not read this nft -j rule object ({type(exc).__name__}: "
                              f"{exc})"))
                return
        if not isinstance(obj, dict) or len(obj) != 1:
            self.problems.append(self._error(
                span, "expected an object with one key (table, chain, rule, set, ...), "
                      f"got {compact(obj)[:80]}"))
            return
        (kind, body), = obj.items()
        if kind in ADD_COMMANDS and isinstance(body, dict) and len(body) == 1:
            (kind, body), = body.items()
        try:
            self._add(kind, body, span, raw)
        except Exception as exc:  # a mapper bug must cost one object, never the whole input
            self.problems.append(self._error(
                span, f"could not read this nft -j {kind} object ({type(exc).__name__}: {exc})"))

    def _table(self, family: str, name: str, span: Span) -> _TableAcc:
        key = self.last_table = (family, name)
        acc = self.tables.get(key)
        if acc is None:
            acc = self.tables[key] = _TableAcc(family, name, span)
        return acc

    def _chain(self, acc: _TableAcc, name: str, span: Span) -> dict:
        ch = acc.chains.get(name)
        if ch is None:
            ch = acc.chains[name] = {"name": name, "span": span, "rules": [], "hook": None,
                                     "priority": None, "type": None, "policy": None,
                                     "devices": (), "handle": None, "comment": None}
        return ch

    def _add(self, kind: str, body: dict, span: Span, raw: str) -> None:
        if kind == "rule" and type(body) is dict and "table" in body:
            self._add_rule(body, span, raw)
            return
        if kind == "metainfo":
            if isinstance(body, dict) and body.get("version"):
                self.headers.append(f"nftables {body['version']} ({body.get('release_name', '')}"
                                    f"), json_schema_version {body.get('json_schema_version')}")
            return
        if kind in IGNORED_COMMANDS:
            self.ignored[kind] = self.ignored.get(kind, 0) + 1
            return
        if not isinstance(body, dict):
            return
        family = body.get("family")
        if kind == "table":
            acc = self._table(family, body["name"], span)
            acc.span, acc.handle = span, body.get("handle")
            flags = body.get("flags", ())
            acc.flags = (flags,) if isinstance(flags, str) else tuple(flags)
            return
        if "table" not in body:
            return  # a command's bare selector (e.g. {"list": {"ruleset": null}})
        acc = self._table(family, body["table"], span)
        if kind == "chain":
            self._add_chain(acc, body, span)
        elif kind in ("set", "map"):
            self._add_set(acc, kind, body, span)
        elif kind == "element":
            self._add_elements(acc, body, span)
        else:
            props = tuple((k, expr_text(v)) for k, v in body.items() if k not in IDENTITY)
            acc.objects.append(NftObject(kind, str(body.get("name", "")), span, props))

    def _add_chain(self, acc: _TableAcc, body: dict, span: Span) -> None:
        ch = self._chain(acc, body["name"], span)
        ch["span"] = span
        prio = body.get("prio")
        if prio is not None:
            prio = resolve_priority(acc.family, prio)
        dev = body.get("dev", ())
        get = body.get
        ch["hook"], ch["type"], ch["policy"], ch["priority"], ch["handle"], ch["comment"] = (
            get("hook"), get("type"), get("policy"), prio, get("handle"), get("comment"))
        ch["devices"] = (dev,) if isinstance(dev, str) else tuple(dev)

    def _add_rule(self, body: dict, span: Span, raw: str) -> None:
        where = (body.get("family"), body["table"], body["chain"])
        last, ch, acc = self._last_chain
        if where == last:  # dumps list a chain's rules together
            self.last_table = where[:2]
        else:
            acc = self._table(where[0], where[1], span)
            ch = self._chain(acc, where[2], span)
            self._last_chain = (where, ch, acc)
        stmts = body.get("expr") or []
        matches, actions, counters = self.mapper.rule(stmts, body.get("comment"))
        if self.mapper.saw_xt:
            acc.xt = True
            if self.mapper.saw_bare_xt:
                acc.xt_rules += 1
                if acc.first_xt is None:
                    acc.first_xt = span
        rules = ch["rules"]
        rules.append(Rule(matches, actions, span, raw, counters, body.get("handle"), len(rules)))

    def _add_set(self, acc: _TableAcc, kind: str, body: dict, span: Span) -> None:
        key_type = body.get("type", ())
        key_type = (key_type,) if isinstance(key_type, str) else tuple(key_type)
        data = body.get("map")
        flags = body.get("flags", ())
        elems, mappings = self._elements(body.get("elem"), key_type)
        named = NamedSet(
            body["name"], span,
            key_type=key_type,
            elements=tuple(elems), is_map=kind == "map",
            data_type=(" . ".join(data) if isinstance(data, list) else data),
            flags=(flags,) if isinstance(flags, str) else tuple(flags),
            mappings=tuple(mappings))
        if named.name in acc.set_index:
            acc.sets[acc.set_index[named.name]] = named
        else:
            acc.set_index[named.name] = len(acc.sets)
            acc.sets.append(named)

    @staticmethod
    def _elements(elem: object, key_type: tuple[str, ...] = ()
                  ) -> tuple[list[str], list[tuple[str, str]]]:
        """Element texts (numbers of symbolic key types as names), and (key, data) pairs for
        map elements."""
        elems, mappings = [], []
        for e in elements(elem):
            if isinstance(e, list) and len(e) == 2:
                k = element_text(named_element(e[0], key_type))
                elems.append(k)
                mappings.append((k, element_text(e[1])))
            else:
                elems.append(element_text(named_element(e, key_type)))
        return elems, mappings

    def _add_elements(self, acc: _TableAcc, body: dict, span: Span) -> None:
        name = body["name"]
        idx = acc.set_index.get(name)
        elems, mappings = self._elements(body.get("elem"),
                                         acc.sets[idx].key_type if idx is not None else ())
        if idx is None:
            acc.set_index[name] = len(acc.sets)
            acc.sets.append(NamedSet(name, span, elements=tuple(elems),
                                     is_map=bool(mappings), mappings=tuple(mappings)))
            return
        old = acc.sets[idx]
        acc.sets[idx] = NamedSet(old.name, old.span, old.key_type, old.elements + tuple(elems),
                                 old.is_map, old.data_type, old.flags,
                                 old.mappings + tuple(mappings))

    # -- result --------------------------------------------------------------------------------

    def finish(self) -> Contribution:
        tables = []
        xt_tables = []
        first_xt = None
        for acc in self.tables.values():
            chains = tuple(
                Chain(c["name"], tuple(c["rules"]), c["span"], c["hook"], c["priority"],
                      c["type"], c["policy"], c["devices"], None, c["handle"], c["comment"])
                for c in acc.chains.values())
            backend = "iptables-nft" if acc.xt or _iptables_shaped(acc, chains) else "nft"
            if acc.xt_rules:
                xt_tables.append(f"{acc.family} {acc.name} ({acc.xt_rules} rules)")
                first_xt = first_xt or acc.first_xt
            complete = not (self.truncated and self.last_table == (acc.family, acc.name))
            tables.append(Table(backend, acc.family, acc.name, chains, acc.span,
                                tuple(acc.sets), tuple(acc.objects), acc.flags, acc.handle,
                                complete))
        c = Contribution(tables=tables, fidelity=self.fidelity, headers=self.headers,
                         problems=self.problems)
        if self.ignored:
            done = ", ".join(f"{n} {k}" for k, n in self.ignored.items())
            c.assumptions.append(f"{self.source}: nft JSON commands not applied ({done}); the "
                                 "ruleset is read as if they had not run")
        if xt_tables:
            listed = ", ".join(xt_tables)
            why, dropped = XT_LOSS.get(self.fidelity, XT_LOSS[FIDELITY])
            c.problems.append(Diagnostic(
                "NF003", "xt-compat-rules", Severity.WARNING,
                f"iptables-nft rules shown as bare `xt` statements in {listed}: {why}, so those "
                "matches are read as \"may match\" and those targets without their options. "
                "Paste `iptables-save` (and `ip6tables-save`) output for these tables; it "
                "replaces this view of them.",
                first_xt or Span(self.source), key=("xt-compat-rules", self.source)))
            c.assumptions.append(f"{self.source}: xt rules in {listed} were read without their "
                                 f"parameters ({dropped})")
        return c


def _kind_of_path(path) -> str:
    for p in path:
        if isinstance(p, str):
            return p
    return "object"


def _iptables_shaped(acc: _TableAcc, chains: tuple[Chain, ...]) -> bool:
    """An ip/ip6 table named like an iptables table whose base chains (if any: iptables-nft
    creates built-in chains only when a rule needs one) carry iptables' names and hooks."""
    builtin = IPTABLES_TABLES.get(acc.name)
    if builtin is None or acc.family not in ("ip", "ip6"):
        return False
    return all(c.name in builtin and IPTABLES_CHAIN_HOOKS[c.name] == c.hook
               for c in chains if c.is_base)


def _object_key(obj: object) -> bytes | None:
    """Shape key of an object that came without its text (floats or odd values: no key)."""
    try:
        text = json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return None if _FLOAT.search(text) else shape_key(text)


def contribution_from_objects(objects: list, source: str, spans: list[Span] | None = None, *,
                              fidelity: str = FIDELITY, raw_texts: Sequence[str] | None = None,
                              validate: bool = True, shape_keys: Sequence | None = None,
                              release: bool = False) -> Contribution:
    """Validate and map the objects of one `nftables` array (see the module docstring).

    `shape_keys` (nft text's fast path): per object, a key (or None) that only objects of one
    schema shape share, so an object whose key already passed skips the check, which
    re-serialises the object (~40 us; 140k objects of a few hundred shapes in a 100k-rule
    listing). `release`: each object leaves `objects` once mapped (a lower peak)."""
    b = _Builder(source, fidelity)
    passed: set = set()
    with gc_paused(freeze=len(objects) > 10_000):
        for i, obj in enumerate(objects):
            if release:
                objects[i] = None
            span = spans[i] if spans is not None else Span(source, pointer=f"/nftables/{i}")
            key = shape_keys[i] if shape_keys is not None else None
            if validate and (key is None or key not in passed):
                if not b.check(obj, span, None):
                    continue
                if key is not None:
                    passed.add(key)
            b.add(obj, span, raw_texts[i] if raw_texts is not None else "")
        return b.finish()


def parse(text: str, source: str, *, line_offset: int = 0, hint: dict | None = None
          ) -> Contribution:
    """`nft -j list ruleset` output -> Contribution (never raises on bad input)."""
    b = _Builder(source, FIDELITY)
    with gc_paused(freeze=len(text) > BIG_INPUT):
        lines = LineIndex(text)
        source = b.source
        head = _HEAD.match(text)
        if head is None:
            _whole(text, b, line_offset)
        while head is not None:  # `nft -j list table a; nft -j list table b` pastes several
            pos = _stream(text, head.end(), b, lines, line_offset)
            if pos is None:
                break
            head = _HEAD.match(text, pos)
            if head is None and text[pos:].strip():
                line, col = lines.at(pos + len(text[pos:]) - len(text[pos:].lstrip()))
                b.problems.append(syntax_error(
                    source, line, col, f"unexpected text after the JSON document; {EXPECTED_DOC}",
                    line_offset=line_offset))
        return b.finish()


def _span(source: str, lines: LineIndex, offset: int, line_offset: int, i: int) -> Span:
    line, col = lines.at(offset)
    return Span(source, line + line_offset, col, pointer=f"/nftables/{i}")


class _FloatSeen:
    """parse_float hook: the C scanner calls it only for floats, so integers cost nothing."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, text: str) -> float:
        self.seen = True
        return float(text)


def _stream(text: str, pos: int, b: _Builder, lines: LineIndex, line_offset: int) -> int | None:
    """Decode, validate and map one object at a time, so the dicts of one object are dropped
    before the next is decoded; a decode error ends the read at its line and column, keeping
    what was read before it (None). Returns the offset after the document."""
    floats = _FloatSeen()
    scan = json.JSONDecoder(parse_float=floats).scan_once  # raw_decode without its wrapper
    b.renames = renames = tuple((w, t) for w, t in _DIGIT_ENUMS if w.decode() in text)
    known = b.quick
    sep = re.compile(r"\s*(,|\])\s*")
    newline = text.find("\n")
    one_line = newline == -1 or not text[newline:].strip()
    first_line = 1 + line_offset
    source = b.source
    end = len(text)
    i = 0
    if pos < end and text[pos] == "]":
        pos += 1
    else:
        while True:
            try:
                try:
                    obj, nxt = scan(text, pos)
                except StopIteration as stop:
                    raise json.JSONDecodeError("Expecting value", text, stop.value) from None
                except RecursionError:  # hostile input: no nft prints nesting this deep
                    raise json.JSONDecodeError("nested too deeply", text, pos) from None
            except json.JSONDecodeError as exc:
                b.problems.append(syntax_error(
                    source, exc.lineno, exc.colno,
                    f"malformed JSON in /nftables/{i}: {exc.msg}; the rest of the input is "
                    "not read",
                    line_offset=line_offset, pointer=f"/nftables/{i}"))
                b.truncated = True
                return None
            raw = text[pos:nxt]
            if one_line:
                span = Span(source, first_line, pos + 1, None, None, f"/nftables/{i}")
            else:
                span = _span(source, lines, pos, line_offset, i)
            try:
                if floats.seen:
                    valid = b.check(obj, span, raw, True)
                    floats.seen = False
                else:  # check()'s first step, inlined: most objects stop here
                    valid = quick_key(raw, renames) in known or b.check(obj, span, raw)
                if valid:
                    b.add(obj, span, raw if "rule" in obj else "")
            except RecursionError:
                b.problems.append(syntax_error(
                    source, span.line, span.column, f"/nftables/{i} is nested too deeply to "
                    "read; it is skipped", line_offset=0, pointer=f"/nftables/{i}"))
            i += 1
            if text.startswith(", {", nxt):  # as nft -j prints
                pos = nxt + 2
                continue
            m = sep.match(text, nxt)
            if m is None:
                line, col = lines.at(nxt)
                b.problems.append(syntax_error(
                    source, line, col, f"malformed JSON after /nftables/{i - 1}: expected `,` "
                    "or `]`; the rest of the input is not read", line_offset=line_offset))
                b.truncated = True
                return None
            pos = m.end()
            if m.group(1) == "]":
                break
    while pos < end and text[pos].isspace():
        pos += 1
    if pos >= end or text[pos] != "}":
        line, col = lines.at(pos)
        b.problems.append(syntax_error(source, line, col, "malformed JSON: expected `}` closing "
                                       "the document", line_offset=line_offset))
        return None
    return pos + 1


def _whole(text: str, b: _Builder, line_offset: int) -> None:
    """Any other layout (keys reordered, a bare array): decode it whole; no per-object lines."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        b.problems.append(syntax_error(b.source, exc.lineno, exc.colno,
                                       f"malformed JSON: {exc.msg}; {EXPECTED_DOC}",
                                       line_offset=line_offset))
        return
    items = doc.get("nftables") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        b.problems.append(syntax_error(b.source, 1, 1, EXPECTED_DOC, line_offset=line_offset,
                                       pointer="/nftables" if isinstance(doc, dict) else ""))
        return
    for i, obj in enumerate(items):
        span = Span(b.source, 1 + line_offset, 1, pointer=f"/nftables/{i}")
        if b.check(obj, span, None):
            b.add(obj, span, json.dumps(obj) if isinstance(obj, dict) and "rule" in obj else "")
