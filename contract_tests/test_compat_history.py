"""The compat engine against the catalog's real history (compat_history/, DOMAIN's "How these schemas have changed").

Each ``compat_history/NN-slug/`` holds two full catalogs in this package's style,
``previous/`` and ``current/``, and an ``expected.yaml`` saying what a careful reviewer
concludes: per policy, which directions break and through which rules, and which events
are affected. The steps form a chain (each step's ``current`` is the next step's
``previous``) whose last catalog is today's ``schemas/``.

The history catalogs carry no ``x-version`` (the keyword came later; it is an annotation).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import referencing
import yaml
from jsonschema import Draft202012Validator
from referencing.jsonschema import DRAFT202012

from access_events._formats import FORMAT_CHECKER
from access_events.compat import DIRECTIONS, POLICIES, RULES, compare_catalogs
from access_events.lint import lint

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "contract_tests" / "compat_history"
SCHEMAS = ROOT / "schemas"
BASE_URI = "https://access-events.example/schemas/"
UNION_FILE = "access_method_event.schema.json"
COMMON_FILE = "common.schema.json"
STEPS = sorted(path for path in HISTORY.iterdir() if path.is_dir() and (path / "expected.yaml").is_file())
STEP_IDS = [step.name for step in STEPS]
ANNOTATION = "annotation-changed"


def expected(step: Path) -> dict:
    return yaml.safe_load((step / "expected.yaml").read_text("utf-8"))


def documents(folder: Path) -> dict[str, dict]:
    return {path.name: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.schema.json"))}


def registry(folder: Path) -> referencing.Registry:
    docs = documents(folder)
    return referencing.Registry().with_resources(
        (doc["$id"], referencing.Resource.from_contents(doc, default_specification=DRAFT202012)) for doc in docs.values()
    ).crawl()


def validator(folder: Path, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": BASE_URI + name}, registry=registry(folder), format_checker=FORMAT_CHECKER)


def event_name(value: str | None) -> str | None:
    """``access_method.issued`` for an event type, a file name or a ``$id``; other names unchanged."""
    if value is None:
        return None
    if value.startswith(BASE_URI):
        value = value[len(BASE_URI):]
    return value.removesuffix(".schema.json")


def event_types(folder: Path) -> set[str]:
    return {name.removesuffix(".schema.json") for name in documents(folder) if name not in (UNION_FILE, COMMON_FILE)}


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str, str], object]:
    """Every step compared once per direction and policy (the comparison is the slow part)."""
    return {
        (step.name, direction, policy): compare_catalogs(step / "previous", step / "current", direction=direction, policy=policy)
        for step in STEPS
        for direction in DIRECTIONS
        for policy in POLICIES
    }


def describe(changes) -> str:
    return "\n".join(
        f"  {c.rule} event={c.event} fwd={c.breaks_forward} bwd={c.breaks_backward} unknown={c.unknown} "
        f"at {c.old} -> {c.new} ({c.message})"
        for c in changes
    )


# -- the fixtures themselves -----------------------------------------------------------------

def test_history_has_the_real_steps():
    assert len(STEPS) == 10, STEP_IDS
    dates = [str(expected(step)["date"]) for step in STEPS]
    assert dates == sorted(dates), "steps are in chronological order"


@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_expected_yaml_is_well_formed(step):
    want = expected(step)
    assert {"description", "date", "events", "breaks", "rules", "breaking", "reviewer"} <= set(want)
    assert set(want["breaks"]) == set(POLICIES) == set(want["breaking"])
    for policy in POLICIES:
        by_direction = want["breaking"][policy]
        assert set(by_direction) == {"forward", "backward"}
        assert set(by_direction["forward"]) | set(by_direction["backward"]) <= set(want["rules"])
        derived = [d for d in ("forward", "backward") if by_direction[d]]
        assert sorted(want["breaks"][policy]) == sorted(derived + (["full"] if derived else [])), policy
    assert set(want["rules"]) <= set(RULES) and ANNOTATION not in want["rules"]
    assert len(want["reviewer"].split()) >= 30, "the reviewer paragraph says who breaks and why"


@pytest.mark.parametrize("side", ["previous", "current"])
@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_history_catalog_is_self_consistent(step, side):
    folder = step / side
    docs = documents(folder)
    assert COMMON_FILE in docs and UNION_FILE in docs
    events = sorted(event_types(folder))
    for name, doc in docs.items():
        assert doc["$id"] == BASE_URI + name
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(doc)
        refs = [value for value in _walk_refs(doc)]
        assert all(not ref.startswith(("http:", "https:", "/")) for ref in refs), refs
    for event in events:
        assert docs[event + ".schema.json"]["properties"]["event_type"]["const"] == event
    union = docs[UNION_FILE]
    assert sorted(branch["$ref"].removesuffix(".schema.json") for branch in union["oneOf"]) == events
    assert union["discriminator"]["mapping"] == {event: event + ".schema.json" for event in _in_union_order(union)}
    # every example is valid, under its own schema and under the union
    union_validator = validator(folder, UNION_FILE)
    for name, doc in docs.items():
        if name == COMMON_FILE:
            continue
        own = validator(folder, name)
        for example in doc.get("examples", []):
            own.validate(example)
            union_validator.validate(example)
    # the package's own linter has nothing to say but the x-version these snapshots predate
    found = lint(folder)
    assert sorted(found.files) == sorted(docs)
    assert [str(f) for f in found.findings if f.rule != "version"] == []


def _walk_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def _in_union_order(union: dict) -> list[str]:
    return [branch["$ref"].removesuffix(".schema.json") for branch in union["oneOf"]]


def test_history_is_a_chain_ending_in_todays_catalog():
    for before, after in zip(STEPS, STEPS[1:]):
        assert documents(before / "current") == documents(after / "previous"), f"{before.name} -> {after.name}"
    today = documents(SCHEMAS)
    last = documents(STEPS[-1] / "current")
    assert set(today) == set(last)
    for name, doc in today.items():
        doc = {key: value for key, value in doc.items() if key != "x-version"}
        assert doc == last[name], f"{name} differs from today's schemas/ beyond x-version"


# -- the engine's verdicts -------------------------------------------------------------------

@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_verdict_matches_the_reviewer(reports, step, direction, policy):
    want = expected(step)
    report = reports[(step.name, direction, policy)]
    assert report.direction == direction and report.policy == policy
    context = f"{step.name} {direction}/{policy}:\n{describe(report.changes)}"
    assert report.compatible == (direction not in want["breaks"][policy]), context
    assert not any(c.unknown for c in report.changes), context
    reported = {c.rule for c in report.changes} - {ANNOTATION}
    assert reported == set(want["rules"]), context
    by_direction = want["breaking"][policy]
    wanted = set(by_direction["forward"]) | set(by_direction["backward"]) if direction == "full" else set(by_direction[direction])
    assert {c.rule for c in report.breaking} == wanted, context


@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_changes_name_the_affected_events(reports, step):
    want = set(expected(step)["events"])
    report = reports[(step.name, "full", "strict")]
    events = {event_name(c.event) for c in report.changes}
    context = f"{step.name}:\n{describe(report.changes)}"
    assert events <= want, context
    assert {event_name(c.event) for c in report.changes if c.rule != ANNOTATION} == want, context


@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_witnesses_hold_under_jsonschema(reports, step):
    """A breaking change's witness is accepted by one side's catalog and rejected by the other's."""
    checked = 0
    for policy in POLICIES:
        for change in reports[(step.name, "full", policy)].breaking:
            witness = change.witness
            if witness is None:
                continue
            event = event_name(change.event)
            sides = {"old": step / "previous", "new": step / "current"}
            # an event schema when both sides have it; the union for an added or removed event
            name = event + ".schema.json" if all(event in event_types(f) for f in sides.values()) else UNION_FILE
            accepting, rejecting = sides[witness.accepted_by], sides[witness.rejected_by]
            errors = list(validator(accepting, name).iter_errors(witness.instance))
            assert errors == [], f"{step.name} {change.rule}: witness {witness.instance!r} not accepted by {witness.accepted_by}: {errors[0].message}"
            assert not validator(rejecting, name).is_valid(witness.instance), (
                f"{step.name} {change.rule}: witness {witness.instance!r} is not rejected by {witness.rejected_by}"
            )
            checked += 1
    breaking = any(reports[(step.name, "full", p)].breaking for p in POLICIES)
    if breaking:
        assert checked, f"{step.name}: breaking changes but no witness to check"


def test_offset_witness_is_the_real_world_case(reports):
    """The date-time loosening: the witness an old, Z-only receiver rejects carries a non-Z offset."""
    report = reports[("10-date-time-offsets", "forward", "strict")]
    witnesses = [c.witness for c in report.breaking if c.witness is not None]
    assert witnesses and all(w.accepted_by == "new" for w in witnesses)
    stamps = [w.instance.get(field) for w in witnesses if isinstance(w.instance, dict) for field in ("created_at", "occurred_at")]
    assert any(isinstance(s, str) and not s.endswith(("Z", "z")) for s in stamps), witnesses


def test_last_step_matches_todays_schemas_semantically():
    """Today's schemas/ differ from the last history catalog only by annotations (x-version)."""
    for direction in DIRECTIONS:
        for policy in POLICIES:
            report = compare_catalogs(STEPS[-1] / "current", SCHEMAS, direction=direction, policy=policy)
            context = f"{direction}/{policy}:\n{describe(report.changes)}"
            assert report.compatible, context
            assert {c.rule for c in report.changes} <= {ANNOTATION}, context
