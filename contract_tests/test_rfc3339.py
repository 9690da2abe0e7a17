"""The date-time decisions (README, "Date-time decisions"), pinned case by case."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from access_events._rfc3339 import format_rfc3339, is_rfc3339, parse_rfc3339

VALID = [
    "2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00.000Z",
    "2025-01-01T00:00:00.000000Z",
    "2025-01-01T00:00:00.123456789Z",
    "2025-01-01T05:30:00+05:30",
    "2025-01-01T00:00:00-00:00",
    "2025-01-01t00:00:00z",
    "2024-02-29T12:00:00Z",
    "2000-02-29T12:00:00Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T18:59:60-05:00",
    "2017-01-01T05:29:60+05:30",
]
INVALID = [
    "2025-01-01 00:00:00Z",  # a space: allowed by RFC 3339's note, not by its grammar nor JSON Schema
    "2025-01-01T00:00:00",  # no offset
    "2025-01-01T00:00Z",  # no seconds
    "2025-01-01",
    "2025-1-01T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2025-04-31T00:00:00Z",
    "2025-01-01T24:00:00Z",
    "2025-01-01T23:60:00Z",
    "2025-01-01T23:59:61Z",
    "2025-01-01T22:59:60Z",  # a leap second is 23:59:60 UTC only
    "2025-01-01T00:00:00.Z",
    "2025-01-01T00:00:00+0530",
    "2025-01-01T00:00:00+24:00",
    "2025-01-01T00:00:00+05:60",
    "2025-01-01T00:00:00ZZ",
    "２０２５-01-01T00:00:00Z",  # non-ASCII digits
    "2025-01-01T00:00:00Z\n",
    "",
]


@pytest.mark.parametrize("value", VALID)
def test_valid(value):
    assert is_rfc3339(value)
    assert parse_rfc3339(value).tzinfo is not None


@pytest.mark.parametrize("value", INVALID)
def test_invalid(value):
    assert not is_rfc3339(value)
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339(value)


def test_documented_losses():
    assert parse_rfc3339("2025-01-01T00:00:00.123456789Z").microsecond == 123457  # rounded half up
    assert parse_rfc3339("2025-01-01T00:00:00.1234564999Z").microsecond == 123456
    assert parse_rfc3339("2025-12-31T23:59:59.9999995Z") == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_rfc3339("9999-12-31T23:59:59.9999999Z") == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert parse_rfc3339("2016-12-31T23:59:60.9999999Z").microsecond == 999999
    assert parse_rfc3339("2016-12-31T23:59:60Z") == datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert parse_rfc3339("2025-01-01t05:30:00+05:30").utcoffset() == timedelta(hours=5, minutes=30)


def test_format_keeps_the_offset_and_names_utc_z():
    assert format_rfc3339(parse_rfc3339("2025-01-01T05:30:00+05:30")) == "2025-01-01T05:30:00+05:30"
    assert format_rfc3339(parse_rfc3339("2025-01-01T00:00:00.500Z")) == "2025-01-01T00:00:00.500000Z"
    with pytest.raises(ValueError, match="naive"):
        format_rfc3339(datetime(2025, 1, 1))


@given(st.datetimes(timezones=st.timezones() | st.just(timezone.utc) | st.builds(
    lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60 - 59, 23 * 60 + 59))))
def test_round_trip_any_aware_datetime(value):
    offset = value.utcoffset()
    assume(offset.seconds % 60 == 0 and offset.microseconds == 0)  # RFC 3339 offsets are whole minutes
    text = format_rfc3339(value)
    assert is_rfc3339(text)
    parsed = parse_rfc3339(text)
    # compare instant and offset: aware datetimes in a DST fold never compare equal across zones (PEP 495)
    assert (parsed.timestamp(), parsed.utcoffset()) == (value.timestamp(), value.utcoffset())
