"""The exactly-once promise across real processes on a real Redis.

Each test module run starts its own ``redis-server`` (Debian's package; ``.ci/run`` installs
it) on a free port and stops it afterwards. Without ``redis-server`` these tests skip (as
skipped, with the reason) on a developer's machine, and FAIL under CI (``CI=true``).

The handler (written to a temporary module, given to ``serve --handlers``) counts its runs
in Redis (database 1; the store uses database 0): ``started:<event id>`` when it begins,
``done:<event id>`` when it returns. ``event_description`` tells it how to misbehave:
``slow``, ``sleep:SECONDS``, ``raise-first`` (the first attempt raises) or ``hang-first`` (the first attempt
writes its pid and hangs, to be killed with SIGKILL).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import threading
import time
import uuid

import pytest
from conftest import require_module
from test_receiver import DEFAULT_PATH, OUTCOME_HEADER, PYTHON, SECRET, _env, _free_port, _start, _stop, _terminate, event, signed

redis = require_module("redis")
requests = require_module("requests")

HANDLERS = textwrap.dedent('''
    import os, time
    import redis

    counts = redis.Redis.from_url(os.environ["COUNT_REDIS_URL"])

    def handle(event):
        event_id = str(event.event_id)
        attempt = counts.incr(f"started:{event_id}")
        mode = event.event_description or ""
        if mode == "slow":
            time.sleep(0.3)
        if mode.startswith("sleep:"):
            time.sleep(float(mode[len("sleep:"):]))
        if mode == "raise-first" and attempt == 1:
            raise RuntimeError("the first attempt fails")
        if mode == "hang-first" and attempt == 1:
            with open(os.environ["PID_FILE"], "w") as out:
                out.write(str(os.getpid()))
            time.sleep(120)
        counts.incr(f"done:{event_id}")
''')


def _redis_exe() -> str:
    exe = shutil.which("redis-server")
    if exe is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: under CI this is a failure, not a skip")
        pytest.skip(message)
    return exe


def _start_redis(argv: list[str]) -> subprocess.Popen:
    """Start ``redis-server`` (``argv`` includes ``--port``) and wait until it answers PING."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = redis.Redis(port=int(argv[argv.index("--port") + 1]))
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                client.ping()
                return proc
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"redis-server did not start: {proc.stdout.read()}")
                time.sleep(0.05)
    finally:
        client.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = _redis_exe()
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = _start_redis([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", str(folder)])
    url = f"redis://127.0.0.1:{port}"
    yield url
    _terminate(proc)


@pytest.fixture(scope="module")
def counts(redis_url):
    client = redis.Redis.from_url(f"{redis_url}/1")
    yield client
    client.close()


@pytest.fixture(scope="module")
def servers(redis_url, tmp_path_factory):
    """Two separate ``serve`` processes on one Redis, the first with ``--workers 2``: three workers in all."""
    folder = tmp_path_factory.mktemp("handlers")
    (folder / "counting_handlers.py").write_text(HANDLERS, "utf-8")
    env = _env(ACCESS_EVENTS_WEBHOOK_SECRET=SECRET, COUNT_REDIS_URL=f"{redis_url}/1", PID_FILE=str(folder / "pid"),
               PYTHONPATH=os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    procs, urls = [], []
    for workers in (2, 1):
        port = _free_port()
        argv = [PYTHON, "-m", "access_events.cli", "serve", "--port", str(port), "--store", f"{redis_url}/0",
                "--workers", str(workers), "--handlers", "counting_handlers:handle", "--lease-seconds", "3"]
        procs.append(_start(argv, port, env))
        urls.append(f"http://127.0.0.1:{port}{DEFAULT_PATH}")
    _warm_up(urls)
    yield urls, folder / "pid"
    for proc in procs:
        _stop(proc)


def _warm_up(urls: list[str]) -> None:
    """Every worker answering (an unsigned request is 401 without touching the store)."""
    for url in urls:
        for _ in range(4):
            assert requests.post(url, data=b"{}", headers={"content-type": "application/json"}, timeout=20).status_code == 401


def _post(url: str, body: bytes, msg_id: str) -> requests.Response:
    return requests.post(url, data=body, headers=signed(body, msg_id=msg_id), timeout=30)


def _all_at_once(targets: list[tuple[str, bytes, str]]) -> list:
    """Send every (url, body, webhook-id) at the same moment, one thread each; the answers (or errors) in order."""
    barrier = threading.Barrier(len(targets))
    answers: list = [None] * len(targets)

    def send(index: int, url: str, body: bytes, msg_id: str) -> None:
        barrier.wait()
        try:
            answers[index] = _post(url, body, msg_id)
        except requests.RequestException as exc:
            answers[index] = exc

    threads = [threading.Thread(target=send, args=(i, *t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _runs(counts, event_id: str) -> tuple[int, int]:
    started, done = counts.get(f"started:{event_id}"), counts.get(f"done:{event_id}")
    return int(started or 0), int(done or 0)


def test_the_same_event_sent_to_every_worker_of_two_processes_is_handled_once(servers, counts, capsys):
    """Issue 13, defect 3: two ``serve`` processes (or replicas) shared nothing, so the same event sent to
    both was handled twice, and ``serve`` could not be given a shared store. Here 3 events are each sent
    30 times at once, spread over ``serve --workers 2`` and a second ``serve``: each handler runs once.
    Fails on the old code (``serve`` has no --store, --workers, --handlers)."""
    urls, _ = servers
    copies, events = 30, 3
    targets, ids = [], []
    for number in range(events):
        event_id = str(uuid.uuid4())
        ids.append(event_id)
        body = event(event_id=event_id, event_description="slow")
        targets += [(urls[n % len(urls)], body, f"msg_{number}_{n}") for n in range(copies)]
    answers = _all_at_once(targets)
    statuses = [a.status_code if isinstance(a, requests.Response) else repr(a) for a in answers]
    assert set(statuses) <= {204, 409}, statuses
    handled = [a for a in answers if a.status_code == 204 and OUTCOME_HEADER not in a.headers]
    assert len(handled) == events, statuses
    for event_id in ids:
        body = event(event_id=event_id, event_description="slow")
        for url in urls:  # the producer's later retries: duplicates, on every process
            late = _post(url, body, "msg_late")
            assert late.status_code == 204 and late.headers[OUTCOME_HEADER] == "duplicate"
    runs = [_runs(counts, event_id) for event_id in ids]
    with capsys.disabled():
        print(f"\nexactly once across processes: {len(targets)} deliveries of {events} events "
              f"({statuses.count(204)} x 204, {statuses.count(409)} x 409), handler runs (started, done) {runs}")
    assert runs == [(1, 1)] * events


def test_a_worker_killed_mid_handler_is_retried_after_its_lease(servers, counts):
    """SIGKILL the worker while its handler runs: the claim expires with its 3 s lease (nobody renews it),
    a retry before then gets 409, and the producer's retry after it runs the handler: done once in all."""
    urls, pid_file = servers
    pid_file.unlink(missing_ok=True)
    event_id = str(uuid.uuid4())
    body = event(event_id=event_id, event_description="hang-first")
    first: list = []
    sender = threading.Thread(target=lambda: first.append(_send_catching(urls[0], body, "msg_first")))
    sender.start()
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    sender.join(timeout=30)
    assert not isinstance(first[0], requests.Response) or first[0].status_code >= 500  # no 2xx for a killed attempt
    early = _post(urls[1], body, "msg_retry_early")
    assert early.status_code == 409 and int(early.headers["retry-after"]) >= 1
    deadline = time.monotonic() + 15
    while True:  # the producer retries until a 2xx
        retry = _post(urls[1], body, "msg_retry")
        if retry.status_code == 204:
            break
        assert retry.status_code == 409 and time.monotonic() < deadline, retry.status_code
        time.sleep(0.25)
    assert OUTCOME_HEADER not in retry.headers  # handled by this retry
    assert _runs(counts, event_id) == (2, 1)  # two attempts started, one finished: once in all
    assert _post(urls[0], body, "msg_again").headers[OUTCOME_HEADER] == "duplicate"


def _send_catching(url: str, body: bytes, msg_id: str):
    try:
        return _post(url, body, msg_id)
    except requests.RequestException as exc:
        return exc


def test_a_raising_handler_is_run_again_by_the_retry(servers, counts):
    urls, _ = servers
    event_id = str(uuid.uuid4())
    body = event(event_id=event_id, event_description="raise-first")
    assert _post(urls[0], body, "msg_1").status_code == 500
    retry = _post(urls[1], body, "msg_2")
    assert retry.status_code == 204 and OUTCOME_HEADER not in retry.headers
    assert _runs(counts, event_id) == (2, 1)


def test_redis_claim_store_state_machine(redis_url):
    """The store itself on the real server: claim (SET NX PX), in-flight with the time left, token-checked
    extend, release and complete, expiry of a lease and of the retention."""
    import asyncio

    from access_events.receiving.stores import CLAIMED, DONE, IN_FLIGHT, RedisClaimStore

    async def scenario():
        store = RedisClaimStore(f"{redis_url}/2", prefix=f"test:{uuid.uuid4()}:")
        try:
            first = await store.claim("e", 0.5)
            busy = await store.claim("e", 0.5)
            assert first.state == CLAIMED and busy.state == IN_FLIGHT and 0 < busy.retry_after <= 0.5
            assert not await store.extend("e", "other", 5) and await store.extend("e", first.token, 5)
            await store.release("e", "other")
            assert (await store.claim("e", 5)).state == IN_FLIGHT
            await store.release("e", first.token)
            second = await store.claim("e", 0.2)
            assert second.state == CLAIMED
            await asyncio.sleep(0.3)  # the lease expires: a crashed holder frees the event
            third = await store.claim("e", 5)
            assert third.state == CLAIMED
            assert not await store.complete("e", second.token, 5)  # the stale attempt cannot complete it
            assert await store.complete("e", third.token, 0.3)
            assert (await store.claim("e", 5)).state == DONE
            await asyncio.sleep(0.4)
            assert (await store.claim("e", 5)).state == CLAIMED  # forgotten after the retention
        finally:
            await store.close()

    asyncio.run(scenario())


def test_serve_refuses_workers_without_a_shared_store():
    proc = subprocess.run([PYTHON, "-m", "access_events.cli", "serve", "--workers", "2", "--port", str(_free_port())],
                          env=_env(ACCESS_EVENTS_WEBHOOK_SECRET=SECRET), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--store redis://" in proc.stderr and "Traceback" not in proc.stderr


class _FaultyRedis:
    """A ``redis-server`` of one test, with its AOF fsynced on every write (a restart keeps every key
    and its absolute expiry, as a production Redis with persistence does), to stop, restart and pause."""

    def __init__(self, folder):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.argv = [_redis_exe(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                     "--appendfsync", "always", "--dir", str(folder), "--logfile", str(folder / "redis.log")]
        self.proc = _start_redis(self.argv)
        self.paused = False

    def stop(self) -> None:
        _terminate(self.proc)

    def start(self) -> None:
        self.proc = _start_redis(self.argv)

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.paused:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.paused = False

    def close(self) -> None:
        self.resume()
        self.stop()


@pytest.fixture
def faulty(redis_url, tmp_path):
    """One ``serve`` (lease 3 s) on a Redis of its own that the test stops, restarts or pauses;
    the handler counts its runs on the module's Redis (database 1), which stays up."""
    store = _FaultyRedis(tmp_path)
    (tmp_path / "counting_handlers.py").write_text(HANDLERS, "utf-8")
    env = _env(ACCESS_EVENTS_WEBHOOK_SECRET=SECRET, COUNT_REDIS_URL=f"{redis_url}/1", PID_FILE=str(tmp_path / "pid"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    port = _free_port()
    proc = _start([PYTHON, "-m", "access_events.cli", "serve", "--port", str(port), "--store", f"{store.url}/0",
                   "--handlers", "counting_handlers:handle", "--lease-seconds", "3"], port, env)
    url = f"http://127.0.0.1:{port}{DEFAULT_PATH}"
    _warm_up([url])
    try:
        yield store, url
    finally:
        store.resume()
        _stop(proc)
        store.close()


def test_an_unanswering_redis_gets_a_503_in_bounded_time(faulty, counts):
    """Audit: a Redis that accepts connections but does not answer (paused, overloaded, a network
    partition) held every delivery forever: the store's connections had no socket timeout, so the
    claim waited with no end (no answer after 12 s, then the test's timeout). The producer must get a
    retryable non-2xx soon (503 with Retry-After), and the event is handled once Redis answers again."""
    store, url = faulty
    event_id = str(uuid.uuid4())
    body = event(event_id=event_id)
    store.pause()
    try:
        started = time.monotonic()
        try:
            answer = requests.post(url, data=body, headers=signed(body, msg_id="msg_paused"), timeout=15)
        except requests.RequestException as exc:
            pytest.fail(f"no answer within 15 s while Redis does not answer: {exc!r}")
        waited = time.monotonic() - started
    finally:
        store.resume()
    assert answer.status_code == 503 and int(answer.headers["retry-after"]) >= 1, (answer.status_code, answer.text)
    assert waited < 12, waited
    deadline = time.monotonic() + 15
    while True:  # the producer's retries: in flight (the timed-out SET may have landed) until the lease ends, then handled
        retry = _post(url, body, "msg_retry")
        if retry.status_code == 204:
            break
        assert retry.status_code in (409, 503) and time.monotonic() < deadline, retry.status_code
        time.sleep(0.25)
    assert _runs(counts, event_id) == (1, 1)


def test_a_completion_lost_to_a_redis_outage_is_recorded_when_redis_is_back(faulty, counts):
    """Audit: when Redis was down at the moment a handler returned, the receiver answered 204 (right:
    the event was handled) but never recorded it as done; its claim expired with the lease, and the
    producer's next copy of the event ran the handler a second time (done twice, seen against a real
    redis-server restarted with its AOF). The completion is now retried until Redis is back: the
    later copy is a duplicate, the handler ran once."""
    store, url = faulty
    event_id = str(uuid.uuid4())
    body = event(event_id=event_id, event_description="sleep:1.2")
    first: list = []
    sender = threading.Thread(target=lambda: first.append(_send_catching(url, body, "msg_first")))
    sender.start()
    deadline = time.monotonic() + 10
    while _runs(counts, event_id)[0] == 0:  # the handler has started: its claim is in Redis
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    store.stop()  # down when the handler returns
    sender.join(timeout=20)
    assert isinstance(first[0], requests.Response) and first[0].status_code == 204, first
    store.start()  # back within the 3 s lease, with the claim (AOF)
    time.sleep(4)  # past the lease: a claim that was never completed has expired by now
    again = _post(url, body, "msg_again")
    assert again.status_code == 204 and again.headers.get(OUTCOME_HEADER) == "duplicate", (again.status_code, again.headers)
    assert _runs(counts, event_id) == (1, 1)


def test_serve_warns_when_redis_forgets_on_restart(redis_url, tmp_path):
    """Audit: the handled ids live only in Redis. On a Redis without AOF (``appendonly no``), a restart
    forgets them (all of them without save points, as the module's Redis here), and every later copy
    of those events is handled a second time; ``serve`` started on it silently. It now says so at
    start, and says nothing on a Redis with ``appendonly yes``."""
    outputs = {}
    persistent = _FaultyRedis(tmp_path)
    try:
        for name, url in (("volatile", redis_url), ("aof", persistent.url)):
            port = _free_port()
            proc = _start([PYTHON, "-m", "access_events.cli", "serve", "--port", str(port), "--store", f"{url}/0"], port,
                          _env(ACCESS_EVENTS_WEBHOOK_SECRET=SECRET))
            outputs[name] = _stop(proc)
    finally:
        persistent.close()
    assert "warning" in outputs["volatile"] and "appendonly yes" in outputs["volatile"], outputs["volatile"]
    assert "appendonly" not in outputs["aof"], outputs["aof"]


def test_a_lapsed_claim_nobody_took_is_taken_back_by_its_renewal(redis_url):
    """Audit: when a renewal came too late (the store unreachable for longer than the lease), the
    live holder gave up its claim although nobody had taken it: the next copy of the event claimed it
    and ran the handler while the first still ran. ``extend`` now takes back a lapsed claim that is
    free (as ``complete`` already did); one that another attempt took stays lost. Both stores."""
    import asyncio

    from access_events.receiving.stores import CLAIMED, IN_FLIGHT, MemoryClaimStore, RedisClaimStore

    now = [0.0]

    async def scenario(store, wait):
        first = await store.claim("e", 0.2)
        await wait(0.3)  # the lease lapses; nobody claims meanwhile
        assert await store.extend("e", first.token, 5)
        assert (await store.claim("e", 5)).state == IN_FLIGHT  # the handler still runs: the copy must wait
        await store.release("e", first.token)
        second = await store.claim("e", 0.2)
        await wait(0.3)
        third = await store.claim("e", 5)  # taken by another attempt after the lapse
        assert second.state == CLAIMED and third.state == CLAIMED
        assert not await store.extend("e", second.token, 5)

    async def fake_sleep(seconds):
        now[0] += seconds

    async def on_redis():
        store = RedisClaimStore(f"{redis_url}/2", prefix=f"test:{uuid.uuid4()}:")
        try:
            await scenario(store, asyncio.sleep)
        finally:
            await store.close()

    asyncio.run(on_redis())
    asyncio.run(scenario(MemoryClaimStore(clock=lambda: now[0]), fake_sleep))



def test_sigterm_during_a_handler_longer_than_the_grace_is_run_once_by_the_restarted_receiver(redis_url, counts, tmp_path):
    """Audit (a guard; it passes on the code before the audit): SIGTERM (a deploy, a restart) while a sync
    handler runs longer than serve's 10 s graceful shutdown. uvicorn cancels the request and the process
    exits without waiting for the handler's thread (seen: started once, done never), so the handler is
    interrupted as by a crash: no 2xx was sent, the claim lapses with its lease, and the producer's next
    copy, on the restarted receiver, runs it (started twice, done once), then duplicates are 204."""
    (tmp_path / "counting_handlers.py").write_text(HANDLERS, "utf-8")
    env = _env(ACCESS_EVENTS_WEBHOOK_SECRET=SECRET, COUNT_REDIS_URL=f"{redis_url}/1", PID_FILE=str(tmp_path / "pid"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))

    def start() -> tuple[subprocess.Popen, str]:
        port = _free_port()
        argv = [PYTHON, "-m", "access_events.cli", "serve", "--port", str(port), "--store", f"{redis_url}/0",
                "--handlers", "counting_handlers:handle", "--lease-seconds", "2"]
        return _start(argv, port, env), f"http://127.0.0.1:{port}{DEFAULT_PATH}"

    event_id = str(uuid.uuid4())
    proc, url = start()
    first: list = []
    body = event(event_id=event_id, event_description="sleep:11")
    sender = threading.Thread(target=lambda: first.append(_send_catching(url, body, "msg_first")))
    sender.start()
    deadline = time.monotonic() + 10
    while _runs(counts, event_id)[0] == 0:
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    proc.terminate()  # SIGTERM: graceful shutdown, 10 s, shorter than the handler
    try:
        proc.wait(timeout=30)
    finally:
        output = _stop(proc)
        sender.join(timeout=30)
    assert not (isinstance(first[0], requests.Response) and first[0].status_code < 300), output  # never acknowledged
    interrupted = _runs(counts, event_id)
    proc, url = start()  # the restarted receiver
    try:
        deadline = time.monotonic() + 15
        while True:  # the producer's retries (the copy needs no sleep: quick)
            again = _post(url, event(event_id=event_id), "msg_again")
            if again.status_code == 204:
                break
            assert again.status_code == 409 and time.monotonic() < deadline, again.status_code
            time.sleep(0.25)
        late = _post(url, body, "msg_late")
    finally:
        _stop(proc)
    if interrupted == (1, 1):  # an interpreter that waits for the thread: then the completion must have been recorded
        assert again.headers.get(OUTCOME_HEADER) == "duplicate" and _runs(counts, event_id) == (1, 1), output
    else:
        assert interrupted == (1, 0) and OUTCOME_HEADER not in again.headers
        assert _runs(counts, event_id) == (2, 1)
    assert late.headers.get(OUTCOME_HEADER) == "duplicate"


def test_a_burst_of_claims_uses_at_most_the_stores_connections_and_waits_a_bounded_time(redis_url, monkeypatch):
    """RedisClaimStore keeps at most ``max_connections`` sockets per process (64 by default): a burst of deliveries
    waits for a free one rather than opening hundreds, and a wait longer than REDIS_POOL_WAIT_SECONDS is an error
    (the delivery's 503), not a hang. Redis is paused (CLIENT PAUSE ... WRITE) so that the claims pile up; the server
    counts the store's connections by client name. Mutations caught: the cap removed (40 connections); the wait
    unbounded (the 41st claim waits out the pause instead of failing)."""
    import asyncio

    from access_events.receiving import stores
    from access_events.receiving.stores import CLAIMED, RedisClaimStore

    name = f"cap{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(f"{redis_url}/2")

    def connections() -> int:
        return sum(1 for client in admin.client_list() if client.get("name") == name)

    async def scenario():
        store = RedisClaimStore(f"{redis_url}/2?client_name={name}", prefix=f"test:{uuid.uuid4()}:", max_connections=4)
        try:
            admin.execute_command("CLIENT", "PAUSE", "600", "WRITE")
            burst = [asyncio.ensure_future(store.claim(f"e{n}", 30)) for n in range(40)]
            await asyncio.sleep(0.3)
            during = connections()
            claims = await asyncio.gather(*burst)
            assert during == 4 and all(claim.state == CLAIMED for claim in claims), (during, claims)
            monkeypatch.setattr(stores, "REDIS_POOL_WAIT_SECONDS", 0.2)
            admin.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
            held = [asyncio.ensure_future(store.claim(f"f{n}", 30)) for n in range(4)]
            await asyncio.sleep(0.05)
            started = time.monotonic()
            with pytest.raises(redis.ConnectionError):
                await store.claim("g", 30)
            assert time.monotonic() - started < 1.0  # the wait's bound, not the pause, ended it
            assert all(claim.state == CLAIMED for claim in await asyncio.gather(*held))
        finally:
            admin.execute_command("CLIENT", "UNPAUSE")
            await store.close()

    try:
        asyncio.run(scenario())
    finally:
        admin.close()


def test_a_claim_whose_reply_was_lost_is_still_the_claimants(redis_url):
    """Audit (recv2): the connection to Redis dies after the server ran ``SET key token NX PX`` but before its reply
    arrived (a reset, a failover, a proxy timing out). redis-py retries the SET on a new connection; it finds the key
    taken, by this very claim's token, and the store answered ``in_flight``: the delivery got 409, and the event stayed
    locked by a claim nobody held until its lease ran out (60 s by default), every copy of it 409 meanwhile. A claim
    that finds its own (random, 128-bit) token holds the event: ``claimed``, with that token, which completes it.
    A real redis-server behind a proxy that drops the first SET's reply and the connection with it."""
    import asyncio

    from access_events.receiving.stores import CLAIMED, DONE, RedisClaimStore

    host, port = redis_url.removeprefix("redis://").split(":")
    dropped = []

    async def pipe(reader, writer, drop_reply):
        try:
            while data := await reader.read(65536):
                if drop_reply is not None and not dropped and b"\r\nSET\r\n" in data.upper():
                    dropped.append(data)
                    writer.write(data)  # the command reaches Redis ...
                    await writer.drain()
                    await asyncio.sleep(0.2)  # ... which runs it and replies; the reply is lost with the connection
                    drop_reply.close()
                    writer.close()
                    return
                if drop_reply is None and dropped and not writer.is_closing() and dropped[-1] is not None:
                    dropped.append(None)  # the dropped SET's reply: never forwarded
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def relay(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
            await asyncio.gather(pipe(client_reader, server_writer, client_writer), pipe(server_reader, client_writer, None))
        except asyncio.CancelledError:  # the proxy's own connections, at the end of the test
            pass

    async def scenario():
        proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
        proxy_port = proxy.sockets[0].getsockname()[1]
        store = RedisClaimStore(f"redis://127.0.0.1:{proxy_port}/2", prefix=f"test:{uuid.uuid4()}:")
        try:
            claim = await store.claim("e", 30)
            assert dropped, "the proxy dropped no reply"
            assert claim.state == CLAIMED and claim.token, claim
            assert await store.complete("e", claim.token, 600)
            assert (await store.claim("e", 30)).state == DONE
        finally:
            await store.close()
            proxy.close()

    asyncio.run(scenario())


def test_a_store_on_a_callers_decoding_client_still_sees_duplicates(redis_url):
    """Audit (recv2): ``RedisClaimStore(client=...)`` takes the caller's redis-py client. One made with
    ``decode_responses=True`` (common in applications) answers str, and the store compared the key's value with
    ``b"done"``: a handled event was never a duplicate again, every later copy got 409 in flight (for the whole
    retention, so the producer's retries for 28 hours all failed). The value is compared as bytes either way."""
    import asyncio

    import redis.asyncio as aioredis

    from access_events.receiving.stores import CLAIMED, DONE, IN_FLIGHT, RedisClaimStore

    async def scenario():
        client = aioredis.Redis.from_url(f"{redis_url}/2", decode_responses=True)
        store = RedisClaimStore(client=client, prefix=f"test:{uuid.uuid4()}:")
        try:
            first = await store.claim("e", 30)
            assert first.state == CLAIMED
            assert (await store.claim("e", 30)).state == IN_FLIGHT
            assert await store.complete("e", first.token, 600)
            assert (await store.claim("e", 30)).state == DONE
        finally:
            await client.aclose()

    asyncio.run(scenario())
