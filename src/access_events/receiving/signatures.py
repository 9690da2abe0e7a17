"""Signature verification: the Standard Webhooks scheme, as the producer (Svix) signs.

The signed content is ``{id}.{timestamp}.{body}``, HMAC-SHA256 under the base64-decoded
``whsec_`` key. The HMAC is the standard library's ``hmac`` over the body's exact bytes
(``contract_tests/test_receiver.py`` holds it equal to the ``standardwebhooks`` package's
``sign``, which ``Verifier.sign`` uses); comparison is ``hmac.compare_digest``. The library's
own ``verify`` is not called: it reads the clock itself, raises one error type for
everything, decodes the body as text before hashing (so a body that is not UTF-8 cannot be
told from a forged one) and accepts any timestamp ``int()`` reads (``+17…``, ``0017…``,
``17_…``, padded spaces) although only the canonical digits were signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from standardwebhooks import Webhook

from .._api import parse_event
from .._decode import DEFAULT_MAX_BYTES
from ..errors import EventError, InvalidEvent, Problem

#: How far a signature's timestamp may be from now, either way (the Standard Webhooks default).
TOLERANCE_SECONDS = 5 * 60
#: The shortest key accepted; the producer issues 24-byte keys.
MIN_SECRET_BYTES = 16
_SECRET_PREFIX = "whsec_"
_HEADER_SETS = (("webhook-id", "webhook-timestamp", "webhook-signature"), ("svix-id", "svix-timestamp", "svix-signature"))
#: Every header name the signature reads; a request carrying one of them twice is refused.
SIGNATURE_HEADERS = frozenset(name for names in _HEADER_SETS for name in names)
_MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970: 10 digits until the year 2286


class WebhookError(EventError):
    """Base of the signature errors: the request did not come, verifiably, from the producer."""


class MissingHeaders(WebhookError):
    """No complete set of ``webhook-*`` (or ``svix-*``) id, timestamp and signature headers."""


class StaleTimestamp(WebhookError):
    """The signature's timestamp is unreadable, or more than the tolerance away from now (old or future)."""


class BadSignature(WebhookError):
    """No ``v1`` signature in the header matches the body under the secret."""


class InvalidSecret(ValueError):
    """The configured secret is empty, not base64 (after an optional ``whsec_`` prefix), or shorter than 16 bytes."""


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    for names in _HEADER_SETS:
        values = [lowered.get(name) for name in names]
        if all(values):
            return values[0], values[1], values[2]  # type: ignore[return-value]
    missing = [name for name in _HEADER_SETS[0] if not lowered.get(name)]
    raise MissingHeaders(f"missing signature header{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                         "(or the svix-* equivalents)")


def _canonical_timestamp(text: str) -> int:
    """The seconds of a ``webhook-timestamp``: ASCII digits as a producer writes them, nothing else."""
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_TIMESTAMP_DIGITS) or (text[0] == "0" and text != "0"):
        raise StaleTimestamp(f"unreadable signature timestamp {text[:40]!r}: expected the seconds since 1970 "
                             "as plain ASCII digits, as signed")
    return int(text)


