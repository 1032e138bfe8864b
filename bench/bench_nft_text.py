#!/usr/bin/env python3
"""Speed of the `nft list ruleset` text frontend.

Two listings: `kubeproxy` (bench/gen_nft_text.py: kube-proxy's nftables mode, the same ruleset
bench/gen_nft_json.py writes as nft -j, as nft 1.0.6 lists it) and `templates` (the mixed
Docker/firewalld-like lines below). Each size is measured in a fresh process (so peak RSS is
that measurement's alone): the text -> nft -j objects rewrite (`read_objects`), the whole
frontend (`parse`: rewrite + the nft -j mapper), and with `--lark-rules` the same listing with
every rule line sent to Lark (`fast=False`), the speed before the fast path. CPU and wall time
both shown: the machine is shared and noisy, compare CPU.

    python bench/bench_nft_text.py                                 # kube-proxy 10k, 100k, 300k
    python bench/bench_nft_text.py --sizes 10000 --listing templates --lark-rules 10000
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

TEMPLATES = [
    'iifname "eth{a}" ip saddr 198.18.{b}.{c} tcp dport {p} counter packets {n} bytes {m} accept',
    'ip daddr 198.51.100.{c} iifname != "br-{a}" oifname "br-{a}" meta l4proto tcp '
    'tcp dport {p} counter packets {n} bytes {m} accept',
    'iifname != "docker0" meta l4proto tcp tcp dport {p} counter packets {n} bytes {m} '
    'dnat to 198.51.100.{c}:{p}',
    'ct state established,related counter packets {n} bytes {m} accept',
    'tcp dport {{ 80, 443, {p} }} ct state new counter packets {n} bytes {m} accept',
    'ip saddr . tcp dport {{ 192.0.2.{c} . {p} }} jump svc-{a}',
    'meta l4proto udp udp dport vmap {{ {p} : accept, 53 : drop }}',
    'fib daddr type local counter packets {n} bytes {m} jump svc-{a}',
    'icmp type echo-request limit rate 10/second burst 5 packets accept',
    'oifname "eth{a}" ip saddr 198.18.{b}.0/24 counter packets {n} bytes {m} masquerade',
]


def listing(rules: int) -> str:
    """The `templates` listing (also read by tests/test_nft_text_fast.py)."""
    out = ["table ip bench {"]
    per_chain = 100
    for ch in range(max(1, rules // per_chain)):
        out.append(f"\tchain svc-{ch} {{")
        if ch == 0:
            out.append("\t\ttype filter hook forward priority filter; policy drop;")
        for i in range(per_chain):
            k = ch * per_chain + i
            t = TEMPLATES[k % len(TEMPLATES)]
            out.append("\t\t" + t.format(a=k % 97, b=k % 200, c=k % 250 + 1, p=1024 + k % 60000,
                                         n=k * 7, m=k * 420))
        out.append("\t}\n")
    out.append("}")
    return "\n".join(out) + "\n"


def kubeproxy(rules: int) -> str:
    spec = importlib.util.spec_from_file_location("gen_nft_text", HERE / "gen_nft_text.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.listing(mod._json_generator().Dump(42).build(rules)["nftables"])


def child(path: str, what: str) -> None:
    """One measurement in this (fresh) process; prints one JSON line."""
    import resource

    from nflint.frontends import nft_text

    text = Path(path).read_text()
    nft_text._parser()
    nft_text._fast()
    import nflint.frontends.nft_json  # noqa: F401 - imports are not the frontend's time
    c0, w0 = time.process_time(), time.perf_counter()
    if what == "parse":
        c = nft_text.parse(text, "bench.nft")
        rules = sum(len(ch.rules) for t in c.tables for ch in t.chains)
        problems = len(c.problems)
    else:
        objs, _, _, found = nft_text.read_objects(text, "bench.nft", fast=what != "lark")
        rules = sum(1 for o in objs if "rule" in o)
        problems = len(found)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"rules": rules, "cpu": cpu, "wall": wall, "rss": rss,
                      "problems": problems}), flush=True)
    os._exit(0)  # freeing the model is not the frontend's time


def measure(path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), what], check=True,
                         capture_output=True, text=True, timeout=3600).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    ap.add_argument("--listing", choices=("kubeproxy", "templates"), default="kubeproxy")
    ap.add_argument("--lark-rules", type=int, default=10_000,
                    help="also time the Lark-only rewrite at this size (0: no)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
    (HERE / "out").mkdir(exist_ok=True)
    make = kubeproxy if args.listing == "kubeproxy" else listing
    sizes = sorted(set(args.sizes + ([args.lark_rules] if args.lark_rules else [])))
    print(f"{'what':<34} {'rules':>8} {'CPU s':>7} {'wall s':>7} {'rules/s (CPU)':>14} "
          f"{'peak MB':>8}")
    for n in sizes:
        path = HERE / "out" / f"nft-text-{args.listing}-{n}.nft"
        if not path.exists():
            path.write_text(make(n))
        whats = (["read", "parse"] if n in args.sizes else []) + (
            ["lark"] if n == args.lark_rules else [])
        for what in whats:
            r = measure(path, what)
            label = {"read": "rewrite (fast path + Lark)", "parse": "whole frontend",
                     "lark": "rewrite, every rule via Lark"}[what]
            print(f"{label:<34} {r['rules']:>8} {r['cpu']:>7.2f} {r['wall']:>7.2f} "
                  f"{r['rules'] / r['cpu']:>14,.0f} {r['rss']:>8}")
            assert r["problems"] == 0, r


if __name__ == "__main__":
    main()
