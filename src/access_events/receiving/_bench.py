"""The receiver's part of ``make bench``: its requests per second against a bare ASGI app.

Both servers run under the same uvicorn settings (``serve``'s: its h11 protocol with the read
timeouts, no access log, one worker) in a child process, while a load client in this process
sends signed valid events (each a new event id, so every request is verified, parsed, claimed,
handled by a no-op async handler and completed) over keep-alive connections. The ratio of the
two rates is the figure; neither rate means much alone on a shared machine. An in-process
breakdown says where the receiver's time per request goes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from statistics import median

SECRET = "whsec_" + base64.b64encode(b"a-32-byte-secret-for-the-bench!!").decode()
_KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
PATH = "/webhooks/access-events"


async def bare_app(scope, receive, send) -> None:
    """The ceiling: reads the body, answers 204."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def noop_handler(event) -> None:
    return None


def requests_for(count: int, payload: dict, host: str = "127.0.0.1") -> list[bytes]:
    """``count`` HTTP/1.1 requests, each a signed event with its own event id."""
    now = str(int(time.time()))
    out = []
    for number in range(count):
        body = json.dumps({**payload, "event_id": str(uuid.UUID(int=(number + 1) * 7919 + 2 ** 100))}).encode()
        msg_id = f"msg_{number}"
        signature = base64.b64encode(hmac.new(_KEY, f"{msg_id}.{now}.".encode() + body, hashlib.sha256).digest()).decode()
        head = (f"POST {PATH} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                f"webhook-id: {msg_id}\r\nwebhook-timestamp: {now}\r\nwebhook-signature: v1,{signature}\r\n\r\n")
        out.append(head.encode() + body)
    return out


def _serve(kind: str, port: int, store: str) -> None:
    """The child process: one server of ``kind`` (bare or receiver) under serve's uvicorn settings."""
    import uvicorn

    from . import _uvicorn, server
    from .app import create_app
    from .stores import open_store

    if kind == "bare":
        app = bare_app
    else:
        server._configure_logging()  # the delivery lines, as serve writes them (to a null stream here)
        app = create_app(SECRET, handlers=noop_handler, store=open_store(store), body_timeout=None)  # as serve builds it
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on",
                http=_uvicorn.TimedH11Protocol, limit_concurrency=server.LIMIT_CONCURRENCY,
                timeout_keep_alive=server.TIMEOUT_KEEP_ALIVE, h11_max_incomplete_event_size=server.MAX_HEADER_BYTES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the bench server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the bench server did not start")


async def _load(port: int, requests: list[bytes], seconds: float, concurrency: int) -> tuple[int, dict[int, int]]:
    """Send requests over ``concurrency`` keep-alive connections for ``seconds``; (answers, statuses)."""
    statuses: dict[int, int] = {}
    cursor = 0
    stop_at = time.perf_counter() + seconds

    async def connection() -> int:
        nonlocal cursor
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        try:
            while time.perf_counter() < stop_at and cursor < len(requests):
                request = requests[cursor]
                cursor += 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                statuses[status] = statuses.get(status, 0) + 1
                lower = head.lower()
                at = lower.find(b"content-length:")
                if at >= 0:
                    length = int(lower[at + 15:lower.index(b"\r\n", at)])
                    if length:
                        await reader.readexactly(length)
                done += 1
        finally:
            writer.close()
        return done

    counts = await asyncio.gather(*(connection() for _ in range(concurrency)))
    return sum(counts), statuses


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds a process has run so far: /proc/PID/schedstat (nanoseconds), else user + system from
    /proc/PID/stat (clock ticks: 10 ms steps); None off Linux."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _measure(kind: str, store: str, requests: list[bytes], seconds: float, concurrency: int) -> dict:
    port = _free_port()
    code = f"from access_events.receiving._bench import _serve; _serve({kind!r}, {port}, {store!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        warm = min(len(requests) // 10, 500)
        asyncio.run(_load(port, requests[:warm], 0.5, concurrency))
        start, cpu_before = time.perf_counter(), _cpu_seconds(proc.pid)
        answered, statuses = asyncio.run(_load(port, requests[warm:], seconds, concurrency))
        elapsed, cpu_after = time.perf_counter() - start, _cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    cpu = None if cpu_before is None or cpu_after is None or not answered else round((cpu_after - cpu_before) / answered * 1e6, 1)
    return {"requests_per_second": round(answered / elapsed), "answered": answered, "statuses": statuses,
            "server_cpu_us_per_request": cpu}


def _redis_server() -> tuple[subprocess.Popen, str] | None:
    exe = shutil.which("redis-server")
    if exe is None:
        return None
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_listening(port, proc)
    return proc, f"redis://127.0.0.1:{port}/0"


def in_process_breakdown(payload: dict, count: int) -> dict[str, float]:
    """Microseconds per request of each step, and of whole requests through the app, in this process."""
    from .._api import parse_event
    from .app import create_app
    from .signatures import Verifier
    from .stores import MemoryClaimStore

    raw = requests_for(count, payload)
    parsed = []
    for request in raw:
        head, body = request.split(b"\r\n\r\n", 1)
        headers = [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]]
        parsed.append(([(k.lower(), v) for k, v in headers], body))
    verifier = Verifier(SECRET)
    values = [({k.decode(): v.decode() for k, v in h}, body) for h, body in parsed]

    def per_call(func) -> float:  # CPU time of this process: a neighbour's load does not count
        start = time.process_time()
        func()
        return round((time.process_time() - start) / count * 1e6, 2)

    async def drive(app) -> None:
        for headers, body in parsed:
            message = {"type": "http.request", "body": body, "more_body": False}

            async def receive():
                return message

            async def send(message):
                return None

            await app({"type": "http", "method": "POST", "path": PATH, "headers": headers}, receive, send)

    def sync_noop(event) -> None:
        return None

    store = MemoryClaimStore()

    async def claims() -> None:
        for number in range(count):
            claim = await store.claim(str(number), 60)
            await store.complete(str(number), claim.token, 3600)

    log = logging.getLogger("access_events.receiver")
    from .server import _ServeHandler, _UtcFormatter

    null = _ServeHandler(open(os.devnull, "w"))  # noqa: SIM115 - serve's handler, for the length of the run

    null.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))  # serve's format
    saved = (log.handlers[:], log.level, log.propagate)
    # serve's settings (server._configure_logging): no caller, thread or process lookup per record
    saved_globals = (logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing)  # type: ignore[attr-defined]
    results = {
        "bare ASGI app": per_call(lambda: asyncio.run(drive(bare_app))),
        "signature check (HMAC-SHA256, headers)": per_call(lambda: [verifier.check(h["webhook-id"], h["webhook-timestamp"],
                                                                                  h["webhook-signature"], b) for h, b in values]),
        # (each event dropped at once: 20,000 live events make the collector walk the heap of a
        # long `make bench` process; with 2 million other objects, 7.5 µs a call against 4.7)
        "parse_event": per_call(lambda: [parse_event(b) and None for _, b in values]),
        "claim + complete (memory store)": per_call(lambda: asyncio.run(claims())),
        "receiver, no handler (no claim)": per_call(lambda: asyncio.run(drive(create_app(SECRET, body_timeout=None)))),
        "receiver, async no-op handler": per_call(lambda: asyncio.run(drive(create_app(SECRET, handlers=noop_handler, body_timeout=None)))),
        "receiver, sync no-op handler (thread hop)": per_call(lambda: asyncio.run(drive(create_app(SECRET, handlers=sync_noop, body_timeout=None)))),
    }
    try:
        log.handlers[:] = [null]
        log.setLevel(logging.INFO)
        log.propagate = False
        logging._srcfile = None  # type: ignore[attr-defined]
        logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
        results["receiver, async handler, delivery log on (serve's logging settings)"] = per_call(
            lambda: asyncio.run(drive(create_app(SECRET, handlers=noop_handler, body_timeout=None))))
    finally:
        log.handlers[:], log.level, log.propagate = saved
        logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing = saved_globals  # type: ignore[attr-defined]
        null.stream.close()
    return results


