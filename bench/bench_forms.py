#!/usr/bin/env python3
"""`nflint check` on one kube-proxy ruleset in every form users paste it.

The generated dump (gen_kubeproxy.py) is loaded with iptables-nft-restore into a throw-away
namespace `nfl-forms-<pid>` (root only; deleted afterwards) and listed back as
iptables-nft-save, `iptables -t T -L -n -v` (mangle, filter, nat, one paste), `nft list
ruleset` and `nft -j list ruleset`. Each listing is cached in bench/out/ and checked in a fresh
process (wall, CPU, peak RSS; median of runs), with the number of findings by code.

    python bench/bench_forms.py [--rules 10000,100000] [--runs 1]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_iptables_save import OUT, _dump, _median, _run  # noqa: E402  (sibling script)

FORMS = {
    "iptables-save": (".rules", [["iptables-nft-save"]]),
    "iptables -L -n -v": ("-L.txt", [["iptables-nft", "-t", t, "-L", "-n", "-v"]
                                     for t in ("mangle", "filter", "nat")]),
    "nft list ruleset": (".nft", [["nft", "list", "ruleset"]]),
    "nft -j list ruleset": (".nft.json", [["nft", "-j", "list", "ruleset"]]),
}


def listings(dump: Path) -> dict[str, Path]:
    """Every form of `dump`, from the kernel (cached next to it)."""
    paths = {form: OUT / f"{dump.stem}-forms{suffix}" for form, (suffix, _) in FORMS.items()}
    if all(p.exists() for p in paths.values()):
        return paths
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "nft", "iptables-nft")):
        raise SystemExit("bench_forms needs root, ip, nft and iptables-nft to list the forms")
    ns = f"nfl-forms-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
    try:
        with open(dump, "rb") as f:
            subprocess.run(["ip", "netns", "exec", ns, "iptables-nft-restore"], stdin=f,
                           check=True, timeout=600)
        for form, (_, commands) in FORMS.items():
            parts = []
            for cmd in commands:
                out = subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True,
                                     text=True, check=True, timeout=600).stdout
                parts.append(f"# {' '.join(cmd)}\n{out}" if len(commands) > 1 else out)
            paths[form].write_text("".join(parts))
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=30)
    return paths


def check(path: Path, runs: int) -> tuple[float, float, float, Counter]:
    cmd = [sys.executable, "-m", "nflint", "check", "--isolated", "--fail-on", "never",
           "-f", "json", str(path)]
    rows, out = [], ""
    for _ in range(runs):
        wall, cpu, rss, out = _run(cmd, timeout=3600)
        rows.append((wall, cpu, rss))
    codes = Counter(d["code"] for h in json.loads(out)["hosts"] for d in h["diagnostics"])
    return (*_median(rows), codes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default="10000,100000", help="rule counts, comma separated")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"{'dump':10} {'form':22} {'MB':>6} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}  findings")
    for n in (int(x) for x in args.rules.split(",") if x):
        for form, path in listings(_dump(n)).items():
            wall, cpu, rss, codes = check(path, args.runs)
            size = path.stat().st_size / 1e6
            found = ", ".join(f"{c} {k}" for c, k in sorted(codes.items())) or "none"
            print(f"{path.name.split('-forms')[0]:10} {form:22} {size:6.1f} {wall:7.2f} "
                  f"{cpu:7.2f} {rss:8.0f}  {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
