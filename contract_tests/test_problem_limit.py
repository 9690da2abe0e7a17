"""``max_problems`` (issue 13): a payload with thousands of problems costs about as much as one with
``max_problems``, and lists exactly the first ``max_problems`` of its full sorted list.

How: every array longer than a bound is cut before validating (``_validate.first_problems``), which
is exact only while every keyword the validators reach judges one value at a time
(``_validate.cut_is_exact``); the bound doubles until the first problems are certain.
"""

from __future__ import annotations

import json
import random

import pytest

import access_events
from access_events import InvalidEvent, _catalog, _fast, _validate
from access_events._validate import check, reference_problems

BASE = access_events.schema("access_method.issued")["examples"][0]
UUID = "c3b2a190-8f7e-4d6c-b5a4-938271605f4e"
BAD_ITEMS = [1, "x", {"a": 1}, None, [1, 2], True, "not-a-uuid-but-long-enough-to-be-cut-in-a-message-" * 3]


def _case(rng: random.Random) -> dict:
    """An issued event with both arrays of random length, long valid prefixes, invalid items of
    every type, and invalid fields that sort after the arrays' items (or before: a missing field)."""
    doc = dict(BASE)
    for field, good in (("access_grant_ids", UUID), ("access_grant_keys", "key")):
        if rng.random() < 0.2:
            continue
        length = rng.choice([0, 5, 63, 64, 65, 66, 129, 300])
        valid_prefix = rng.choice([0, 0, 10, 64, 65, 100, 200])
        doc[field] = [good if i < valid_prefix or rng.random() < 0.3 else rng.choice(BAD_ITEMS) for i in range(length)]
    for field in ("event_id", "workspace_id", "created_at", "code", "is_backup_code", "access_method_id"):
        if rng.random() < 0.3:
            doc[field] = rng.choice([1, "x", None, [1] * 100, {"k": [1] * 100}])
    if rng.random() < 0.1:
        del doc["workspace_id"]
    if rng.random() < 0.1:
        doc["event_type"] = rng.choice([5, ["access_method.issued"] * 100])  # not a string: the common fields' schema
    return doc


def _problems(instance, problems_of, max_problems=None) -> InvalidEvent | None:
    try:
        check(instance, problems_of, max_problems=max_problems)
    except InvalidEvent as exc:
        return exc
    return None


@pytest.mark.parametrize("problems_of, cases", [(_fast.problems, 300), (reference_problems, 60)], ids=["jsonschema-rs", "jsonschema"])
def test_a_limit_lists_the_first_problems_of_the_full_list(problems_of, cases):
    """The first ``n`` problems are the full list's first ``n``, in its order; ``more_problems`` is the
    exact rest when ``all_counted``, else a lower bound of at least one. Mutations caught: returning
    the cut copy's first problems without checking that they sort before every cut (long valid
    prefixes); cutting without ``cut_is_exact``'s ``_MIN_KEEP`` (messages of cut arrays differ)."""
    rng = random.Random(13)
    cut = 0
    for _ in range(cases):
        doc = _case(rng)
        limit = rng.choice([1, 2, 7, 50, 63, 64, 65, 100])
        full = _problems(doc, problems_of)
        limited = _problems(doc, problems_of, limit)
        if full is None:
            assert limited is None
            continue
        shown = json.dumps(doc)[:200]
        assert limited.problems == full.problems[:limit], (limit, shown)
        assert limited.event_type == full.event_type
        listed = len(limited.problems) + limited.more_problems
        if limited.all_counted:
            assert listed == len(full.problems), (limit, shown)
        else:
            cut += 1
            assert limited.more_problems >= 1 and listed <= len(full.problems), (limit, shown)
    assert cut >= cases // 10  # the cases did make it cut


