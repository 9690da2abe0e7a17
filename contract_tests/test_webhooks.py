"""Signature verification and the idempotency stores, from the receiver's side."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import json
import threading
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import access_events
from access_events import InvalidEvent, UnknownEventType
from access_events.receiving.stores import DEFAULT_RETENTION_SECONDS, DONE, IN_FLIGHT, CLAIMED
from access_events.webhooks import (
    BadSignature,
    InvalidSecret,
    MemoryClaimStore,
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


@pytest.mark.parametrize(("skew", "accepted"), [(-301, False), (-300, True), (-299, True), (0, True), (299, True),
                                                (300, True), (301, False)])
def test_five_minute_tolerance_either_way(skew, accepted):
    """Exactly 300 s either way is accepted (the Standard Webhooks rule: refused when *more* than the
    tolerance away). Mutation caught: ``abs(skew) > tolerance`` turned into ``>=`` (issue 16, item 7)."""
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
    """Mutation caught: the StaleTimestamp for unreadable text removed (a ValueError escapes)."""
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


def _hmac_signed(body: bytes, *, timestamp: str = str(NOW), msg_id: str = "msg_1") -> dict[str, str]:
    """Headers whose HMAC covers ``body``'s exact bytes (``Verifier.sign`` only signs text)."""
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def test_body_that_is_not_utf8_and_forged_is_a_bad_signature():
    with pytest.raises(BadSignature):
        verify_and_parse(b"\xff\xfe" + BODY, signed(), SECRET, now=NOW)


@pytest.mark.parametrize(("body", "says"), [
    (BODY.decode().encode("utf-16"), "UTF-16"),
    (gzip.compress(BODY, mtime=0), "gzip"),
    (BODY.replace(b'"1234"', b'"12\xe9"'), "byte 0xe9 at offset"),
])
def test_correctly_signed_body_that_is_not_utf8_is_an_invalid_event_saying_so(body, says):
    """Issue 13: a Latin-1, UTF-16 or gzip body with a correct HMAC was '401 no signature matches',
    sending the sender after its secret. Now the signature passes and the event is refused for its encoding.
    Mutation caught: hashing the body decoded as text (the signature fails again)."""
    with pytest.raises(InvalidEvent, match=says) as info:
        verify_and_parse(body, _hmac_signed(body), SECRET, now=NOW)
    assert [p.keyword for p in info.value.problems] == ["encoding"]


@pytest.mark.parametrize("timestamp", [f"+{NOW}", f"00{NOW}", f"{NOW // 1000000}_{NOW % 1000000:06d}", f" {NOW}", f"{NOW} ",
                                       f"{NOW}\t", "\u0661" * 10])
def test_only_the_canonical_timestamp_digits_verify(timestamp):
    """Issue 13: ``int()`` read '+17...', '0017...', '17_...' and padded ones, all of which verified because
    the HMAC was computed over the canonical digits. Only plain ASCII digits, as signed, are read now.
    Mutation caught: parsing with ``int(timestamp)`` again."""
    with pytest.raises(StaleTimestamp, match="ASCII digits"):
        verify_and_parse(BODY, dict(signed(), **{"webhook-timestamp": timestamp}), SECRET, now=NOW)


def test_the_hmac_covers_the_timestamp_text_as_sent():
    """A producer that signs a non-canonical text is refused too (never re-formatted before hashing)."""
    with pytest.raises(StaleTimestamp):
        verify_and_parse(BODY, _hmac_signed(BODY, timestamp=f"0{NOW}"), SECRET, now=NOW)
    assert verify_and_parse(BODY, _hmac_signed(BODY), SECRET, now=NOW).code == "1234"


def test_a_str_body_is_encoded_and_anything_else_is_a_type_error():
    """Issue 13: ``verify_and_parse`` raised AttributeError on a str body."""
    assert verify_and_parse(BODY.decode(), signed(), SECRET, now=NOW).code == "1234"
    with pytest.raises(TypeError, match="raw request bytes"):
        verify_and_parse(json.loads(BODY), signed(), SECRET, now=NOW)


