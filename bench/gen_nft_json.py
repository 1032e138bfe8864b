#!/usr/bin/env python3
"""Generate a deterministic `nft -j list ruleset` dump shaped like kube-proxy's nftables mode.

Large real dumps cannot be shared, so the nft -j frontend is measured on a synthetic one with the
shapes kube-proxy writes (table `ip kube-proxy`): a `services` chain dispatching on cluster IP and
port to per-service chains, which mark for masquerade and pick an endpoint with a `numgen` vmap;
per-endpoint chains that DNAT; NodePorts behind `fib daddr type local`; conntrack filtering; and
counters with varying values on every rule, as `nft -j` prints them (one line, ", " and ": ").

    python bench/gen_nft_json.py --rules 100000 /tmp/nft100k.json
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys

ENDPOINTS = 3


def _hash(*parts: str) -> str:
    return base64.b32encode(hashlib.sha256("/".join(parts).encode()).digest()).decode()[:8]


def _m(left: dict, right, op: str = "==") -> dict:
    return {"match": {"op": op, "left": left, "right": right}}


def _payload(proto: str, field: str) -> dict:
    return {"payload": {"protocol": proto, "field": field}}


class Dump:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.objects: list[dict] = [{"metainfo": {"version": "1.0.6", "release_name":
                                                  "Lester Gooch #5", "json_schema_version": 1}}]
        self.rules = 0
        self.handle = 0
        self.table = {"family": "ip", "table": "kube-proxy"}

    def _handle(self) -> int:
        self.handle += 1
        return self.handle

    def chain(self, name: str, **base) -> None:
        self.objects.append({"chain": {**self.table, "name": name, "handle": self._handle(),
                                       **base}})

    def rule(self, chain: str, *expr: dict, comment: str | None = None) -> None:
        body = {**self.table, "chain": chain, "handle": self._handle()}
        if comment:
            body["comment"] = comment
        body["expr"] = list(expr)
        self.objects.append({"rule": body})
        self.rules += 1

    def counter(self) -> dict:
        packets = self.rng.randrange(0, 100_000)
        return {"counter": {"packets": packets, "bytes": packets * self.rng.randrange(40, 1500)}}

    def build(self, target_rules: int) -> dict:
        self.objects.append({"table": {"family": "ip", "name": "kube-proxy",
                                       "handle": self._handle(),
                                       "comment": "rules for kube-proxy"}})
        self.chain("filter-forward", type="filter", hook="forward", prio=-110, policy="accept")
        self.chain("nat-prerouting", type="nat", hook="prerouting", prio=-100, policy="accept")
        self.chain("nat-postrouting", type="nat", hook="postrouting", prio=100, policy="accept")
        self.chain("services")
        self.chain("nodeports")
        self.chain("mark-for-masquerade")
        self.chain("masquerading")
        self.rule("filter-forward", _m({"ct": {"key": "state"}}, "invalid", "in"), {"drop": None})
        self.rule("filter-forward", _m({"ct": {"key": "state"}}, ["established", "related"], "in"),
                  {"accept": None})
        self.rule("nat-prerouting", {"jump": {"target": "services"}})
        self.rule("nat-postrouting", {"jump": {"target": "masquerading"}})
        self.rule("mark-for-masquerade", {"mangle": {"key": {"meta": {"key": "mark"}}, "value": {
            "|": [{"meta": {"key": "mark"}}, 16384]}}})
        self.rule("masquerading", _m({"&": [{"meta": {"key": "mark"}}, 16384]}, 0),
                  {"return": None})
        self.rule("masquerading", {"masquerade": {"flags": ["fully-random"]}})
        self.rule("services", _m({"fib": {"result": "type", "flags": ["daddr"]}}, "local"),
                  _m(_payload("ip", "daddr"), {"prefix": {"addr": "127.0.0.0", "len": 8}}, "!="),
                  {"jump": {"target": "nodeports"}})
        svc = 0
        while self.rules < target_rules:
            self.service(svc)
            svc += 1
        return {"nftables": self.objects}

    def service(self, n: int) -> None:
        rng = self.rng
        ns, name = f"ns{n % 97}", f"svc{n}"
        port = rng.choice((80, 443, 8080, 53, 9090, 6379, 5432))
        proto = "udp" if port == 53 else "tcp"
        cluster_ip = f"10.{96 + n // 65536}.{n // 256 % 256}.{n % 256}"
        svc_chain = f"service-{_hash(ns, name, proto)}-{ns}/{name}/{proto}/p{port}"
        self.chain(svc_chain)
        self.rule("services", _m(_payload("ip", "daddr"), cluster_ip),
                  _m(_payload(proto, "dport"), port), self.counter(),
                  {"goto": {"target": svc_chain}}, comment=f"{ns}/{name}:p{port} cluster IP")
        self.rule(svc_chain, _m(_payload("ip", "daddr"), cluster_ip),
                  _m(_payload(proto, "dport"), port),
                  _m(_payload("ip", "saddr"), {"prefix": {"addr": "10.244.0.0", "len": 16}}, "!="),
                  self.counter(), {"jump": {"target": "mark-for-masquerade"}})
        entries = []
        for e in range(ENDPOINTS):
            ep_ip = f"10.244.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            ep_port = rng.choice((port, 8080, 8443, 3000))
            ep_chain = (f"endpoint-{_hash(ns, name, ep_ip)}-{ns}/{name}/{proto}/p{port}"
                        f"__{ep_ip}/{ep_port}")
            self.chain(ep_chain)
            self.rule(ep_chain, _m(_payload("ip", "saddr"), ep_ip), self.counter(),
                      {"jump": {"target": "mark-for-masquerade"}})
            self.rule(ep_chain, _m({"meta": {"key": "l4proto"}}, proto), self.counter(),
                      {"dnat": {"addr": ep_ip, "port": ep_port}})
            entries.append([e, {"goto": {"target": ep_chain}}])
        self.rule(svc_chain, {"vmap": {"key": {"numgen": {"mode": "random", "mod": ENDPOINTS,
                                                          "offset": 0}},
                                       "data": {"set": entries}}})
        if n % 4 == 0:
            node_port = 30000 + n % 2768
            ext_chain = f"external-{_hash(ns, name, proto)}-{ns}/{name}/{proto}/p{port}"
            self.chain(ext_chain)
            self.rule("nodeports", _m(_payload(proto, "dport"), node_port), self.counter(),
                      {"goto": {"target": ext_chain}}, comment=f"{ns}/{name}:p{port} node port")
            self.rule(ext_chain, self.counter(), {"jump": {"target": "mark-for-masquerade"}})
            self.rule(ext_chain, {"goto": {"target": svc_chain}})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("out", help="output file ('-' for stdout)")
    args = ap.parse_args(argv)
    doc = Dump(args.seed).build(args.rules)
    text = json.dumps(doc)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
