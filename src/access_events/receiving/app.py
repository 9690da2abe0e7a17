"""The reference receiver: a plain ASGI app that verifies, parses, claims and dispatches events.

It is written against the ASGI specification only, on purpose: a web framework would
become a dependency of every user of this package. Run it with any ASGI server
(``access-events serve`` uses uvicorn), or mount it in your own application.

Every answer a client can cause is a 2xx or a 4xx: 204 handled (or a duplicate, or an
event type this package does not know, acknowledged and ignored), 400 invalid event, empty
body or malformed framing, 401 signature, 404 other path, 405 other method, 408 body too
slow, 409 in flight (the same event is being handled by another attempt: retry later, see
``Retry-After``), 413 too large, 415 not JSON or not identity-encoded. A 500 means the
receiver's own handler failed (the claim is released: the producer's retry runs it again);
503 means the store is unreachable. ``generated/openapi/receiver.yaml`` is the contract,
and ``access-events check-receiver`` checks any running receiver against it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from .._decode import DEFAULT_MAX_BYTES
from ..errors import InvalidEvent, Problem, UnknownEventType
from .signatures import SIGNATURE_HEADERS, Verifier, WebhookError, _signature_headers, parse_verified
from .stores import CLAIMED, DEFAULT_LEASE_SECONDS, DEFAULT_RETENTION_SECONDS, DONE, MemoryClaimStore, as_claim_store, _SeenStoreClaims

DEFAULT_PATH = "/webhooks/access-events"
#: The response header that says why a 204 did nothing: ``duplicate`` or ``ignored-unknown-type``.
OUTCOME_HEADER = "x-access-events"
#: A body not fully received this many seconds after the request started is refused (408).
BODY_TIMEOUT_SECONDS = 10.0
#: Bodies above this size are verified and parsed in a worker thread, off the event loop. An invalid
#: body's time goes to listing its problems, about one per 2 to 4 bytes at worst (``[1,1,1,...]``):
#: 2 KiB bounds it (1.7 KiB of ``[1,1,...]``, 700 problems: 43 ms of CPU on the loaded 2-core
#: development machine), while typical events (0.5 to 1 KiB) stay inline and pay no thread hop.
OFFLOAD_BYTES = 2 * 1024
#: An invalid event's answer lists at most this many problems, in at most this many bytes of messages.
MAX_PROBLEMS = 50
MAX_PROBLEM_BYTES = 16 * 1024
#: How often a completion the store missed (it was down when the handler returned) is tried again.
RECORD_RETRY_SECONDS = 0.5

log = logging.getLogger("access_events.receiver")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[Any], Any]

_JSON = (b"content-type", b"application/json")
# The request headers the app reads; the signature's and these are refused when repeated.
_READ = frozenset({b"content-type", b"content-length", b"content-encoding", b"transfer-encoding",
                   *(name.encode() for name in SIGNATURE_HEADERS)})
_ONCE = _READ - {b"transfer-encoding"}


def _line_writer() -> Callable[[float, str], None] | None:
    """The ``write_line`` of ``serve``'s handler while the logger is as ``serve`` set it up: that handler alone
    (at INFO), no filters, no propagation, the standard record factory. Otherwise None: records go through
    ``logging``, where other handlers, filters and formats see them."""
    handlers = log.handlers
    if len(handlers) != 1 or log.propagate or log.filters or logging.getLogRecordFactory() is not logging.LogRecord:
        return None
    handler = handlers[0]
    if handler.filters or handler.level > logging.INFO:
        return None
    line_writer = getattr(handler, "line_writer", None)
    return None if line_writer is None else line_writer()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


async def _respond(send: Send, status: int, body: dict[str, Any] | None = None, headers: list | None = None) -> None:
    out = list(headers or ())
    if body is None:
        raw = b""
    else:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        out.append(_JSON)
    if status != 204:  # a 204 carries no body and, per RFC 9110, no Content-Length
        out.append((b"content-length", str(len(raw)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": raw})


async def _lifespan(receive: Receive, send: Send, on_shutdown: Callable[[], Awaitable[None]] | None) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if on_shutdown is not None:
                await on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _is_async(fn: Callable) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _handler_table(handlers: Mapping[str, Handler] | Handler | None) -> tuple[dict[str, tuple[Handler, bool]], tuple[Handler, bool] | None]:
    if handlers is None:
        return {}, None
    if callable(handlers) and not isinstance(handlers, Mapping):
        return {}, (handlers, _is_async(handlers))
    if not isinstance(handlers, Mapping):
        raise TypeError(f"handlers must be a callable or a mapping of event type to callable, not {type(handlers).__name__}")
    table = {}
    for event_type, fn in handlers.items():
        if not callable(fn):
            raise TypeError(f"the handler for {event_type!r} is not callable: {fn!r}")
        table[event_type] = (fn, _is_async(fn))
    return table, None


def _capped(exc: InvalidEvent, max_problems: int, max_bytes: int) -> dict[str, Any]:
    """The 400 body of an invalid event: at most ``max_problems`` problems in ``max_bytes`` of text, and how many more."""
    shown, size = [], 0
    for problem in exc.problems[:max_problems]:
        item = problem.as_dict()
        size += len(item["pointer"]) + len(item["message"]) + len(item["keyword"])
        if size > max_bytes and shown:
            break
        shown.append(item)
    body: dict[str, Any] = {"error": "invalid_event", "message": str(exc), "problems": shown}
    more = len(exc.problems) - len(shown) + exc.more_problems
    if more:
        body["more_problems"] = more  # at least this many: parsing stops looking past the first few dozen (exc.all_counted)
        body["message"] += f" ({'' if exc.all_counted else 'at least '}{more} more problems not listed)"
    return body


def create_app(secret: str | bytes | Verifier, *, handlers: Mapping[str, Handler] | Handler | None = None,
               store: Any = None, seen: Any = None, max_bytes: int = DEFAULT_MAX_BYTES, path: str = DEFAULT_PATH,
               lease_seconds: float = DEFAULT_LEASE_SECONDS, retention_seconds: float = DEFAULT_RETENTION_SECONDS,
               body_timeout: float | None = BODY_TIMEOUT_SECONDS, clock: Callable[[], float] | None = None,
               max_problems: int = MAX_PROBLEMS, max_problem_bytes: int = MAX_PROBLEM_BYTES) -> ASGIApp:
    """The receiver as an ASGI app serving ``POST path``.

    ``secret`` is ``whsec_<base64>`` or the bare base64 key (``InvalidSecret`` here if it is
    neither, or under 16 bytes). ``handlers`` is one callable for every event, or a mapping
    of event type to callable; each is sync (run in a worker thread) or async (awaited).
    ``store`` is a claim store (default: ``MemoryClaimStore``, this process only; see
    ``stores.py``); ``seen`` the older ``SeenStore`` interface. A handler runs under a claim
    of ``lease_seconds`` (renewed while it runs); its id is remembered ``retention_seconds``
    after it returns; when it raises, the answer is 500 and the claim is released, so the
    producer's retry runs it again. ``clock`` replaces ``time.time`` for the timestamp check.
    ``body_timeout`` bounds the time to receive a body (408); ``None`` leaves it to the server
    (``serve`` does so: its protocol times heads and bodies per connection, without a timer per request).
    The app's ``store`` attribute is the store it uses.
    """
    verifier = secret if isinstance(secret, Verifier) else Verifier(secret)
    # check_raw is check() on the header bytes; a subclass that overrides check() is called through it instead
    raw_check = type(verifier).check is Verifier.check and type(verifier).check_raw is Verifier.check_raw
    if type(max_problems) is not int or max_problems < 1:  # else every invalid body would be a 500
        raise ValueError(f"max_problems must be a positive int, not {max_problems!r}")
    if retention_seconds < verifier.tolerance_seconds + lease_seconds:
        raise ValueError(f"retention_seconds ({retention_seconds:g}) must outlast the timestamp tolerance and the lease "
                         f"({verifier.tolerance_seconds + lease_seconds:g} s): a replay still inside the tolerance would be handled again")
    if store is not None and seen is not None:
        raise TypeError("give store or seen, not both")
    claims = as_claim_store(_SeenStoreClaims(seen) if seen is not None else store)
    memory = claims if type(claims) is MemoryClaimStore else None  # its calls need no await: made directly
    table, catch_all = _handler_table(handlers)
    retry_after = str(max(1, math.ceil(lease_seconds)))

    def verified_event(body: bytes, headers: dict[bytes, bytes], now: float | None) -> Any:
        """Check the signature, then parse (``verify_and_parse``, reading the header values straight from ASGI's list)."""
        if len(body) > max_bytes:
            raise InvalidEvent([Problem("", "size", f"payload is {len(body)} bytes, above the limit of {max_bytes} bytes")])
        msg_id, timestamp, signature = headers.get(b"webhook-id"), headers.get(b"webhook-timestamp"), headers.get(b"webhook-signature")
        if msg_id and timestamp and signature and raw_check:
            verifier.check_raw(msg_id, timestamp, signature, body, now)
        else:  # a Verifier whose check() is its own, the svix-* names, or the error that says which header is missing
            texts = _signature_headers({k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()})
            verifier.check(*texts, body, now=now)
        return parse_verified(body, max_bytes, max_problems)  # stops listing (and costing) past the answer's problems

    def delivery(msg_id: str | None, event_id: str | None, event_type: str | None, outcome: str, handler_ms: float | None = None) -> None:
        if log.isEnabledFor(logging.INFO):
            fields = {"outcome": outcome, "event_id": event_id, "event_type": event_type, "webhook_id": msg_id,
                      "handler_ms": None if handler_ms is None else round(handler_ms, 1)}
            text = orjson.dumps(fields).decode()
            write_line = _line_writer()
            if write_line is not None:  # serve's own log setup: the same line, without a LogRecord
                write_line(time.time(), "delivery " + text)
            else:
                log.info("delivery %s", text, extra={"delivery": fields})

    type_texts: dict[str, str] = {}  # event type -> its JSON string (the types this package knows: a few dozen)

    def handled(msg_id: str | None, event_id_text: str, event_type: str, handler_ms: float) -> None:
        """``delivery(..., "handled", handler_ms)``, the line of nearly every request: under serve's own log setup
        its text is put together from parts (``event_id_text`` is the id's JSON string), the same bytes
        ``orjson`` makes of ``delivery``'s fields (test_receiver holds them equal)."""
        if not log.isEnabledFor(logging.INFO):
            return
        write_line = _line_writer()
        if write_line is None or not handler_ms < 1e15:  # logging's records; or a float orjson writes with an exponent
            return delivery(msg_id, event_id_text[1:-1], event_type, "handled", handler_ms)
        type_text = type_texts.get(event_type)
        if type_text is None:
            type_text = type_texts[event_type] = orjson.dumps(event_type).decode()
        webhook_id = "null" if msg_id is None else orjson.dumps(msg_id).decode()
        # f"{x:.1f}" is round(x, 1) as orjson writes it (both correctly rounded, one decimal) below 1e15
        write_line(time.time(), f'delivery {{"outcome":"handled","event_id":{event_id_text},"event_type":{type_text},'
                                f'"webhook_id":{webhook_id},"handler_ms":{handler_ms:.1f}}}')

    store_failures: dict[tuple[str, str], int] = {}  # (what failed, exception type) -> how many so far

    def store_failed(what: str, event_id: str, consequence: str = "") -> None:
        """Log the store error being handled: the first of its kind with its traceback, then one line each (with the
        count): while the store is down every delivery fails alike, and a traceback apiece would flood the log."""
        exc = sys.exc_info()[1]
        kind = (what, type(exc).__name__)
        count = store_failures[kind] = store_failures.get(kind, 0) + 1
        if count == 1:
            log.exception("the store %s event %s%s", what, event_id, consequence)
        else:
            log.error("the store %s event %s%s: %s: %s (%d so far)", what, event_id, consequence, type(exc).__name__, exc, count)

    held: dict[tuple[str, str], float] = {}  # claims whose handler runs: (event id, token) -> when claimed
    # Handled events the store could not record as done (it was down when the handler returned):
    # (event id, token) -> when handled. Until recorded, the claim would expire with its lease and the
    # producer's next copy would run the handler again, so the renewer task retries them.
    unrecorded: dict[tuple[str, str], float] = {}
    renewer: list[asyncio.Task] = []

    async def record_unrecorded(loop: asyncio.AbstractEventLoop) -> None:
        for key in list(unrecorded):
            event_id, token = key
            try:
                completed = await claims.complete(event_id, token, retention_seconds)
            except Exception:  # noqa: BLE001 - still down: the others would fail too; next tick
                if loop.time() - unrecorded[key] > retention_seconds:  # past the retention it no longer matters
                    del unrecorded[key]
                    log.error("gave up recording event %s as handled: the store was unreachable for the whole retention", event_id)
                return
            del unrecorded[key]
            if completed:
                log.info("event %s recorded as handled now that the store answers again", event_id)
            else:
                log.warning("event %s was handled, but its claim expired during the store's outage and was taken "
                            "by another attempt (lease %s s)", event_id, lease_seconds)

    async def renew_held() -> None:
        """One task per app and loop renews every claim held longer than a third of the lease, and
        retries the completions the store missed (every ``RECORD_RETRY_SECONDS`` at most). It ends
        after a whole period with nothing held: a handler that returns at once (most do) then finds
        it still running, rather than starting a task of its own that would end at its first step."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(lease_seconds / 3, RECORD_RETRY_SECONDS) if unrecorded else lease_seconds / 3)
            if not held and not unrecorded:
                return
            if unrecorded:
                await record_unrecorded(loop)
            due = [key for key, since in list(held.items()) if loop.time() - since >= lease_seconds / 3]
            for event_id, token in due:
                if (event_id, token) not in held:  # its handler ended while an earlier extend awaited: a
                    continue  # released claim must not be taken back (extend takes a lapsed claim back)
                try:
                    kept = await claims.extend(event_id, token, lease_seconds)
                except Exception:  # noqa: BLE001 - the store is down: the claim may expire; the handler goes on
                    store_failed("could not renew the claim on", event_id)
                    break  # the other renewals would wait for the same timeouts; next tick
                if not kept:
                    log.warning("the claim on event %s was lost while its handler ran (lease %s s)", event_id, lease_seconds)

    def start_renewer(loop: asyncio.AbstractEventLoop) -> None:
        if not renewer or renewer[0].done() or renewer[0].get_loop() is not loop:
            renewer[:] = [loop.create_task(renew_held())]

    async def shutdown() -> None:
        """Lifespan shutdown: one last try at the completions the store missed, then close the store."""
        if unrecorded:
            await record_unrecorded(asyncio.get_running_loop())
            for event_id, _ in unrecorded:
                log.error("event %s was handled but could not be recorded (the store is down): a later copy runs it again", event_id)
        if renewer and not renewer[0].done() and renewer[0].get_loop() is asyncio.get_running_loop() and not held and not unrecorded:
            renewer[0].cancel()  # idle: nothing left to renew or record
        close = getattr(claims, "close", None)
        if close is not None:
            await close()

    async def refuse(send: Send, headers: dict[bytes, bytes], status: int, body: dict[str, Any], extra: list | None = None) -> None:
        """A delivery refused before its signature is checked (400, 413, 415): its ``invalid`` line, then the answer."""
        invalid(headers)
        await _respond(send, status, body, extra)

    def invalid(headers: dict[bytes, bytes]) -> None:
        msg_id = headers.get(b"webhook-id") or headers.get(b"svix-id")
        delivery(msg_id.decode("latin-1") if msg_id else None, None, None, "invalid")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "lifespan":
                return await _lifespan(receive, send, shutdown)
            return  # websockets: not served; returning closes the connection
        if scope["path"] != path:
            return await _respond(send, 404, _error("not_found", f"only {path} is served"))
        if scope["method"] != "POST":
            return await _respond(send, 405, _error("method_not_allowed", "only POST is allowed"), [(b"allow", b"POST")])
        raw_headers = scope.get("headers", ())
        headers: dict[bytes, bytes] = dict(raw_headers) if type(raw_headers) is list else {}
        if type(raw_headers) is not list or len(headers) != len(raw_headers):  # a name repeated (or not a list): name by name
            headers = {}
            for name, value in raw_headers:
                if name in _READ:
                    if name in headers and name in _ONCE:
                        return await refuse(send, headers, 400, _error("bad_request", f"the {name.decode()} header is repeated; send it once"))
                    headers[name] = value
        media_type = headers.get(b"content-type")
        if media_type != b"application/json":  # the producer's exact value skips the parsing
            media_type = (media_type or b"").split(b";")[0].strip().lower()
            if media_type != b"application/json":
                return await refuse(send, headers, 415, _error("unsupported_media_type", "the body must be application/json"))
        if b"content-encoding" in headers:
            encoding = headers[b"content-encoding"].strip().lower()
            if encoding not in (b"identity", b""):
                return await refuse(send, headers, 415, _error("unsupported_media_type", f"Content-Encoding {encoding.decode('latin-1')[:40]!r}: "
                                                        "only identity is accepted (the producer does not compress)"))
        length = headers.get(b"content-length")
        if length is not None:
            if b"transfer-encoding" in headers:  # RFC 9112 6.3: a server that is not a proxy must refuse both
                return await refuse(send, headers, 400, _error("bad_request", "both Transfer-Encoding and Content-Length: send one"))
            if not (length.isdigit() and length.isascii()):
                return await refuse(send, headers, 400, _error("bad_request", "unreadable Content-Length"))
            if int(length) > max_bytes:
                return await refuse(send, headers, 413, _error("too_large", f"the body is above the limit of {max_bytes} bytes"))
        if body_timeout is None:
            message = await receive()  # most bodies come in one message: taken here, without the reading loop
            body = message.get("body", b"")
            if message["type"] != "http.request" or message.get("more_body", False) or len(body) > max_bytes:
                body = await _read_body(_replaying(message, receive), send, max_bytes, None)
        else:
            body = await _read_body(receive, send, max_bytes, body_timeout)
        if body is None or type(body) is int:  # None: the client is gone (no answer, no line); an int: answered so
            if body is not None:
                invalid(headers)
            return
        if not body:
            return await refuse(send, headers, 400, _error("empty_body", "the body is empty; expected a JSON event"))
        now = None if clock is None else clock()
        msg_id = headers.get(b"webhook-id") or headers.get(b"svix-id")
        msg_id = msg_id.decode("latin-1") if msg_id else None  # type: ignore[assignment]
        try:
            if len(body) > OFFLOAD_BYTES:  # hashing and parsing a large body: in a thread, the loop keeps serving
                event = await asyncio.to_thread(verified_event, body, headers, now)
            else:
                event = verified_event(body, headers, now)
        except WebhookError as exc:
            delivery(msg_id, None, None, "bad_signature")
            return await _respond(send, 401, _error("unauthorized", str(exc)))
        except InvalidEvent as exc:
            delivery(msg_id, None, exc.event_type, "invalid")
            return await _respond(send, 400, _capped(exc, max_problems, max_problem_bytes))
        except UnknownEventType as exc:
            delivery(msg_id, None, exc.event_type[:200], "unknown_type")
            return await _respond(send, 204, headers=[(OUTCOME_HEADER.encode(), b"ignored-unknown-type")])
        event_type = event.event_type
        handler = table.get(event_type, catch_all)
        # the id's JSON string, written by orjson in C (str() of a UUID is Python code, 2.5 times the instructions)
        event_id_text = orjson.dumps(event.event_id).decode()
        event_id = event_id_text[1:-1]
        if handler is None:  # nothing to run, so nothing to claim
            delivery(msg_id, event_id, event_type, "acknowledged")
            return await _respond(send, 204)
        try:
            if memory is not None:
                token = memory.claim_token(event_id, lease_seconds)  # a str when claimed: no Claim object to make
                claim = None if type(token) is str else token
            else:
                claim = await claims.claim(event_id, lease_seconds)
                if claim.state == CLAIMED:
                    token, claim = claim.token, None
        except Exception:  # noqa: BLE001 - the store is down: the producer retries later
            store_failed("could not claim", event_id)
            delivery(msg_id, event_id, event_type, "store_unavailable")
            return await _respond(send, 503, _error("store_unavailable", "the receiver cannot record events now; retry later"),
                                  [(b"retry-after", retry_after.encode())])
        if claim is not None:
            if claim.state == DONE:
                delivery(msg_id, event_id, event_type, "duplicate")
                return await _respond(send, 204, headers=[(OUTCOME_HEADER.encode(), b"duplicate")])
            delivery(msg_id, event_id, event_type, "in_flight")
            wait = str(max(1, math.ceil(claim.retry_after))) if claim.retry_after else retry_after
            return await _respond(send, 409, _error("in_flight", "this event is being handled by another attempt; retry later"),
                                  [(b"retry-after", wait.encode())])
        fn, is_async = handler
        # The handler runs while its claim is renewed: an entry in ``held`` for the one renewer task, not a
        # timer or task per request (inline: a coroutine of its own per request was a tenth of the claim's cost).
        loop = asyncio.get_running_loop()
        key = (event_id, token)
        started = held[key] = loop.time()
        if not renewer or renewer[0].done() or renewer[0].get_loop() is not loop:
            start_renewer(loop)
        try:
            try:
                if is_async:
                    await fn(event)
                else:
                    await loop.run_in_executor(None, fn, event)
            finally:
                del held[key]  # before a release below: the renewer must not take the claim back
        except Exception:  # the receiver's own bug, never the client's: log it, let the producer retry
            handler_ms = (loop.time() - started) * 1000
            log.exception("handler for %s failed on event %s", event_type, event_id)
            try:
                await claims.release(event_id, token)
            except Exception:  # noqa: BLE001 - the claim then expires with its lease
                store_failed("could not release", event_id, "; it is free again when its lease ends")
            delivery(msg_id, event_id, event_type, "handler_failed", handler_ms)
            return await _respond(send, 500, _error("handler_failed", "the receiver failed to handle the event"))
        handler_ms = (loop.time() - started) * 1000
        try:
            completed = (memory.complete_now(event_id, token, retention_seconds) if memory is not None
                         else await claims.complete(event_id, token, retention_seconds))
            if not completed:
                log.warning("event %s was handled, but its claim had expired and been taken by another attempt", event_id)
        except Exception:  # noqa: BLE001 - handled all the same; acknowledge it so the producer stops
            store_failed("could not record", event_id, " as handled; retrying until it answers")
            unrecorded[(event_id, token)] = loop.time()
            start_renewer(loop)
        handled(msg_id, event_id_text, event_type, handler_ms)
        await send({"type": "http.response.start", "status": 204, "headers": []})  # _respond(send, 204), inline
        await send({"type": "http.response.body", "body": b""})

    app.store = claims  # type: ignore[attr-defined]
    return app


async def _receive_chunks(receive: Receive, max_bytes: int) -> tuple[list[bytes], int] | None:
    """The body's chunks and their total size, stopped at the first chunk that takes it past
    ``max_bytes`` (then left out of the list); None when the client disconnected."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            break
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks, size


async def _joined(send: Send, chunks: list[bytes], size: int, max_bytes: int) -> bytes | int:
    """The body, or 413 once a body past the limit is answered so."""
    if size > max_bytes:
        await _respond(send, 413, _error("too_large", f"the body is above the limit of {max_bytes} bytes"))
        return 413
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replaying(first: dict[str, Any], receive: Receive) -> Receive:
    """``receive`` that gives ``first`` (already received) before the next messages."""
    pending = [first]

    async def replay() -> dict[str, Any]:
        return pending.pop() if pending else await receive()

    return replay


async def _read_untimed(receive: Receive, send: Send, max_bytes: int) -> bytes | int | None:
    received = await _receive_chunks(receive, max_bytes)
    return None if received is None else await _joined(send, *received, max_bytes)


async def _read_body(receive: Receive, send: Send, max_bytes: int, timeout: float | None) -> bytes | int | None:
    """The body, read in chunks and stopped as soon as it passes the limit; the status answered (413, 408) instead,
    or None when the client is gone.

    A body not complete within ``timeout`` seconds is answered 408: a client dribbling
    bytes would hold a connection and a task for as long as it likes. The deadline is one
    timer that cancels this task (cheaper than ``wait_for`` around every read); the
    cancellation can only land on a ``receive()`` of ``_receive_chunks`` inside the ``try`` below.
    """
    if timeout is None:
        message = await receive()  # most bodies come in one message: take it without the chunk loop
        if message["type"] == "http.request" and not message.get("more_body", False):
            body = message.get("body", b"")
            if len(body) <= max_bytes:
                return body
            return await _joined(send, [], len(body), max_bytes)  # answers 413
        return await _read_untimed(_replaying(message, receive), send, max_bytes)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = loop.call_later(timeout, expire)
    try:
        received = await _receive_chunks(receive, max_bytes)
        if received is None:
            return None
    except asyncio.CancelledError:
        if not expired:
            raise
        if hasattr(task, "uncancel"):
            task.uncancel()
        log.info("refused: request body not received within %g s (408)", timeout)
        await _respond(send, 408, _error("request_timeout", f"the body did not arrive within {timeout:g} s"),
                       [(b"connection", b"close")])
        return 408
    finally:
        timer.cancel()
    return await _joined(send, *received, max_bytes)


__all__ = ["DEFAULT_PATH", "OUTCOME_HEADER", "create_app"]