def test_a_str_body_with_a_lone_surrogate_is_refused_as_the_package_refuses_it():
    """A str body (a framework's decoding) holding a surrogate has no UTF-8 encoding:
    ``verify_and_parse`` and ``Verifier.verify`` raised UnicodeEncodeError (a traceback, not one
    of the package's errors). Its bytes are those a surrogateescape decoding came from (as the
    header values are read), so a correctly signed Latin-1 body is the encoding problem
    ``bytes`` gives, and a surrogate no decoding makes (U+D800) a signature that does not match."""
    latin1 = BODY.replace(b'"1234"', b'"12\xe9"')
    text = latin1.decode("utf-8", "surrogateescape")
    with pytest.raises(InvalidEvent, match="byte 0xe9 at offset") as info:
        verify_and_parse(text, _hmac_signed(latin1), SECRET, now=NOW)
    assert [p.keyword for p in info.value.problems] == ["encoding"]
    assert Verifier(SECRET).verify(text, _hmac_signed(latin1), now=NOW) == "msg_1"
    lone = BODY.decode().replace("1234", "12\ud800")
    with pytest.raises(BadSignature):
        verify_and_parse(lone, signed(), SECRET, now=NOW)
    with pytest.raises(BadSignature):
        Verifier(SECRET).verify(lone, signed(), now=NOW)


@pytest.mark.parametrize("secret", ["whsec_AA==", "abcd", "whsec_" + base64.b64encode(b"x" * 15).decode(), b"short"])
def test_secrets_shorter_than_16_bytes_are_refused(secret):
    """Issue 13: ``serve`` started with a 1-byte key. Mutation caught: the length check removed."""
    with pytest.raises(InvalidSecret, match="under the 16 accepted"):
        Verifier(secret)
    assert Verifier("whsec_" + base64.b64encode(b"x" * 16).decode())


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


def test_verify_and_parse_takes_max_problems():
    """``verify_and_parse`` hands ``max_problems`` to ``parse_event``: the first problems of the full list."""
    body = json.dumps({**json.loads(BODY), "access_grant_ids": [1] * 3000}).encode()
    with pytest.raises(InvalidEvent) as every:
        verify_and_parse(body, signed(body), SECRET, now=NOW)
    with pytest.raises(InvalidEvent) as first:
        verify_and_parse(body, signed(body), SECRET, now=NOW, max_problems=5)
    assert len(every.value.problems) == 3000 and every.value.all_counted
    assert first.value.problems == every.value.problems[:5] and first.value.more_problems >= 1 and not first.value.all_counted


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


class _Rendezvous:
    """Holds a thread inside a store's critical section until a second thread arrives there too (or 0.3 s pass).

    With the store's lock, the second thread cannot enter while the first waits, so the wait times
    out and the two run one after the other; without it, both are inside at once, every time.
    """

    def __init__(self):
        self.barrier = threading.Barrier(2)

    def meet(self) -> None:
        try:
            self.barrier.wait(timeout=0.3)
        except threading.BrokenBarrierError:
            pass


def _race(call) -> list:
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(call())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_memory_seen_store_is_atomic_across_threads():
    """Issue 16, item 4: 16 threads with one call each never overlapped, so removing the lock went unseen.
    The rendezvous inside ``first_time``'s membership test forces the overlap. Mutation caught: the
    ``with self._lock`` in ``MemorySeenStore.first_time`` removed (both threads then see the id as new)."""
    rendezvous = _Rendezvous()

    class Seen(OrderedDict):
        def __contains__(self, key):
            found = super().__contains__(key)
            rendezvous.meet()
            return found

    store = MemorySeenStore()
    store._seen = Seen()
    assert sorted(_race(lambda: store.first_time("event"))) == [False, True]


