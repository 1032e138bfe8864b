"""Cost of the CI layer on many findings: suppression pass, baseline, every output format.

Generates one iptables-save chain whose rules are all shadowed by its first rule (so every rule
is a finding, each with a trace and a fix), optionally with an `nflint: ignore` comment on every
other rule, and times each stage in CPU seconds (the machine is shared; wall time is noisy).

    python bench/bench_ci_outputs.py --findings 5000
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nflint import api, baseline, formatters, frontends, suppressions
from nflint.host import HostBuilder
from nflint.registry import default as default_registry


def dump(n: int, directives: bool) -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", "-A INPUT -s 192.0.2.0/24 -j ACCEPT"]
    for i in range(n):
        comment = (f' -m comment --comment "nflint: ignore NF202 known {i}"'
                   if directives and i % 2 else "")
        lines.append(f"-A INPUT -s 192.0.2.{i % 250}/32 -p tcp --dport {1 + i}{comment} -j DROP")
    return "\n".join(lines + ["COMMIT", ""])


def timed(label: str, fn):
    start = time.process_time()
    value = fn()
    print(f"{label:<28} {time.process_time() - start:7.3f} s CPU")
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=5000)
    ap.add_argument("--no-directives", action="store_true")
    args = ap.parse_args()
    text = dump(args.findings, not args.no_directives)
    b = HostBuilder()
    b.add(timed("parse (iptables-save)", lambda: frontends.get("iptables-save")(text, "b.rules")))
    host = b.build()
    registry = default_registry()
    diags = timed("rules", lambda: api.run_rules(host, registry=registry))
    found = timed("suppressions: collect", lambda: suppressions.collect(
        host, {"b.rules": text}, lambda t: registry.find(t) is not None))
    outcome = timed("suppressions: apply", lambda: suppressions.apply(diags, found))
    print(f"  {len(found)} directives, {len(outcome.suppressed)} suppressed, "
          f"{len(outcome.kept)} findings left")
    report = api.HostReport("b.rules", host, api.finalize(outcome.kept, api.Selection()), [],
                            outcome.suppressed)
    ctx = formatters.RenderContext(registry, False, "bench")
    for name in sorted(formatters.available()):
        out = timed(f"format {name}", lambda: formatters.get(name).render([report], ctx))
        print(f"  {len(out) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "baseline.json"
        timed("baseline: write", lambda: baseline.write(path, [report]))
        known = timed("baseline: load", lambda: baseline.load(path))
        matched = timed("baseline: apply", lambda: baseline.apply([report], known))
        print(f"  {matched} matched")


if __name__ == "__main__":
    main()
