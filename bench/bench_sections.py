"""Throughput of section splitting and of the `iptables -L` listing frontend on large inputs.

Run: python bench/bench_sections.py [RULES]   (timings only; nothing is asserted)
Inputs are synthetic: a filter listing of RULES rule lines (default 20000) cycling through the
rule shapes iptables prints, and an `nft -j` document of RULES rules, compact and indented.
"""
from __future__ import annotations

import json
import sys
import time

from nflint import sections
from nflint.frontends import iptables_list

RULE_LINES = (
    "    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            "
    "state NEW multiport dports 80,443,8000:8010",
    " 1780  107K DNAT       6    --  !br-da66fb6805df *       0.0.0.0/0            0.0.0.0/0"
    "            tcp dpt:5000 to:198.51.100.4:5000",
    "  227 13620 DOCKER-ISOLATION-STAGE-2  0    --  br-lan137 !br-lan137  0.0.0.0/0      "
    "      0.0.0.0/0",
    "    0     0 ACCEPT     0    --  *      br0     0.0.0.0/0            0.0.0.0/0            "
    "ctstate RELATED,ESTABLISHED /* docker */",
    "    0     0 LOG        0    --  *      *       192.0.2.0/24         0.0.0.0/0            "
    "limit: avg 5/min burst 7 LOG flags 0 level 4 prefix \"x: \"",
)


def timed(label: str, fn) -> None:
    t = time.perf_counter()
    fn()
    print(f"{label}: {time.perf_counter() - t:.2f}s")


def main(n: int) -> None:
    listing = ("Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n"
               " pkts bytes target     prot opt in     out     source               destination\n"
               + "\n".join(RULE_LINES[i % len(RULE_LINES)] for i in range(n)) + "\n")
    print(f"listing: {n} rules, {len(listing) / 1e6:.1f} MB")
    timed("  sections.split", lambda: sections.split(listing, "bench.txt"))
    timed("  iptables_list.parse", lambda: iptables_list.parse(listing, "bench.txt",
                                                                hint={"table": "filter"}))
    doc = {"nftables": [{"metainfo": {"json_schema_version": 1}}] + [
        {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": i,
                  "expr": [{"match": {"op": "==", "left": {"payload": {
                      "protocol": "tcp", "field": "dport"}}, "right": i % 65535}},
                           {"accept": None}]}} for i in range(n)]}
    for indent in (None, 2):
        text = json.dumps(doc, indent=indent) + "\n"
        timed(f"nft -j ({len(text) / 1e6:.1f} MB, indent={indent}) sections.split",
              lambda: sections.split(text, "bench.json"))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