def test_memory_claim_store_claims_once_across_threads():
    """The same forced overlap for the claim store (several event loops of one process share it).
    Mutation caught: the ``with self._lock`` in ``MemoryClaimStore.claim_now`` removed."""
    rendezvous = _Rendezvous()

    class Entries(dict):
        def get(self, key, default=None):
            found = super().get(key, default)
            rendezvous.meet()
            return found

    store = MemoryClaimStore()
    store._entries = Entries()
    states = _race(lambda: asyncio.run(store.claim("event", 60)).state)
    assert sorted(states) == [CLAIMED, IN_FLIGHT]


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_memory_claim_store_state_machine():
    clock = FakeClock()
    store = MemoryClaimStore(clock=clock)
    run = asyncio.run
    first = run(store.claim("e", 10))
    assert first.state == CLAIMED and first.token
    busy = run(store.claim("e", 10))
    assert busy.state == IN_FLIGHT and busy.retry_after == 10
    assert not run(store.extend("e", "not-the-token", 10))
    clock.now += 9
    assert run(store.extend("e", first.token, 10))  # renewed: still held 9 s later
    clock.now += 9
    assert run(store.claim("e", 10)).state == IN_FLIGHT
    run(store.release("e", "not-the-token"))  # someone else's release changes nothing
    assert run(store.claim("e", 10)).state == IN_FLIGHT
    run(store.release("e", first.token))
    second = run(store.claim("e", 10))
    assert second.state == CLAIMED and second.token != first.token
    assert run(store.complete("e", second.token, 100))
    assert run(store.claim("e", 10)).state == DONE
    assert not run(store.complete("e", first.token, 100))  # a stale attempt cannot overwrite
    clock.now += 101
    assert run(store.claim("e", 10)).state == CLAIMED  # forgotten after the retention
    assert len(store) == 1


def test_a_crashed_claim_expires_with_its_lease():
    clock = FakeClock()
    store = MemoryClaimStore(clock=clock)
    stale = asyncio.run(store.claim("e", 5))
    clock.now += 5.001
    fresh = asyncio.run(store.claim("e", 5))
    assert fresh.state == CLAIMED
    assert not asyncio.run(store.extend("e", stale.token, 5))  # the lost claim cannot come back
    assert not asyncio.run(store.complete("e", stale.token, 100)) and asyncio.run(store.complete("e", fresh.token, 100))


def test_memory_claim_store_forgets_by_time_not_by_count():
    """Issue 13, defect 2: ``MemorySeenStore`` forgot by count (100,000), so at about 2,000 events/s an id
    was forgotten within a minute, inside the producer's retries (28 hours). The claim store keeps
    every id for the retention, however many others arrive."""
    clock = FakeClock()
    store = MemoryClaimStore(clock=clock)
    token = asyncio.run(store.claim("first", 60)).token
    asyncio.run(store.complete("first", token, DEFAULT_RETENTION_SECONDS))

    async def many_others() -> None:
        for number in range(101_000):  # past MemorySeenStore's 100,000
            claim = await store.claim(f"other-{number}", 60)
            await store.complete(f"other-{number}", claim.token, DEFAULT_RETENTION_SECONDS)

    asyncio.run(many_others())
    clock.now += 28 * 3600
    assert store.claim_now("first", 60).state == DONE
    assert DEFAULT_RETENTION_SECONDS >= 28 * 3600
    clock.now += DEFAULT_RETENTION_SECONDS
    assert store.claim_now("first", 60).state == CLAIMED


@pytest.mark.parametrize("key_bytes", [16, 24, 32, 63, 64, 65, 100, 200])
def test_the_verifiers_hmac_is_hmac_sha256(key_bytes):
    """The receiver computes HMAC-SHA256 from two keyed SHA-256 states made once per secret (faster than hmac.new
    per request). Guards that construction against the standard library's HMAC for keys shorter than, equal to
    and longer than SHA-256's 64-byte block (a longer key is hashed first, RFC 2104), on several messages."""
    import base64 as b64
    import hmac as std_hmac

    from access_events.receiving.signatures import Verifier as ReceivingVerifier

    key = bytes((7 * n + key_bytes) % 256 for n in range(key_bytes))
    verifier = ReceivingVerifier("whsec_" + b64.b64encode(key).decode())
    for message in (b"", b"x", b"msg_1.1767225600." + b"{}" * 40, bytes(range(256)) * 9):
        assert verifier._hmac(message) == std_hmac.digest(key, message, "sha256")
        assert verifier._hmac(message[:17], message[17:]) == std_hmac.digest(key, message, "sha256")  # as _match feeds it


