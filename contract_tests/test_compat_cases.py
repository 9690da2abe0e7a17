"""The compatibility engine against an on-disk table of schema pairs: ``compat_cases/<group>/<case>/``.

Each case holds ``previous.schema.json``, ``current.schema.json`` and ``expected.yaml`` (the
exact set of rule IDs, the directions that break under each policy, and one witness payload
per direction that breaks under the strict policy). ``<group>`` is the rule ID the case is
about, or one of ``refactor``, ``combinator``, ``ref``, ``nested``, ``unknown``, ``review`` (traps found by reviewing the engine).

Two kinds of tests read the table:

* the fixture self-check (``test_fixture_*``), independent of the engine: the schemas are
  valid draft 2020-12 documents and every witness really is accepted by one side and
  rejected by the other, checked with plain jsonschema and the package's format checker;
* the engine check (``test_engine_*``): ``compare`` must report exactly the expected rules and
  decide every direction under both policies as expected, and each witness it returns must
  hold under jsonschema too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from access_events._formats import FORMAT_CHECKER
from access_events.compat import RULES

CASES_DIR = Path(__file__).resolve().parent / "compat_cases"
FILES = ("previous.schema.json", "current.schema.json", "expected.yaml")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
SPECIAL_GROUPS = frozenset({"refactor", "combinator", "ref", "nested", "unknown", "review"})
POLICIES = ("strict", "lenient")
DIRECTIONS = ("forward", "backward", "full")
BREAKABLE = frozenset({"forward", "backward"})
EXPECTED_KEYS = frozenset({"description", "rules", "breaks", "witnesses", "unknown", "dialect"})
#: Cases in other dialects: the ``$schema`` their files carry (None: none, the dialect is named
#: by ``dialect:`` in expected.yaml and passed to the engine), and the validator that is the
#: reference for that dialect (never the engine's own translation into 2020-12).
DIALECT_SCHEMAS = {
    "draft-07": "http://json-schema.org/draft-07/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "openapi-3.0": None,
}
#: Which version a witness of each direction must be accepted by.
WITNESS_SIDE = {"forward": "new", "backward": "old"}
MIN_CASES = 150


def case_dirs() -> list[Path]:
    return sorted(path for path in CASES_DIR.glob("*/*") if path.is_dir())


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


CASES = case_dirs()


def load_case(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    previous = json.loads((path / "previous.schema.json").read_text("utf-8"))
    current = json.loads((path / "current.schema.json").read_text("utf-8"))
    expected = yaml.safe_load((path / "expected.yaml").read_text("utf-8"))
    return previous, current, expected


def expected_breaks(expected: dict[str, Any], policy: str) -> set[str]:
    breaks = expected["breaks"]
    return set(breaks[policy] if isinstance(breaks, dict) else breaks)


def expected_compatible(breaks: set[str], direction: str) -> bool:
    return not breaks if direction == "full" else direction not in breaks


def validator_class(schema: Any, dialect: str | None = None) -> Any:
    """The reference validator of a case's dialect: jsonschema's own for drafts 04/06/07 (by
    ``$schema``), openapi-schema-validator's ``OAS30Validator`` for OpenAPI 3.0 Schema Objects."""
    if dialect == "openapi-3.0":
        from openapi_schema_validator import OAS30Validator

        return OAS30Validator
    from jsonschema.validators import validator_for

    return validator_for(schema, default=Draft202012Validator)


def validator(schema: Any, dialect: str | None = None) -> Any:
    return validator_class(schema, dialect)(schema, format_checker=FORMAT_CHECKER)


