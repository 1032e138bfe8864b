#!/usr/bin/env python3
"""Speed of the `nft list ruleset` text frontend on a generated listing.

Generates a listing of --rules rules in the shapes nft prints (Docker/firewalld/kube-proxy-like:
interface and address matches, port sets, ct state, counters, vmaps, jumps, DNAT), then times,
in this process: building the parser (Lark's disk cache makes the second build cheap), the
text -> nft -j objects rewrite alone, and the whole frontend (rewrite + the nft -j mapper).
Medians of --runs; wall and CPU time both shown (the machine is shared and noisy).

    python bench/bench_nft_text.py [--rules 10000] [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

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


def timed(fn, runs: int):
    walls, cpus, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    text = listing(args.rules)

    t0 = time.perf_counter()
    from nflint.frontends import nft_text
    nft_text._parser()
    build = time.perf_counter() - t0
    print(f"import + parser build: {build * 1000:.0f} ms (Lark cache=True)")

    wall, cpu, res = timed(lambda: nft_text.read_objects(text, "bench.nft"), args.runs)
    n = sum(1 for o in res[0] if "rule" in o)
    assert n == args.rules and not res[3], (n, res[3][:3])
    print(f"text -> nft -j objects: {n} rules in {wall:.2f} s wall / {cpu:.2f} s CPU "
          f"= {n / wall:,.0f} rules/s")
    wall, cpu, c = timed(lambda: nft_text.parse(text, "bench.nft"), args.runs)
    rules = sum(len(ch.rules) for t in c.tables for ch in t.chains)
    print(f"whole frontend (with the nft -j mapper): {rules} rules in {wall:.2f} s wall / "
          f"{cpu:.2f} s CPU = {rules / wall:,.0f} rules/s")


if __name__ == "__main__":
    main()