def _outcome(check, *args):
    try:
        check(*args)
    except WebhookError as exc:
        return type(exc).__name__, str(exc)
    return "ok", None


_GOOD_SIGNATURE = Verifier(SECRET).sign(BODY, "msg_1", NOW).encode()
_LATIN1_ID_SIGNATURE = Verifier(SECRET).sign(BODY, "msg_\xe9", NOW).encode()  # the header bytes b"msg_\xe9" read as Latin-1
_HEADER_BYTES = st.one_of(st.binary(max_size=12), st.sampled_from([b"", b"msg_1", b"msg_\xe9", b"\xff", b"m\x00", b"a b,c"]))


@settings(max_examples=400, deadline=None)
@given(msg_id=st.one_of(st.just(b"msg_1"), _HEADER_BYTES),
       timestamp=st.one_of(st.sampled_from([str(NOW).encode(), f"0{NOW}".encode(), f"+{NOW}".encode(), f" {NOW}".encode(),
                                            f"{NOW}".encode().replace(b"7", b"\xd9\xa7", 1), str(NOW - 400).encode(),
                                            str(NOW + 400).encode(), b"0", b"", b"1" * 13, "１７".encode()]), _HEADER_BYTES),
       signature=st.one_of(st.sampled_from([_GOOD_SIGNATURE, b"v2," + _GOOD_SIGNATURE[3:], b"v1,x " + _GOOD_SIGNATURE,
                                            _GOOD_SIGNATURE + b" v1,AAAA", _GOOD_SIGNATURE[:-1] + b"=",  # padding bits
                                            _GOOD_SIGNATURE.replace(b"v1,", b"v1,\xe9"), b"v1," + b"A" * 44,
                                            _LATIN1_ID_SIGNATURE]),
                           st.binary(max_size=60)),
       body=st.sampled_from([BODY, BODY + b" ", b""]))
def test_the_receivers_byte_check_decides_as_the_text_check(msg_id, timestamp, signature, body):
    """The receiver checks the three header values as bytes (``Verifier.check_raw``: no decoding, no body copy, the
    whole header compared first); ``check`` on their Latin-1 text is the reference. Same verdict and same message
    for hostile ids, non-canonical timestamps (leading zero, sign, space, non-ASCII digit, 13 digits), stale and
    future times, several entries, other versions, non-canonical base64. Mutation caught: check_raw accepting a
    timestamp with a leading zero."""
    verifier = Verifier(SECRET)
    text = [value.decode("latin-1") for value in (msg_id, timestamp, signature)]
    expected = _outcome(lambda: verifier.check(*text, body, now=NOW))
    assert _outcome(lambda: verifier.check_raw(msg_id, timestamp, signature, body, NOW)) == expected


