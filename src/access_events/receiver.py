"""The reference receiver: a plain ASGI app that verifies, parses, dedupes and dispatches events.

It is written by hand, against the ASGI specification only, on purpose: it is about a
hundred lines, and a web framework would become a dependency of every user of this
package. Run it with any ASGI server (``access-events serve`` uses uvicorn), or mount it
in your own application.

Every answer a client can cause is a 2xx or a 4xx: 204 received (or a duplicate, or an
event type this package does not know, acknowledged and ignored), 400 invalid event or
empty body, 401 signature, 404 other path, 405 other method, 413 too large, 415 not
JSON. A 500 means the receiver's own handler failed; it is logged, and the producer retries.
``generated/openapi/receiver.yaml`` is the contract, and ``access-events check-receiver``
checks any running receiver against it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from access_events_models import Event

from ._decode import DEFAULT_MAX_BYTES
from .errors import InvalidEvent, UnknownEventType
from .webhooks import MemorySeenStore, SeenStore, Verifier, WebhookError, verify_and_parse

DEFAULT_PATH = "/webhooks/access-events"
SECRET_ENV = "ACCESS_EVENTS_WEBHOOK_SECRET"
#: The response header that says why a 204 did nothing: ``duplicate`` or ``ignored-unknown-type``.
OUTCOME_HEADER = "x-access-events"

log = logging.getLogger("access_events.receiver")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _respond(send: Send, status: int, body: dict[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> None:
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if body is not None:
        out.append((b"content-type", b"application/json"))
    if status != 204:  # a 204 carries no body and, per RFC 9110, no Content-Length
        out.append((b"content-length", str(len(raw)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": raw})


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(secret: str | bytes | Verifier, *, handlers: Mapping[str, Callable[[Event], None]] | None = None,
               seen: SeenStore | None = None, max_bytes: int = DEFAULT_MAX_BYTES, path: str = DEFAULT_PATH) -> ASGIApp:
    """The receiver as an ASGI app serving ``POST path``.

    ``secret`` is ``whsec_<base64>`` or the bare base64 key (``InvalidSecret`` here if it is
    neither). ``handlers`` maps an event type to a function called once per new event (in
    a worker thread under asyncio); ``seen`` remembers handled event ids (default: the last
    100,000 in memory). When a handler raises, the answer is 500 and the event is
    forgotten, so the producer's retry is handled again rather than dropped as a duplicate.
    """
    verifier = secret if isinstance(secret, Verifier) else Verifier(secret)
    handlers = dict(handlers or {})
    store: SeenStore = seen if seen is not None else MemorySeenStore()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":
            return  # websockets: not served; returning closes the connection
        if scope["path"] != path:
            return await _respond(send, 404, _error("not_found", f"only {path} is served"))
        if scope["method"] != "POST":
            return await _respond(send, 405, _error("method_not_allowed", "only POST is allowed"), {"allow": "POST"})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return await _respond(send, 415, _error("unsupported_media_type", "the body must be application/json"))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or not length.isascii()):
            return await _respond(send, 400, _error("bad_request", "unreadable Content-Length"))
        too_large = _error("too_large", f"the body is above the limit of {max_bytes} bytes")
        if length is not None and int(length) > max_bytes:
            return await _respond(send, 413, too_large)
        chunks, size, more = [], 0, True
        while more:  # read in chunks, stopping as soon as the limit is passed
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                return await _respond(send, 413, too_large)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not body:
            return await _respond(send, 400, _error("empty_body", "the body is empty; expected a JSON event"))
        try:
            event = verify_and_parse(body, headers, verifier, max_bytes=max_bytes)
        except WebhookError as exc:
            return await _respond(send, 401, _error("unauthorized", str(exc)))
        except InvalidEvent as exc:
            return await _respond(send, 400, {"error": "invalid_event", "message": str(exc),
                                              "problems": [p.as_dict() for p in exc.problems]})
        except UnknownEventType:
            return await _respond(send, 204, headers={OUTCOME_HEADER: "ignored-unknown-type"})
        event_id = str(event.event_id)
        if not store.first_time(event_id):
            return await _respond(send, 204, headers={OUTCOME_HEADER: "duplicate"})
        handler = handlers.get(event.event_type)
        if handler is not None:
            try:
                await _call(handler, event)
            except Exception:  # the receiver's own bug, never the client's: log it, let the producer retry
                log.exception("handler for %s failed on event %s", event.event_type, event_id)
                store.forget(event_id)
                return await _respond(send, 500, _error("handler_failed", "the receiver failed to handle the event"))
        return await _respond(send, 204)

    return app


async def _call(handler: Callable[[Event], None], event: Event) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # another event loop (trio): run it inline
        handler(event)
        return
    await loop.run_in_executor(None, handler, event)


def serve(host: str = "127.0.0.1", port: int = 8000, *, secret: str | None = None, path: str = DEFAULT_PATH,
          handlers: Mapping[str, Callable[[Event], None]] | None = None) -> int:
    """Run the receiver with uvicorn until interrupted; the secret comes from ``ACCESS_EVENTS_WEBHOOK_SECRET``.

    Returns 2 (after a message on stderr) when the secret is missing or invalid, or uvicorn is not installed.
    """
    from .webhooks import InvalidSecret

    secret = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        sys.stderr.write(f"access-events serve: error: set {SECRET_ENV} to the endpoint's signing secret (whsec_...)\n")
        return 2
    try:
        app = create_app(secret, handlers=handlers, path=path)
    except InvalidSecret as exc:
        sys.stderr.write(f"access-events serve: error: {SECRET_ENV}: {exc}\n")
        return 2
    try:
        import uvicorn
    except ImportError:
        sys.stderr.write("access-events serve: error: uvicorn is not installed; pip install 'access-events[serve]'\n")
        return 2
    handlers_note = ", ".join(sorted(handlers)) if handlers else "none (events are verified, parsed and acknowledged)"
    sys.stderr.write(f"access-events: receiving POST http://{host}:{port}{path}; handlers: {handlers_note}\n")
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="on")
    return 0


__all__ = ["DEFAULT_PATH", "OUTCOME_HEADER", "SECRET_ENV", "create_app", "serve"]
