"""``make mutation``: run mutmut over the modules users depend on most, then print the score per module.

mutmut ([tool.mutmut] in pyproject.toml) writes every mutant of every listed file into mutants/,
runs the selected tests once to learn which tests reach which function, then runs each mutant
against the tests that reach it. A module with more mutants than a run can afford is sampled:
``--every MODULE=N`` checks every N-th of its mutants (sorted by name, so the same sample each time),
and the report says how many were left unchecked.

Score = killed (a test failed, or the mutant hung past its timeout) / mutants checked; "no tests"
(no selected test reaches the function) counts as surviving.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
#: module -> the file mutmut mutates (the same list as [tool.mutmut] only_mutate)
MODULES = {
    "access_events._rfc3339": "src/access_events/_rfc3339.py",
    "access_events._validate": "src/access_events/_validate.py",
    # webhooks.py is a re-export since issue 13; its signature code lives in receiving/signatures.py
    "access_events.receiving.signatures": "src/access_events/receiving/signatures.py",
    "access_events._fast": "src/access_events/_fast.py",
    "access_events.compat._diff": "src/access_events/compat/_diff.py",
}
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
UNCHECKED = {"not checked", "skipped"}


def _mutants(module: str) -> list[str]:
    meta = ROOT / "mutants" / (MODULES[module] + ".meta")
    return sorted(json.loads(meta.read_text("utf-8"))["exit_code_by_key"]) if meta.is_file() else []


def run(modules: list[str], every: dict[str, int], children: int) -> None:
    whole = [m for m in modules if every.get(m, 1) == 1]
    # the first run writes mutants/ (all files) and the test-to-function stats; later runs reuse both
    if whole:
        subprocess.run([MUTMUT, "run", "--max-children", str(children), *(m + ".*" for m in whole)], cwd=ROOT, check=True)
    for module in modules:
        if every.get(module, 1) > 1:
            sample = _mutants(module)[::every[module]]
            if not sample:  # `mutmut run` without names would run every mutant of every module
                raise SystemExit(f"no mutants of {module} listed yet: run once with a module that is not sampled")
            subprocess.run([MUTMUT, "run", "--max-children", str(children), *sample], cwd=ROOT, check=True)


def report() -> None:
    proc = subprocess.run([MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    survivors: dict[str, list[str]] = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        module = next((m for m in MODULES if name.startswith(m + ".x")), None)
        if not sep or module is None:
            continue
        counts[module][status] += 1
        if status not in KILLED | UNCHECKED:
            survivors[module].append(f"{name} ({status})")
    print(f"{'module':28} {'mutants':>7} {'checked':>7} {'killed':>6} {'survived':>8} {'score':>6}")
    for module in MODULES:
        c = counts[module]
        total = sum(c.values())
        checked = total - sum(c[s] for s in UNCHECKED)
        killed = sum(c[s] for s in KILLED)
        score = f"{100 * killed / checked:5.1f}%" if checked else "-"
        print(f"{module:28} {total:7} {checked:7} {killed:6} {checked - killed:8} {score:>6}")
    for module in MODULES:
        if survivors[module]:
            print(f"\nsurvivors in {module} (`mutmut show NAME` prints the change):")
            print("\n".join(f"  {entry}" for entry in survivors[module]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--every", action="append", default=[], metavar="MODULE=N", help="check every N-th mutant of MODULE")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    every = {}
    for item in args.every:
        module, _, n = item.partition("=")
        if module not in MODULES or not n.isdigit() or int(n) < 1:
            parser.error(f"--every wants MODULE=N with MODULE one of {', '.join(MODULES)}: {item!r}")
        every[module] = int(n)
    if not args.report_only:
        run(args.modules or list(MODULES), every, args.max_children)
    report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