def receiver_load(payload: dict, quick: bool) -> dict:
    """Requests per second and server CPU per request of the bare app and the receiver, in alternating rounds.

    Each round runs every server once (in reverse order every other round, so a slow spell of the
    shared machine does not always fall on the same one); the figure is the ratio of the medians
    over the rounds, with the range of the rounds' own ratios beside it.
    """
    seconds, concurrency, rounds = (1.0, 16, 1) if quick else (3.0, 32, 5)
    count = 6000 if quick else 40000
    requests = requests_for(count, payload)
    results: dict = {"seconds_per_run": seconds, "concurrency": concurrency, "rounds": rounds, "runs": {}}
    redis = _redis_server()
    kinds = [("bare", "memory://"), ("receiver, memory store", "memory://")]
    if redis is not None:
        kinds.append(("receiver, Redis store", redis[1]))
    measured: dict[str, list[dict]] = {name: [] for name, _ in kinds}
    try:
        for round_number in range(rounds):
            for name, store in kinds if round_number % 2 == 0 else kinds[::-1]:
                measured[name].append(_measure("bare" if name == "bare" else "receiver", store, requests, seconds, concurrency))
    finally:
        if redis is not None:
            redis[0].terminate()
            redis[0].wait(timeout=10)
    for name, runs in measured.items():
        statuses: dict[int, int] = {}
        for run in runs:
            for status, number in run["statuses"].items():
                statuses[status] = statuses.get(status, 0) + number
        cpus = [run["server_cpu_us_per_request"] for run in runs]
        results["runs"][name] = {
            "requests_per_second": round(median([run["requests_per_second"] for run in runs])),
            "server_cpu_us_per_request": round(median(cpus), 1) if None not in cpus else None,
            "answered": sum(run["answered"] for run in runs), "statuses": statuses,
            "rounds": [{"requests_per_second": run["requests_per_second"], "server_cpu_us_per_request": run["server_cpu_us_per_request"]}
                       for run in runs]}
    bare = results["runs"]["bare"]
    results["ratios"], results["ratio_ranges"], results["cpu_ratios"] = {}, {}, {}
    for name, run in results["runs"].items():
        if name == "bare":
            continue
        results["ratios"][name] = round(run["requests_per_second"] / bare["requests_per_second"], 3)
        per_round = [mine["requests_per_second"] / base["requests_per_second"] for mine, base in zip(run["rounds"], bare["rounds"])]
        results["ratio_ranges"][name] = [round(min(per_round), 3), round(max(per_round), 3)]
        # The server's CPU time per request: what the receiver's own work adds, less sensitive to the load client.
        if bare["server_cpu_us_per_request"] and run["server_cpu_us_per_request"]:
            results["cpu_ratios"][name] = round(bare["server_cpu_us_per_request"] / run["server_cpu_us_per_request"], 3)
    results["redis"] = "measured" if redis is not None else "not measured: redis-server is not installed"
    results["in_process_us"] = in_process_breakdown(payload, 2000 if quick else 20000)
    return results


