#!/usr/bin/env python3
"""`nflint check` end to end on generated kube-proxy dumps, next to `iptables-restore --test`.

For each size (default 100k and 300k rules; dumps cached in bench/out/):
  - `nflint check` as a subprocess: wall, CPU (user+sys of the child) and peak RSS (wait4),
  - a per-stage breakdown in a fresh process: read, sections, parse, host build, each rule,
    suppressions and finalize (CPU seconds; the stages add up to less than the end-to-end
    figure, which also pays interpreter start, imports, formatting and exit),
  - `iptables-nft-restore --test` and `iptables-legacy-restore --test` on the same file, inside
    a throw-away network namespace `nfl-bench-<pid>` (deleted afterwards; skipped unless root).

    python bench/bench_check.py [--sizes 100000,300000] [--runs 1] [--no-stages]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_iptables_save import _dump, _median, _run, bench_restore  # noqa: E402  (sibling script)

STAGES_CHILD = r"""
import resource, sys, time
from nflint import inputs, sections as sectioning
from nflint.api import Selection, finalize, run_rules
from nflint.host import HostBuilder
from nflint.registry import default as default_registry
from nflint import suppressions
from nflint.gcpause import gc_paused

def lap(name, t0=[time.process_time()]):
    now = time.process_time()
    print(f"{name}\t{now - t0[0]:.3f}", flush=True)
    t0[0] = time.process_time()

registry = default_registry(); lap("imports and rule registry")
texts = inputs.read_inputs([sys.argv[1]]); lap("read")
with gc_paused(freeze=True):  # as the CLI builds a big model
    secs = sectioning.split(texts[0].text, texts[0].source, None); lap("sections")
    for s in secs:
        inputs.run_section(s)
    lap("parse")
    builder = HostBuilder()
    builder.add_source(texts[0].source)
    for s in secs:
        if s.contribution is not None:
            builder.add(s.contribution)
    host = builder.build()
lap("host build")
selection = Selection()
diags = []
for cls in registry.sorted():
    diags += run_rules(host, Selection(select=(cls.code,)), registry)[len(registry.problems):]
    lap(f"rule {cls.code} {cls.name}")
found = suppressions.collect(host, {texts[0].source: texts[0].text}, lambda t: True)
diags = finalize(diags, selection); lap("suppressions + finalize")
print(f"peak MB\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
print(f"findings\t{len(diags)}")
sys.stdout.flush()
import os; os._exit(0)
"""


def check(path: Path, runs: int) -> tuple[float, float, float, int]:
    """(wall, CPU, peak MB, exit code) of `nflint check` on one dump, median of runs."""
    rows, code = [], 0
    for _ in range(runs):
        cmd = [sys.executable, "-m", "nflint", "check", "--isolated", "--fail-on", "never",
               str(path)]
        rows.append(_run(cmd, timeout=1800)[:3])
    return (*_median(rows), code)


def stages(path: Path) -> list[tuple[str, str]]:
    out = _run([sys.executable, "-c", STAGES_CHILD, str(path)], timeout=1800)[3]
    return [tuple(line.split("\t", 1)) for line in out.splitlines() if "\t" in line]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,300000", help="rule counts, comma separated")
    ap.add_argument("--runs", type=int, default=1, help="runs per end-to-end figure (median)")
    ap.add_argument("--no-stages", action="store_true", help="skip the per-stage breakdown")
    args = ap.parse_args(argv)
    paths = [_dump(int(n)) for n in args.sizes.split(",") if n]

    table = []
    ends = {}
    for path in paths:
        wall, cpu, rss, _ = check(path, args.runs)
        ends[path] = (wall, cpu, rss)
        table.append((f"nflint check {path.name}", wall, cpu, rss))
    for (tool, path), (wall, cpu, rss) in bench_restore(paths, max(args.runs, 3)).items():
        table.append((f"{tool} --test {path.name}", wall, cpu, rss))
    print(f"{'what':44} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for what, wall, cpu, rss in table:
        print(f"{what:44} {wall:8.2f} {cpu:8.2f} {rss:8.0f}")
    if len(paths) >= 2:
        a, b = ends[paths[0]], ends[paths[-1]]
        print(f"{'scaling ' + paths[-1].name + ' / ' + paths[0].name:44} {b[0] / a[0]:8.2f} "
              f"{b[1] / a[1]:8.2f} {b[2] / a[2]:8.2f}")
    if not args.no_stages:
        for path in paths:
            print(f"\nstages of {path.name} (CPU s, in one process)")
            for name, value in stages(path):
                if name.startswith(("rule ", )) and float(value) < 0.005:
                    continue
                print(f"  {name:56} {value:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
