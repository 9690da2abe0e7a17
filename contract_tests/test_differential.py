"""Every path means the same thing as the reference (jsonschema + the generated converters).

The fast paths: the one-pass tier (msgspec Structs from raw text, ``_structs.py``) and the
second tier (orjson + jsonschema-rs on the catalog flattened by jsonschema-rs, then
msgspec). Every sample, generated payloads of every type (valid and invalid), a corpus of
edge cases and mutation corpora of UUIDs and date-times go through them: verdicts, every
reported problem (pointer, keyword, message) and the built objects must be identical, and
the one-pass tier must never take a payload the reference refuses.
"""

from __future__ import annotations

import enum
import json
import random
import uuid
from datetime import datetime, timezone

import orjson
import pytest
import schemathesis
from _bundle import openapi_for
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from test_rfc3339 import INVALID as BAD_DATE_TIMES
from test_rfc3339 import VALID as GOOD_DATE_TIMES

import access_events
from access_events import InvalidEvent, UnknownEventType, _fast
from access_events._decode import decode
from access_events._validate import check, reference_problems
from access_events_models import EVENT_CLASSES
from access_events_models._convert import FROM_DICT
from access_events_models._structs import NOT_EXACT

BASE = access_events.schema("access_method.issued")["examples"][0]
BASE_TEXT = json.dumps(BASE)


def _same(event, expected) -> bool:
    """``event`` is ``expected``: same class, ``==``, and every date-time at the same UTC offset.

    ``==`` alone takes aware datetimes at other offsets as equal: a path that turned every
    date-time into UTC (``_fast.build`` planted so, issue 16) passed every test that compared
    with it. ``to_dict`` writes each date-time's RFC 3339 text with its offset.

    ``vars(event)`` must hold every field, in field order, whichever path built it: msgspec's
    ``convert`` into the dataclass left absent optional members out of ``__dict__`` and kept the
    payload's key order, so ``vars()`` (and what a caller serialises from it) depended on
    whether the event came from bytes or from a mapping.
    """
    return (type(event) is type(expected) and event == expected
            and access_events.to_dict(event) == access_events.to_dict(expected)
            and list(vars(event).items()) == list(vars(expected).items()))


def _outcome(instance, problems_of) -> tuple:
    try:
        return "valid", check(instance, problems_of), ()
    except InvalidEvent as exc:
        return "invalid", exc.event_type, exc.problems
    except UnknownEventType as exc:
        return "unknown", exc.event_type, ()


def _agree(instance) -> bool:
    """Assert both paths agree on ``instance`` (verdict, every problem, the object); return the verdict."""
    event_type = instance.get("event_type") if isinstance(instance, dict) else None
    outcome = _outcome(instance, reference_problems)
    assert _outcome(instance, _fast.problems) == outcome, f"problems differ for {json.dumps(instance)[:300]}"
    reference = outcome[0] == "valid"
    fast = isinstance(event_type, str) and _fast.is_valid(event_type, instance)
    assert fast == reference, f"jsonschema-rs says {fast}, jsonschema says {reference}: {json.dumps(instance)[:300]}"
    if reference:
        expected = FROM_DICT[event_type](instance)
        assert _same(_fast.build(event_type, instance), expected), instance
        assert _same(access_events.parse_event(instance), expected), instance  # a caller's mapping
    return reference


def _agree_raw(raw: bytes | str) -> bool:
    """Each route of the one-pass tier (msgspec's ``Members``; simdjson's checks and
    ``MembersOpen``; orjson's dict converted) takes nothing the reference refuses and builds the
    reference's event, holding exactly its fields; ``parse_event`` gives the reference's
    outcome, whichever route it tries first. Returns whether the one-pass tier took ``raw``."""
    routes = {"declared": _fast.declared(raw), "decoded": _fast.decoded(raw), "loaded": _fast.loaded(raw)}
    try:
        instance = decode(raw)
        event_type = check(instance)
    except (InvalidEvent, UnknownEventType) as refused:
        for route, taken in routes.items():
            assert taken is None, f"the one-pass tier ({route}) took what the reference refuses: {raw[:300]!r}"
        for first in (True, False):
            _fast._declared_streak = _fast.SWITCH_BACK if first else 0
            with pytest.raises(type(refused)):
                access_events.parse_event(raw)
        return False
    expected = FROM_DICT[event_type](instance)
    for route, taken in routes.items():
        if taken is not None:
            assert type(taken) is EVENT_CLASSES[event_type] and _same(taken, expected), (route, raw[:300])
            assert repr(taken) == repr(expected) and vars(taken) == vars(expected), (route, raw[:300])
    for first in (True, False):
        _fast._declared_streak = _fast.SWITCH_BACK if first else 0
        assert _same(access_events.parse_event(raw), expected), raw[:300]
    return any(taken is not None for taken in routes.values())


