"""uvicorn's h11 protocol with a read timeout on request heads (imported by ``serve`` only).

uvicorn times out idle keep-alive connections, but not a connection that never sends a
request, nor one that sends half a request head and stops: 1,100 of those exhausted the
file descriptors. Here a head must arrive in full within ``read_timeout`` seconds of the
connection (or of its first byte after a response); the body has its own timer in the app.
A refusal is logged as one line per kind, with a count, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("access_events.receiver")
_refusals: dict[str, int] = {}


def refused(kind: str) -> None:
    """Log a refused connection: the first of each kind, then every 1,000th, with the count so far."""
    count = _refusals[kind] = _refusals.get(kind, 0) + 1
    if count == 1 or count % 1000 == 0:
        log.warning("refused connection: %s (%d so far)", kind, count)


def _configured_timeout() -> float:
    """``serve``'s --read-timeout, from the settings it hands to worker processes."""
    try:
        return float(json.loads(os.environ.get("ACCESS_EVENTS_SERVE_CONFIG", "{}")).get("read_timeout", 10.0))
    except (ValueError, TypeError, AttributeError):
        return 10.0


class TimedH11Protocol(H11Protocol):
    """A request (head and body) must arrive within ``read_timeout`` seconds of its first byte, and a
    new connection must send one within that time; otherwise the connection is closed. One watchdog
    timer per connection checks it, not a timer per request: a request costs two attribute writes.
    Between requests, uvicorn's keep-alive timeout applies."""

    read_timeout = _configured_timeout()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_since: float | None = self.loop.time()  # a silent new connection counts as waiting
        self._watchdog = self.loop.call_later(self.read_timeout, self._check)

    def data_received(self, data: bytes) -> None:
        if self._waiting_since is None:
            self._waiting_since = self.loop.time()  # the first bytes of a request
        super().data_received(data)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._waiting_since = None  # the whole request is in: the app answers it

    def _check(self) -> None:
        since = self._waiting_since
        if since is not None and self.loop.time() - since >= self.read_timeout:
            cycle = self.cycle
            receiving_body = cycle is not None and not cycle.response_complete and cycle.more_body
            kind = "request body not received" if receiving_body else "no complete request head"
            refused(f"{kind} within {self.read_timeout:g} s")
            self.transport.close()
            return
        wait = self.read_timeout if since is None else self.read_timeout - (self.loop.time() - since)
        self._watchdog = self.loop.call_later(max(wait, 0.05), self._check)

    def connection_lost(self, exc) -> None:  # type: ignore[override]
        self._watchdog.cancel()
        super().connection_lost(exc)
