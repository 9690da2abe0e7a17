"""Tests written to kill surviving mutants of ``make mutation`` (README, "Mutation testing").

Each test names the mutants it kills: a boundary or branch the rest of the suite never
exercised, found by mutmut on the modules users depend on most. They test behaviour through
the public functions, so they hold whatever the modules' insides become.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from access_events._rfc3339 import format_rfc3339, is_rfc3339, parse_rfc3339

# --- _rfc3339: every bound of the grammar's numbers, on both sides ------------------------------

#: The largest value of each field, accepted (``>`` turned into ``>=`` in a bound check rejects it).
AT_THE_BOUND = [
    ("2025-12-31T23:59:59Z", datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
    ("2025-01-01T00:00:00+23:59", datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59)))),
    ("2025-01-01T00:00:00-23:59", datetime(2025, 1, 1, tzinfo=timezone(-timedelta(hours=23, minutes=59)))),
    ("2025-01-01T00:00:00+23:00", datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=23)))),
    ("2025-01-01T00:00:00+00:59", datetime(2025, 1, 1, tzinfo=timezone(timedelta(minutes=59)))),
    ("2025-04-30T00:00:00Z", datetime(2025, 4, 30, tzinfo=timezone.utc)),
    ("2025-02-28T00:00:00Z", datetime(2025, 2, 28, tzinfo=timezone.utc)),
    ("2025-01-31T00:00:00Z", datetime(2025, 1, 31, tzinfo=timezone.utc)),
    ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=timezone.utc)),
    ("2025-01-01T00:00:00.999999Z", datetime(2025, 1, 1, 0, 0, 0, 999999, tzinfo=timezone.utc)),
    # a leap second seen from the far ends of the offsets: still 23:59:60 UTC
    ("2017-01-01T23:58:60+23:59", datetime(2017, 1, 1, 23, 58, 59, 999999, tzinfo=timezone(timedelta(hours=23, minutes=59)))),
    ("2016-12-31T00:00:60-23:59", datetime(2016, 12, 31, 0, 0, 59, 999999, tzinfo=timezone(-timedelta(hours=23, minutes=59)))),
]
#: One past each bound, refused.
PAST_THE_BOUND = [
    "2025-00-01T00:00:00Z", "2025-01-00T00:00:00Z", "2025-01-32T00:00:00Z", "2025-04-31T00:00:00Z",
    "2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00-24:00",
    "2025-01-01T00:00:00+00:60", "2025-01-01T00:00:00-00:60", "2017-01-01T23:59:60+23:59",
    "2016-12-31T23:59:60-00:01", "2016-12-31T23:58:60Z",
]


@pytest.mark.parametrize(("text", "expected"), AT_THE_BOUND, ids=[t for t, _ in AT_THE_BOUND])
def test_rfc3339_accepts_each_field_at_its_bound(text, expected):
    """Kills the ``>``→``>=`` (and ``<=``→``<``) mutants of _rfc3339's range checks, and those of the
    leap-second offset arithmetic: only ±00:00 leap seconds and 23:59 UTC times were tested before."""
    assert is_rfc3339(text)
    parsed = parse_rfc3339(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", PAST_THE_BOUND)
def test_rfc3339_refuses_one_past_each_bound(text):
    assert not is_rfc3339(text)
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        parse_rfc3339(text)


def test_rfc3339_negative_offsets_keep_their_sign():
    """Kills the mutant that reads ``-`` as ``+`` (``1 if sign == "+" else -1`` flipped)."""
    assert parse_rfc3339("2025-01-01T00:00:00-05:00").utcoffset() == -timedelta(hours=5)
    assert format_rfc3339(parse_rfc3339("2025-01-01T00:00:00-05:30")) == "2025-01-01T00:00:00-05:30"
