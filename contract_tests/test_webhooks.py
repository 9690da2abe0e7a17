"""Signature verification and the idempotency hook, from the receiver's side."""

from __future__ import annotations

import base64
import json
import threading

import pytest

import access_events
from access_events import InvalidEvent, UnknownEventType
from access_events.webhooks import (
    BadSignature,
    InvalidSecret,
    MemorySeenStore,
    MissingHeaders,
    StaleTimestamp,
    Verifier,
    WebhookError,
    verify_and_parse,
)

SECRET = "whsec_" + base64.b64encode(b"a-32-byte-secret-for-the-tests!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-of-the-same-size!").decode()
NOW = 1_767_225_600  # a fixed clock: 2026-01-01T00:00:00Z
BODY = json.dumps(access_events.schema("access_method.issued")["examples"][0]).encode()


def signed(body: bytes = BODY, *, secret: str = SECRET, msg_id: str = "msg_1", timestamp: int = NOW, prefix: str = "webhook") -> dict[str, str]:
    return {f"{prefix}-id": msg_id, f"{prefix}-timestamp": str(timestamp),
            f"{prefix}-signature": Verifier(secret).sign(body, msg_id, timestamp)}


def test_valid_signature_parses_the_event():
    event = verify_and_parse(BODY, signed(), SECRET, now=NOW)
    assert event.event_type == "access_method.issued"


def test_svix_header_names_and_any_case():
    assert verify_and_parse(BODY, signed(prefix="svix"), SECRET, now=NOW).code == "1234"
    upper = {k.upper(): v for k, v in signed().items()}
    assert verify_and_parse(BODY, upper, SECRET, now=NOW).code == "1234"


def test_tampered_body_is_refused():
    with pytest.raises(BadSignature):
        verify_and_parse(BODY.replace(b"1234", b"9999"), signed(), SECRET, now=NOW)


def test_tampered_signature_is_refused():
    headers = signed()
    version, signature = headers["webhook-signature"].split(",")
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    headers["webhook-signature"] = f"{version},{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(BadSignature):
        verify_and_parse(BODY, headers, SECRET, now=NOW)


def test_wrong_secret_is_refused():
    with pytest.raises(BadSignature):
        verify_and_parse(BODY, signed(secret=OTHER_SECRET), SECRET, now=NOW)


def test_signed_id_and_timestamp_are_part_of_the_signature():
    headers = signed()
    with pytest.raises(BadSignature):
        verify_and_parse(BODY, dict(headers, **{"webhook-id": "msg_2"}), SECRET, now=NOW)
    with pytest.raises(BadSignature):
        verify_and_parse(BODY, dict(headers, **{"webhook-timestamp": str(NOW + 1)}), SECRET, now=NOW)


@pytest.mark.parametrize(("skew", "accepted"), [(-301, False), (-299, True), (0, True), (299, True), (301, False)])
def test_five_minute_tolerance_either_way(skew, accepted):
    headers = signed(timestamp=NOW + skew)
    if accepted:
        assert verify_and_parse(BODY, headers, SECRET, now=NOW)
    else:
        with pytest.raises(StaleTimestamp, match="old" if skew < 0 else "future"):
            verify_and_parse(BODY, headers, SECRET, now=NOW)


def test_replayed_old_request_is_refused_with_the_real_clock():
    with pytest.raises(StaleTimestamp):
        verify_and_parse(BODY, signed(timestamp=NOW), SECRET)  # NOW is long past


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header(missing):
    headers = signed()
    del headers[missing]
    with pytest.raises(MissingHeaders, match=missing):
        verify_and_parse(BODY, headers, SECRET, now=NOW)


@pytest.mark.parametrize("timestamp", ["", "soon", "1.5e9", "-", "9" * 400])
def test_unreadable_timestamp(timestamp):
    headers = dict(signed(), **{"webhook-timestamp": timestamp})
    with pytest.raises((StaleTimestamp, MissingHeaders)):
        verify_and_parse(BODY, headers, SECRET, now=NOW)


def test_several_signatures_one_valid():
    headers = signed()
    good = headers["webhook-signature"]
    bad = signed(secret=OTHER_SECRET)["webhook-signature"]
    headers["webhook-signature"] = f"v2,abc {bad} {good}"
    assert verify_and_parse(BODY, headers, SECRET, now=NOW)
    headers["webhook-signature"] = f"{bad} v1,not-base64!! garbage"
    with pytest.raises(BadSignature):
        verify_and_parse(BODY, headers, SECRET, now=NOW)


def test_body_that_is_not_utf8_is_a_bad_signature_not_a_crash():
    headers = signed()
    with pytest.raises(BadSignature, match="UTF-8"):
        verify_and_parse(b"\xff\xfe" + BODY, headers, SECRET, now=NOW)


def test_secret_forms():
    bare = SECRET.removeprefix("whsec_")
    assert verify_and_parse(BODY, signed(), bare, now=NOW)  # the base64 key alone is accepted
    assert verify_and_parse(BODY, signed(), Verifier(SECRET), now=NOW)
    for secret in ("", "whsec_", "whsec_not base64!", "not base64!"):
        with pytest.raises(InvalidSecret):
            Verifier(secret)


def test_signature_is_checked_before_the_body_is_parsed():
    not_json = b"not json at all"
    with pytest.raises(BadSignature):
        verify_and_parse(not_json, signed(), SECRET, now=NOW)
    with pytest.raises(InvalidEvent):
        verify_and_parse(not_json, signed(not_json), SECRET, now=NOW)


def test_unknown_event_type_after_a_valid_signature():
    body = BODY.replace(b"access_method.issued", b"access_method.code_changed")
    with pytest.raises(UnknownEventType):
        verify_and_parse(body, signed(body), SECRET, now=NOW)


def test_oversized_body_is_refused_before_hashing():
    body = b" " * (1024 * 1024) + BODY
    with pytest.raises(InvalidEvent, match="above the limit"):
        verify_and_parse(body, {}, SECRET, now=NOW)


def test_errors_are_distinct_and_catchable_together():
    for error in (MissingHeaders, StaleTimestamp, BadSignature):
        assert issubclass(error, WebhookError) and issubclass(error, ValueError)
    assert not issubclass(WebhookError, InvalidEvent)


def test_memory_seen_store_dedupes_and_forgets_the_oldest():
    store = MemorySeenStore(capacity=2)
    assert store.first_time("a") and not store.first_time("a")
    assert store.first_time("b") and store.first_time("c")
    assert store.first_time("a")  # evicted, so seen again as new
    store.forget("a")
    assert store.first_time("a")  # forgotten after a failed handler: the retry is new


def test_memory_seen_store_is_atomic_across_threads():
    store = MemorySeenStore()
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.first_time("event"))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
