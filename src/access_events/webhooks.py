"""Receiving the webhooks: verify the Standard Webhooks signature, then parse the event.

The signature itself is the ``standardwebhooks`` package's (HMAC-SHA256 over
``{id}.{timestamp}.{body}`` with the base64-decoded ``whsec_`` key); comparison is
``hmac.compare_digest``. This module wraps it for what it does not cover: the ``svix-*``
header names the producer also sends, distinct errors a receiver can map to responses,
an injectable clock for tests, and bodies that are not UTF-8 (the library raises a bare
``UnicodeDecodeError`` for those).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from datetime import datetime, timezone
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from standardwebhooks import Webhook

from ._api import parse_event
from ._decode import DEFAULT_MAX_BYTES
from .errors import EventError

#: How far a signature's timestamp may be from now, either way (the Standard Webhooks default).
TOLERANCE_SECONDS = 5 * 60
_SECRET_PREFIX = "whsec_"
_HEADER_SETS = (("webhook-id", "webhook-timestamp", "webhook-signature"), ("svix-id", "svix-timestamp", "svix-signature"))


class WebhookError(EventError):
    """Base of the signature errors: the request did not come, verifiably, from the producer."""


class MissingHeaders(WebhookError):
    """No complete set of ``webhook-*`` (or ``svix-*``) id, timestamp and signature headers."""


class StaleTimestamp(WebhookError):
    """The signature's timestamp is unreadable, or more than the tolerance away from now (old or future)."""


class BadSignature(WebhookError):
    """No ``v1`` signature in the header matches the body under the secret."""


class InvalidSecret(ValueError):
    """The configured secret is empty or not base64 (after an optional ``whsec_`` prefix)."""


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    for names in _HEADER_SETS:
        values = [lowered.get(name) for name in names]
        if all(values):
            return values[0], values[1], values[2]  # type: ignore[return-value]
    missing = [name for name in _HEADER_SETS[0] if not lowered.get(name)]
    raise MissingHeaders(f"missing signature header{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                         "(or the svix-* equivalents)")


class Verifier:
    """Verifies signed webhook requests with one secret (``whsec_...``, or the bare base64 key)."""

    def __init__(self, secret: str | bytes, *, tolerance_seconds: int = TOLERANCE_SECONDS):
        if isinstance(secret, str):
            key = secret.removeprefix(_SECRET_PREFIX)
            try:
                decoded = base64.b64decode(key, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidSecret("the webhook secret is not base64 (expected whsec_<base64>)") from None
            if not decoded:
                raise InvalidSecret("the webhook secret is empty")
            secret = decoded
        elif not secret:
            raise InvalidSecret("the webhook secret is empty")
        self._webhook = Webhook(secret)
        self.tolerance_seconds = tolerance_seconds

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> str:
        """Check the signature of ``body``; return the message id (``webhook-id``). Raises a WebhookError."""
        msg_id, timestamp, signature = _signature_headers(headers)
        try:
            sent = int(timestamp)
        except ValueError:
            raise StaleTimestamp(f"unreadable signature timestamp {timestamp[:40]!r}") from None
        skew = (time.time() if now is None else now) - sent
        if abs(skew) > self.tolerance_seconds:
            when = "old" if skew > 0 else "in the future"
            raise StaleTimestamp(f"signature timestamp is {abs(int(skew))} s {when}; the tolerance is {self.tolerance_seconds} s")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # the signed content is text; a body that is not UTF-8 cannot carry a valid signature
            raise BadSignature("no signature matches: the body is not UTF-8 text") from None
        # The library signs (the HMAC); its verify() is not called because it reads the clock
        # itself and raises one error type for everything, where callers need distinct ones.
        expected = base64.b64decode(self._webhook.sign(msg_id, datetime.fromtimestamp(sent, tz=timezone.utc), text).split(",", 1)[1])
        for entry in signature.split(" "):
            version, _, value = entry.partition(",")
            if version != "v1":
                continue
            try:
                given = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            if hmac.compare_digest(expected, given):
                return msg_id
        raise BadSignature("no signature matches the body under this secret")

    def sign(self, body: bytes, msg_id: str, timestamp: int) -> str:
        """The ``webhook-signature`` header value for ``body`` (for tests and for producers)."""
        return self._webhook.sign(msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body.decode("utf-8"))


def verify_and_parse(body: bytes, headers: Mapping[str, str], secret: str | bytes | Verifier, *,
                     max_bytes: int = DEFAULT_MAX_BYTES, now: float | None = None) -> Any:
    """Verify the signature, then parse the event (``parse_event``).

    Raises ``MissingHeaders``, ``StaleTimestamp`` or ``BadSignature`` (all ``WebhookError``)
    before looking at the body, then ``InvalidEvent`` or ``UnknownEventType``.
    """
    verifier = secret if isinstance(secret, Verifier) else Verifier(secret)
    if len(body) > max_bytes:
        # parse_event would refuse it too; refusing before the HMAC spares hashing a huge body
        from .errors import InvalidEvent, Problem

        raise InvalidEvent([Problem("", "size", f"payload is {len(body)} bytes, above the limit of {max_bytes} bytes")])
    verifier.verify(body, headers, now=now)
    return parse_event(body, max_bytes=max_bytes)


class SeenStore(Protocol):
    """Where a receiver remembers the events it has handled, to ignore the producer's retries.

    ``first_time(event_id)`` records the id and returns True the first time it is seen,
    False afterwards; ``forget(event_id)`` drops it again (a handler failed). Implement it over Redis (``SET key 1 NX EX ttl``), a database
    unique key, ...; it must be atomic when several workers share it.
    """

    def first_time(self, event_id: str) -> bool: ...

    def forget(self, event_id: str) -> None:
        """Drop ``event_id``: its handling failed, so the producer's retry must be handled again."""


class MemorySeenStore:
    """The in-process default: the last ``capacity`` event ids, thread-safe (one process only)."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                self._seen.move_to_end(event_id)
                return False
            self._seen[event_id] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True

    def forget(self, event_id: str) -> None:
        with self._lock:
            self._seen.pop(event_id, None)
