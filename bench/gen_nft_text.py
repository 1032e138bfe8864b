#!/usr/bin/env python3
"""Generate a deterministic `nft list ruleset` listing shaped like kube-proxy's nftables mode.

The same seeded ruleset as gen_nft_json.py (same chains, rules, counters, in the same order),
printed the way nft 1.0.6 lists it after `nft -j -f` of that JSON, so the text and JSON
frontends can be timed on one ruleset. `--verify` loads the JSON into a throw-away network
namespace (root, nft) and checks that `nft list ruleset` prints exactly this text.

    python bench/gen_nft_text.py --rules 100000 bench/out/nft100k.nft
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _json_generator():
    spec = importlib.util.spec_from_file_location("gen_nft_json", HERE / "gen_nft_json.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _value(left: dict, v) -> str:
    if isinstance(v, dict) and "prefix" in v:
        return f"{v['prefix']['addr']}/{v['prefix']['len']}"
    if isinstance(v, list):
        return ",".join(v)
    if isinstance(v, int) and "meta" in left:  # marks print as 32-bit hex
        return f"0x{v:08x}"
    return str(v)


def _expr(e: dict) -> str:
    kind, body = next(iter(e.items()))
    if kind == "payload":
        return f"{body['protocol']} {body['field']}"
    if kind in ("meta", "ct"):
        return f"{kind} {body['key']}"
    if kind == "fib":
        return f"fib {' . '.join(body['flags'])} {body['result']}"
    if kind == "numgen":
        return f"numgen {body['mode']} mod {body['mod']}"
    if kind in ("&", "|"):
        left, right = body
        return f"{_expr(left)} {kind} {_value(left, right)}"
    raise ValueError(f"no text for {e}")


def _stmt(s: dict) -> str:
    kind, body = next(iter(s.items()))
    if kind == "match":
        left = body["left"]
        inner = left["&"][0] if "&" in left else left
        # nft spells `==` out only after a binary operation
        op = " != " if body["op"] == "!=" else " == " if "&" in left else " "
        return f"{_expr(left)}{op}{_value(inner, body['right'])}"
    if kind == "counter":
        return f"counter packets {body['packets']} bytes {body['bytes']}"
    if kind in ("jump", "goto"):
        return f"{kind} {body['target']}"
    if kind in ("accept", "drop", "return"):
        return kind
    if kind == "mangle":
        return f"{_expr(body['key'])} set {_expr(body['value'])}"
    if kind == "masquerade":
        return "masquerade " + ",".join(body["flags"])
    if kind == "dnat":
        return f"dnat to {body['addr']}:{body['port']}"
    if kind == "vmap":
        elems = ", ".join(f"{k} : {_stmt(v)}" for k, v in body["data"]["set"])
        return f"{_expr(body['key'])} vmap {{ {elems} }}"
    raise ValueError(f"no text for {s}")


_PRIORITY = {("nat", "prerouting", -100): "dstnat", ("nat", "postrouting", 100): "srcnat"}


def listing(objects: list[dict]) -> str:
    """The listing of the gen_nft_json objects: one table, chains in creation order."""
    chains: dict[str, list[str]] = {}
    heads: dict[str, dict] = {}
    table = None
    for obj in objects:
        if "table" in obj:
            table = obj["table"]
        elif "chain" in obj:
            heads[obj["chain"]["name"]] = obj["chain"]
            chains[obj["chain"]["name"]] = []
        elif "rule" in obj:
            r = obj["rule"]
            text = " ".join(_stmt(s) for s in r["expr"])
            if "comment" in r:
                text += f' comment "{r["comment"]}"'
            chains[r["chain"]].append(text)
    out = [f"table {table['family']} {table['name']} {{"]
    for k, (name, rules) in enumerate(chains.items()):
        if k:
            out.append("")
        out.append(f"\tchain {name} {{")
        h = heads[name]
        if "hook" in h:
            prio = _PRIORITY.get((h["type"], h["hook"], h["prio"]), h["prio"])
            out.append(f"\t\ttype {h['type']} hook {h['hook']} priority {prio}; "
                       f"policy {h['policy']};")
        out += [f"\t\t{r}" for r in rules]
        out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def verify(doc: dict, text: str) -> str | None:
    """None when nft itself lists the JSON ruleset as `text`, else the first differing line."""
    ns = f"nfl-gen-{os.getpid()}"
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
        try:
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "-f", f.name], check=True,
                           timeout=600)
            real = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"],
                                  check=True, timeout=600, capture_output=True, text=True).stdout
        finally:
            subprocess.run(["ip", "netns", "del", ns], timeout=30)
    for k, (a, b) in enumerate(zip(real.split("\n"), text.split("\n")), 1):
        if a != b:
            return f"line {k}:\n  nft:  {a}\n  ours: {b}"
    return None if real == text else "the listings differ in length"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--verify", action="store_true", help="compare with nft's own listing "
                    "(root, in a throw-away namespace)")
    ap.add_argument("out", help="output file ('-' for stdout)")
    args = ap.parse_args(argv)
    doc = _json_generator().Dump(args.seed).build(args.rules)
    text = listing(doc["nftables"])
    if args.verify:
        diff = verify(doc, text)
        print("verify: nft lists the same text" if diff is None else f"verify: {diff}",
              file=sys.stderr)
        if diff:
            return 1
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
