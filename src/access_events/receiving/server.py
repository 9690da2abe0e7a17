"""``access-events serve``: the receiver behind uvicorn, with its store, workers and handlers.

Each worker process builds its own app from the environment (``app_from_environment``, a
uvicorn factory), so ``--workers N`` and separate ``serve`` processes behave alike: they
share nothing but the store named by ``--store``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from .app import BODY_TIMEOUT_SECONDS, DEFAULT_PATH, create_app
from .signatures import TOLERANCE_SECONDS, InvalidSecret, Verifier
from .stores import DEFAULT_LEASE_SECONDS, DEFAULT_RETENTION_SECONDS, open_store

SECRET_ENV = "ACCESS_EVENTS_WEBHOOK_SECRET"
#: Where ``serve`` hands its settings to the worker processes (JSON).
CONFIG_ENV = "ACCESS_EVENTS_SERVE_CONFIG"

#: uvicorn's limits: connections beyond this many get 503 (file descriptors stay available).
LIMIT_CONCURRENCY = 1000
#: seconds an idle keep-alive connection is kept (uvicorn's default is 5)
TIMEOUT_KEEP_ALIVE = 5
#: the largest incomplete request head (headers) h11 buffers
MAX_HEADER_BYTES = 16 * 1024


class ServeError(Exception):
    """``serve`` cannot start: the message says why."""


def load_handlers(spec: str) -> Any:
    """``MODULE:ATTR``: a callable (every event) or a mapping of event type to callable."""
    from .._catalog import event_types

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ServeError(f"--handlers {spec!r}: expected MODULE:ATTR, e.g. myapp.webhooks:HANDLERS")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's to see, in one line
        raise ServeError(f"--handlers {spec!r}: cannot import {module_name}: {exc.__class__.__name__}: {exc}") from None
    try:
        handlers = getattr(module, attr)
    except AttributeError:
        raise ServeError(f"--handlers {spec!r}: {module_name} has no attribute {attr!r}") from None
    if isinstance(handlers, Mapping):
        known = set(event_types())
        for event_type, fn in handlers.items():
            if event_type not in known:
                raise ServeError(f"--handlers {spec!r}: {event_type!r} is not an event type this package knows")
            if not callable(fn):
                raise ServeError(f"--handlers {spec!r}: the handler for {event_type!r} is not callable")
    elif not callable(handlers):
        raise ServeError(f"--handlers {spec!r}: {type(handlers).__name__} is neither callable nor a mapping of event type to callable")
    return handlers


def _settings(store: str, handlers: str | None, path: str, lease_seconds: float, retention_seconds: float,
              read_timeout: float) -> dict[str, Any]:
    if not path.startswith("/"):
        raise ServeError(f"--path {path!r}: must start with /")
    if lease_seconds <= 0:
        raise ServeError("--lease-seconds must be positive")
    if retention_seconds < TOLERANCE_SECONDS + lease_seconds:
        raise ServeError(f"--retention must outlast the signature's timestamp tolerance ({TOLERANCE_SECONDS} s) and the lease: "
                         "a replay inside the tolerance must still find the event")
    if read_timeout <= 0:
        raise ServeError("--read-timeout must be positive")
    if handlers:
        load_handlers(handlers)  # fail here, once, before any worker starts
    try:
        open_store(store)
    except (ValueError, RuntimeError) as exc:
        raise ServeError(f"--store: {exc}") from None
    if not store.lower().startswith("memory"):
        _check_redis(store)
    return {"store": store, "handlers": handlers, "path": path, "lease_seconds": lease_seconds,
            "retention_seconds": retention_seconds, "read_timeout": read_timeout}


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _check_redis(url: str) -> None:
    """Fail at start, in one line, when the Redis store cannot be reached (rather than 503 on every event)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
        try:
            appendonly = client.config_get("appendonly").get("appendonly")
        except redis.RedisError:  # CONFIG disabled or renamed (managed Redis): nothing to say
            appendonly = None
    except redis.RedisError as exc:
        raise ServeError(f"--store {redacted(url)}: cannot reach Redis: {exc}") from None
    finally:
        client.close()
    if appendonly in ("no", b"no"):
        # The handled ids live only in Redis: one that loses them on a restart (no AOF: at best the last
        # snapshot survives) lets the producer's later copies of those events be handled a second time.
        sys.stderr.write(f"access-events serve: warning: --store {redacted(url)} has appendonly no: a Redis restart "
                         "forgets the events handled since its last snapshot, and later copies of them are handled again; "
                         "set appendonly yes on that Redis\n")


