"""The receiver's exactly-once promise in one process: the two-phase claim (claim with a lease,
complete, release), in-flight retries, sync and async stores and handlers.

Requests go to the ASGI app in process, several at once on one event loop (``acall``); the
same promise across processes and a real Redis is test_receiver_processes.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading

import pytest

import access_events
from test_receiver import BODY, ISSUED, NOW, SECRET, call, event, signed

from access_events.receiver import OUTCOME_HEADER, create_app
from access_events.receiving.stores import DEFAULT_RETENTION_SECONDS, CLAIMED, DONE, MemoryClaimStore, Claim


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


async def acall(app, body: bytes = BODY, headers: dict[str, str] | None = None) -> Reply:
    """One POST to the app on the running loop (so several can overlap)."""
    headers = signed(body) if headers is None else headers
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/webhooks/access-events", "raw_path": b"/webhooks/access-events", "query_string": b"",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]}
    sent, delivered = [], False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the app works

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return Reply(start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
                 b"".join(m.get("body", b"") for m in sent[1:]))


async def _until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.005)


def test_a_retry_while_the_first_attempt_runs_gets_409_and_a_failed_first_attempt_is_retried():
    """Issue 13, defect 1 (an event lost): the id was marked seen before the handler finished, so a retry
    that arrived while a slow handler ran got ``204 duplicate``, the producer recorded a success, and the
    handler then failed: the event was never handled. Now the retry gets 409 with Retry-After, the failure
    releases the claim, and the next retry runs the handler. Fails on the old receiver (204 duplicate)."""
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow_then_failing(evt) -> None:
        runs.append(str(evt.event_id))
        if len(runs) == 1:
            started.set()
            release.wait(10)
            raise RuntimeError("database down")

    app = create_app(SECRET, handlers={"access_method.issued": slow_then_failing}, lease_seconds=30)

    async def scenario():
        first = asyncio.ensure_future(acall(app))
        await _until(started.is_set)
        retry = await acall(app, headers=signed(msg_id="msg_retry_1"))
        release.set()
        failed = await first
        again = await acall(app, headers=signed(msg_id="msg_retry_2"))
        after = await acall(app, headers=signed(msg_id="msg_retry_3"))
        return retry, failed, again, after

    retry, failed, again, after = asyncio.run(scenario())
    assert retry.status == 409 and retry.json()["error"] == "in_flight", (retry.status, retry.body)
    assert 1 <= int(retry.headers["retry-after"]) <= 30
    assert failed.status == 500
    assert again.status == 204 and OUTCOME_HEADER not in again.headers  # handled this time
    assert after.status == 204 and after.headers[OUTCOME_HEADER] == "duplicate"
    assert runs == [ISSUED["event_id"]] * 2


def test_the_same_event_sent_many_times_at_once_is_handled_once():
    runs: list[str] = []

    async def handler(evt) -> None:
        runs.append(str(evt.event_id))
        await asyncio.sleep(0.05)

    app = create_app(SECRET, handlers=handler)

    async def scenario():
        return await asyncio.gather(*(acall(app, headers=signed(msg_id=f"msg_{n}")) for n in range(40)))

    replies = asyncio.run(scenario())
    statuses = sorted(r.status for r in replies)
    assert runs == [ISSUED["event_id"]]
    assert statuses.count(204) >= 1 and set(statuses) <= {204, 409}
    handled = [r for r in replies if r.status == 204 and OUTCOME_HEADER not in r.headers]
    assert len(handled) == 1


def test_a_slow_handler_keeps_its_claim_past_the_lease():
    """The lease is renewed while the handler runs, so a retry after the lease still gets 409, not a second run.
    Mutation caught: no renewal (``extend`` never called): the retry claims the expired lease and runs it twice."""
    runs: list[str] = []

    async def slow(evt) -> None:
        runs.append(str(evt.event_id))
        await asyncio.sleep(2.0)

    app = create_app(SECRET, handlers=slow, lease_seconds=0.6, retention_seconds=DEFAULT_RETENTION_SECONDS)

    async def scenario():
        first = asyncio.ensure_future(acall(app))
        await asyncio.sleep(1.2)  # two leases later
        retry = await acall(app, headers=signed(msg_id="msg_retry"))
        return await first, retry

    first, retry = asyncio.run(scenario())
    assert first.status == 204 and retry.status == 409
    assert runs == [ISSUED["event_id"]]


def test_a_blocking_store_runs_off_the_event_loop():
    """Issue 13, defect 4: ``SeenStore.first_time`` ran on the event loop, so a store with a 5 ms round trip
    capped the server at ~160 requests/s. Two requests for different events must be inside the store at
    the same time: a rendezvous there times out (and the request fails) when the calls run one by one on
    the loop. Fails on the old receiver."""
    barrier = threading.Barrier(2, timeout=5)
    loop_threads: set[int] = set()

    class NetworkSeenStore:  # the older interface, as a Redis or database store implemented it
        def __init__(self):
            self.seen: set[str] = set()

        def first_time(self, event_id: str) -> bool:
            barrier.wait()
            new = event_id not in self.seen
            self.seen.add(event_id)
            return new

        def forget(self, event_id: str) -> None:
            self.seen.discard(event_id)

    app = create_app(SECRET, handlers=lambda evt: None, seen=NetworkSeenStore())

    async def scenario():
        loop_threads.add(threading.get_ident())
        bodies = [event(event_id=f"6f1c0a51-0000-4000-8000-00000000000{n}") for n in (1, 2)]
        return await asyncio.gather(*(acall(app, b, signed(b)) for b in bodies))

    replies = asyncio.run(scenario())
    assert [r.status for r in replies] == [204, 204]


def test_a_sync_claim_store_and_sync_handlers_run_in_threads():
    threads: dict[str, int] = {}
    memory = MemoryClaimStore()

    class SyncStore:  # a claim store with plain methods (a blocking client)
        def claim(self, event_id, lease_seconds) -> Claim:
            threads["store"] = threading.get_ident()
            return memory.claim_now(event_id, lease_seconds)

        def extend(self, event_id, token, lease_seconds) -> bool:
            return asyncio.run(memory.extend(event_id, token, lease_seconds))

        def complete(self, event_id, token, retention_seconds) -> bool:
            return asyncio.run(memory.complete(event_id, token, retention_seconds))

        def release(self, event_id, token) -> None:
            asyncio.run(memory.release(event_id, token))

    def handler(evt) -> None:
        threads["handler"] = threading.get_ident()

    app = create_app(SECRET, handlers={"access_method.issued": handler}, store=SyncStore())

    async def scenario():
        threads["loop"] = threading.get_ident()
        return await acall(app), await acall(app, headers=signed(msg_id="again"))

    first, again = asyncio.run(scenario())
    assert first.status == 204 and again.headers[OUTCOME_HEADER] == "duplicate"
    assert threads["store"] != threads["loop"] and threads["handler"] != threads["loop"]


def test_an_async_handler_is_awaited_on_the_loop():
    seen = []

    async def handler(evt) -> None:
        seen.append(asyncio.get_running_loop())

    app = create_app(SECRET, handlers={"access_method.issued": handler})

    async def scenario():
        return await acall(app), asyncio.get_running_loop()

    reply, loop = asyncio.run(scenario())
    assert reply.status == 204 and seen == [loop]


def test_a_store_that_is_down_gets_503_with_retry_after(caplog):
    class Down:
        async def claim(self, event_id, lease_seconds):
            raise ConnectionError("store unreachable")

        async def extend(self, *args):
            return False

        async def complete(self, *args):
            return False

        async def release(self, *args):
            return None

    runs = []
    app = create_app(SECRET, handlers=runs.append, store=Down(), lease_seconds=20)
    with caplog.at_level(logging.ERROR, logger="access_events.receiver"):
        answer = call(app, body=BODY, headers=signed())
    assert answer.status == 503 and answer.headers["retry-after"] == "20" and runs == []
    assert any("store unreachable" in (r.exc_text or "") for r in caplog.records)


def test_replay_after_the_retention_is_refused_by_the_timestamp_tolerance():
    """Captured bytes replayed: inside the tolerance the claim says duplicate (never handled twice);
    after the retention (which is longer than the tolerance) the timestamp refuses them (401)."""

    class Clock:
        now = float(NOW)

        def __call__(self):
            return self.now

    clock = Clock()
    runs = []
    app = create_app(SECRET, handlers=runs.append, store=MemoryClaimStore(clock=clock), clock=clock)
    headers = signed(timestamp=NOW)
    assert call(app, body=BODY, headers=headers).status == 204
    clock.now += 299
    replay = call(app, body=BODY, headers=headers)
    assert replay.status == 204 and replay.headers[OUTCOME_HEADER] == "duplicate"
    clock.now = NOW + DEFAULT_RETENTION_SECONDS + 1
    assert call(app, body=BODY, headers=headers).status == 401
    assert len(runs) == 1


def test_retention_shorter_than_the_tolerance_is_refused():
    """A replay inside the tolerance must still find the id: the retention must outlast the tolerance."""
    with pytest.raises(ValueError, match="retention"):
        create_app(SECRET, retention_seconds=60)


def test_handlers_may_be_one_callable_for_every_event():
    runs = []
    app = create_app(SECRET, handlers=lambda evt: runs.append(evt.event_type))
    revoked = json.dumps({**access_events.schema("access_method.revoked")["examples"][0],
                          "event_id": "6f1c0a51-0000-4000-8000-0000000000aa"}).encode()
    assert call(app, body=BODY, headers=signed()).status == 204
    assert call(app, body=revoked, headers=signed(revoked)).status == 204
    assert runs == ["access_method.issued", "access_method.revoked"]
    with pytest.raises(TypeError, match="not callable"):
        create_app(SECRET, handlers={"access_method.issued": "nope"})


def test_the_default_store_is_the_memory_claim_store():
    app = create_app(SECRET)
    assert isinstance(app.store, MemoryClaimStore)
    assert CLAIMED != DONE


def test_handlers_that_return_at_once_share_one_renewer_task():
    """The lease renewer is one task per app, kept while deliveries keep coming: a handler that returns at once
    (most do) must not start a task of its own for each delivery. Guards the per-request task the receiver
    used to start and end (one task creation and one loop step per delivery, under load). Counts the tasks the
    app creates over 30 deliveries, each answered before the next starts, with loop turns between them."""
    handled: list[str] = []

    async def handler(evt) -> None:
        handled.append(str(evt.event_id))

    app = create_app(SECRET, handlers=handler)

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        created = 0
        original = loop.create_task

        def counting(coro, **kwargs):
            nonlocal created
            created += 1
            return original(coro, **kwargs)

        loop.create_task = counting  # type: ignore[method-assign]
        for n in range(30):
            body = event(event_id=f"00000000-0000-4000-8000-{n:012d}")
            assert (await acall(app, body=body, headers=signed(body, msg_id=f"msg_{n}"))).status == 204
            await asyncio.sleep(0)  # the loop turns between deliveries, as under a server
            await asyncio.sleep(0)
        return created

    created = asyncio.run(scenario())
    assert len(handled) == 30
    assert created <= 1, f"{created} tasks for 30 deliveries"


def test_the_renewer_does_not_take_back_a_claim_released_while_it_renewed_another():
    """The renewer takes the claims due at a tick, then extends them one by one, each an await. A
    handler that failed meanwhile had released its claim; ``extend`` (which takes a lapsed claim
    back) then made it exist again for a whole lease, so the producer's retry got 409 instead of
    running the handler. A claim no longer held is skipped. Fails without that check (the retry
    gets 409 and ``extend`` is called for the released event)."""
    other = "7f3e2d1c-0b9a-4887-a665-544332211000"
    gates: dict[str, asyncio.Event] = {}  # made on the scenario's loop
    extended: list[str] = []
    runs: list[str] = []

    class SlowExtend(MemoryClaimStore):
        async def extend(self, event_id, token, lease_seconds):
            extended.append(event_id)
            if event_id == ISSUED["event_id"]:
                gates["a_extending"].set()
                await gates["a_resume"].wait()
            return await super().extend(event_id, token, lease_seconds)

    async def handler(evt) -> None:
        runs.append(str(evt.event_id))
        if str(evt.event_id) == ISSUED["event_id"]:
            await gates["a_done"].wait()
        elif len([r for r in runs if r == other]) == 1:
            await gates["go_fail"].wait()
            raise RuntimeError("database down")

    store = SlowExtend()
    app = create_app(SECRET, handlers=handler, store=store, lease_seconds=0.3, retention_seconds=DEFAULT_RETENTION_SECONDS)
    body_b = event(event_id=other)

    async def scenario():
        gates.update({name: asyncio.Event() for name in ("go_fail", "a_extending", "a_resume", "a_done")})
        first_a = asyncio.ensure_future(acall(app))
        first_b = asyncio.ensure_future(acall(app, body_b, signed(body_b, msg_id="msg_b1")))
        await asyncio.wait_for(gates["a_extending"].wait(), 10)  # the renewer holds both due, A's extend awaits
        gates["go_fail"].set()
        failed = await first_b  # B failed and released its claim
        gates["a_resume"].set()
        await asyncio.sleep(0.05)  # the renewer goes on with the rest of that tick
        retry = await acall(app, body_b, signed(body_b, msg_id="msg_b2"))
        gates["a_done"].set()
        return failed, retry, await first_a

    failed, retry, a = asyncio.run(scenario())
    assert failed.status == 500 and a.status == 204
    assert other not in extended, extended
    assert retry.status == 204 and OUTCOME_HEADER not in retry.headers, (retry.status, retry.body)
    assert runs.count(other) == 2
