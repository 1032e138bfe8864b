"""Record or compare `nflint check -f json` on every example, rule fixture and a kp10k dump.

Performance work must not change a single finding. Record before optimising, compare after:

    python bench/golden_outputs.py record      # writes bench/out/golden/*.json
    python bench/golden_outputs.py compare     # exit 1 and a unified diff on any change

Rules other helpers are still writing change outputs too, so the robust form compares the
working tree with a copy of itself in which only the named files are put back as committed:

    python bench/golden_outputs.py ab nflint/ruleset.py rules/structure.py ...
    python bench/golden_outputs.py ab --undo f097d44,85fe985   # those commits taken back
"""
from __future__ import annotations

import argparse
import difflib
import os
import shutil
import tempfile
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
GOLDEN = OUT / "golden"


def inputs() -> list[Path]:
    """One host per entry: example directories, fixture leaf directories, loose fixture files."""
    found = [p for p in sorted((ROOT / "examples").iterdir()) if p.is_dir()]
    for rule_dir in sorted((ROOT / "tests" / "rules").iterdir()):
        if rule_dir.is_dir():
            found += [p for p in sorted(rule_dir.iterdir())]
        else:
            found.append(rule_dir)
    kp10k = OUT / "kp10k.rules"
    if not kp10k.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_kubeproxy.py"), "--rules",
                        "10000", str(kp10k)], check=True, timeout=300)
    # The same dump without kube-proxy's INVALID drop: NF108 then reports, over ~800 services.
    bare = OUT / "kp10k-no-invalid-drop.rules"
    if not bare.exists():
        bare.write_text("".join(line for line in kp10k.read_text().splitlines(True)
                                if "--ctstate INVALID -j DROP" not in line))
    return found + [kp10k, bare]


def name_of(path: Path) -> str:
    return str(path.relative_to(ROOT)).replace("/", "__") + ".json"


def run(path: Path, tree: Path | None = None) -> str:
    env = dict(os.environ)
    if tree is not None:  # the copy's package wins over the editable install; -m must not
        env["PYTHONPATH"] = str(tree)  # put the checkout (cwd) first on sys.path
        env["PYTHONSAFEPATH"] = "1"
    proc = subprocess.run([sys.executable, "-m", "nflint", "check", "--isolated", "-f", "json",
                           "--fail-on", "never", str(path.relative_to(ROOT))],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    return proc.stdout + (f"\n--- stderr ---\n{proc.stderr}" if proc.stderr else "")


def base_tree(files: list[str], undo: list[str] = ()) -> Path:
    """The working tree's package with `files` as committed (rules and grammars linked in
    where the installed package has them)."""
    tree = Path(tempfile.mkdtemp(prefix="nflint-golden-"))
    for part in ("nflint", "rules", "grammars"):
        shutil.copytree(ROOT / part, tree / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "nflint" / "rules").symlink_to(tree / "rules")
    (tree / "nflint" / "grammars").symlink_to(tree / "grammars")
    for f in files:
        committed = subprocess.run(["git", "show", f"HEAD:{f}"], cwd=ROOT, check=True,
                                   capture_output=True, timeout=60).stdout
        (tree / f).write_bytes(committed)
    for commit in undo:  # newest first, so each reverse patch meets the text it made
        patch = subprocess.run(["git", "show", "--format=", commit, "--", "nflint", "rules",
                                "grammars"], cwd=ROOT, check=True, capture_output=True,
                               timeout=60).stdout
        if patch.strip():
            subprocess.run(["git", "apply", "-R", "-"], input=patch, cwd=tree, check=True,
                           capture_output=True, timeout=60)
    return tree


def ab(paths: list[Path], files: list[str], jobs: int, undo: list[str] = ()) -> int:
    tree = base_tree(files, undo)
    try:
        where = subprocess.run([sys.executable, "-c", "import nflint; print(nflint.__file__)"],
                               cwd=ROOT, capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, PYTHONPATH=str(tree), PYTHONSAFEPATH="1"))
        if not where.stdout.startswith(str(tree)):
            raise SystemExit(f"the copy is not what runs: {where.stdout or where.stderr}")
        with ThreadPoolExecutor(jobs) as pool:  # each pair back to back: others keep editing
            pairs = list(pool.map(lambda p: (run(p, tree), run(p)), paths))
        before, after = [b for b, _ in pairs], [a for _, a in pairs]
    finally:
        shutil.rmtree(tree)
    changed = 0
    for path, b, a in zip(paths, before, after):
        if a != b:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(
                b.splitlines(True), a.splitlines(True), f"committed/{name_of(path)}",
                f"working/{name_of(path)}", n=2))
    print(f"ab: {len(paths)} inputs, {changed} changed (reverted: {' '.join(files)}; "
          f"undone: {' '.join(undo)})")
    return 1 if changed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("record", "compare", "ab"))
    ap.add_argument("files", nargs="*", help="ab: files to put back as committed")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--undo", default="", help="ab: commits to take back in the copy, "
                    "comma separated (their changes to nflint/, rules/, grammars/)")
    ap.add_argument("--big", action="append", default=[],
                    help="extra dump to include (e.g. bench/out/kp100k.rules)")
    args = ap.parse_args()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    paths = inputs() + [Path(b).resolve() for b in args.big]
    if args.mode == "ab":
        undo = [c for c in args.undo.split(",") if c]
        order = subprocess.run(["git", "rev-list", "--no-walk=sorted", *undo], cwd=ROOT,
                               capture_output=True, text=True, timeout=60).stdout.split()
        return ab(paths, args.files, args.jobs, order or undo)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, paths))
    changed = 0
    for path, text in zip(paths, results):
        target = GOLDEN / name_of(path)
        if args.mode == "record":
            target.write_text(text)
            continue
        before = target.read_text() if target.exists() else ""
        if before != text:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(
                before.splitlines(True), text.splitlines(True), f"before/{target.name}",
                f"after/{target.name}", n=2))
    print(f"{args.mode}: {len(paths)} inputs" + (f", {changed} changed" if
                                                  args.mode == "compare" else ""))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
