"""RFC 3339 date-times: the exact grammar, checked and converted in one place.

Written here rather than taken from a library because the libraries disagree with each
other and with RFC 3339 on exactly the cases this package must settle (see README,
"Date-time decisions"): ``datetime.fromisoformat`` rejects ``Z`` before Python 3.11,
rejects leap seconds and accepts non-RFC 3339 forms (a space, no offset, week dates);
``rfc3339-validator`` rejects leap seconds. One regex is the grammar of RFC 3339 §5.6
(``T``/``Z`` case-insensitive as §5.6 notes allow), the rest is calendar arithmetic.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))",
    re.ASCII,
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UTC = timezone.utc
_OFFSETS: dict[int, timezone] = {0: _UTC}
_ONE_MICROSECOND = timedelta(microseconds=1)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _fields(value: str) -> tuple[re.Match[str], int] | None:
    """The match and offset in minutes when ``value`` is an RFC 3339 date-time, else None."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    if match["utc"]:
        offset = 0
    else:
        off_hour, off_minute = int(match["off_hour"]), int(match["off_minute"])
        if off_hour > 23 or off_minute > 59:
            return None
        offset = (off_hour * 60 + off_minute) * (1 if match["sign"] == "+" else -1)
    if second == 60:
        # A leap second is inserted at 23:59:60 UTC, whatever the local offset.
        utc_minutes = (hour * 60 + minute - offset) % (24 * 60)
        if utc_minutes != 23 * 60 + 59:
            return None
    return match, offset


def is_rfc3339(value: str) -> bool:
    """True when ``value`` is an RFC 3339 ``date-time`` (the JSON Schema ``date-time`` format)."""
    return _fields(value) is not None


def parse_rfc3339(value: str) -> datetime:
    """Convert an RFC 3339 date-time to an aware ``datetime``.

    Two documented losses, because ``datetime`` cannot hold them: fractions finer than a
    microsecond are rounded to the nearest microsecond, half up, carrying into the
    seconds (``.123456789`` → ``.123457``; the rule msgspec applies, so the fast path and
    this one agree), and a leap second ``23:59:60`` becomes ``23:59:59.999999`` (the last
    representable instant before the next minute, so ordering is kept).
    """
    fields = _fields(value)
    if fields is None:
        raise ValueError(f"not an RFC 3339 date-time: {value[:64]!r}")
    match, offset = fields
    tz = _OFFSETS.get(offset)
    if tz is None:
        tz = _OFFSETS.setdefault(offset, timezone(timedelta(minutes=offset)))
    fraction = match["fraction"]
    micro = int((fraction + "00000")[:6]) if fraction else 0
    carry = fraction is not None and len(fraction) > 6 and fraction[6] >= "5"
    second = int(match["second"])
    if second == 60:
        second, micro, carry = 59, 999_999, False
    value = datetime(
        int(match["year"]), int(match["month"]), int(match["day"]),
        int(match["hour"]), int(match["minute"]), second, micro, tzinfo=tz,
    )
    if carry:
        try:
            value += _ONE_MICROSECOND
        except OverflowError:  # 9999-12-31T23:59:59.9999995: keep the largest representable instant
            pass
    return value


def format_rfc3339(value: datetime) -> str:
    """Render an aware ``datetime`` as RFC 3339 (UTC as ``Z``, microseconds when present)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} has no UTC offset; RFC 3339 requires one")
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rfc3339_spelling(value: str) -> bool:
    """False for the two spellings msgspec's datetime parser takes beyond RFC 3339.

    Only meaningful for text msgspec has already parsed as a date-time (the fast path's
    second check, ``access_events_models._structs``): msgspec reads ``YYYY-MM-DD``, then
    ``T``, ``t`` or a space, and ends with ``Z``, ``z`` or an offset with or without its
    colon. RFC 3339 forbids the space and the colonless offset; everything else msgspec
    takes is RFC 3339 (``contract_tests/test_differential.py`` fuzzes both claims).
    """
    return value[10] != " " and (value[-3] == ":" or value[-1] in "Zz")
