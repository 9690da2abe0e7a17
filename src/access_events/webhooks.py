"""Receiving the webhooks: verify the Standard Webhooks signature, then parse the event.

The code lives in ``access_events.receiving`` (``signatures.py``, ``stores.py``); this
module keeps the names importable from here.
"""

from __future__ import annotations

from .receiving.signatures import (
    MIN_SECRET_BYTES,
    TOLERANCE_SECONDS,
    BadSignature,
    InvalidSecret,
    MissingHeaders,
    StaleTimestamp,
    Verifier,
    WebhookError,
    verify_and_parse,
)
from .receiving.stores import (
    Claim,
    ClaimStore,
    MemoryClaimStore,
    MemorySeenStore,
    RedisClaimStore,
    SeenStore,
)

__all__ = ["BadSignature", "Claim", "ClaimStore", "InvalidSecret", "MIN_SECRET_BYTES", "MemoryClaimStore", "MemorySeenStore",
           "MissingHeaders", "RedisClaimStore", "SeenStore", "StaleTimestamp", "TOLERANCE_SECONDS", "Verifier", "WebhookError",
           "verify_and_parse"]
