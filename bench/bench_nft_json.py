#!/usr/bin/env python3
"""Speed and memory of the `nft -j` frontend on a generated 100k-rule kube-proxy-like dump.

Generates bench/out/nft<N>.json (gen_nft_json.py, deterministic) and runs each measurement in a
fresh process, so peak RSS is its own:
  - `json.loads` of the whole text, with the garbage collector on and paused (the floor),
  - nflint's `nft_json.parse`: decode + validate + map, wall and CPU seconds, peak RSS,
    how many objects ran the jsonschema validator (the rest hit the shape cache),
  - the same parse without the shape cache (every object validated), on a smaller dump, to show
    what the cache buys.
Medians of --runs; the machine is shared with other work, so CPU seconds are the steadier figure.

    python bench/bench_nft_json.py [--rules 100000] [--runs 3] [--uncached-rules 10000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import gen_nft_json  # noqa: E402  (a sibling script, not a package)

LOAD_CHILD = r"""
import gc, json, sys, time
text = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[2] == "paused":
    gc.disable()
t0, c0 = time.perf_counter(), time.process_time()
doc = json.loads(text)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""

PARSE_CHILD = r"""
import json, sys, time
from nflint.frontends import nft_json
text = open(sys.argv[1], encoding="utf-8").read()
runs = {"n": 0}
if sys.argv[2] == "uncached":
    nft_json.shape_key = lambda text: None
    nft_json._object_key = lambda obj: None
real = nft_json._validator
class Counting:
    def __init__(self, v):
        self.v = v
    def iter_errors(self, instance):
        runs["n"] += 1
        return self.v.iter_errors(instance)
nft_json._validator = lambda *a: Counting(real(*a))
t0, c0 = time.perf_counter(), time.process_time()
c = nft_json.parse(text, sys.argv[1])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
rules = sum(len(ch.rules) for t in c.tables for ch in t.chains)
print(json.dumps({"wall": wall, "cpu": cpu, "rules": rules, "problems": len(c.problems),
                  "validated": runs["n"]}))
"""


def _child(code: str, *args: str) -> dict:
    """Run a measuring child; its result plus its own peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    if status != 0:
        raise RuntimeError(f"child failed: {err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def _dump(rules: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"nft{rules // 1000}k.json"
    if not path.exists():
        gen_nft_json.main(["--rules", str(rules), str(path)])
    return path


def _median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--uncached-rules", type=int, default=10_000)
    args = ap.parse_args(argv)

    path = _dump(args.rules)
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {size_mb:.1f} MB, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    for mode in ("gc-on", "paused"):
        res = [_child(LOAD_CHILD, str(path), mode) for _ in range(args.runs)]
        print(f"  json.loads ({mode:6s})      wall {_median(res, 'wall'):5.2f} s  "
              f"cpu {_median(res, 'cpu'):5.2f} s  peak {max(r['rss_mb'] for r in res):4.0f} MB")
    res = [_child(PARSE_CHILD, str(path), "cached") for _ in range(args.runs)]
    last = res[-1]
    print(f"  nft_json.parse               wall {_median(res, 'wall'):5.2f} s  "
          f"cpu {_median(res, 'cpu'):5.2f} s  peak {max(r['rss_mb'] for r in res):4.0f} MB  "
          f"({last['rules']} rules, {last['problems']} problems, "
          f"validator ran on {last['validated']} objects)")
    small = _dump(args.uncached_rules)
    for mode in ("cached", "uncached"):
        t0 = time.perf_counter()
        r = _child(PARSE_CHILD, str(small), mode)
        print(f"  {small.name} {mode:8s}         wall {r['wall']:5.2f} s  cpu {r['cpu']:5.2f} s  "
              f"validator ran on {r['validated']} objects ({time.perf_counter() - t0:.1f} s "
              "with start-up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
