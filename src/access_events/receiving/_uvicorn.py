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
    read_timeout = _configured_timeout()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = None
        self._arm()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.read_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            self._disarm()  # a request is being answered: its body has the app's timer
        else:
            self._arm()  # bytes of a head that is not complete yet

    def _expire(self) -> None:
        self._head_timer = None
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            refused(f"no complete request head within {self.read_timeout:g} s")
            self.transport.close()

    def connection_lost(self, exc) -> None:  # type: ignore[override]
        self._disarm()
        super().connection_lost(exc)