def _edge_cases() -> list[tuple[str, object]]:
    cases: list[tuple[str, object]] = []
    for value in GOOD_DATE_TIMES + BAD_DATE_TIMES + [
        "2025-01-01T00:00:00.1234565Z", "2025-12-31T23:59:59.9999995Z", "9999-12-31T23:59:59.9999999Z",
        "2016-12-31T23:59:60.9999999Z", "0000-01-01T00:00:00Z", "2025-01-01T00:00:00.123456789012345678901234567890Z",
    ]:
        cases.append((f"created_at={value!r}", dict(BASE, created_at=value)))
    for value in ["5F4E3D2C-1B0A-9F8E-7D6C-5B4A39281706", "5f4e3d2c-1B0A-9f8e-7D6C-5b4a39281706",
                  "urn:uuid:00000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}",
                  "00000000000000000000000000000000", "00000000-0000-0000-0000-00000000000g", "０0000000-0000-0000-0000-000000000000"]:
        cases.append((f"event_id={value!r}", dict(BASE, event_id=value)))
    raw_values = {
        "is_backup_code=-0": '"is_backup_code": -0', "is_backup_code=1.0": '"is_backup_code": 1.0',
        "is_backup_code=1": '"is_backup_code": 1', "code=-0": '"code": -0', "code=1.0": '"code": 1.0',
        "extra=2**63-1": '"extra": 9223372036854775807', "extra=-2**63": '"extra": -9223372036854775808',
        "extra=1e308": '"extra": 1e308', "code=non-BMP": '"code": "\U0001f511"',
        "code=escaped pair": '"code": "\\ud83d\\udd11"', "code=NUL": '"code": "\\u0000"',
        "event_type=escaped": '"event_type": "access_method\\u002eissued"',
    }
    for name, member in raw_values.items():
        cases.append((name, orjson.loads(BASE_TEXT[:-1] + ", " + member + "}")))
    return cases


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*/*/*.json")), ids=lambda p: f"{p.parts[-3]}/{p.parts[-2]}/{p.stem}")
def test_samples(path):
    verdict = _agree(orjson.loads(path.read_bytes()))
    assert verdict == (path.parts[-2] == "valid")
    _agree_raw(path.read_bytes())


def test_the_one_pass_tier_takes_the_valid_samples_of_every_event_type():
    """Not a dead branch: every event type has a Struct, and each valid sample declaring only
    the schema's members is decoded by it, by msgspec's route for declared-only payloads
    (``Members``: its ``event_type`` Literal names every event type), except a leap second
    (msgspec refuses ``:60``; the second tier takes it, README "Decisions")."""
    assert NOT_EXACT == {}
    taken: dict[str, int] = {}
    for path in sorted(SAMPLES.glob("*/valid/*.json")):
        instance = orjson.loads(path.read_bytes())
        declared = set(EVENT_CLASSES[instance["event_type"]].__dataclass_fields__)
        if set(instance) <= declared:
            assert _agree_raw(path.read_bytes()) == (path.stem != "leap_second"), path.name
            assert (_fast.declared(path.read_bytes()) is not None) == (path.stem != "leap_second"), path.name
            taken[instance["event_type"]] = taken.get(instance["event_type"], 0) + 1
    assert set(taken) == set(access_events.EVENT_TYPES), taken


#: Undeclared member values of every JSON type, nested ones included (issue 14).
UNDECLARED_VALUES: list[object] = [
    "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "", "front door", "caf\u00e9 \U0001f511", 'quote " and backslash \\', "2026-03-14T09:26:52+05:30",
    0, -1, 42, 2**63 - 1, -(2**63), 2**64 - 1, 123456789012345678901234567890, 1.5, -0.0, 1e308, 2.5e-308, 1e-400,
    True, False, None, [], {}, [1, "two", [3.0, [None, {"four": [True]}]]], {"a": {"b": {"c": [{"d": "e"}, 1e300]}}},
    {"event_type": "access_method.revoked", "code": 5, "event_id": "not a uuid"},  # declared names, nested: not the event's
]


def _undeclared_payload(count: int, seed: int) -> bytes:
    """``BASE`` with ``count`` undeclared members drawn from ``UNDECLARED_VALUES``, all members shuffled
    (undeclared ones before, between and after the declared ones and ``event_type``)."""
    rnd = random.Random(seed)
    members = [(name, json.dumps(value)) for name, value in BASE.items()]
    members += [(f"x_{seed}_{n}", json.dumps(rnd.choice(UNDECLARED_VALUES))) for n in range(count)]
    rnd.shuffle(members)
    separator = rnd.choice([",", ", ", " ,\n "])
    return ("{" + separator.join(f"{json.dumps(name)}: {value}" for name, value in members) + "}").encode()


@pytest.mark.parametrize("count", [1, 10, 100])
def test_undeclared_members_of_every_json_type_are_taken_by_the_one_pass_tier(count):
    """Producers add fields: a payload carrying undeclared members (of every JSON type, nested,
    in any position) is decoded in one pass, to the reference's event (issue 14). Before, the
    one-pass tier refused every such payload and parse_event paid a failed attempt plus tier 2."""
    for seed in range(40):
        raw = _undeclared_payload(count, seed)
        assert _agree_raw(raw), raw[:300]
        assert _agree_raw(raw.decode()), raw[:300]
        assert access_events.validate_event(raw) == []


def _hostile_values() -> list[tuple[str, bytes]]:
    """Undeclared values the reference's decoder (orjson) refuses and msgspec's skipping of
    unknown members does not check, or checks by other limits; with the accepted neighbours."""
    return [
        ("invalid UTF-8", b'"\xff"'), ("truncated UTF-8", b'"ab\xc3"'), ("UTF-8 surrogate", b'"\xed\xa0\x80"'),
        ("overlong UTF-8", b'"\xc0\x80"'), ("UTF-8 beyond U+10FFFF", b'"\xf4\x90\x80\x80"'),
        ("invalid UTF-8 in a nested key", b'{"\xff": 1}'), ("invalid UTF-8 deep inside", b'[{"a": ["ok", "\xfe"]}]'),
        ("lone high surrogate escape", b'"\\ud800"'), ("lone low surrogate escape", b'"\\udc00"'),
        ("high surrogate then a letter", b'"\\ud800\\u0041"'), ("reversed surrogate pair", b'"\\udc00\\ud800"'),
        ("surrogate pair", b'"\\ud83d\\udd11"'), ("escaped quote", b'"say \\"hi\\""'),
        ("1e400", b"1e400"), ("-1e400", b"-1e400"), ("1E+309", b"1E+309"), ("1e308", b"1e308"), ("1e-400", b"1e-400"),
        ("400 digits", b"1" + b"0" * 400), ("400 digits and a fraction", b"1" + b"0" * 400 + b".5"),
        ("1e400 nested", b'{"a": [1, {"b": 1e400}]}'), ("big integer", b"123456789012345678901234567890"),
        ("NaN", b"NaN"), ("Infinity", b"Infinity"), ("leading zero", b"01"), ("control character", b'"a\tb"'),
        ("invalid escape", b'"\\x41"'), ("trailing comma", b"[1,]"),
        ("1023 deep", b"[" * 1023 + b"]" * 1023), ("1024 deep", b"[" * 1024 + b"]" * 1024),
        ("5000 deep", b"[" * 5000 + b"]" * 5000), ("1023 deep objects", b'{"a":' * 1023 + b"1" + b"}" * 1023),
    ]


def _hostile_cases() -> list[tuple[str, bytes]]:
    cases = []
    for name, value in _hostile_values():
        for count in (1, 10, 100):
            raw = _undeclared_payload(count - 1, seed=count)
            cut = raw.index(b"{") + 1 if count % 2 else len(raw) - 1  # the hostile member first or last
            member = b'"hostile": ' + value
            raw = raw[:cut] + member + b", " + raw[cut:] if count % 2 else raw[:cut] + b", " + member + raw[cut:]
            cases.append((f"{name}, {count} undeclared", raw))
    return cases


@pytest.mark.parametrize(("name", "raw"), _hostile_cases(), ids=[name for name, _ in _hostile_cases()])
def test_hostile_undeclared_members(name, raw):
    """msgspec skips an undeclared value without checking its UTF-8, a number's range (1e400 is
    infinity) or (on some Pythons) orjson's depth limit: the one-pass tier must still refuse
    exactly what the reference refuses, and give the reference's event for the rest. Guards
    simdjson's check before msgspec's decode: with it planted off, the invalid UTF-8 and
    1e400 cases fail."""
    _agree_raw(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    _agree_raw(text)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.text(max_size=8), st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)),
    min_size=1, max_size=12), st.randoms(use_true_random=False), st.binary(max_size=4))
def test_fuzzed_undeclared_members(members, rnd, noise):
    """Generated undeclared members (any JSON value, nested, NaN and infinities written as
    Python's json writes them, names that may be declared ones), at random places, and the
    same text with a few random bytes spliced into one of their values: every path gives the
    reference's outcome, and the one-pass tier takes nothing the reference refuses."""
    body = [(name, json.dumps(value)) for name, value in BASE.items()]
    body += [(name, json.dumps(value, ensure_ascii=rnd.random() < 0.5)) for name, value in members]
    rnd.shuffle(body)
    raw = ("{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in body) + "}").encode()
    _agree_raw(raw)
    spliced = rnd.choice([value for _, value in body[:]]).encode()
    at = raw.index(spliced) + rnd.randrange(len(spliced) + 1)
    _agree_raw(raw[:at] + noise + raw[at:])


def test_escaped_quotes_and_duplicates_in_declared_members_take_the_checked_path():
    """An escaped quote in a declared member and a member given twice: both routes of the
    one-pass tier take them, to the reference's event."""
    for raw in (orjson.dumps(dict(BASE, code='12"34')), (BASE_TEXT[:-1] + ', "code": "9", "code": "1234"}').encode()):
        assert _agree_raw(raw), raw


@pytest.mark.parametrize(("name", "instance"), _edge_cases(), ids=[name for name, _ in _edge_cases()])
def test_edge_cases(name, instance):
    _agree(instance)
    _agree_raw(json.dumps(instance).encode())


def _raw_cases() -> list[tuple[str, bytes]]:
    """Raw texts where msgspec's decoder and the reference's (orjson) could part: JSON edge
    cases in declared and undeclared members, escapes, duplicates, nulls."""
    def member(text: str) -> bytes:
        return (BASE_TEXT[:-1] + ", " + text + "}").encode()
    created = '"created_at": "2025-01-01T00:00:00Z"'
    return [
        ("BOM", b"\xef\xbb\xbf" + BASE_TEXT.encode()),
        ("BOM after whitespace", b" \xef\xbb\xbf" + BASE_TEXT.encode()),
        ("invalid UTF-8 in a declared member", member('"code": "12zz34"').replace(b"zz", b"\xff")),
        ("invalid UTF-8 in an undeclared member", member('"extra": "zz"').replace(b'"zz"', b'"\xed\xa0\x80"')),
        ("number beyond a double in an undeclared member", member('"extra": 1e999')),
        ("big integer in an undeclared member", member('"extra": 123456789012345678901234567890')),
        ("null in an optional member", member('"code": null')),
        ("null in an undeclared member", member('"extra": null')),
        ("duplicate member, valid last", member('"code": 5, "code": "1234"')),
        ("duplicate member, invalid last", member('"code": "1234", "code": 5')),
        ("duplicate date-time, invalid last", member(created + ', "created_at": "2025-01-01 00:00:00Z"')),
        ("duplicate date-time, valid last", member('"created_at": "2025-01-01 00:00:00Z", ' + created)),
        ("duplicate event type", member('"event_type": "access_method.revoked"')),
        # Members' event_type is a Literal of the event types: msgspec checks each occurrence
        ("duplicate event type, an unknown one first", b'{"event_type": "access_method.nope", ' + BASE_TEXT[1:].encode()),
        ("duplicate event type, an unknown one last", member('"event_type": "access_method.nope"')),
        ("unknown event type", member('"event_type": "access_method.nope"').replace(b'"access_method.issued"', b'"access_method.nope"')),
        ("event type of another family", member('"event_type": "lock.unlocked"').replace(b'"access_method.issued"', b'"lock.unlocked"')),
        ("event type an array", member('"event_type": []')),
        ("event type an object", member('"event_type": {}')),
        ("event type a number", member('"event_type": 1')),
        ("event type missing", orjson.dumps({k: v for k, v in BASE.items() if k != "event_type"})),
        ("escaped space in a date-time", member('"created_at": "2025-01-01\\u002000:00:00Z"')),
        ("escaped T in a date-time", member('"created_at": "2025-01-01\\u005400:00:00Z"')),
        ("escaped hyphen in a UUID", member('"event_id": "00000000\\u002d0000-0000-0000-000000000000"')),
        ("hyphenless UUID", member('"event_id": "00000000000000000000000000000000"')),
        ("hyphenless UUID in a list", member('"access_grant_ids": ["00000000000000000000000000000000"]')),
        ("colonless offset", member('"occurred_at": "2025-01-01T05:30:00+0530"')),
        ("naive date-time", member('"occurred_at": "2025-01-01T05:30:00"')),
        ("lone surrogate escape", member('"code": "\\ud800"')),
        ("escaped surrogate pair", member('"code": "\\ud83d\\udd11"')),
        ("deep nesting in a declared member", member('"access_grant_keys": ' + "[" * 5000 + "]" * 5000)),
        ("deep nesting in an undeclared member", member('"extra": ' + "[" * 5000 + "]" * 5000)),
        ("1000-deep nesting in an undeclared member", member('"extra": ' + "[" * 1000 + "]" * 1000)),
        ("1000-deep nesting beside an invalid member", member('"code": 5, "extra": ' + "[" * 1000 + "]" * 1000)),
        # a failing value nested hundreds deep: jsonschema-rs gave up ("Recursion limit reached")
        # and jsonschema's repr of it overflowed the stack, so validate_event raised
        ("300-deep nesting in a declared member", member('"event_description": ' + "[" * 300 + "]" * 300)),
        ("900-deep nesting in a uuid list", member('"access_grant_ids": [' + "[" * 900 + "]" * 900 + "]")),
        ("1000-deep object without the fields of an event", ('{"a":' * 1000 + "1" + "}" * 1000).encode()),
        ("trailing comma", (BASE_TEXT[:-1] + ",}").encode()),
        ("trailing CRLF and spaces", BASE_TEXT.encode() + b" \r\n"),
        ("two documents", BASE_TEXT.encode() * 2),
        ("an array of the event", b"[" + BASE_TEXT.encode() + b"]"),
        ("empty", b""),
    ]


@pytest.mark.parametrize(("name", "raw"), _raw_cases(), ids=[name for name, _ in _raw_cases()])
def test_raw_edge_cases(name, raw):
    _agree_raw(raw)
    try:
        text = raw.decode("utf-8")  # the same payload as text (a BOM becomes U+FEFF)
    except UnicodeDecodeError:
        return
    _agree_raw(text)


class _Text(str):
    pass


@pytest.mark.parametrize("name", ["tuple", "str subclass", "uuid object", "datetime object", "set", "int key",
                                  "lone surrogate key", "nan", "big int", "lone surrogate value"])
def test_mappings_with_values_json_cannot_carry(name):
    """An already-decoded mapping may hold Python values no JSON text decodes to; jsonschema-rs
    reads some differently from the reference (a tuple as an array) or refuses them with its
    own exception. Such mappings are checked by the reference: same verdict, never a crash."""
    instance = {
        "tuple": dict(BASE, access_grant_ids=()), "str subclass": dict(BASE, code=_Text("1234")),
        "uuid object": dict(BASE, event_id=uuid.UUID(int=0)), "datetime object": dict(BASE, created_at=datetime.now(timezone.utc)),
        "set": dict(BASE, extra={1}), "int key": {**BASE, 1: 2}, "lone surrogate key": {**BASE, "\ud800": 1},
        "nan": dict(BASE, extra=float("nan")), "big int": dict(BASE, extra=2**70), "lone surrogate value": dict(BASE, code="\ud800"),
    }[name]
    assert not _fast.json_native(instance)
    reference = not reference_problems("access_method.issued", instance)
    assert (access_events.validate_event(instance) == []) == reference
    if reference:
        assert access_events.parse_event(instance) == FROM_DICT["access_method.issued"](instance)
    else:
        with pytest.raises(InvalidEvent):
            access_events.parse_event(instance)


def test_deeply_nested_mappings_are_checked_without_recursion():
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    assert _fast.json_native(nested)
    assert access_events.validate_event(dict(BASE, extra=nested)) == []
    assert [p.pointer for p in access_events.validate_event(dict(BASE, code=5, extra=nested))] == ["/code"]


def test_raw_input_of_a_subclass_of_bytes_or_str():
    class Raw(bytes):
        pass
    expected = FROM_DICT["access_method.issued"](BASE)
    assert access_events.parse_event(Raw(BASE_TEXT.encode())) == expected
    assert access_events.parse_event(_Text(BASE_TEXT)) == expected
    assert access_events.validate_event(Raw(BASE_TEXT.encode())) == []


def _mutations(seeds: list[str], alphabet: str, count: int, seed: int) -> list[str]:
    """``count`` deterministic near-misses of ``seeds``: one to three characters replaced,
    inserted or deleted."""
    rnd = random.Random(seed)
    out = set()
    while len(out) < count:
        chars = list(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 3)):
            op, i = rnd.random(), rnd.randrange(len(chars) + 1)
            if op < 0.4 and chars:
                chars[min(i, len(chars) - 1)] = rnd.choice(alphabet)
            elif op < 0.7:
                chars.insert(i, rnd.choice(alphabet))
            elif chars:
                del chars[min(i, len(chars) - 1)]
        out.add("".join(chars))
    return sorted(out)


DATE_TIME_SEEDS = ["2025-01-01T00:00:00Z", "2016-12-31T23:59:60Z", "2025-01-01T05:30:00.123456+05:30",
                   "2025-12-31t23:59:59.1z", "1999-02-28T00:00:00-00:00", "0001-01-01T00:00:00Z",
                   "9999-12-31T23:59:59.999999Z", "2024-02-29T12:00:00.123456789+14:00"]
UUID_SEEDS = ["8f0c6b2e-3d41-4c7a-9b5e-0123456789ab", "ABCDEF01-2345-6789-abcd-ef0123456789", "0123456789abcdef0123456789abcdef"]


@pytest.mark.parametrize(("field", "seeds", "alphabet"), [
    ("occurred_at", DATE_TIME_SEEDS, "0123456789-:.TtZz+ Ww,_/\u0660\uff10\n"),
    ("event_id", UUID_SEEDS, "0aAfFgG-{}: \u0663\uff46\n"),
    ("access_grant_ids", UUID_SEEDS, "0aAfFgG-{}: \u0663\uff46\n"),
])
def test_mutation_corpus(field, seeds, alphabet):
    """msgspec's UUID and datetime parsers take spellings the schema forbids (no hyphens; a
    space for T, an offset without its colon); the one-pass tier must refuse every one, and
    the flattened jsonschema-rs catalog must give the reference's verdicts."""
    taken = refused = 0
    for value in _mutations(seeds, alphabet, 1500, seed=len(field)):
        instance = dict(BASE, **{field: [value] if field == "access_grant_ids" else value})
        if _agree_raw(json.dumps(instance).encode()):
            taken += 1
        else:
            refused += 1
        assert _fast.is_valid("access_method.issued", instance) == (not reference_problems("access_method.issued", instance)), value
    assert taken > 20 and refused > 500, (taken, refused)


def test_edge_case_verdicts_that_are_decided_here():
    """The settled disagreements between libraries (README, "Decisions about edge cases")."""
    verdicts = dict((name, _agree(instance)) for name, instance in _edge_cases())
    assert verdicts["created_at='2016-12-31T23:59:60Z'"] is True
    assert verdicts["created_at='2025-01-01t00:00:00z'"] is True
    assert verdicts["created_at='2025-01-01T00:00:00.123456789Z'"] is True
    assert verdicts["event_id='5F4E3D2C-1B0A-9F8E-7D6C-5B4A39281706'"] is True
    assert verdicts["event_id='urn:uuid:00000000-0000-0000-0000-000000000000'"] is False
    assert verdicts["is_backup_code=1.0"] is False and verdicts["is_backup_code=1"] is False
    assert verdicts["code=-0"] is False
    assert verdicts["code=escaped pair"] is True and verdicts["event_type=escaped"] is True


_SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("event_type", access_events.EVENT_TYPES)
def test_generated_payloads(event_type, mode):
    operation = schemathesis.openapi.from_dict(openapi_for(event_type))["/events"]["POST"]
    verdicts = []

    @_SETTINGS
    @given(operation.as_strategy(generation_mode=mode))
    def run(case):
        verdicts.append(_agree(case.body))
        try:
            raw = json.dumps(case.body).encode()
        except (TypeError, ValueError):  # negative generation can make bodies that are not JSON
            return
        _agree_raw(raw)

    run()
    assert verdicts
    if mode is GenerationMode.POSITIVE:
        assert all(verdicts)
    else:
        assert verdicts.count(False) >= len(verdicts) // 2, f"negative generation gave {verdicts.count(False)} invalid of {len(verdicts)}"


def _uuid_variants() -> list[str]:
    """Near-misses of a UUID: every position edited, inserted or deleted with characters
    that matter to the two regex engines (case, hyphens, braces, newlines, wide digits)."""
    base = "8f0c6b2e-3d41-4c7a-9b5e-0123456789ab"
    alphabet = "0aAfFgG-{}:\n\t \u0663\uff46"
    variants = {base, base.upper(), base.replace("-", ""), "{" + base + "}", "urn:uuid:" + base, base + "\n", "\n" + base}
    for i in range(len(base) + 1):
        variants.add(base[:i] + base[i + 1:])
        for char in alphabet:
            variants.add(base[:i] + char + base[i + 1:])
            variants.add(base[:i] + char + base[i:])
    return sorted(variants)


def test_hot_path_without_the_uuid_pattern_gives_the_same_verdicts():
    """_fast checks validity against the catalog without the UUID pattern (its format says the
    same, faster); on every near-miss the verdict must equal the full schemas' and the reference."""
    full = _fast._compiler(list(access_events._catalog._documents().values()))(access_events._catalog.schema_id("access_method.issued"))
    checked = 0
    for value in _uuid_variants():
        for instance in (dict(BASE, event_id=value), dict(BASE, access_grant_ids=[value])):
            fast = _fast.is_valid("access_method.issued", instance)
            assert fast == full.is_valid(instance), (value, fast)
            assert fast == (not reference_problems("access_method.issued", instance)), value
            checked += 1
    assert checked > 1000


def test_msgspecs_route_takes_undeclared_members():
    """Issue 14's speed: a payload with undeclared members (one, twenty of every JSON type, a
    hundred) is taken by msgspec's single pass, simdjson checking what msgspec skips, instead
    of orjson's dict converted (about 1.3x the time of a declared-only payload). Before, the
    msgspec route refused them (its Structs forbade undeclared members)."""
    from access_events.bench import KINDS

    for kind, payload in KINDS.items():
        raw = orjson.dumps(payload)
        assert _same(_fast.decoded(raw), access_events.parse_event(raw)), kind
    fitting = [v for v in UNDECLARED_VALUES if not (type(v) is int and not -(2**63) <= v < 2**64)]  # simdjson: 64 bits
    raw = orjson.dumps({**BASE, **{f"x{n}": fitting[n % len(fitting)] for n in range(100)}})
    assert _same(_fast.decoded(raw), access_events.parse_event(raw))
    big = (BASE_TEXT[:-1] + ', "x": 18446744073709551616}').encode()  # 2**64: orjson takes it, simdjson does not
    assert _fast.decoded(big) is None and _same(_fast.loaded(big), access_events.parse_event(big))


def test_parse_event_tries_the_checked_route_first_after_undeclared_members():
    """Issue 14's speed: after a payload with undeclared members ``parse_event`` tries simdjson
    and ``MembersOpen`` first (no failed ``Members`` decode paid per payload), and ``Members``
    alone again after ``SWITCH_BACK`` declared-only payloads in a row (a member given twice
    counts as undeclared). Fails when the route never changes (every such payload pays both)
    or never changes back."""
    declared = BASE_TEXT.encode()
    extended = (BASE_TEXT[:-1] + ', "acs_system_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}').encode()
    twice = (BASE_TEXT[:-1] + ', "code": "9", "code": "1234"}').encode()
    _fast._declared_streak = _fast.SWITCH_BACK
    first = access_events.parse_event(extended)
    assert _fast._declared_streak == 0
    for n in range(1, _fast.SWITCH_BACK + 1):
        assert _same(access_events.parse_event(declared), first) and _fast._declared_streak == n
    assert _same(access_events.parse_event(declared), first) and _fast._declared_streak == _fast.SWITCH_BACK
    access_events.parse_event(extended)
    assert _fast._declared_streak == 0
    access_events.parse_event(declared)
    access_events.parse_event(twice)
    assert _fast._declared_streak == 0
    _fast._declared_streak = _fast.SWITCH_BACK  # an undeclared integer beyond 64 bits: only orjson's dict takes it
    access_events.parse_event((BASE_TEXT[:-1] + ', "x": 18446744073709551616}').encode())
    assert _fast._declared_streak == 0


def _members_of_other_events() -> list[tuple[str, bytes]]:
    """Payloads of each event type carrying a member only other event types declare (``code``,
    ``is_backup_code``: undeclared here, so any JSON value is valid), valued as the declaring
    event types it and otherwise, hostile values included."""
    values = ['"1234"', '"\\u00e9"', "true", "false", "5", "null", '["a"]', '{"b": 1}', '"9a8b7c6d5e4f4a3b8c2d1e0f9a8b7c6d"',
              b'"\xff"'.decode("latin-1"), "1e400", '"\\ud800"']
    cases = []
    for event_type in access_events.EVENT_TYPES:
        declared = set(EVENT_CLASSES[event_type].__dataclass_fields__)
        text = json.dumps(access_events.schema(event_type)["examples"][0])
        for name in ("code", "is_backup_code"):
            if name not in declared:
                for value in values:
                    raw = (text[:-1] + f', "{name}": {value}}}').encode("latin-1")
                    cases.append((f"{event_type} {name}={value}", raw))
    return cases


@pytest.mark.parametrize(("name", "raw"), _members_of_other_events(), ids=[name for name, _ in _members_of_other_events()])
def test_members_other_event_types_declare(name, raw):
    """msgspec's route decodes every payload into one Struct holding the members of every event
    type (``Members``: no second scan for a union's tag). A member another event type declares
    is undeclared in this one: any JSON value is valid, the reference's checks still apply, and
    the event built carries only its own fields. A string ``code`` or a boolean
    ``is_backup_code`` is taken by msgspec's route itself."""
    taken = _agree_raw(raw)
    value = raw.rsplit(b": ", 1)[1][:-1]
    if value in (b'"1234"', b'"\\u00e9"', b"true", b"false", b'"9a8b7c6d5e4f4a3b8c2d1e0f9a8b7c6d"'):
        if (b'"code"' in raw) == value.startswith(b'"'):
            assert taken and _fast.decoded(raw) is not None, name


def test_what_msgspec_checks_in_the_members_it_skips():
    """Why ``Members`` forbids members no event declares (issue 14: checked, not assumed): msgspec
    (0.22) skipping an unknown member checks its grammar, escapes and escaped surrogates, but
    not the UTF-8 of its strings nor a number's range, which the reference's decoder refuses.
    Fails when msgspec starts checking those (then skipping could replace orjson's dict route
    for payloads with undeclared members) or stops checking the ones it checks."""
    import msgspec
    from access_events_models._structs import AccessMethodIssuedEventStruct

    skip = msgspec.json.Decoder(AccessMethodIssuedEventStruct).decode  # undeclared members skipped
    missed, checked = set(), set()
    for name, value in _hostile_values():
        if "deep" in name:  # msgspec's depth limit is the interpreter's: it differs between Pythons
            continue
        raw = BASE_TEXT[:-1].encode() + b', "hostile": ' + value + b"}"
        try:
            decode(raw)
            refused = False
        except InvalidEvent:
            refused = True
        try:
            skip(raw)
            skipped = True
        except msgspec.DecodeError:
            skipped = False
        if refused:
            (missed if skipped else checked).add(name)
    assert {"invalid UTF-8", "invalid UTF-8 in a nested key", "UTF-8 surrogate", "1e400", "400 digits"} <= missed
    assert {"lone high surrogate escape", "reversed surrogate pair", "NaN", "control character", "trailing comma"} <= checked


def test_simdjson_refuses_what_msgspec_skips_unchecked():
    """The one-pass tier's claim (issue 14): every hostile undeclared value the reference refuses
    is refused by simdjson's parse or by msgspec's skipping, and nesting beyond orjson's depth
    limit by simdjson itself (msgspec's limit is the interpreter's). Values the reference takes
    may be refused (big integers: the dict route takes those payloads)."""
    import msgspec
    from access_events_models._structs import DECODER

    for name, value in _hostile_values():
        raw = BASE_TEXT[:-1].encode() + b', "hostile": ' + value + b"}"
        try:
            decode(raw)
            continue
        except InvalidEvent:
            pass
        with pytest.raises((ValueError, RuntimeError, msgspec.DecodeError)):
            _fast._check_json(raw)
            DECODER.decode(raw)
        if name.endswith("deep"):  # nesting, not "invalid UTF-8 deep inside"
            with pytest.raises(RuntimeError, match="DEPTH"):
                _fast._check_json(raw)
    _fast._check_json(BASE_TEXT[:-1].encode() + b', "d": ' + b"[" * 1023 + b"]" * 1023 + b"}")  # orjson's deepest


def test_threads_share_the_simdjson_parser():
    """simdjson's parser is one per process and refuses a new parse while a result of the last
    is alive (RuntimeError): a thread meeting another's must still get the event (that
    payload takes the dict route), never the error. Threads parse concurrently in the
    receiver (large bodies go to worker threads)."""
    import threading

    extended = (BASE_TEXT[:-1] + ', "acs_system_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}').encode()
    expected = access_events.parse_event(extended)
    failures: list[object] = []

    def work() -> None:
        for _ in range(3000):
            try:
                if not _same(access_events.parse_event(extended), expected):
                    failures.append("different event")
            except Exception as exc:  # noqa: BLE001 - any escape is the failure
                failures.append(exc)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_threads_meeting_the_validators_while_they_compile_get_answers(monkeypatch):
    """The validators are compiled on first use (``_fast._plans``), one event type after
    another. A thread arriving while another is still compiling them (a receiver's worker
    threads right after start-up) saw the plans half filled: ``validate_event`` and
    ``parse_event`` raised ``KeyError('access_method.created')`` from ``_fast.problems``, or
    took a valid event of a type not compiled yet down the slow path. Found by the audit of
    issues 13/14 (8 threads, first call each: KeyError in 2 runs of 3). The compiler is slowed
    here so the window is wide; the second caller must wait for the whole set."""
    import threading
    import time

    compile_calls = []
    original = _fast._compiler

    def slow_compiler(*args, **kwargs):
        compiled = original(*args, **kwargs)

        def slowly(uri):
            compile_calls.append(uri)
            time.sleep(0.02)  # releases the GIL: another thread runs mid-compilation
            return compiled(uri)
        return slowly
    monkeypatch.setattr(_fast, "_compiler", slow_compiler)
    monkeypatch.setattr(_fast, "_PLANS", {})
    monkeypatch.setattr(_fast, "_VALIDATORS", {})
    bodies = {}
    for event_type in access_events.EVENT_TYPES:
        body = dict(access_events.schema(event_type)["examples"][0], event_id="bad")
        bodies[event_type] = json.dumps(body).encode()
    first, last = access_events.EVENT_TYPES[0], access_events.EVENT_TYPES[-1]
    outcome: list[object] = []
    starter = threading.Thread(target=lambda: outcome.append(access_events.validate_event(bodies[first])))
    starter.start()
    while len(compile_calls) < 4 and starter.is_alive():  # the first event type compiled, the rest not yet
        time.sleep(0.001)
    try:
        problems = access_events.validate_event(bodies[last])
    finally:
        starter.join()
    assert [p.pointer for p in problems] == ["/event_id"]
    assert [[p.pointer for p in found] for found in outcome] == [["/event_id"]]
    with pytest.raises(InvalidEvent):
        access_events.parse_event(bodies[last])


@pytest.mark.parametrize("value", ["2+16-12-31T23:59:60Z", "-025-01-01T00:00:00Z", "2025-0+-01T05:30:00Z",
                                   "2025-01-01T05:30:00.123+0-:30", "2025-01-01T05:30:00.123+0.:30", "2025-01-01T0/:30:00Z"])
def test_a_date_time_with_a_sign_or_dot_for_a_digit_is_worded_as_the_reference_words_it(value):
    """jsonschema-rs's ``date-time`` format takes any of ``*+,-./`` where a digit belongs
    (``2+16-12-31T23:59:60Z``); the schema's ``pattern`` still refuses such a value, so every
    verdict was right, but the problem differed: the reference (``_rfc3339``) reports the
    ``format`` (the pattern, restating it, is left out), the fast path reported the ``pattern``
    with its 190-character regex. Found by the audit of issues 13/14 (date-time mutations
    through ``parse_event`` against the reference)."""
    for field in ("created_at", "occurred_at"):
        instance = dict(BASE, **{field: value})
        assert _agree(instance) is False
        expected = reference_problems("access_method.issued", instance)
        assert [p.keyword for p in expected] == ["format"]
        raw = json.dumps(instance).encode()
        assert access_events.validate_event(raw) == expected
        with pytest.raises(InvalidEvent) as caught:
            access_events.parse_event(raw)
        assert list(caught.value.problems) == expected


# --- the audit's seeded generator (issues 13/14): raw payloads as a user sends them ---

_AUDIT_HOSTILE = [
    b'"\xff"', b'"ab\xc3"', b'"\xed\xa0\x80"', b'"\xc0\x80"', b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"', b'"\\ud83d\\udd11"',
    b"1e400", b"-1e400", b"1.7976931348623159e308", b"1.7976931348623158e308", b"1e-400", b"18446744073709551616",
    b"18446744073709551615", b"-9223372036854775809", b"1" + b"0" * 40, b"-0", b"-0.0", b"1.0", b"0.1e309", b"NaN",
    b"Infinity", b"01", b'"a\tb"', b'"\x7f"', b'"\\x41"', b"[1,]", b'{"a":1,"a":2}', b'"\\u0000"', b"true", b"null", b"[]",
    b"{}", b'""', b'"\xef\xbb\xbf"', b'{"\xff":1}', b'{"\\ud800":1}', b'{"a":[{"b":1e999}]}', b'"\xf4\x90\x80\x80"',
]
_AUDIT_WRONG = [b"5", b"null", b'"x"', b"[]", b"{}", b"true", b'["x"]', b"[5]", b'"2025-01-01 00:00:00Z"',
                b'"00000000000000000000000000000000"', b'"2016-12-31T23:59:60Z"', b'"2025-01-01T00:00:00.9999995Z"',
                b'"2+16-12-31T23:59:60Z"', b'"00000000-0000-0000-0000-00000000000G"', b"1.0", b'"\\u0061ccess_method.issued"']


def _audit_bases() -> list[dict]:
    bases = [example for t in access_events.EVENT_TYPES for example in access_events.schema(t).get("examples", [])]
    return bases + [orjson.loads(p.read_bytes()) for p in sorted(SAMPLES.glob("*/valid/*.json"))]


def _audit_nested(depth: int, kind: int) -> bytes:
    if kind == 0:
        return b"[" * depth + b"]" * depth
    if kind == 1:
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"".join(b"[" if i % 2 else b'{"k":' for i in range(depth)) + b"0" + b"".join(
        b"]" if i % 2 else b"}" for i in reversed(range(depth)))


def _audit_payload(rnd: random.Random, bases: list[dict], declared: list[str]) -> bytes:
    """A valid event with undeclared members of every kind (hostile, nested near orjson's depth
    limit, names other events declare, escaped names), sometimes a declared member of a wrong
    type or a mutated date-time, one missing, odd whitespace, a BOM."""
    members = [(json.dumps(k).encode(), orjson.dumps(v)) for k, v in rnd.choice(bases).items()]
    for i in range(rnd.choice([0, 1, 1, 2, 3, 10])):
        roll = rnd.random()
        name = (rnd.choice(declared) if roll < 0.25 else rnd.choice(["event\\u005fid", "cod\\u0065", "\\ud800", "\xff"])
                if roll < 0.3 else f"x{i}_{rnd.randrange(3)}")
        key = b'"' + (b"\xff" if name == "\xff" else name.encode()) + b'"'
        roll = rnd.random()
        value = (rnd.choice(_AUDIT_HOSTILE) if roll < 0.35 else _audit_nested(rnd.choice([1021, 1022, 1023, 1024]), rnd.randrange(3))
                 if roll < 0.45 else rnd.choice(_AUDIT_WRONG) if roll < 0.6 else json.dumps(
                     rnd.choice([None, 1.5, [1, {"a": "\u2028"}], {"code": 5, "": []}, "\U0001f511"]), ensure_ascii=rnd.random() < 0.5).encode())
        members.insert(rnd.randrange(len(members) + 1), (key, value))
    if rnd.random() < 0.15:
        i = rnd.randrange(len(members))
        members[i] = (members[i][0], rnd.choice(_AUDIT_WRONG))
    if rnd.random() < 0.2:  # a date-time with one character changed (jsonschema-rs's format is looser)
        i = next((i for i, (k, _) in enumerate(members) if k in (b'"created_at"', b'"occurred_at"')), None)
        if i is not None:
            text = list(orjson.loads(members[i][1]))
            text[rnd.randrange(len(text))] = rnd.choice("0123456789-:.TtZz+ ,/*")
            members[i] = (members[i][0], json.dumps("".join(text)).encode())
    if rnd.random() < 0.1:
        del members[rnd.randrange(len(members))]
    raw = b"{" + rnd.choice([b",", b", ", b" ,\n ", b"\t,\r\n"]).join(k + rnd.choice([b":", b" : "]) + v for k, v in members) + b"}"
    roll = rnd.random()
    return b"\xef\xbb\xbf" + raw if roll < 0.05 else b" \n\t" + raw + b"\r\n " if roll < 0.1 else raw + b"\x0c" if roll < 0.12 else raw


def _audit_outcome(call) -> tuple:
    try:
        event = call()
    except InvalidEvent as exc:
        return "invalid", exc.event_type, exc.problems, exc.more_problems, exc.all_counted, str(exc)
    except UnknownEventType as exc:
        return "unknown", exc.event_type, str(exc)
    return "valid", repr(event), access_events.to_dict(event)


def _audit_reference(data, max_problems=None):
    instance = decode(data)
    return FROM_DICT[check(instance, reference_problems, max_problems=max_problems)](instance)


def test_seeded_raw_payloads_give_the_reference_outcome_on_every_route_and_input_type():
    """The audit of issues 13/14 as a seeded generator (fixed budget): each payload as bytes, str
    (lone surrogates where the bytes are not UTF-8), bytearray and memoryview, through
    ``parse_event`` with either one-pass route tried first, gives exactly the reference's
    outcome (the event, its repr and to_dict; or every problem, its words, ``str(exc)``);
    ``validate_event`` the reference's problems; ``max_problems`` the first ones of the full
    list with a consistent ``more_problems``. It found the date-time problems worded by
    jsonschema-rs's looser format (the test above)."""
    rnd = random.Random(20261130)
    bases = _audit_bases()
    declared = sorted({name for base in bases for name in base} | {"code", "is_backup_code"})
    kinds = {"valid": 0, "invalid": 0, "unknown": 0}
    for _ in range(600):
        raw = _audit_payload(rnd, bases, declared)
        for data in (raw, raw.decode("utf-8", "surrogateescape"), bytearray(raw), memoryview(raw)):
            expected = _audit_outcome(lambda: _audit_reference(data))
            for first in (True, False):
                _fast._declared_streak = _fast.SWITCH_BACK if first else 0
                assert _audit_outcome(lambda: access_events.parse_event(data)) == expected, (first, bytes(raw[:300]))
            problems = list(expected[2]) if expected[0] == "invalid" else []
            if expected[0] != "unknown":
                assert access_events.validate_event(data) == problems, bytes(raw[:300])
            for limit in {1, 2, len(problems)} if problems else ():
                capped = _audit_outcome(lambda: access_events.parse_event(data, max_problems=limit))
                assert capped == _audit_outcome(lambda: _audit_reference(data, limit)), (limit, bytes(raw[:300]))
                assert list(capped[2]) == problems[:limit] and capped[3] == max(len(problems) - limit, 0) and capped[4]
        kinds[expected[0]] += 1
    assert kinds["valid"] > 100 and kinds["invalid"] > 100, kinds


class _EventType(str, enum.Enum):
    ISSUED = "access_method.issued"


@pytest.mark.parametrize("created_at", ["2025-01-01T00:00:00.000Z", "2016-12-31T23:59:60Z"], ids=["msgspec", "leap second"])
@pytest.mark.parametrize("event_type", [_EventType.ISSUED, _Text("access_method.issued")], ids=["str enum", "str subclass"])
def test_a_mappings_event_type_of_a_str_subclass_gives_the_event_of_its_json(event_type, created_at):
    """A caller's mapping whose ``event_type`` is a str subclass (a ``StrEnum`` member, valid to
    jsonschema: it is ``==`` the constant) gives the event the same payload as bytes gives: its
    ``event_type`` the plain string, so the same repr and vars(). msgspec's convert into the
    dataclass made it the plain string; since ``build`` takes the Struct plan (whose tag refuses
    a subclass) the generated converter kept the caller's object (``<_EventType.ISSUED: ...>`` in
    the repr); on a leap second (the converter's route) it always had."""
    plain = dict(BASE, created_at=created_at)
    expected = access_events.parse_event(orjson.dumps(plain))
    for made in (access_events.parse_event(dict(plain, event_type=event_type)), access_events.from_dict(dict(plain, event_type=event_type))):
        assert type(made.event_type) is str
        assert _same(made, expected) and repr(made) == repr(expected)