def test_the_byte_check_accepts_what_the_producer_signs_and_only_that():
    """Anchors the equivalence above on real verdicts: a valid delivery passes check_raw, the same bytes one
    changed byte off (id, timestamp, body, signature) do not; a non-ASCII id is signed as check() reads it (its
    Latin-1 text in UTF-8). Mutations caught: check_raw hashing a non-ASCII id's raw bytes; accepting a leading zero."""
    verifier = Verifier(SECRET)
    stamp = str(NOW).encode()
    assert verifier.check_raw(b"msg_1", stamp, _GOOD_SIGNATURE, BODY, NOW) is None
    assert verifier.check_raw(b"msg_\xe9", stamp, _LATIN1_ID_SIGNATURE, BODY, NOW) is None  # as check() reads it
    for args in ((b"msg_2", stamp, _GOOD_SIGNATURE, BODY), (b"msg_1", str(NOW + 1).encode(), _GOOD_SIGNATURE, BODY),
                 (b"msg_1", stamp, _GOOD_SIGNATURE, BODY[:-1] + b" "), (b"msg_1", stamp, _GOOD_SIGNATURE[:-2] + b"A=", BODY)):
        with pytest.raises(BadSignature):
            verifier.check_raw(*args, NOW)
    with pytest.raises(StaleTimestamp, match="unreadable"):
        verifier.check_raw(b"msg_1", b"0" + stamp, _GOOD_SIGNATURE, BODY, NOW)


def _stdlib_verdict(key: bytes, msg_id: bytes, timestamp: bytes, signature: bytes, body: bytes, now: int) -> str:
    """The Standard Webhooks rules written out with the standard library alone (the reference of the test below):
    the id and timestamp as the receiver reads them (Latin-1 text, signed as UTF-8), the timestamp canonical ASCII
    digits within 300 s, and any ``v1,`` entry of the space-separated header whose base64 is the HMAC-SHA256."""
    stamp = timestamp.decode("latin-1")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or (stamp[0] == "0" and stamp != "0"):
        return "StaleTimestamp"
    if abs(now - int(stamp)) > 300:
        return "StaleTimestamp"
    expected = hmac.new(key, f"{msg_id.decode('latin-1')}.{stamp}.".encode() + body, hashlib.sha256).digest()
    for entry in signature.split(b" "):
        version, _, value = entry.partition(b",")
        try:
            if version == b"v1" and hmac.compare_digest(base64.b64decode(value, validate=True), expected):
                return "ok"
        except ValueError:  # binascii.Error: not base64
            continue
    return "BadSignature"


