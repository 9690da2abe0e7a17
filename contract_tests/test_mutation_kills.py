"""Tests written to kill surviving mutants of ``make mutation`` (README, "Mutation testing").

Each test names the mutants it kills: a boundary or branch the rest of the suite never
exercised, found by mutmut on the modules users depend on most. They test behaviour through
the public functions, so they hold whatever the modules' insides become.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone, tzinfo

import pytest

import access_events
from access_events import InvalidEvent, Problem
from access_events._rfc3339 import format_rfc3339, is_rfc3339, parse_rfc3339
from access_events.webhooks import (
    BadSignature,
    InvalidSecret,
    MemorySeenStore,
    MissingHeaders,
    StaleTimestamp,
    Verifier,
    verify_and_parse,
)

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
    "2025-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2100-02-29T00:00:00Z", "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00-24:00",
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



def test_format_refuses_a_time_zone_without_an_offset():
    """Kills format_rfc3339 mutant 1 (``or`` → ``and``): a ``tzinfo`` whose ``utcoffset()`` is None
    makes a datetime as naive as no tzinfo at all, and RFC 3339 needs an offset."""

    class NoOffset(tzinfo):
        def utcoffset(self, dt):
            return None

    with pytest.raises(ValueError, match="no UTC offset"):
        format_rfc3339(datetime(2025, 1, 1, tzinfo=NoOffset()))

# --- webhooks: messages, strict base64, every signature tried, limits, the store ---------------

KEY = b"a-32-byte-secret-for-the-tests!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_767_225_600
BODY = json.dumps(access_events.schema("access_method.issued")["examples"][0]).encode()


def _signature(body: bytes, msg_id: str = "msg_1", timestamp: int = NOW, key: bytes = KEY) -> str:
    """The Standard Webhooks signature computed here by hand: HMAC-SHA256 of ``id.timestamp.body``."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _headers(signature: str, timestamp: object = NOW) -> dict[str, str]:
    return {"webhook-id": "msg_1", "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_missing_headers_are_named_exactly():
    """Kills _signature_headers mutants 13-25: the message lists exactly the missing headers, in the
    singular for one only (two are plural too), and points at the svix-* names."""
    with pytest.raises(MissingHeaders) as one:
        Verifier(SECRET).verify(BODY, {"webhook-id": "msg_1", "webhook-timestamp": str(NOW)}, now=NOW)
    assert str(one.value) == "missing signature header: webhook-signature (or the svix-* equivalents)"
    with pytest.raises(MissingHeaders) as two:
        Verifier(SECRET).verify(BODY, {"webhook-id": "msg_1"}, now=NOW)
    assert str(two.value) == "missing signature headers: webhook-timestamp, webhook-signature (or the svix-* equivalents)"
    with pytest.raises(MissingHeaders) as three:
        Verifier(SECRET).verify(BODY, {}, now=NOW)
    assert str(three.value) == ("missing signature headers: webhook-id, webhook-timestamp, webhook-signature "
                                "(or the svix-* equivalents)")


@pytest.mark.parametrize("secret", ["whsec_" + base64.b64encode(KEY).decode()[:-4] + "*" + base64.b64encode(KEY).decode()[-4:],
                                    "whsec_not base64!"])
def test_a_secret_with_characters_outside_base64_is_refused(secret):
    """Kills Verifier.__init__ mutants 8-12: without ``validate=True`` base64 drops stray characters,
    so a mistyped secret would be accepted as some other key."""
    with pytest.raises(InvalidSecret, match=r"^the webhook secret is not base64 \(expected whsec_<base64>\)$"):
        Verifier(secret)


def test_a_bytes_secret_is_the_raw_key_and_empty_ones_are_refused():
    """Kills Verifier.__init__ mutants 14-21: a ``bytes`` secret (the raw key) verifies, empty ones are refused."""
    assert Verifier(KEY).verify(BODY, _headers(_signature(BODY)), now=NOW) == "msg_1"
    for empty in ("whsec_", "", b""):
        with pytest.raises(InvalidSecret, match="^the webhook secret is empty$"):
            Verifier(empty)


def test_timestamp_errors_say_what_and_how_far():
    """Kills Verifier.verify mutants 5, 6, 17, 21: the unreadable value (cut to 40 characters) and the
    direction of the skew are in the message."""
    with pytest.raises(StaleTimestamp) as unreadable:
        Verifier(SECRET).verify(BODY, _headers(_signature(BODY), "x" * 50), now=NOW)
    assert str(unreadable.value) == (f"unreadable signature timestamp {'x' * 40!r}: "
                                     "expected the seconds since 1970 as plain ASCII digits, as signed")
    with pytest.raises(StaleTimestamp, match="^signature timestamp is 400 s old; the tolerance is 300 s$"):
        Verifier(SECRET).verify(BODY, _headers(_signature(BODY, timestamp=NOW - 400), NOW - 400), now=NOW)
    with pytest.raises(StaleTimestamp, match="^signature timestamp is 400 s in the future; the tolerance is 300 s$"):
        Verifier(SECRET).verify(BODY, _headers(_signature(BODY, timestamp=NOW + 400), NOW + 400), now=NOW)


def test_signatures_do_not_depend_on_the_local_time_zone(monkeypatch):
    """Kills Verifier.verify mutants 48, 50 and Verifier.sign mutants 8, 10 (``fromtimestamp`` without
    ``tz=timezone.utc``): the library reads the datetime as UTC, so a naive local time shifts the signed
    timestamp by the server's offset. The suite ran only on UTC machines, where that cannot show."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert Verifier(SECRET).verify(BODY, _headers(_signature(BODY)), now=NOW) == "msg_1"
        assert Verifier(SECRET).sign(BODY, "msg_1", NOW) == _signature(BODY)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_every_signature_in_the_header_is_tried():
    """Kills Verifier.verify mutant 70 (``continue`` → ``break``): an entry that is not base64 must not
    stop the search for a matching one (the producer sends several during key rotation)."""
    header = "v1,not*base64 v2,abc " + _signature(BODY)
    assert Verifier(SECRET).verify(BODY, _headers(header), now=NOW) == "msg_1"


def test_a_signature_with_stray_characters_is_refused():
    """Kills Verifier.verify mutants 68, 69 (non-strict base64 for the given signature) and 75-77 (message)."""
    good = _signature(BODY)
    with pytest.raises(BadSignature, match="^no signature matches the body under this secret$"):
        Verifier(SECRET).verify(BODY, _headers(good[:10] + "*" + good[10:]), now=NOW)
    # the HMAC covers the body's bytes (issue 13): a body that is not UTF-8 is refused by its signature
    with pytest.raises(BadSignature, match="^no signature matches the body under this secret$"):
        Verifier(SECRET).verify(b"\xff" + BODY, _headers(good), now=NOW)


def test_verify_and_parse_keeps_the_callers_size_limit():
    """Kills verify_and_parse mutants 5 (``>=``), 7-15 (the size problem) and 25 (``parse_event`` called
    without the caller's ``max_bytes``, so a raised limit was ignored)."""
    big = BODY[:-1] + b" " * (1_100_000 - len(BODY)) + b"}"  # valid JSON, above the default 1 MiB
    assert verify_and_parse(big, _headers(_signature(big)), SECRET, max_bytes=len(big), now=NOW).code == "1234"
    with pytest.raises(InvalidEvent) as too_big:
        verify_and_parse(big, _headers(_signature(big)), SECRET, max_bytes=len(big) - 1, now=NOW)
    assert list(too_big.value.problems) == [Problem("", "size", f"payload is {len(big)} bytes, above the limit of {len(big) - 1} bytes")]


def test_memory_seen_store_keeps_exactly_its_capacity():
    """Kills MemorySeenStore.first_time mutant 5 (``>=``: one id fewer kept) and forget mutant 3
    (forgetting an id never seen must not raise)."""
    store = MemorySeenStore(capacity=2)
    assert store.first_time("a") and store.first_time("b")
    assert not store.first_time("a") and not store.first_time("b")  # both still remembered
    assert store.first_time("c")  # evicts the least recently seen: "a"
    assert store.first_time("a")
    store.forget("never-seen")


# --- _validate: the type named in a message ---------------------------------------------------


def test_a_python_value_json_has_no_name_for_is_named_by_its_type():
    """Kills _validate.json_type mutants 2, 4, 6: a value in a caller's mapping that JSON has no type
    for (a tuple, bytes) is named by its Python type, not ``None`` or ``NoneType``."""
    example = access_events.schema("access_method.issued")["examples"][0]
    assert access_events.validate_event(dict(example, code=(1,))) == [
        Problem("/code", "type", "expected string, got tuple [1]")]
    assert access_events.validate_event(dict(example, code=b"12"))[0].message.startswith("expected string, got bytes ")


def test_messages_name_the_top_level_type_and_keep_non_ascii_text():
    """Kills _validate.check mutant 12 (the top-level type named ``null`` whatever it is) and _short
    mutant 6 (``ensure_ascii``: a message would show ``"\\u00e9"`` for the ``"é"`` the payload holds)."""
    assert access_events.validate_event(b"[1]") == [Problem("", "type", "expected a JSON object, got array")]
    example = access_events.schema("access_method.issued")["examples"][0]
    assert access_events.validate_event(dict(example, event_id="é")) == [
        Problem("/event_id", "format", '"é" is not a UUID, 8-4-4-4-12 hexadecimal digits')]


def test_a_long_value_is_cut_to_80_characters_in_a_message():
    """Kills _short mutants 10 and 14: values up to 80 characters are quoted whole, longer ones cut
    to exactly 80 and marked with an ellipsis."""
    example = access_events.schema("access_method.issued")["examples"][0]
    for length, shown in ((80, '"' + "x" * 80 + '"'), (81, '"' + "x" * 80 + '…"'), (500, '"' + "x" * 80 + '…"')):
        (problem,) = access_events.validate_event(dict(example, event_id="x" * length))
        assert problem.message == f"{shown} is not a UUID, 8-4-4-4-12 hexadecimal digits"
