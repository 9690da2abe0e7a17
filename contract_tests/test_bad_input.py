"""Bad input of every kind: a clear InvalidEvent naming where and why, never a crash."""

from __future__ import annotations

import json

import pytest

import access_events
from access_events._validate import json_type
from access_events import DEFAULT_MAX_BYTES, InvalidEvent, UnknownEventType, parse_event, validate_event

GOOD = access_events.schema("access_method.issued")["examples"][0]


def _problems(data, **kw):
    with pytest.raises(InvalidEvent) as info:
        parse_event(data, **kw)
    assert list(info.value.problems) == validate_event(data, **kw)
    return info.value.problems


@pytest.mark.parametrize(("data", "message"), [
    (b"", "not valid JSON"),
    (b"not json", "not valid JSON"),
    (b'{"event_type": "access_method.issued"', "not valid JSON"),  # truncated
    (b'{"a": NaN}', "not valid JSON"),
    (b'{"a": Infinity}', "not valid JSON"),
    (b'{"a": -Infinity}', "not valid JSON"),
    (b"\xef\xbb\xbf" + json.dumps(GOOD).encode(), "byte order mark"),
    ("\ufeff" + json.dumps(GOOD), "byte order mark"),
    (b'{"event_type": "\xff\xfe"}', "not valid JSON"),  # invalid UTF-8
    (b"[" * 5000 + b"]" * 5000, "not valid JSON"),  # deeply nested
    (b'{"a": "\\ud800"}', "not valid JSON"),  # a lone escaped surrogate is no Unicode text
])
def test_undecodable(data, message):
    problems = _problems(data)
    assert [(p.pointer, p.keyword) for p in problems] == [("", "json")]
    assert message in problems[0].message


@pytest.mark.parametrize("data", [b"[]", b'"text"', b"42", b"null", b"true", [1], "[1, 2]"])
def test_not_an_object(data):
    if isinstance(data, list):
        data = json.dumps(data)
    problems = _problems(data)
    assert [(p.pointer, p.keyword) for p in problems] == [("", "type")]
    assert "expected a JSON object" in problems[0].message


def test_size_limit_default_and_configurable():
    big = json.dumps(dict(GOOD, event_description="x" * (50 * 1024 * 1024))).encode()
    problems = _problems(big)
    assert [(p.pointer, p.keyword) for p in problems] == [("", "size")]
    assert str(DEFAULT_MAX_BYTES) in problems[0].message
    small = json.dumps(GOOD).encode()
    assert _problems(small, max_bytes=100)[0].keyword == "size"
    assert _problems(small.decode(), max_bytes=100)[0].keyword == "size"
    assert parse_event(small, max_bytes=len(small)).event_type == "access_method.issued"


def test_huge_string_in_a_mapping_is_reported_short():
    problems = _problems(dict(GOOD, code=["x" * (50 * 1024 * 1024)]))
    assert [(p.pointer, p.keyword) for p in problems] == [("/code", "type")]
    assert len(problems[0].message) < 200


def test_missing_event_type_reports_every_other_problem_too():
    data = {k: v for k, v in GOOD.items() if k not in ("event_type", "event_id")}
    problems = _problems(data)
    assert [(p.pointer, p.keyword) for p in problems] == [("/event_id", "required"), ("/event_type", "required")]


@pytest.mark.parametrize("value", [None, 7, ["access_method.issued"], {"a": 1}, True])
def test_non_string_event_type(value):
    problems = _problems(dict(GOOD, event_type=value))
    assert ("/event_type", "type") in [(p.pointer, p.keyword) for p in problems]


@pytest.mark.parametrize("event_type", ["access_method.code_changed", "device.connected", "", "ACCESS_METHOD.ISSUED"])
def test_unknown_event_type_is_its_own_error(event_type):
    with pytest.raises(UnknownEventType) as info:
        parse_event(dict(GOOD, event_type=event_type))
    assert info.value.event_type == event_type
    assert not isinstance(info.value, InvalidEvent)
    assert isinstance(info.value, ValueError)
    assert [(p.pointer, p.keyword) for p in validate_event(dict(GOOD, event_type=event_type))] == [("/event_type", "event_type")]


FIELD_TYPES = {"access_grant_ids": "array", "access_grant_keys": "array", "access_method_id": "string", "code": "string",
               "created_at": "string", "event_id": "string", "is_backup_code": "boolean", "occurred_at": "string",
               "workspace_id": "string"}


def test_field_types_cover_the_example():
    assert set(FIELD_TYPES) == set(GOOD) - {"event_type"}


@pytest.mark.parametrize("field", sorted(FIELD_TYPES))
@pytest.mark.parametrize("wrong", [None, 0, 1.5, True, [], {}], ids=["null", "integer", "number", "boolean", "array", "object"])
def test_wrong_type_in_every_field(field, wrong):
    if json_type(wrong) == FIELD_TYPES[field]:
        pytest.skip(f"{json_type(wrong)} is the right type for {field}")
    problems = validate_event(dict(GOOD, **{field: wrong}))
    assert [(p.pointer, p.keyword) for p in problems] == [("/" + field, "type")]


@pytest.mark.parametrize("value", [
    "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000", "0000000000000000000000000000000",
    "{00000000-0000-0000-0000-000000000000}", "urn:uuid:00000000-0000-0000-0000-000000000000",
    "g0000000-0000-0000-0000-000000000000", "00000000_0000_0000_0000_000000000000", " 00000000-0000-0000-0000-000000000000",
])
def test_malformed_uuid(value):
    assert ("/event_id", "format") in [(p.pointer, p.keyword) for p in validate_event(dict(GOOD, event_id=value))]


def test_uuid_shape_not_version_and_either_case():
    data = dict(GOOD, event_id="5F4E3D2C-1B0A-9F8E-7D6C-5B4A39281706")
    event = parse_event(data)
    assert str(event.event_id) == "5f4e3d2c-1b0a-9f8e-7d6c-5b4a39281706"


def test_duplicate_keys_last_wins():
    raw = json.dumps(GOOD)[:-1] + ', "code": "9999"}'
    assert parse_event(raw).code == "9999"


def test_unknown_properties_are_accepted_and_not_kept():
    data = dict(GOOD, acs_system_id="x", nested={"a": [1, 2]})
    event = parse_event(data)
    assert not hasattr(event, "acs_system_id")
    assert data["acs_system_id"] == "x"  # the caller's input is untouched


def test_problem_messages_are_printable_and_sorted():
    data = dict(GOOD, access_grant_ids=["bad"] * 12, event_id="bad")
    problems = validate_event(data)
    pointers = [p.pointer for p in problems if p.keyword == "format"]
    assert pointers == [f"/access_grant_ids/{i}" for i in range(12)] + ["/event_id"]
    with pytest.raises(InvalidEvent, match=r"invalid access_method.issued event \(\d+ problems\)"):
        parse_event(data)


def test_wrong_argument_type_is_a_type_error():
    with pytest.raises(TypeError, match="bytes, str or a mapping"):
        parse_event(42)
