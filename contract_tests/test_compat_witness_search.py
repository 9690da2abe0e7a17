"""The witness search proves breaks the first round of candidates cannot reach (issue 12, false alarms).

A breaking verdict without a witness reads as a possible false alarm; each case below is a
real break (checked here with jsonschema and the package's format checker) that the engine
used to report without a payload proving it.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator

from access_events._formats import FORMAT_CHECKER
from access_events.compat import compare


def _proven(old, new, direction: str, rule: str | None):
    """The witness the engine gives for ``rule`` (``None``: any rule) in ``direction``, checked
    with jsonschema."""
    report = compare(old, new, direction=direction, policy="strict")
    side = "new" if direction == "forward" else "old"
    witnesses = [change.witness for change in report.changes
                 if rule in (None, change.rule) and change.breaks(direction) and change.witness is not None
                 and change.witness.accepted_by == side]
    assert witnesses, f"no {direction} witness for {rule}: {report.changes}"
    accepting, rejecting = (old, new) if side == "old" else (new, old)
    instance = witnesses[0].instance
    assert Draft202012Validator(accepting, format_checker=FORMAT_CHECKER).is_valid(instance), instance
    assert not Draft202012Validator(rejecting, format_checker=FORMAT_CHECKER).is_valid(instance), instance
    return instance


def test_float_multiple_of_overflow():
    """Guards: `multipleOf: 3` -> `0.1` loses large multiples of 3 (the quotient overflows and
    jsonschema decides with exact fractions, by which 3e307 is no multiple of 0.1)."""
    old = {"type": "number", "multipleOf": 3, "exclusiveMinimum": 0.5}
    new = {"type": "number", "multipleOf": 0.1, "exclusiveMinimum": 0.5}
    assert _proven(old, new, "backward", "multiple-of-changed") > 1e307


def test_string_from_the_format_and_pattern_language():
    """Guards: a `then` dropped under `if: uuid ending in a` lets such UUIDs in; the witness is
    a string of that language (the fixed all-zero UUID does not end in `a`)."""
    condition = {"type": "string", "format": "uuid", "pattern": "a$"}
    instance = _proven({"if": condition, "then": {"type": "boolean"}}, {"if": condition}, "forward",
                       "schema-became-true")
    assert isinstance(instance, str) and instance.endswith("a")


def test_required_siblings_on_the_path_are_filled_in():
    """Guards: a property change inside an optional object whose other member is required: the
    payload must carry that member too, or both versions refuse it."""
    def schema(qty):
        return {"type": "object", "properties": {"item": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "qty": qty}}}}

    instance = _proven(schema({"type": "integer"}), schema({"type": "number"}), "forward", "type-widened")
    assert "id" in instance["item"]


def test_array_of_the_items_a_pattern_allows_under_not():
    """Guards: under `not`, a higher `maxItems` rejects arrays of 4 matching strings; the witness
    is built from the items' own pattern (arrays of "a" or 1 match neither version's `not`)."""
    def schema(most):
        return {"not": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{2,4}$"}, "maxItems": most}}

    instance = _proven(schema(3), schema(4), "backward", "max-items-increased")
    assert len(instance) == 4


def test_instance_of_the_removed_branch():
    """Guards: an `anyOf` branch for UUIDs containing `b` removed: the witness is an instance of
    that branch (the first branch's minimal instance, or the all-zero UUID, prove nothing)."""
    old = {"anyOf": [{"type": "integer"}, {"type": "string", "format": "uuid", "pattern": "b"}]}
    new = {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}
    instance = _proven(old, new, "backward", None)  # the branches are matched: `type-changed`
    assert isinstance(instance, str) and "b" in instance


def test_a_change_breaking_both_ways_is_proven_both_ways():
    """Guards: a full comparison reported a change that breaks both ways once, with one witness,
    leaving the other direction unproven (`{"c": {"c": null}}` is refused by the new `not`
    only). Now: one finding per direction, each with its witness."""
    def schema(inner):
        return {"not": {"type": "object", "properties": {"c": {"type": "object", "properties": {"c": inner},
                                                             "required": ["c"]}}}}

    old, new = schema({"type": "number", "minimum": 0}), schema({"type": "null"})
    report = compare(old, new, direction="full", policy="strict")
    changes = [change for change in report.changes if change.rule == "type-changed"]
    assert sorted((change.breaks_forward, change.breaks_backward) for change in changes) == [(False, True), (True, False)]
    for change in changes:
        assert change.witness is not None and change.witness.accepted_by == ("new" if change.breaks_forward else "old")
        accepting, rejecting = (new, old) if change.breaks_forward else (old, new)
        assert Draft202012Validator(accepting, format_checker=FORMAT_CHECKER).is_valid(change.witness.instance)
        assert not Draft202012Validator(rejecting, format_checker=FORMAT_CHECKER).is_valid(change.witness.instance)


def test_digit_property_name_on_the_path_is_a_name():
    """Guards: a change under `patternProperties: {"^[0-9]{2,4}$": ...}` sits at a name like
    "00": the path to it is an object's property (with the required `c` filled in), not an index."""
    def schema(inner):
        return {"type": "array", "items": {"type": "object", "properties": {"a": {
            "required": ["c"], "patternProperties": {"^a": {"type": "string"}, "^[0-9]{2,4}$": inner}}}}}

    instance = _proven(schema({}), schema({"type": "object"}), "backward", "type-narrowed")
    assert isinstance(instance[0]["a"], dict) and "c" in instance[0]["a"]


def test_items_before_the_changed_position_are_filled_in():
    """Guards: opening `items` after a two-item tuple whose first item must be a number >= 2.5:
    the witness needs valid items before the third (padding with nulls proves nothing)."""
    def schema(rest):
        return {"type": "object", "properties": {"pair": {
            "type": "array", "prefixItems": [{"type": "number", "minimum": 2.5}, True], "items": rest}}}

    instance = _proven(schema(False), schema({}), "forward", "additional-items-allowed")
    assert len(instance["pair"]) == 3 and instance["pair"][0] >= 2.5


def test_numbers_around_the_bounds():
    """Guards: `exclusiveMaximum: 0` on whole numbers -> `enum: [1, -1, 0]` loses -2; the
    candidates now include numbers a few steps around each bound."""
    instance = _proven({"type": "integer", "exclusiveMaximum": 0}, {"enum": [1, -1, 0]}, "backward", "enum-added")
    assert instance < -1