def decode_secret(secret: str | bytes) -> bytes:
    """The HMAC key of ``whsec_<base64>`` (or the bare base64 key, or the key bytes); raises ``InvalidSecret``."""
    if isinstance(secret, str):
        try:
            secret = base64.b64decode(secret.removeprefix(_SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSecret("the webhook secret is not base64 (expected whsec_<base64>)") from None
    if not secret:
        raise InvalidSecret("the webhook secret is empty")
    if len(secret) < MIN_SECRET_BYTES:
        raise InvalidSecret(f"the webhook secret is {len(secret)} byte{'s' if len(secret) != 1 else ''} of key, "
                            f"under the {MIN_SECRET_BYTES} accepted (the producer issues 24-byte keys): "
                            "is it the whole whsec_... value?")
    return secret


class Verifier:
    """Verifies signed webhook requests with one secret (``whsec_...``, or the bare base64 key)."""

    def __init__(self, secret: str | bytes, *, tolerance_seconds: int = TOLERANCE_SECONDS):
        self._key = decode_secret(secret)
        # HMAC-SHA256 (RFC 2104) from its two keyed SHA-256 states, made once per secret and copied per request:
        # hmac.new / hmac.digest set the key up again on every call (about 40% of a 1 KiB event's HMAC).
        # test_webhooks checks it against hmac.digest for keys shorter than, equal to and longer than a block.
        key = hashlib.sha256(self._key).digest() if len(self._key) > 64 else self._key
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key.ljust(64, b"\0")))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key.ljust(64, b"\0")))
        self._webhook = Webhook(self._key)
        self.tolerance_seconds = tolerance_seconds

    def verify(self, body: bytes | str, headers: Mapping[str, str], *, now: float | None = None) -> str:
        """Check the signature of ``body``; return the message id (``webhook-id``). Raises a WebhookError.

        The HMAC covers the body's bytes: a body that is not UTF-8 but signed correctly passes
        here, and its decoding fails afterwards (``parse_event``: 400), not as a forgery.
        """
        msg_id, timestamp, signature = _signature_headers(headers)
        return self.check(msg_id, timestamp, signature, body, now=now)

    def check(self, msg_id: str, timestamp: str, signature: str, body: bytes | str, *, now: float | None = None) -> str:
        """``verify`` with the three header values already picked out."""
        sent = _canonical_timestamp(timestamp)
        skew = (time.time() if now is None else now) - sent
        if abs(skew) > self.tolerance_seconds:
            raise self._stale(skew)
        if isinstance(body, str):
            body = _text_bytes(body)
        # the id as the body: surrogateescape's bytes, else surrogatepass (U+D800: bytes no producer signs, so
        # BadSignature, never a UnicodeEncodeError); the signature with surrogatepass: a non-ASCII entry matches nothing
        self._match(_text_bytes(f"{msg_id}.{timestamp}."), body, signature.encode("utf-8", "surrogatepass"))
        return msg_id

    def check_raw(self, msg_id: bytes, timestamp: bytes, signature: bytes, body: bytes, now: float | None = None) -> None:
        """``check`` of the header values as the server gives them (bytes; ASGI's header values are Latin-1):
        the same rules and errors, without decoding the values. The receiver calls it per request."""
        if not (msg_id.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS
                and (timestamp[0] != 48 or timestamp == b"0")):  # 48 is "0"; bytes.isdigit is ASCII digits only
            # a non-ASCII id or a timestamp to refuse: the text path decides and words the error
            self.check(msg_id.decode("latin-1"), timestamp.decode("latin-1"), signature.decode("latin-1"), body, now=now)
            return
        skew = (time.time() if now is None else now) - int(timestamp)
        if abs(skew) > self.tolerance_seconds:
            raise self._stale(skew)
        self._match(b"%s.%s." % (msg_id, timestamp), body, signature)  # an ASCII id is its own UTF-8

    def _stale(self, skew: float) -> StaleTimestamp:
        when = "old" if skew > 0 else "in the future"
        return StaleTimestamp(f"signature timestamp is {abs(int(skew))} s {when}; the tolerance is {self.tolerance_seconds} s")

    def _match(self, prefix: bytes, body: bytes, signature: bytes) -> None:
        """Raise ``BadSignature`` unless a ``v1`` entry of ``signature`` is the HMAC of ``prefix + body``."""
        expected = self._hmac(prefix, body)  # fed in two parts: the body is not copied to join it to the prefix
        expected_text = binascii.b2a_base64(expected, newline=False)
        # A producer writes the canonical base64 of the HMAC, most often as the header's one entry: that
        # whole header is compared first, then each entry as text (no decoding per request), then each
        # entry decoded, for encodings that differ only in padding bits. Every comparison is constant-time.
        if hmac.compare_digest(signature, b"v1," + expected_text):
            return
        entries = [entry.partition(b",") for entry in signature.split(b" ")]
        for version, _, value in entries:
            if version == b"v1" and hmac.compare_digest(value, expected_text):
                return
        for version, _, value in entries:
            if version != b"v1":
                continue
            try:
                given = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            if hmac.compare_digest(expected, given):
                return
        raise BadSignature("no signature matches the body under this secret")

    def _hmac(self, *parts: bytes) -> bytes:
        """HMAC-SHA256 of the ``parts`` joined, under the secret (``hmac.digest(key, b"".join(parts), "sha256")``)."""
        inner = self._inner.copy()
        for part in parts:
            inner.update(part)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def sign(self, body: bytes, msg_id: str, timestamp: int) -> str:
        """The ``webhook-signature`` header value for ``body`` (for tests and for producers)."""
        return self._webhook.sign(msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body.decode("utf-8"))


