#!/usr/bin/env python3
"""What any CPython program pays on a kube-proxy dump before it understands a single rule.

The #2 target puts `nflint check` next to `iptables-restore --test` (C, one pass). This script
measures, each in a fresh child process (CPU s from wait4, median of runs), the steps a Python
linter cannot skip, cumulatively:

  1. interpreter start (`python -c pass`; site and .pth files included, as for `nflint`),
  2. + importing nflint's command line (click, tabulate, the model, the rule registry),
  3. + reading the dump and cutting it into lines and words (`str.split`, all in C),
  4. + one tuple per rule line holding its words (the cheapest "model" there is),
  5. + nflint's real parse of the dump (typed matches, actions, spans, chains),

next to `iptables-{nft,legacy}-restore --test` on the same file (root only, in a throw-away
namespace). The gap between 4 and `--test` is the budget left for giving every option a
meaning and for running the rules.

    python bench/bench_floor.py [--rules 100000] [--runs 3]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_iptables_save import _dump, _median, _run, bench_restore  # noqa: E402  (sibling script)

READ = "import gc; gc.disable()\ntext = open(sys.argv[1], encoding='utf-8').read()\n"
WORDS = "words = [line.split() for line in text.split('\\n')]\n"
TUPLES = "rules = [tuple(w) for w in words if w and w[0] in ('-A', '-I')]\n"
PARSE = ("from nflint.frontends.iptables_save import parse\n"
         "contribution = parse(text, sys.argv[1])\n")
EXIT = "sys.stdout.flush(); os._exit(0)\n"  # no teardown: `nflint` itself skips it

STEPS = [
    ("interpreter start", "pass\n"),
    ("+ import nflint.cli and the rule registry",
     "import os, sys\nimport nflint.cli\nfrom nflint.registry import default\ndefault()\n" + EXIT),
    ("+ read, split into lines and words",
     "import os, sys\nimport nflint.cli\n" + READ + WORDS + EXIT),
    ("+ one tuple per rule", "import os, sys\nimport nflint.cli\n" + READ + WORDS + TUPLES + EXIT),
    ("nflint: imports + read + parse (gc paused as the CLI does)",
     "import os, sys\nimport nflint.cli\n" + READ + PARSE + EXIT),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    path = _dump(args.rules)
    print(f"{'what (' + path.name + ')':60} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}")
    for what, code in STEPS:
        wall, cpu, rss = _median([_run([sys.executable, "-c", code, str(path)])[:3]
                                  for _ in range(args.runs)])
        print(f"{what:60} {wall:7.2f} {cpu:7.2f} {rss:8.0f}")
    for (tool, _), (wall, cpu, rss) in bench_restore([path], args.runs).items():
        print(f"{tool + ' --test':60} {wall:7.2f} {cpu:7.2f} {rss:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