def app_from_environment():
    """The uvicorn factory each worker calls: the app from ``CONFIG_ENV`` and the secret."""
    settings = json.loads(os.environ.get(CONFIG_ENV, "{}"))
    _configure_logging()
    handlers = load_handlers(settings["handlers"]) if settings.get("handlers") else None
    return create_app(os.environ[SECRET_ENV], handlers=handlers, store=open_store(settings.get("store", "memory://")),
                      path=settings.get("path", DEFAULT_PATH),
                      lease_seconds=settings.get("lease_seconds", DEFAULT_LEASE_SECONDS),
                      retention_seconds=settings.get("retention_seconds", DEFAULT_RETENTION_SECONDS),
                      body_timeout=None)  # serve's protocol (_uvicorn.py) times whole requests, per connection


class _OncePerKind(logging.Filter):
    """Connection-level refusals (timeouts, malformed heads, too many open files) as one line per kind.

    uvicorn and asyncio log each with a traceback; under a flood that fills the log. The
    first of each kind is logged (without traceback), then every 1,000th with a count.
    """

    def __init__(self):
        super().__init__()
        self.counts: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or str(record.msg).startswith("Exception in ASGI application"):
            return True  # an application error keeps its traceback
        kind = record.getMessage().split(":")[0][:80]
        if record.exc_info and record.exc_info[1] is not None:
            kind = f"{kind} ({type(record.exc_info[1]).__name__})"
        count = self.counts[kind] = self.counts.get(kind, 0) + 1
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        if count == 1 or count % 1000 == 0:
            record.msg, record.args = "refused connection: %s (%d so far)", (kind, count)
            return True
        return False