def test_a_message_about_a_cut_array_reads_as_on_the_whole_array():
    """A message shows the first 40 or 80 characters of a failing value; an array cut to too few items
    would read shorter (``[1, 1]`` instead of ``[1, 1, 1, …``). The catalog never lists a problem on a
    value that is still cut (no keyword there asserts on an array and its items at once), so this
    schema does: ``type`` on the array, ``items`` in it. Mutation caught: ``_MIN_KEEP = 1``."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator({"properties": {"p": {"type": "string", "items": {"type": "string"}}}})

    def problems_of(event_type, instance, limit=None):
        return _validate.problems_from(_validate.reference_failures(validator, instance), limit)

    doc = {"p": [1] * 100}
    every = problems_of(None, doc)
    first, more, counted = _validate.first_problems(problems_of, None, doc, 1)
    assert first == every[:1] and every[0].pointer == "/p" and more >= 1 and not counted


def test_parse_event_and_validate_event_take_max_problems():
    body = json.dumps({**BASE, "access_grant_ids": [1] * 5000, "code": 7}).encode()
    every = access_events.validate_event(body)
    assert len(every) == 5001  # no limit: every problem, as before
    assert access_events.validate_event(body, max_problems=50) == every[:50]
    with pytest.raises(InvalidEvent) as caught:
        access_events.parse_event(body, max_problems=50)
    exc = caught.value
    assert exc.problems == tuple(every[:50]) and exc.more_problems >= 1 and not exc.all_counted
    assert "at least" in str(exc)
    with pytest.raises(InvalidEvent) as caught:
        access_events.parse_event(json.dumps({**BASE, "code": 7, "event_id": 1}), max_problems=1)
    assert caught.value.more_problems == 1 and caught.value.all_counted and "(2 problems)" in str(caught.value)
    # a caller's mapping holding a value no JSON decoder gives goes the reference path: limited too
    mapping = {**BASE, "access_grant_ids": [1] * 5000, "extra": (1, 2)}
    assert access_events.validate_event(mapping, max_problems=3) == access_events.validate_event(mapping)[:3]
    for wrong in (0, -1, 1.5, True, "50"):
        with pytest.raises(ValueError, match="max_problems"):
            access_events.parse_event(body, max_problems=wrong)


def test_the_catalog_lets_arrays_be_cut_and_a_keyword_that_looks_at_a_whole_array_stops_it(monkeypatch):
    """``cut_is_exact`` is True for the catalog (else the cheap path is never taken), and False as soon
    as a schema the validators reach uses a keyword whose verdict depends on an array's tail."""
    assert _validate.cut_is_exact()
    documents = dict(_catalog._documents())
    common = json.loads(json.dumps(documents["common.schema.json"]))
    for keyword, value in [("maxItems", 3), ("contains", {"type": "string"}), ("uniqueItems", True),
                           ("anyOf", [{"type": "array"}]), ("const", ["a"])]:
        planted = json.loads(json.dumps(common))
        planted["$defs"]["access_method_event"]["properties"]["access_grant_ids"][keyword] = value
        monkeypatch.setattr(_catalog, "_documents", lambda planted=planted: {**documents, "common.schema.json": planted})
        _validate.cut_is_exact.cache_clear()
        try:
            assert not _validate.cut_is_exact(), keyword
        finally:
            _validate.cut_is_exact.cache_clear()
    monkeypatch.undo()
    assert _validate.cut_is_exact()
    # and without the cut the answer is the same, only dearer
    monkeypatch.setattr(_validate, "cut_is_exact", lambda: False)
    doc = {**BASE, "access_grant_ids": [1] * 500, "event_id": 2}
    exc = _problems(doc, _fast.problems, 10)
    assert exc.problems == _problems(doc, _fast.problems).problems[:10] and exc.more_problems == 491 and exc.all_counted


def test_a_wrong_max_problems_is_refused_for_a_valid_payload_too():
    """``max_problems`` was checked only on the path of an invalid payload: with ``max_problems=0``
    (or ``-1``, ``True``, ``"50"``) a valid payload parsed and validated as if nothing were wrong,
    and the first invalid one raised ValueError instead of InvalidEvent (a receiver configured so
    answers 500 to every bad body, the producer retrying it, while its tests with good bodies
    pass). Found by the audit of issues 13/14: the argument is refused whatever the payload."""
    valid = json.dumps(BASE).encode()
    assert access_events.validate_event(valid, max_problems=50) == []
    for wrong in (0, -1, 1.5, True, "50"):
        for call in (access_events.parse_event, access_events.validate_event):
            with pytest.raises(ValueError, match="max_problems"):
                call(valid, max_problems=wrong)
            with pytest.raises(ValueError, match="max_problems"):
                call(dict(BASE), max_problems=wrong)
