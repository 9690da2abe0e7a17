"""The compat engine against random close schema pairs and a counterexample search (issue 12, issue 16 item 2).

``compat_fuzz.pairs`` builds seeded pairs (NEW is 1-3 edits of OLD; a third are rewrites that keep
the meaning) and ``compat_fuzz.instances`` the payloads tried on each, checked with jsonschema and the
package's format checker. For each pair and each direction, under the strict policy (the lenient one
deliberately ignores declarations on open objects, so a counterexample does not refute it):

* **unsound**: the engine says compatible, yet a payload passes one side and fails the other. Any
  such verdict fails the test (it is a bug, always).
* **false alarm**: the engine says breaking, and neither the search nor the engine's own witness found
  a payload proving it. Some are real breaks the search cannot reach; the rate per direction is
  printed and must stay under the ceiling recorded below (a regression fails the test): an engine that
  called every change breaking both ways would fail here, which the older sampling test could not see.
* every witness the engine returns (both policies) must hold under jsonschema.

Seeded and deterministic; the budget is a fixed number of pairs (``COMPAT_FUZZ_PAIRS`` for a longer
soak, ``COMPAT_FUZZ_SEED`` for another sample).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

from jsonschema import Draft202012Validator

from access_events._formats import FORMAT_CHECKER
from access_events.compat import compare

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compat_fuzz  # noqa: E402

SEED = int(os.environ.get("COMPAT_FUZZ_SEED", "2026"))
PAIRS = int(os.environ.get("COMPAT_FUZZ_PAIRS", "600"))
#: The false-alarm rates (breaking verdicts without a counterexample / breaking verdicts) this
#: engine reaches on the default sample, with a little room; lower them when the engine improves.
#: Measured at seed 2026, 600 pairs: 1/285 = 0.4% forward, 2/199 = 1.0% backward (before issue
#: 12's work on the engine: 42/322 = 13.0% and 54/245 = 22.0%; after its first round: 9.1% and
#: 12.8%; at its end 0.7% and 2.0%; an engine marking every change breaking both ways: 30.5% and
#: 49.9%, so it fails here). Held-out seeds run higher (seed 7: 2.4% / 3.5%): judge a soak on
#: another seed by its own figure.
CEILING = {"forward": 0.01, "backward": 0.02}


def validator(schema):
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def holds(witness, old, new) -> bool:
    accepting, rejecting = (old, new) if witness.accepted_by == "old" else (new, old)
    return accepting.is_valid(witness.instance) and not rejecting.is_valid(witness.instance)


def run(seed: int = SEED, count: int = PAIRS) -> dict:
    stats: Counter = Counter()
    unsound: list[str] = []
    wrong_witnesses: list[str] = []
    alarms: Counter = Counter()
    examples: list[str] = []
    rng = random.Random(seed + 1)
    for old, new, kind in compat_fuzz.pairs(seed, count):
        stats[f"pairs ({kind})"] += 1
        vo, vn = validator(old), validator(new)
        pool = compat_fuzz.instances(old, new, rng)
        proven = {"forward": False, "backward": False}
        for instance in pool:
            a, b = vo.is_valid(instance), vn.is_valid(instance)
            if b and not a:
                proven["forward"] = True
            if a and not b:
                proven["backward"] = True
        for policy in ("strict", "lenient"):
            report = compare(old, new, direction="full", policy=policy)
            for change in report.changes:
                if change.witness is None:
                    continue
                if not holds(change.witness, vo, vn):
                    wrong_witnesses.append(f"{change.rule} {json.dumps(change.witness.instance)}\n  old={json.dumps(old)}"
                                           f"\n  new={json.dumps(new)}")
                elif policy == "strict":
                    proven["forward" if change.witness.accepted_by == "new" else "backward"] = True
            if policy != "strict":
                continue
            for direction in ("forward", "backward"):
                breaking = [change for change in report.changes if change.breaks(direction)]
                if not breaking and proven[direction]:
                    unsound.append(f"{direction}: compatible, but a counterexample exists\n  old={json.dumps(old)}"
                                   f"\n  new={json.dumps(new)}")
                elif breaking:
                    stats[f"{direction}: breaking"] += 1
                    if not proven[direction]:
                        stats[f"{direction}: false alarm"] += 1
                        alarms[(direction, breaking[0].rule)] += 1
                        examples.append(f"{direction} {kind} {[c.rule for c in breaking]}\n  old={json.dumps(old)}\n  new={json.dumps(new)}")
                    else:
                        stats[f"{direction}: breaking, proven"] += 1
                else:
                    stats[f"{direction}: compatible"] += 1
    rates = {d: stats[f"{d}: false alarm"] / max(1, stats[f"{d}: breaking"]) for d in ("forward", "backward")}
    return {"stats": stats, "unsound": unsound, "wrong_witnesses": wrong_witnesses, "rates": rates, "alarms": alarms,
            "examples": examples}


def describe(result: dict) -> str:
    lines = [f"compat fuzz, seed {SEED}, {PAIRS} pairs:"]
    lines += [f"  {key}: {value}" for key, value in sorted(result["stats"].items())]
    lines += [f"  false-alarm rate {d}: {rate:.1%} (ceiling {CEILING[d]:.1%})" for d, rate in result["rates"].items()]
    lines += ["  top false-alarm rules: " + ", ".join(f"{rule} ({d}) {n}" for (d, rule), n in
                                                       result["alarms"].most_common(8))]
    return "\n".join(lines)


def test_no_unsound_verdict_and_false_alarms_under_the_ceiling(capsys):
    result = run()
    with capsys.disabled():
        print("\n" + describe(result))
    assert not result["wrong_witnesses"], "witnesses that do not hold:\n" + "\n".join(result["wrong_witnesses"][:5])
    assert not result["unsound"], f"{len(result['unsound'])} unsound verdicts:\n" + "\n".join(result["unsound"][:5])
    # not vacuous: the search proved breaks in both directions, and the engine said compatible often
    stats = result["stats"]
    assert stats["forward: breaking, proven"] and stats["backward: breaking, proven"], stats
    assert stats["forward: compatible"] and stats["backward: compatible"], stats
    for direction, rate in result["rates"].items():
        assert rate <= CEILING[direction], f"{direction} false-alarm rate {rate:.1%} over the ceiling {CEILING[direction]:.1%}"


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    outcome = run()
    print(describe(outcome))
    print(f"  {len(outcome['unsound'])} unsound, {len(outcome['wrong_witnesses'])} wrong witnesses, "
          f"{time.perf_counter() - start:.1f} s")
    for text in outcome["unsound"][:int(os.environ.get("SHOW", "6"))]:
        print(text)
    for text in outcome["examples"][:int(os.environ.get("SHOW_ALARMS", "0"))]:
        print(text)