def _text_bytes(body: str) -> bytes:
    """The bytes of a str body: UTF-8, and a surrogate as the byte a surrogateescape decoding made
    it from (as the header values are read); a surrogate no decoding makes (U+D800) as its
    surrogatepass bytes, which no producer signs. Either way the signature decides, then the
    bytes' decoding (never a UnicodeEncodeError)."""
    try:
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return body.encode("utf-8", "surrogatepass")


def _check_body(body: Any) -> bytes:
    if isinstance(body, str):
        return _text_bytes(body)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"verify_and_parse: the body must be the raw request bytes (or str), not {type(body).__name__}")


def verify_and_parse(body: bytes | str, headers: Mapping[str, str], secret: str | bytes | Verifier, *,
                     max_bytes: int = DEFAULT_MAX_BYTES, now: float | None = None, max_problems: int | None = None) -> Any:
    """Verify the signature, then parse the event (``parse_event``, ``max_problems`` included).

    ``body`` is the raw request body: ``bytes`` (or ``str``, encoded as UTF-8; anything else
    is a ``TypeError``). Raises ``MissingHeaders``, ``StaleTimestamp`` or ``BadSignature``
    (all ``WebhookError``) before looking at the body, then ``InvalidEvent`` or ``UnknownEventType``.
    """
    body = _check_body(body)
    verifier = secret if isinstance(secret, Verifier) else Verifier(secret)
    if len(body) > max_bytes:
        # parse_event would refuse it too; refusing before the HMAC spares hashing a huge body
        raise InvalidEvent([Problem("", "size", f"payload is {len(body)} bytes, above the limit of {max_bytes} bytes")])
    verifier.verify(body, headers, now=now)
    return parse_verified(body, max_bytes, max_problems)


def parse_verified(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_problems: int | None = None) -> Any:
    """``parse_event`` of a body whose signature has been checked; a body that is not UTF-8 says so."""
    try:
        return parse_event(body, max_bytes=max_bytes, max_problems=max_problems)
    except InvalidEvent as exc:
        encoding = _encoding_problem(body)
        if encoding is None:
            raise
        raise InvalidEvent([encoding]) from exc


def _encoding_problem(body: bytes) -> Problem | None:
    """Why a correctly signed body is not text JSON can be read from, or None when it is UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if body[:2] == b"\x1f\x8b":
            what = "gzip-compressed"
        elif body[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(body) > 1 and b"\x00" in body[:4]):
            what = "UTF-16 (or another wide encoding)"
        else:
            what = f"not UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}; Latin-1?)"
        return Problem("", "encoding", f"the body is {what}; JSON must be UTF-8 text (RFC 8259). The signature is valid, "
                                       "so the sender encodes the event wrongly")
    return None


__all__ = ["BadSignature", "InvalidSecret", "MIN_SECRET_BYTES", "MissingHeaders", "SIGNATURE_HEADERS", "StaleTimestamp",
           "TOLERANCE_SECONDS", "Verifier", "WebhookError", "decode_secret", "parse_verified", "verify_and_parse"]
