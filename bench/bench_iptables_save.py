#!/usr/bin/env python3
"""Speed of the iptables-save frontend on generated kube-proxy dumps, next to iptables itself.

Generates 100k- and 300k-rule dumps under bench/out/ (gen_kubeproxy.py), then times, each in a
fresh process so peak RSS is its own:
  - nflint's frontend parse (in-process time, excluding interpreter start and imports),
  - the Lark-only path on a smaller dump (the grammar of record, for scale),
  - `nflint check` end to end, when the CLI has that command,
  - `iptables-restore --test` (nft and legacy) in a throw-away network namespace, when run as
    root with iptables installed.
Timings are medians of --runs; wall and CPU seconds are both shown because the machine is shared
(CPU time suffers less from other load). nflint's figures are the parse call alone.

    python bench/bench_iptables_save.py [--runs 3] [--sizes 100000,300000] [--lark-rules 10000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import gen_kubeproxy  # noqa: E402  (a sibling script, not a package)

PARSE_CHILD = r"""
import os, sys, time
from nflint.frontends.iptables_save import parse
text = open(sys.argv[1], encoding="utf-8").read()
t0, c0 = time.perf_counter(), time.process_time()
c = parse(text, sys.argv[1], engine=sys.argv[2])
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
rules = sum(len(ch.rules) for t in c.tables for ch in t.chains)
print(dt, cpu, rules, len(c.problems))
sys.stdout.flush()
os._exit(0)  # skip freeing a million objects: not part of parsing
"""


def _run(cmd: list[str], stdin_path: Path | None = None, timeout: float = 600.0):
    """(wall seconds, CPU seconds, peak RSS MB, stdout) of one child process."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                raise TimeoutError(" ".join(cmd))
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        out = proc.stdout.read().decode(errors="replace")
        err = proc.stderr.read().decode(errors="replace")
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err[-500:]}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out
    finally:
        if stdin_path:
            stdin.close()


def _dump(rules: int) -> Path:
    path = OUT / f"kp{rules // 1000}k.rules"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            gen_kubeproxy.generate(rules, out=f)
    return path


def _median(rows: list[tuple]) -> tuple:
    return tuple(statistics.median(col) for col in zip(*rows))


def bench_parse(path: Path, engine: str, runs: int) -> dict:
    rows = []
    info = None
    for _ in range(runs):
        wall, _, rss, out = _run([sys.executable, "-c", PARSE_CHILD, str(path), engine])
        dt, cpu, nrules, problems = out.split()
        rows.append((float(dt), float(cpu), wall, rss))
        info = (int(nrules), int(problems))
    dt, cpu, wall, rss = _median(rows)
    return {"parse": dt, "cpu": cpu, "wall": wall, "rss": rss, "rules": info[0],
            "problems": info[1]}


def bench_check(path: Path, runs: int) -> dict | None:
    try:
        help_text = subprocess.run([sys.executable, "-m", "nflint", "--help"], capture_output=True,
                                   text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "check" not in help_text:
        return None
    rows = []
    for _ in range(runs):
        cmd = [sys.executable, "-m", "nflint", "check", str(path)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        rows.append((time.perf_counter() - t0, usage.ru_utime + usage.ru_stime,
                     usage.ru_maxrss / 1024))
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # 1: findings reported
            return {"error": f"exit {code}"}
    wall, cpu, rss = _median(rows)
    return {"wall": wall, "cpu": cpu, "rss": rss}


def bench_restore(paths: list[Path], runs: int) -> dict:
    """iptables-restore --test timings per (tool, path), in a namespace created here."""
    tools = [t for t in ("iptables-nft-restore", "iptables-legacy-restore") if shutil.which(t)]
    if os.geteuid() != 0 or not tools or not shutil.which("ip"):
        print("(iptables-restore --test skipped: needs root, ip and iptables)", file=sys.stderr)
        return {}
    ns = f"nflint-bench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
    results = {}
    try:
        for tool in tools:
            for path in paths:
                rows = []
                for _ in range(runs):
                    wall, cpu, rss, _ = _run(["ip", "netns", "exec", ns, tool, "--test"],
                                             path)
                    rows.append((wall, cpu, rss))
                results[(tool, path)] = _median(rows)
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=30)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="100000,300000", help="rule counts, comma separated")
    ap.add_argument("--lark-rules", type=int, default=10000,
                    help="dump size for the Lark-only path (0 to skip)")
    ap.add_argument("--no-check", action="store_true", help="skip `nflint check`")
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    paths = [_dump(n) for n in sizes]
    rows = []
    parsed = {}
    for path in paths:
        r = bench_parse(path, "auto", args.runs)
        parsed[path] = r
        rows.append((f"nflint parse (fast path) {path.name}", r["rules"], r["parse"], r["cpu"],
                     r["rss"], f"process wall {r['wall']:.2f} s; {r['problems']} problems"))
    if args.lark_rules:
        lp = _dump(args.lark_rules)
        for engine in ("auto", "lark"):
            r = bench_parse(lp, engine, 1 if engine == "lark" else args.runs)
            rows.append((f"nflint parse ({engine}) {lp.name}", r["rules"], r["parse"], r["cpu"],
                         r["rss"], ""))
    if not args.no_check:
        for path in paths:
            r = bench_check(path, 1)
            if r is None:
                rows.append(("nflint check", "-", None, None, None, "no `check` command yet"))
                break
            if "error" in r:
                rows.append((f"nflint check {path.name}", "-", None, None, None, r["error"]))
            else:
                rows.append((f"nflint check {path.name}", parsed[path]["rules"], r["wall"],
                             r["cpu"], r["rss"], "end to end, one run"))
    for (tool, path), (wall, cpu, rss) in bench_restore(paths, args.runs).items():
        rows.append((f"{tool} --test {path.name}", parsed[path]["rules"], wall, cpu, rss,
                     "in a netns, incl. ip netns exec"))

    if len(paths) >= 2:
        a, b = parsed[paths[0]], parsed[paths[-1]]
        rows.append((f"scaling {paths[-1].name}/{paths[0].name}", "", b["parse"] / a["parse"],
                     b["cpu"] / a["cpu"], None, f"rules x{b['rules'] / a['rules']:.1f}"))

    def num(x, fmt):
        return format(x, fmt) if isinstance(x, float) else f"{'-':>8}"

    print(f"{'what':46} {'rules':>7} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}  note")
    for what, n, secs, cpu, rss, note in rows:
        print(f"{what:46} {n!s:>7} {num(secs, '8.3f')} {num(cpu, '8.3f')} "
              f"{num(rss, '8.0f')}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