def witness_problem(old: Draft202012Validator, new: Draft202012Validator, instance: Any, accepted_by: str) -> str | None:
    """Why ``instance`` does not prove a difference accepted by ``accepted_by``; ``None`` when it does."""
    if accepted_by not in ("old", "new"):
        return f"accepted_by must be 'old' or 'new', not {accepted_by!r}"
    accepting, rejecting = (old, new) if accepted_by == "old" else (new, old)
    rejected_by = "new" if accepted_by == "old" else "old"
    problems = []
    errors = sorted(accepting.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        problems.append(f"{accepted_by} must accept it but rejects it: {errors[0].message}")
    if rejecting.is_valid(instance):
        problems.append(f"{rejected_by} must reject it but accepts it")
    return "; ".join(problems) or None


def internal_refs(node: Any) -> list[str]:
    """Every ``$ref``/``$dynamicRef`` value that does not point inside the document."""
    bad: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and not (isinstance(value, str) and value.startswith("#")):
                bad.append(repr(value))
            elif key not in ("const", "enum", "examples", "default"):
                bad.extend(internal_refs(value))
    elif isinstance(node, list):
        for item in node:
            bad.extend(internal_refs(item))
    return bad


# --------------------------------------------------------------------------- the table itself


def test_case_count_and_files():
    assert CASES_DIR.is_dir(), CASES_DIR
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} cases under {CASES_DIR}"
    stray = sorted(str(p.relative_to(CASES_DIR)) for p in CASES_DIR.iterdir() if not p.is_dir())
    stray += sorted(str(p.relative_to(CASES_DIR)) for p in CASES_DIR.glob("*/*") if not p.is_dir())
    assert not stray, f"files outside a case directory: {stray}"
    problems = []
    for path in CASES:
        present = sorted(p.name for p in path.iterdir())
        if present != sorted(FILES):
            problems.append(f"{case_id(path)}: has {present}, wants exactly {sorted(FILES)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_fixture_case_is_consistent(path: Path):
    from access_events.compat._model import RULES

    previous, current, expected = load_case(path)
    group = path.parent.name
    problems: list[str] = []

    # expected.yaml: shape and vocabulary
    assert isinstance(expected, dict), "expected.yaml must be a mapping"
    unknown_keys = set(expected) - EXPECTED_KEYS
    assert not unknown_keys, f"unknown keys in expected.yaml: {sorted(unknown_keys)}"
    assert isinstance(expected.get("description"), str) and expected["description"].strip(), "description missing"
    rules = expected.get("rules")
    assert isinstance(rules, list) and all(isinstance(r, str) for r in rules), "rules must be a list of rule IDs"
    assert len(rules) == len(set(rules)), f"rules listed twice: {rules}"
    problems += [f"unknown rule ID {r!r}" for r in rules if r not in RULES]
    problems += [f"catalog rule {r!r} in a single-document case" for r in rules if r in ("event-added", "event-removed")]
    breaks = expected.get("breaks")
    if isinstance(breaks, dict):
        assert set(breaks) == set(POLICIES), f"breaks per policy must name exactly {POLICIES}"
        lists = list(breaks.values())
    else:
        lists = [breaks]
    for value in lists:
        assert isinstance(value, list) and set(value) <= BREAKABLE and len(value) == len(set(value)), (
            f"breaks must list directions among {sorted(BREAKABLE)}: {breaks!r}")
    strict, lenient = expected_breaks(expected, "strict"), expected_breaks(expected, "lenient")
    if not lenient <= strict:
        problems.append(f"lenient breaks {sorted(lenient)} more than strict {sorted(strict)}")
    unknown = expected.get("unknown", False)
    assert unknown in (True, False), "unknown must be a boolean"
    dialect = expected.get("dialect")
    assert dialect is None or dialect in DIALECT_SCHEMAS, f"dialect must be one of {sorted(DIALECT_SCHEMAS)}"

    # the group names what the case is about
    if group not in SPECIAL_GROUPS:
        if group not in RULES:
            problems.append(f"group {group!r} is neither a rule ID nor one of {sorted(SPECIAL_GROUPS)}")
        elif group not in rules:
            problems.append(f"group {group!r} is a rule ID the case does not expect ({rules})")
    if group == "refactor" and (rules or strict):
        problems.append("a refactor must expect no rule and no break")
    if not rules and (strict or unknown):
        problems.append("a case with no change cannot break or be unknown")
    if unknown:
        if strict != BREAKABLE or lenient != BREAKABLE:
            problems.append("an unknown case breaks forward and backward under both policies")
        if not set(rules) & {"unknown-keyword", "undecidable", "pattern-changed"}:
            # pattern-changed is unknown when the regular expressions cannot be compared
            problems.append("an unknown case expects unknown-keyword, undecidable or pattern-changed")
    elif set(rules) & {"unknown-keyword", "undecidable"} and not (
            "unknown" in expected and len(strict) == 1 and "unknown-keyword" not in rules):
        # `unknown: false` written out: an undecided construct where one side accepts nothing
        # (or nothing more), so the engine knows one direction cannot break and fails closed
        # in the other only.
        problems.append("unknown-keyword/undecidable expected but `unknown: true` missing")

    # the schemas: complete documents (draft 2020-12 unless the case names or declares another
    # dialect) with internal references only
    for name, schema in (("previous", previous), ("current", current)):
        validator_class(schema, dialect).check_schema(schema)
        declared = schema.get("$schema") if isinstance(schema, dict) else None
        if dialect == "openapi-3.0":
            if declared is not None:
                problems.append(f"{name}: an OpenAPI 3.0 Schema Object has no `$schema`")
        elif declared not in (DRAFT, *[uri for uri in DIALECT_SCHEMAS.values() if uri]):
            problems.append(f"{name}: `$schema` must be {DRAFT} (or a draft-04/06/07 URI)")
        if bad := internal_refs(schema):
            problems.append(f"{name}: non-internal references {bad}")
    if (path / "previous.schema.json").read_bytes() == (path / "current.schema.json").read_bytes():
        problems.append("previous and current are the same file")

    # the witnesses: one per direction that breaks under strict, each proven with jsonschema
    witnesses = expected.get("witnesses") or {}
    assert isinstance(witnesses, dict), "witnesses must be a mapping"
    if set(witnesses) - BREAKABLE:
        problems.append(f"witness directions must be among {sorted(BREAKABLE)}: {sorted(witnesses)}")
    if not unknown and set(witnesses) != strict:
        problems.append(f"witnesses given for {sorted(witnesses)} but strict breaks {sorted(strict)}")
    old, new = validator(previous, dialect), validator(current, dialect)
    for direction, witness in sorted(witnesses.items()):
        if not isinstance(witness, dict) or set(witness) != {"instance", "accepted_by"}:
            problems.append(f"{direction} witness must have exactly `instance` and `accepted_by`")
            continue
        if witness["accepted_by"] != WITNESS_SIDE.get(direction):
            problems.append(f"a {direction} witness is accepted by {WITNESS_SIDE.get(direction)}, "
                            f"not {witness['accepted_by']!r}")
        if problem := witness_problem(old, new, witness["instance"], witness["accepted_by"]):
            problems.append(f"{direction} witness {json.dumps(witness['instance'])}: {problem}")

    assert not problems, f"{case_id(path)}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- the engine


def describe_change(change: Any) -> str:
    old = change.old.pointer if change.old is not None else "-"
    new = change.new.pointer if change.new is not None else "-"
    flags = "".join((
        "F" if change.breaks_forward else "-",
        "B" if change.breaks_backward else "-",
        "?" if change.unknown else "",
    ))
    text = f"{change.rule:<34} [{flags}] old #{old}  new #{new}  at {change.instance_path or '/'}"
    if change.witness is not None:
        text += f"  witness({change.witness.accepted_by}): {json.dumps(change.witness.instance)[:120]}"
    return text


def describe_report(report: Any) -> str:
    lines = [f"report({report.direction}, {report.policy}): compatible={report.compatible}, "
             f"{len(report.changes)} change(s)"]
    lines += ["    " + describe_change(change) for change in report.changes] or ["    (no changes)"]
    return "\n".join(lines)


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_engine_matches_expected(path: Path):
    from access_events.compat import compare

    previous, current, expected = load_case(path)
    want_rules = set(expected["rules"])
    unknown = expected.get("unknown", False)
    dialect = expected.get("dialect")
    old, new = validator(previous, dialect), validator(current, dialect)
    problems: list[str] = []
    shown: set[tuple[str, ...]] = set()
    for policy in POLICIES:
        breaks = expected_breaks(expected, policy)
        for direction in DIRECTIONS:
            # Drafts are recognised by their $schema; OpenAPI 3.0 has none and is named.
            report = compare(copy.deepcopy(previous), copy.deepcopy(current), direction=direction, policy=policy,
                             dialect=dialect if DIALECT_SCHEMAS.get(dialect or "") is None and dialect else None)
            found: list[str] = []
            want_compatible = expected_compatible(breaks, direction)
            if report.compatible != want_compatible:
                found.append(f"compatible is {report.compatible}, expected {want_compatible} "
                             f"(expected breaks under {policy}: {sorted(breaks) or 'none'})")
            got_rules = {change.rule for change in report.changes}
            if got_rules != want_rules:
                missing, extra = sorted(want_rules - got_rules), sorted(got_rules - want_rules)
                found.append(f"rules differ: missing {missing}, unexpected {extra}")
            if unknown and not any(change.unknown for change in report.changes):
                found.append("expected an unknown change, none is marked unknown")
            if not unknown and any(change.unknown for change in report.changes):
                found.append("a change is marked unknown, the case expects the engine to decide")
            for change in report.changes:
                if change.witness is None:
                    continue
                problem = witness_problem(old, new, change.witness.instance, change.witness.accepted_by)
                if problem:
                    found.append(f"{change.rule} witness {json.dumps(change.witness.instance)[:200]}: {problem}")
            if found:
                problems.append(f"[{policy}/{direction}] " + "; ".join(found))
                changes = tuple(describe_change(change) for change in report.changes)
                if changes not in shown:  # print each distinct list of changes once, not six times
                    shown.add(changes)
                    problems.append(describe_report(report))
    assert not problems, (
        f"{case_id(path)}: {expected['description']}\n"
        f"  expected rules {sorted(want_rules)}, breaks {expected['breaks']}"
        f"{', unknown' if unknown else ''}\n" + "\n".join(problems)
    )


def test_readme_names_every_rule():
    """The README's rule table is what users write `severity` keys from: no rule may be missing."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    missing = []
    for rule in RULES:
        stem = rule.rsplit("-", 1)[0]
        bounded = rule.endswith(("-added", "-removed", "-increased", "-decreased")) and f"`{stem}-…`" in readme
        if f"`{rule}`" not in readme and not bounded:
            missing.append(rule)
    assert not missing, f"README's rule table lacks {missing}"
