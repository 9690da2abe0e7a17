"""Property-based: payloads generated from each schema by schemathesis validate, parse and round-trip.

Events are compared with ``_same_event`` (``==`` and the offsets): with ``_fast.build`` planted to
turn every date-time into UTC, these tests and test_differential's fail; with ``==`` alone they passed.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import orjson
import pytest
import schemathesis
from _bundle import openapi_for
from hypothesis import HealthCheck, given, settings

import access_events
from access_events import parse_event, to_dict, validate_event

_SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _same_event(event, expected) -> bool:
    """Equal, and every date-time at the same UTC offset: ``==`` takes aware datetimes at other
    offsets as equal, so a path turning date-times into UTC (``_fast.build`` planted so, issue 16)
    passed; ``to_dict`` writes each date-time's RFC 3339 text with its offset."""
    return type(event) is type(expected) and event == expected and to_dict(event) == to_dict(expected)


def _same_meaning(original: dict, event, round_tripped: dict) -> None:
    """Every declared field of ``original`` means the same thing in ``round_tripped``."""
    for name, value in round_tripped.items():
        assert name in original, f"{name} appeared from nowhere"
        before = original[name]
        if isinstance(getattr(event, name), UUID):
            assert UUID(before) == UUID(value)
        elif isinstance(getattr(event, name), datetime):
            parsed_before, parsed_after = access_events._rfc3339.parse_rfc3339(before), access_events._rfc3339.parse_rfc3339(value)
            assert parsed_before == parsed_after and parsed_before.utcoffset() == parsed_after.utcoffset(), (before, value)
        elif name == "access_grant_ids":
            assert [UUID(x) for x in before] == [UUID(x) for x in value]
        else:
            assert before == value
    dropped = set(original) - set(round_tripped)
    declared = {f for f in type(event).__dataclass_fields__}
    assert not dropped & declared, f"declared fields lost: {dropped & declared}"


@pytest.mark.parametrize("event_type", access_events.EVENT_TYPES)
def test_generated_payloads_validate_parse_and_round_trip(event_type):
    operation = schemathesis.openapi.from_dict(openapi_for(event_type))["/events"]["POST"]
    seen = []

    @_SETTINGS
    @given(operation.as_strategy())
    def check(case):
        payload = case.body
        seen.append(payload)
        try:
            raw = orjson.dumps(payload)
        except TypeError:  # generated strings may hold lone surrogates, which no JSON text encodes
            raw = None
        assert validate_event(payload) == [], payload
        event = parse_event(payload)
        assert event.event_type == event_type
        again = to_dict(event)
        assert validate_event(again) == []
        assert _same_event(parse_event(again), event)
        _same_meaning(payload, event, again)
        if raw is not None:
            assert _same_event(parse_event(raw), event)
            assert _same_event(parse_event(raw.decode()), event)

    check()
    assert len(seen) >= 20, f"only {len(seen)} payloads generated for {event_type}"
