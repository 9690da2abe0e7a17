"""The compat engine on hostile inputs (issue 12): it never hangs, never crashes, and refuses
what is not a schema with the metaschema validator's message and JSON pointer.

Each test checks the *verdict* on an input that used to hang for minutes, crash with a
``RecursionError``/``TypeError``, or be read as something else. Speed itself is measured in
``make bench``, not here; a regression to the old behaviour shows up as a test that does
not finish (or a crash), and the old figures are in the docstrings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from access_events.cli import main
from access_events.compat import CompatInputError, compare, compare_catalogs
from access_events.compat import _regex


def pattern_pair(old: str, new: str) -> tuple[dict, dict]:
    return {"type": "string", "pattern": old}, {"type": "string", "pattern": new}


def nest(depth: int, leaf: dict, keyword: str = "properties") -> dict:
    schema = leaf
    for _ in range(depth):
        if keyword == "properties":
            schema = {"type": "object", "properties": {"a": schema}}
        elif keyword in ("anyOf", "oneOf"):
            schema = {keyword: [schema]}
        else:
            schema = {keyword: schema}
    return schema


def rules(report) -> set[str]:
    return {change.rule for change in report.changes}


# -- counted repetition: compared without expanding greenery's automata -------------------------
@pytest.mark.parametrize("old, new, breaks", [
    # over 120 s before (greenery's minimisation is cubic in the states of a counted repetition)
    ("^.{1,255}$", "^.{1,256}$", {"forward"}),
    # 43 s before
    ("^.{1000}$", "^.{999}$", {"forward", "backward"}),
    # 4.6 s before; a hostname label
    ("^[a-z0-9-]{1,63}$", "^[a-z0-9]{1,63}$", {"backward"}),
    ("^[a-z0-9]{1,63}$", "^[a-z0-9-]{1,63}$", {"forward"}),
])
def test_counted_repetition_is_decided(old, new, breaks):
    """Guards: counted repetitions in patterns hung the engine; they are now decided exactly."""
    report = compare(*pattern_pair(old, new), direction="full", policy="strict")
    # one finding, or one per direction when it breaks both ways and both are proven
    assert report.changes and all(change.rule == "pattern-changed" and not change.unknown for change in report.changes)
    assert {d for d in ("forward", "backward") for change in report.changes if change.breaks(d)} == breaks
    # checked by jsonschema in the witness search
    assert all(change.witness is not None for change in report.changes), report.changes


def test_automaton_bound_fails_closed_and_says_why():
    """Guards: a pattern pair whose comparison would explode (the subset construction of
    ``(a|b)*a(a|b){16}`` has 2**17 states) is undecidable at the bound, saying why, not a hang."""
    report = compare(*pattern_pair("^(a|b)*a(a|b){16}$", "^(a|b)*b(a|b){16}$"), direction="full")
    [change] = report.changes
    assert change.rule == "pattern-changed" and change.unknown and not report.compatible
    assert "automaton states" in change.message, change.message


def test_huge_repetition_count_fails_closed():
    """Guards: a count past the automaton bound is refused while building, not expanded."""
    report = compare(*pattern_pair("^a{100000}$", "^a{99999}$"), direction="full")
    [change] = report.changes
    assert change.rule == "pattern-changed" and change.unknown and "states" in change.message, change.message


def test_pattern_comparisons_are_memoised():
    """Guards: the same (pattern, pattern) pair across events is compared once (issue 11's
    drift compares 8 events sharing UUID and date-time patterns: 112 recomputations, 26 s)."""
    uuid = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    lower = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    old = {"type": "object", "properties": {f"p{i}": {"type": "string", "pattern": uuid} for i in range(8)}}
    new = {"type": "object", "properties": {f"p{i}": {"type": "string", "pattern": lower} for i in range(8)}}
    compare(old, new)
    before = _regex._strings.cache_info()
    report = compare(old, new)
    after = _regex._strings.cache_info()
    assert len(report.changes) == 8 and all(c.rule == "pattern-changed" and c.breaks_backward for c in report.changes)
    assert after.misses == before.misses, (before, after)


# -- depth: at least what jsonschema validates, then a clear error -------------------------------
@pytest.mark.parametrize("depth", [198, 500])
def test_deep_properties_are_compared(depth):
    """Guards: RecursionError at `properties` depth ~198 (jsonschema validates ~450)."""
    report = compare(nest(depth, {"type": "string"}), nest(depth, {"type": "integer"}), direction="backward")
    assert rules(report) == {"type-changed"} and not report.compatible


@pytest.mark.parametrize("keyword", ["anyOf", "oneOf", "not", "items"])
def test_very_deep_nesting_is_a_clear_error(keyword):
    """Guards: 5,000-deep anyOf/oneOf/not/items crashed with RecursionError."""
    with pytest.raises(CompatInputError, match="nested deeper than"):
        compare(nest(5000, {"type": "string"}, keyword), nest(5000, {"type": "integer"}, keyword))


@pytest.mark.parametrize("keyword", ["anyOf", "items"])
def test_nesting_jsonschema_handles_is_compared(keyword):
    report = compare(nest(400, {"type": "string"}, keyword), nest(400, {"type": "integer"}, keyword))
    assert "type-changed" in rules(report) and not report.compatible


# -- invalid schemas are refused with the metaschema's message and pointer -----------------------
@pytest.mark.parametrize("schema, pointer, needle", [
    ({"enum": 5}, "/enum", "is not of type 'array'"),                         # was a TypeError
    ({"type": "foo"}, "/type", "'foo' is not valid"),                           # was read as `false`
    ({"type": "string", "pattern": "("}, "/pattern", "is not a 'regex'"),       # got a verdict
    ({"properties": {"a": {"patternProperties": {"[": {}}}}}, "/properties/a/patternProperties/[", "regex"),
    ({"items": [{}]}, "/items", "is not of type"),                              # draft-07 tuple under 2020-12
    # audit-compat: Python's json reads `Infinity`/`NaN`; a bound of inf was an OverflowError traceback
    ({"type": "integer", "maximum": float("inf")}, "/maximum", "not a JSON number"),
    ({"type": "number", "minimum": float("-inf")}, "/minimum", "not a JSON number"),
    ({"properties": {"a": {"const": float("nan")}}}, "/properties/a/const", "not a JSON number"),
])
def test_invalid_schema_is_refused(schema, pointer, needle):
    for old, new, side in ((schema, {}, "old"), ({}, schema, "new")):
        with pytest.raises(CompatInputError) as caught:
            compare(old, new)
        message = str(caught.value)
        assert f"the {side} schema" in message and f"at {pointer}:" in message and needle in message, message


def test_pattern_key_inside_a_value_is_data():
    """A ``pattern`` inside ``const``/``enum``/``examples`` is an instance, not a regex."""
    report = compare({"const": {"pattern": "("}}, {"const": {"pattern": "("}, "examples": [{"pattern": "["}]})
    assert report.compatible


def test_invalid_catalog_document_is_refused():
    with pytest.raises(CompatInputError, match=r"b\.json \(new\): not a valid JSON Schema at /enum"):
        compare_catalogs({"a.json": {}}, {"a.json": {}, "b.json": {"enum": 5}})


def test_gate_turns_an_invalid_schema_into_a_usage_error(tmp_path: Path, capsys):
    """Guards: the CLI exits 2 with the pointer, no traceback."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"type": "string"}), "utf-8")
    new.write_text(json.dumps({"type": "foo"}), "utf-8")
    code = main(["compat", str(old), str(new)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "/type" in err and "Traceback" not in err, err


# -- quadratic inputs -----------------------------------------------------------------------------
def ref_chain(length: int, leaf: dict) -> dict:
    defs = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(length)}
    defs[f"d{length}"] = leaf
    return {"$ref": "#/$defs/d0", "$defs": defs}


def test_long_ref_chain():
    """Guards: a 5,000-link $ref chain took 22 s (an ancestor walk per link)."""
    report = compare(ref_chain(5000, {"type": "string"}), ref_chain(5000, {"type": "integer"}), direction="forward")
    assert rules(report) == {"type-changed"} and not report.compatible


def test_any_of_thousands_of_consts():
    """Guards: anyOf of 3,000 consts took ~10 s (pairwise disjointness and branch matching)."""
    old = {"anyOf": [{"const": i} for i in range(3000)]}
    new = {"anyOf": [{"const": i} for i in range(3001)]}
    forward = compare(old, new, direction="forward")
    assert rules(forward) == {"any-of-branch-added"} and not forward.compatible
    assert compare(old, new, direction="backward").compatible


def test_a_branch_added_at_the_end_of_thousands_gets_its_witness():
    """Guards: the second witness round built a node for every branch of a 3,000-branch `anyOf`
    (6 s, each node re-reading all 3,000) and ran out of candidates before the added last one:
    no witness. It now tries the first and last few branches."""
    old = {"anyOf": [{"const": i} for i in range(3000)]}
    new = {"anyOf": [{"const": i} for i in range(3001)]}
    (change,) = compare(old, new, direction="forward").changes
    assert change.witness is not None and change.witness.instance == 3000, change


def test_example_refused_by_its_own_schema_still_gives_a_witness():
    """An ``examples`` value the schema itself refuses (OpenAPI's ``example: null`` on an object,
    translated to ``examples: [null]``) must not leave the witness search without a valid base
    payload. Before the fix ``minimal()`` took that example unchecked as the root's minimal
    instance, every base was invalid and ``code`` widened to null had no witness."""
    from jsonschema import Draft202012Validator

    def event(code: dict) -> dict:
        return {"type": "object", "required": ["code", "id"], "examples": [None],
                "properties": {"code": code, "id": {"type": "string", "examples": [None]}}}

    old, new = event({"type": "string"}), event({"type": ["string", "null"]})
    report = compare(old, new, direction="forward")
    widened = [change for change in report.changes if change.instance_path == "/code"]
    assert widened and widened[0].witness is not None, report.changes
    instance = widened[0].witness.instance
    assert instance["code"] is None
    assert Draft202012Validator(new).is_valid(instance) and not Draft202012Validator(old).is_valid(instance)


# -- formats beside counted repetitions (audit-compat) --------------------------------------------
IBAN = "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"
BASE64 = "^(?:[A-Za-z0-9+/]{4}){1,500}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


@pytest.mark.parametrize("pattern", [IBAN, BASE64], ids=["iban", "base64"])
def test_format_beside_a_counted_repetition_skips_greenery(pattern, monkeypatch):
    """Guards: a `format` added beside a pattern with a counted repetition compared the two as
    languages through greenery's unbounded ``to_fsm`` (5 s for the IBAN pattern, over 20 s for
    the base64 one, a `{1,500}`), the hang issue 12 names. The pattern's automaton is now
    determinised under a bound; greenery's ``to_fsm`` is never called, and the verdict holds:
    no UUID matches either pattern (no hyphen), so the new schema accepts no string."""
    import greenery.rxelems

    from access_events.compat import _languages

    calls = []
    original = greenery.rxelems.Pattern.to_fsm

    def counted(self, *args, **kwargs):
        calls.append(str(self)[:40])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(greenery.rxelems.Pattern, "to_fsm", counted)
    _languages._pattern_fsm.cache_clear()
    old = {"type": "string", "pattern": pattern}
    report = compare(old, {**old, "format": "uuid"}, direction="full", policy="strict")
    assert not calls, f"greenery's to_fsm ran on {calls}"
    assert "format-added" in rules(report)
    assert {d for d in ("forward", "backward") if any(c.breaks(d) for c in report.changes)} == {"backward"}
    assert all(change.witness is not None for change in report.changes if change.breaks("backward")), report.changes


def test_pattern_automaton_bound_leaves_the_question_open():
    """Guards: past its bound the bounded determinisation answers "undecided" (None), never
    a guess and never an unbounded wait."""
    from access_events.compat import _languages

    assert _languages._pattern_fsm("^(?:a|b)*a(?:a|b){14}$") is None  # 2**15 deterministic states
    assert _languages._pattern_fsm(IBAN) is not None