class _UtcFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE`` with ISO 8601 UTC times (``2026-01-01T00:00:00.123Z``), the date
    part formatted once a second: ``strftime`` per record was a quarter of the cost of a delivery line."""

    _second, _text = -1, ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.stamp(record.created, record.msecs)

    def stamp(self, created: float, msecs: float | None = None) -> str:
        """The time of a record made at ``created`` (``time.time()``), as ``formatTime`` writes it."""
        second = int(created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        if msecs is None:  # as LogRecord computes it
            msecs = int((created - second) * 1000) + 0.0
        return self._text + _MILLIS[int(msecs)]

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)  # tracebacks: the standard layout
        # the same text as the format string gives, without its %-style pass over the record's dict
        return f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"


class _ServeHandler(logging.StreamHandler):
    """serve's own handler for ``access_events.receiver``. While it is the logger's only handler (serve's
    setup, untouched: no filter, no propagation, the standard record factory, see ``app._line_writer``),
    the app writes its delivery lines through ``write_line``: the text this handler's formatter gives,
    without building a ``LogRecord``: 30,000 instructions a line instead of 49,000 through logging's record,
    dispatch and format (valgrind, README "The receiver under load").
    Any other setup gets the records, with their ``delivery`` attribute, through ``logging``."""

    def line_writer(self) -> Any:
        """``write_line`` while this handler formats as serve set it up; None after ``setFormatter`` of another formatter."""
        return self.write_line if type(self.formatter) is _UtcFormatter else None

    def write_line(self, created: float, message: str) -> None:
        """One INFO line with ``message``, made at ``created`` (``time.time()``); flushed like every record."""
        with self.lock:  # type: ignore[union-attr]  # the stamp too, as logging formats under the handler's lock
            try:
                formatter = self.formatter
                second = int(created)
                if second != formatter._second:  # type: ignore[union-attr]
                    formatter.stamp(created)  # type: ignore[union-attr]  # the date part, cached for this second
                # formatter.stamp(created), inline: a method call and a format spec per line were half the line's cost
                self.stream.write(f"{formatter._text}{_MILLIS[int((created - second) * 1000)]} INFO access_events.receiver: "  # type: ignore[union-attr]
                                  f"{message}{self.terminator}")
                self.stream.flush()
            except Exception:  # noqa: BLE001 - as logging's handlers do: a broken stream must not fail the delivery
                if logging.raiseExceptions:
                    try:
                        sys.stderr.write(f"--- Logging error ---\ncould not write a delivery line: {sys.exc_info()[1]!r}\n")
                    except Exception:  # noqa: BLE001 - stderr itself is gone: nothing left to tell
                        pass


#: ".000Z" to ".999Z": the milliseconds of a stamp (LogRecord's msecs) without a format spec per line
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))


def _configure_logging() -> None:
    """One ``access_events.receiver`` line per delivery on stderr, and the connection-level filter."""
    # The logging HOWTO's "Optimization": no caller, thread or process lookup for each record (a
    # delivery line per request). This process is a server: nothing in it needs those fields.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    log = logging.getLogger("access_events.receiver")
    if not log.handlers:
        handler = _ServeHandler(sys.stderr)
        handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    once = _OncePerKind()
    for name in ("uvicorn.error", "asyncio"):
        logging.getLogger(name).addFilter(once)


def serve(host: str = "127.0.0.1", port: int = 8000, *, secret: str | None = None, path: str = DEFAULT_PATH,
          handlers: Any = None, store: str = "memory://", workers: int = 1,
          lease_seconds: float = DEFAULT_LEASE_SECONDS, retention_seconds: float = DEFAULT_RETENTION_SECONDS,
          read_timeout: float = BODY_TIMEOUT_SECONDS, access_log: bool = False) -> int:
    """Run the receiver with uvicorn until interrupted; the secret comes from ``ACCESS_EVENTS_WEBHOOK_SECRET``.

    ``handlers`` is a ``MODULE:ATTR`` string (or, with one worker, the object itself).
    Returns 2 (after a one-line message on stderr) when anything cannot start.
    """
    prog = "access-events serve: error:"
    secret = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        sys.stderr.write(f"{prog} set {SECRET_ENV} to the endpoint's signing secret (whsec_...)\n")
        return 2
    try:
        Verifier(secret)
    except InvalidSecret as exc:
        sys.stderr.write(f"{prog} {SECRET_ENV}: {exc}\n")
        return 2
    if not 0 <= port <= 65535:
        sys.stderr.write(f"{prog} --port {port}: expected 0 to 65535\n")
        return 2
    if workers < 1:
        sys.stderr.write(f"{prog} --workers must be at least 1\n")
        return 2
    if workers > 1 and store.startswith("memory"):
        sys.stderr.write(f"{prog} --workers {workers} with the memory store: each worker would remember its own events "
                         "and handle a duplicate again; use --store redis://HOST:PORT/DB\n")
        return 2
    handler_spec = handlers if isinstance(handlers, str) else None
    if handlers is not None and handler_spec is None and workers > 1:
        sys.stderr.write(f"{prog} handlers given as an object run in this process only; "
                         "for --workers give them as MODULE:ATTR\n")
        return 2
    try:
        settings = _settings(store, handler_spec, path, lease_seconds, retention_seconds, read_timeout)
    except ServeError as exc:
        sys.stderr.write(f"{prog} {exc}\n")
        return 2
    try:
        import uvicorn
    except ImportError:
        sys.stderr.write(f"{prog} uvicorn is not installed; pip install 'access-events[serve]'\n")
        return 2
    os.environ[SECRET_ENV] = secret
    os.environ[CONFIG_ENV] = json.dumps(settings)
    note = handler_spec or ("given" if handlers else "none (events are verified, parsed and acknowledged)")
    sys.stderr.write(f"access-events: receiving POST http://{host}:{port}{path}; store {redacted(store)}; workers {workers}; "
                     f"handlers: {note}\n")
    from . import _uvicorn  # after CONFIG_ENV is set: it reads its --read-timeout there

    options = dict(host=host, port=port, log_level="info", lifespan="on", access_log=access_log, http=_uvicorn.TimedH11Protocol,
                   limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=TIMEOUT_KEEP_ALIVE,
                   h11_max_incomplete_event_size=MAX_HEADER_BYTES, timeout_graceful_shutdown=10)
    if handlers is not None and handler_spec is None:  # an object: one process only
        _configure_logging()
        app = create_app(secret, handlers=handlers, store=open_store(store), path=path, lease_seconds=lease_seconds,
                         retention_seconds=retention_seconds, body_timeout=None)
        uvicorn.run(app, **options)
    else:
        uvicorn.run("access_events.receiving.server:app_from_environment", factory=True, workers=workers, **options)
    return 0


__all__ = ["CONFIG_ENV", "SECRET_ENV", "ServeError", "app_from_environment", "load_handlers", "serve"]
