"""Project configuration: `[tool.nflint]` in pyproject.toml or a `.nflint.toml`.

The file is found by walking up from the first input (or the current directory), like
yamllint and ruff, so a repository of firewall dumps carries its own policy. Every key is
checked: a typo must stop the run with a message naming the key, never be ignored silently.

    [tool.nflint]                      # in .nflint.toml the keys sit at the top level
    select = ["NF1", "NF2"]            # codes, prefixes or names
    ignore = ["unknown-construct"]
    fail-on = "warning"                # error | warning | info | never
    min-severity = "info"
    baseline = "nflint-baseline.json"  # relative to this file
    [tool.nflint.severity]
    NF202 = "error"
    [tool.nflint.rules.unreachable-rule]   # options of one rule (its `options`)
    [tool.nflint.per-file-ignores]
    "legacy/*.rules" = ["NF202"]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport (a dependency there)
    import tomli as tomllib  # type: ignore[no-redef]

from .api import Selection
from .diagnostics import Severity
from .registry import Registry

_PREFIX_RE = re.compile(r"^NF\d{0,3}$", re.IGNORECASE)
FILENAMES = (".nflint.toml", "pyproject.toml")
FAIL_ON = ("error", "warning", "info", "never")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass
class Config:
    path: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    rules: dict[str, dict] = field(default_factory=dict)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: str | None = None
    min_severity: str | None = None
    baseline: Path | None = None

    def selection(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> Selection:
        """Command-line `select` replaces the file's; command-line `ignore` adds to it."""
        return Selection(select=select or self.select, ignore=self.ignore + ignore,
                         severity=dict(self.severity), settings=dict(self.rules),
                         per_file_ignores=self.per_file_ignores,
                         root=str(self.path.parent) if self.path else None)


def find(start: str | Path) -> Path | None:
    """The nearest config file at or above `start`; `.nflint.toml` wins within a directory,
    pyproject.toml only counts when it has a [tool.nflint] table."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for d in (here, *here.parents):
        for name in FILENAMES:
            p = d / name
            if p.is_file() and (name != "pyproject.toml" or _has_tool_table(p)):
                return p
    return None


def _has_tool_table(p: Path) -> bool:
    try:
        return "nflint" in _read(p).get("tool", {})
    except ConfigError:
        return False


def _read(p: Path) -> dict:
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None


def load(path: str | Path, registry: Registry) -> Config:
    p = Path(path)
    doc = _read(p)
    if p.name == "pyproject.toml" or "tool" in doc and "nflint" in doc.get("tool", {}):
        table, where = doc.get("tool", {}).get("nflint", {}), "tool.nflint"
    else:
        table, where = doc, ""
    return _parse(table, p, where, registry)


def discover(start: str | Path, registry: Registry) -> Config:
    p = find(start)
    return load(p, registry) if p else Config()


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _parse(table: dict, path: Path, where: str, registry: Registry) -> Config:
    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {_key(where, key)}: {why}")

    cfg = Config(path=path)
    for key, value in table.items():
        if key in ("select", "ignore"):
            setattr(cfg, key, _rule_list(value, registry, lambda why, k=key: fail(k, why)))
        elif key == "severity":
            cfg.severity = _severities(value, registry, lambda k, why: fail(f"severity.{k}", why),
                                       lambda why: fail(key, why))
        elif key == "rules":
            cfg.rules = _rule_options(value, registry, lambda k, why: fail(f"rules.{k}", why),
                                      lambda why: fail(key, why))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise fail(key, "expected a table of glob = [codes]")
            cfg.per_file_ignores = tuple(
                (glob, _rule_list(codes, registry, lambda why, g=glob: fail(f'{key}."{g}"', why)))
                for glob, codes in value.items())
        elif key in ("fail-on", "min-severity"):
            choices = FAIL_ON if key == "fail-on" else FAIL_ON[:3]
            if not isinstance(value, str) or value.lower() not in choices:
                raise fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
            setattr(cfg, key.replace("-", "_"), value.lower())
        elif key == "baseline":
            if not isinstance(value, str):
                raise fail(key, "expected a file name")
            cfg.baseline = path.parent / value
        else:
            known = "select, ignore, severity, rules, per-file-ignores, fail-on, min-severity, baseline"
            raise fail(key, f"unknown key (known keys: {known})")
    return cfg


def _rule_list(value, registry: Registry, fail) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail("expected a list of rule codes, code prefixes or names")
    for v in value:
        if not selects_something(v, registry):
            raise fail(f"{v!r} is not a rule code, code prefix or name (see `nflint rules`)")
    return tuple(value)


def selects_something(token: str, registry: Registry) -> bool:
    """A code prefix is always acceptable (its rules may come with a plugin); a name must exist."""
    t = token.strip()
    return t.upper() == "ALL" or registry.find(t) is not None or bool(_PREFIX_RE.match(t))


def _per_rule(value, registry: Registry, fail_key, fail, expected: str):
    """(key, rule class, value) of each entry of a table keyed by rule: both per-rule tables
    refuse a non-table and a key that names no rule with the same words."""
    if not isinstance(value, dict):
        raise fail(expected)
    for rule, v in value.items():
        cls = registry.find(rule)
        if cls is None:
            near = registry.closest(rule)
            raise fail_key(rule, "unknown rule" + (f" (did you mean {near}?)" if near else "")
                           + " (see `nflint rules`)")
        yield rule, cls, v


def _severities(value, registry: Registry, fail_key, fail) -> dict[str, str]:
    out = {}
    for rule, cls, level in _per_rule(value, registry, fail_key, fail,
                                      "expected a table of rule = \"error\" | \"warning\" | "
                                      "\"info\""):
        try:
            Severity.parse(level) if isinstance(level, str) else Severity.parse("?")
        except ValueError:
            raise fail_key(rule, f"expected error, warning or info, got {level!r}") from None
        out[cls.code] = level.lower()
    return out


def _rule_options(value, registry: Registry, fail_key, fail) -> dict[str, dict]:
    out = {}
    for rule, cls, options in _per_rule(value, registry, fail_key, fail,
                                        "expected one table per rule: "
                                        "[tool.nflint.rules.<name>]"):
        if not isinstance(options, dict):
            raise fail_key(rule, "expected a table of options")
        for opt, v in options.items():
            if opt not in cls.options:
                known = ", ".join(sorted(cls.options)) or "none"
                raise fail_key(f"{rule}.{opt}", f"unknown option of {cls.code} {cls.name} "
                                                f"(its options: {known})")
            default = cls.options[opt]
            if default is not None and not isinstance(v, type(default)):
                raise fail_key(f"{rule}.{opt}", f"expected {type(default).__name__}, got {v!r}")
        out[cls.name] = dict(options)
    return out