def test_check_raw_check_and_verify_agree_with_the_standard_librarys_hmac_on_hostile_headers():
    """Audit (recv2), a guard (it passes on main): the three entry points (``check_raw`` on header bytes, ``check`` on
    their text, ``verify`` on a header mapping) against a reference written with ``hmac``/``base64`` only, over 4,000
    seeded random deliveries: ids non-ASCII, Latin-1, with quotes, 9,000 bytes long; timestamps signed, zero-padded,
    spaced, with Latin-1 superscript or Arabic-Indic digits, 20 digits, stale; signatures with several entries,
    ``v1,`` prefixes, padding and alphabet variants, truncated MACs, 2,000 entries. The test holds check_raw equal to
    check already; this one also catches a fault both share (mutations caught: ``_match`` comparing only the first
    16 bytes of the MAC; accepting a ``v1a`` entry)."""
    import random

    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    verifier = Verifier(SECRET)
    rnd = random.Random(20261130)
    noise = [b"", b" ", b",", b"v1", b"v1,", b"v2,", b"=", b"+", b"-", b"_", b"/", b"0", b"\xe9", b"\xa0", b"\xb2", b"\xff", b"\x00"]
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def mac_b64(msg_id: bytes, stamp: bytes, body: bytes) -> bytes:
        text = f"{msg_id.decode('latin-1')}.{stamp.decode('latin-1')}.".encode() + body
        return base64.b64encode(hmac.new(key, text, hashlib.sha256).digest())

    verdicts: dict[str, int] = {}
    for _ in range(4000):
        msg_id = rnd.choice([b"msg_1", b"msg_\xe9", b"msg_\xc3\xa9", b" ", b"\x00", b"\xff\xfe", b'm"s\\g', b"a" * 9000,
                             b"".join(rnd.choice(noise) for _ in range(4)) or b"x"])
        stamp = str(NOW + rnd.randrange(-400, 400)).encode()
        if rnd.random() < 0.4:
            stamp = rnd.choice([b"+" + stamp, b"0" + stamp, b" " + stamp, stamp + b" ", stamp[:3] + b"_" + stamp[3:], b"0",
                                b"-" + stamp, stamp.replace(b"1", b"\xb9"), "١٧٦٧٢٢٥٦٠٠".encode(), stamp * 2, stamp + b".0"])
        body = rnd.choice([BODY, b"\xe9t\xe9", b"x" * 3000])
        good = mac_b64(msg_id if rnd.random() < 0.9 else b"other", stamp if rnd.random() < 0.9 else str(NOW).encode(), body)
        last = alphabet.index(good[42:43])
        variant = good[:42] + alphabet[(last & ~3) | rnd.randrange(4):][:1] + good[43:]  # other padding bits
        signature = rnd.choice([
            b"v1," + good, b"v1," + variant, b"v1," + good.rstrip(b"="), b"v1," + good + b"=",
            b"v1," + good.replace(b"+", b"-").replace(b"/", b"_"), b"v1," + good.lower(),
            b"v1," + base64.b64encode(base64.b64decode(good)[:16]), b"v1a," + good, b"v2," + good, b" v1," + good,
            b"v1,AAAA " * rnd.choice([1, 2000]) + b"v1," + good, b"".join(rnd.choice(noise) for _ in range(8)) or b"v1,",
            b"v1," + good + rnd.choice(noise), rnd.choice(noise) + b"v1," + good])
        expected = _stdlib_verdict(key, msg_id, stamp, signature, body, NOW)
        verdicts[expected] = verdicts.get(expected, 0) + 1
        text = [value.decode("latin-1") for value in (msg_id, stamp, signature)]
        raw = _outcome(lambda: verifier.check_raw(msg_id, stamp, signature, body, NOW))[0]
        checked = _outcome(lambda: verifier.check(*text, body, now=NOW))[0]
        mapping = dict(zip(("webhook-id", "webhook-timestamp", "webhook-signature"), text))
        verified = _outcome(lambda: verifier.verify(body, mapping, now=NOW))[0]
        assert raw == checked == verified == expected, (msg_id[:40], stamp, signature[:100], raw, checked, verified, expected)
    assert min(verdicts.values()) > 300 and len(verdicts) == 3, verdicts  # every verdict well represented


def test_an_id_with_a_surrogate_no_decoding_makes_is_a_bad_signature_not_a_unicode_error():
    """Audit (recv2): ``verify``, ``check`` and ``verify_and_parse`` raised ``UnicodeEncodeError`` (not a
    ``WebhookError``: a caller catching those got a traceback, a 500) for a ``webhook-id`` holding a lone surrogate
    that no decoding makes (U+D800; a str header mapping built by the caller): the id was encoded with surrogateescape
    only, which the body's encoding had already been fixed for. Now the same rule as the body: surrogatepass bytes,
    which no producer signs, so ``BadSignature``; an id from surrogateescape still verifies against its bytes."""
    from access_events.webhooks import verify_and_parse

    verifier = Verifier(SECRET)
    for msg_id in ("\ud800", "msg_\udbff\udfff"[:5], "a\ud800b"):
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(NOW), "webhook-signature": _GOOD_SIGNATURE.decode()}
        with pytest.raises(BadSignature):
            verifier.verify(BODY, headers, now=NOW)
        with pytest.raises(BadSignature):
            verifier.check(msg_id, str(NOW), _GOOD_SIGNATURE.decode(), BODY, now=NOW)
        with pytest.raises(BadSignature):
            verify_and_parse(BODY, headers, SECRET, now=NOW)
    # an id read with surrogateescape (the bytes b"msg_\xe9" as UTF-8 text) is its bytes, as signed over those bytes
    mac = hmac.new(base64.b64decode(SECRET.removeprefix("whsec_")), b"msg_\xe9." + str(NOW).encode() + b"." + BODY, hashlib.sha256)
    signature = "v1," + base64.b64encode(mac.digest()).decode()
    assert verifier.check(b"msg_\xe9".decode("utf-8", "surrogateescape"), str(NOW), signature, BODY, now=NOW)
