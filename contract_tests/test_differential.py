"""Both paths mean the same thing: jsonschema-rs + msgspec (fast) against jsonschema + generated converters (reference).

Every sample, generated payloads of every type (valid and invalid), and a corpus of edge
cases go through both validators and both decoders; verdicts, every reported problem
(pointer, keyword, message) and the built objects must be identical.
"""

from __future__ import annotations

import json

import orjson
import pytest
import schemathesis
from _bundle import openapi_for
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from test_rfc3339 import INVALID as BAD_DATE_TIMES
from test_rfc3339 import VALID as GOOD_DATE_TIMES

import access_events
from access_events import InvalidEvent, UnknownEventType, _fast
from access_events._validate import check, reference_problems
from access_events_models._convert import FROM_DICT

BASE = access_events.schema("access_method.issued")["examples"][0]
BASE_TEXT = json.dumps(BASE)


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
        assert _fast.build(event_type, instance) == FROM_DICT[event_type](instance), instance
    return reference


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


@pytest.mark.parametrize(("name", "instance"), _edge_cases(), ids=[name for name, _ in _edge_cases()])
def test_edge_cases(name, instance):
    _agree(instance)


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