def render(results: dict) -> list[str]:
    lines = ["", f"receiver under uvicorn (serve's settings), {results['concurrency']} keep-alive connections, "
                 f"median of {results['rounds']} alternating rounds x {results['seconds_per_run']} s, signed valid events, "
                 "no-op async handler:"]
    for name, run in results["runs"].items():
        ratio = results["ratios"].get(name)
        shown = ""
        if ratio:
            low, high = results["ratio_ranges"][name]
            shown = f", {ratio:.0%} of the bare app (rounds {low:.0%}-{high:.0%})" + (" (target >= 90%)" if "memory" in name else "")
        cpu = run["server_cpu_us_per_request"]
        cpu_ratio = results["cpu_ratios"].get(name)
        cpu_shown = f"; server CPU {cpu} µs/request" + (f" ({cpu_ratio:.0%} of the bare app's rate per CPU second)" if cpu_ratio else "") if cpu else ""
        lines.append(f"  {name:<24} {run['requests_per_second']:>7,} requests/s{shown}{cpu_shown}; answers {run['statuses']}")
    if results["redis"] != "measured":
        lines.append(f"  Redis store: {results['redis']}")
    lines.append("  in process, µs per request: " + "; ".join(f"{k} {v}" for k, v in results["in_process_us"].items()))
    return lines
