"""Where a receiver remembers event ids: a two-phase claim, so each event is handled once.

The producer retries a delivery until it gets a 2xx (for about 28 hours), and several
receiver processes may get the same event. Before running a handler, the receiver
*claims* the event id with a lease; it *completes* the claim when the handler returns
(duplicates then get 204 for the retention), or *releases* it when the handler fails (the
producer's retry runs it again). A retry that arrives while the claim is held gets 409
with ``Retry-After``: the first attempt may still fail. A crashed process's claim expires
with its lease; a live one renews it (``extend``) while its handler runs.

Stores: ``MemoryClaimStore`` (the default: one process, zero setup) and
``RedisClaimStore`` (shared by every worker and replica; redis-py's asyncio client, the
claim is ``SET key token NX PX lease``, completion and release are token-checked Lua
scripts, as redis-py's own ``Lock`` does it). A store may also be synchronous (same
method names, plain functions): it then runs in a worker thread, off the event loop.
The older ``SeenStore`` (``first_time`` / ``forget``) still plugs in, without the in-flight state.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import secrets
import sys
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

#: How long a claim holds without renewal; a crashed process's events are free again after it.
DEFAULT_LEASE_SECONDS = 60.0
#: How long a handled event id is remembered. The producer retries for about 28 hours
#: (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); three days cover that with margin.
DEFAULT_RETENTION_SECONDS = 3 * 24 * 3600.0
DEFAULT_REDIS_PREFIX = "access-events:event:"
#: A Redis command (or connect) not answered within this is an error (the delivery gets 503), tried 3 times in all.
REDIS_SOCKET_TIMEOUT_SECONDS = 2.0
#: At most this many Redis connections per process (``RedisClaimStore(max_connections=...)``).
REDIS_MAX_CONNECTIONS = 64
#: How long a delivery waits for one of the process's Redis connections before its 503.
REDIS_POOL_WAIT_SECONDS = 5.0

CLAIMED, DONE, IN_FLIGHT = "claimed", "done", "in_flight"
_DONE_VALUE = "done"


@dataclass(frozen=True)
class Claim:
    """The answer to ``claim``: ``state`` is ``claimed`` (run the handler; ``token`` proves it),
    ``done`` (handled before: a duplicate) or ``in_flight`` (another attempt holds it; it may
    still fail, so ask for a retry in ``retry_after`` seconds)."""

    state: str
    token: str | None = None
    retry_after: float | None = None


_DONE_CLAIM = Claim(DONE)  # immutable: one for every duplicate


@runtime_checkable
class ClaimStore(Protocol):
    """The store interface (async; a class with the same methods as plain functions also plugs in)."""

    async def claim(self, event_id: str, lease_seconds: float) -> Claim: ...

    async def extend(self, event_id: str, token: str, lease_seconds: float) -> bool:
        """Renew a held claim (taking it back if it lapsed and nobody took it); False when it was lost
        (expired and taken by another attempt, or completed)."""

    async def complete(self, event_id: str, token: str, retention_seconds: float) -> bool:
        """The handler returned: remember the id as done. False when the claim had been taken by another."""

    async def release(self, event_id: str, token: str) -> None:
        """The handler failed: forget the claim (only if still ours), so the retry runs it again."""


class SeenStore(Protocol):
    """The older, one-phase interface: ``first_time(event_id)`` is True once, ``forget`` drops an id.

    Still accepted by ``create_app(seen=...)``; it has no in-flight state, so a retry that
    arrives while the first attempt runs is acknowledged as a duplicate. Prefer a ``ClaimStore``.
    """

    def first_time(self, event_id: str) -> bool: ...

    def forget(self, event_id: str) -> None: ...


class MemoryClaimStore:
    """The in-process default: claims and completed ids in a dict, forgotten by time, not by count.

    One process only: workers and replicas each have their own, so use ``RedisClaimStore``
    for ``serve --workers N`` or several instances. Memory grows with the events of the
    retention (about 270 bytes an id, measured with tracemalloc: a million events in three days is about 270 MB).
    Thread-safe, so it also serves several event loops of one process.
    """

    def __init__(self, *, clock=time.monotonic):
        self._clock = clock
        self._entries: dict[str, tuple[str, float]] = {}  # id -> (token or "done", expires at)
        self._expiry: deque[tuple[float, str]] = deque()  # completed ids in order of expiry (one retention for all)
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)  # unique within this store, which is all a token must be here

    def _purge(self, now: float) -> None:
        expiry, entries = self._expiry, self._entries
        while expiry and expiry[0][0] <= now:
            at, key = expiry.popleft()
            entry = entries.get(key)
            if entry is not None and entry[1] <= now:
                del entries[key]

    def claim_now(self, event_id: str, lease_seconds: float) -> Claim:
        token = self.claim_token(event_id, lease_seconds)
        return Claim(CLAIMED, token) if type(token) is str else token

    def claim_token(self, event_id: str, lease_seconds: float) -> str | Claim:
        """``claim_now`` for the receiver's own use: the token (a ``str``) when claimed, else the ``Claim``
        that says why not. A claim, the common case, then builds no ``Claim`` (a frozen dataclass)."""
        now = self._clock()
        with self._lock:
            expiry = self._expiry
            if expiry and expiry[0][0] <= now:
                self._purge(now)
            entries = self._entries
            entry = entries.get(event_id)
            if entry is not None and entry[1] > now:
                if entry[0] == _DONE_VALUE:
                    return _DONE_CLAIM
                return Claim(IN_FLIGHT, retry_after=entry[1] - now)
            token = str(next(self._tokens))
            entries[event_id] = (token, now + lease_seconds)
            return token

    def _if_ours(self, event_id: str, token: str, expired_ok: bool) -> bool:
        entry = self._entries.get(event_id)
        if entry is None:
            return expired_ok
        if entry[0] == token:
            return True
        return expired_ok and entry[0] != _DONE_VALUE and entry[1] <= self._clock()

    async def claim(self, event_id: str, lease_seconds: float) -> Claim:
        return self.claim_now(event_id, lease_seconds)

    async def extend(self, event_id: str, token: str, lease_seconds: float) -> bool:
        with self._lock:
            if not self._if_ours(event_id, token, expired_ok=True):
                return False
            self._entries[event_id] = (token, self._clock() + lease_seconds)
            return True

    async def complete(self, event_id: str, token: str, retention_seconds: float) -> bool:
        return self.complete_now(event_id, token, retention_seconds)

    def complete_now(self, event_id: str, token: str, retention_seconds: float) -> bool:
        with self._lock:
            entry = self._entries.get(event_id)
            ours = (entry is not None and entry[0] == token) or self._if_ours(event_id, token, expired_ok=True)
            if ours:
                until = self._clock() + retention_seconds
                self._entries[event_id] = (_DONE_VALUE, until)
                self._expiry.append((until, event_id))
            return ours

    async def release(self, event_id: str, token: str) -> None:
        with self._lock:
            entry = self._entries.get(event_id)
            if entry is not None and entry[0] == token:
                del self._entries[event_id]

    def __len__(self) -> int:
        return len(self._entries)


# Token-checked updates, each one atomic on the server (the pattern of redis-py's Lock).
# A lapsed claim that nobody took (the key is gone: its lease ran out while the store was unreachable,
# or the store lost it) is taken back by its live holder, the way _COMPLETE treats a missing key.
_EXTEND = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_COMPLETE = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or not held then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisClaimStore:
    """Claims shared by every process on one Redis (redis-py's asyncio client).

    A key per event id (``prefix`` + id): a random token while claimed (expiring with the
    lease), ``done`` once handled (expiring after the retention). ``url`` is a redis-py
    URL (``redis://HOST:PORT/DB``, ``rediss://``, ``unix://``), or pass ``client``. With a
    ``url``, the store opens at most ``max_connections`` sockets; a call that finds them all
    busy waits ``REDIS_POOL_WAIT_SECONDS`` for one, then fails (the delivery's 503).
    """

    def __init__(self, url: str | None = None, *, client: Any = None, prefix: str = DEFAULT_REDIS_PREFIX,
                 max_connections: int = REDIS_MAX_CONNECTIONS):
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - the [redis] extra
            raise RuntimeError("the Redis store needs redis-py: pip install 'access-events[redis]'") from None
        self._slots: asyncio.Semaphore | None = None
        if client is None:
            if url is None:
                raise ValueError("RedisClaimStore needs a url or a client")
            from redis.asyncio.retry import Retry
            from redis.backoff import ExponentialBackoff
            from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError

            # At most max_connections connections per process, a request waiting for a free one (a burst of the
            # same event must not open hundreds of sockets at once), and a dropped connection retried. A retried
            # SET NX whose first reply was lost finds its own token: the claim is this attempt's (_claim).
            # Every socket operation has a timeout: a Redis that accepts but does not answer (paused,
            # overloaded, partitioned) would otherwise hold each delivery forever instead of a 503.
            # The limit and the wait are a semaphore of max_connections slots (a store call holds one and uses
            # one connection at a time) in front of redis-py's plain pool of that size, rather than redis-py's
            # BlockingConnectionPool: the same limit and wait, without the condition, timer and context managers
            # that pool sets up for every command (8% of the instructions of a delivery with this store).
            pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections,
                                                    socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                                                    socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                                                    retry=Retry(ExponentialBackoff(cap=0.5), 2),
                                                    retry_on_error=[RedisConnectionError, RedisTimeoutError])
            client = aioredis.Redis(connection_pool=pool)
            self._slots = asyncio.Semaphore(max_connections)
        self.url = url
        self.redis = client
        self.prefix = prefix
        self._extend = client.register_script(_EXTEND)
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)

    async def _take_slot(self) -> None:
        """Wait (REDIS_POOL_WAIT_SECONDS at most) for one of the store's connections; with a client of the caller's, its pool decides."""
        slots = self._slots
        if slots is None:
            return
        if not slots.locked():
            await slots.acquire()  # free: taken at once
            return
        if sys.version_info >= (3, 11):
            from asyncio import timeout
        else:  # pragma: no cover - Python 3.10: the package redis-py itself depends on there
            from async_timeout import timeout
        try:
            async with timeout(REDIS_POOL_WAIT_SECONDS):
                await slots.acquire()
        except asyncio.TimeoutError:
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError(f"no Redis connection free within {REDIS_POOL_WAIT_SECONDS:g} s "
                                       "(all in use by other deliveries)") from None

    def _free_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()

    async def claim(self, event_id: str, lease_seconds: float) -> Claim:
        await self._take_slot()
        try:
            return await self._claim(event_id, lease_seconds)
        finally:
            self._free_slot()

    async def _claim(self, event_id: str, lease_seconds: float) -> Claim:
        key, token, lease_ms = self.prefix + event_id, secrets.token_hex(16), max(1, int(lease_seconds * 1000))
        for _ in range(3):  # a claim that expires between SET and GET is tried again
            if await self.redis.set(key, token, nx=True, px=lease_ms):
                return Claim(CLAIMED, token)
            async with self.redis.pipeline(transaction=False) as pipe:
                held, ttl = await pipe.get(key).pttl(key).execute()
            if held is None:
                continue
            if isinstance(held, str):  # a caller's client with decode_responses=True
                held = held.encode()
            if held == token.encode():
                # our own SET: it ran, but its reply was lost with the connection and redis-py's retry of
                # the SET found the key taken. The token is random (128 bits): this attempt holds the claim.
                return Claim(CLAIMED, token)
            if held == _DONE_VALUE.encode():
                return Claim(DONE)
            return Claim(IN_FLIGHT, retry_after=max(ttl, 0) / 1000)
        return Claim(IN_FLIGHT, retry_after=1.0)

    async def extend(self, event_id: str, token: str, lease_seconds: float) -> bool:
        await self._take_slot()
        try:
            return bool(await self._extend(keys=[self.prefix + event_id], args=[token, max(1, int(lease_seconds * 1000))]))
        finally:
            self._free_slot()

    async def complete(self, event_id: str, token: str, retention_seconds: float) -> bool:
        await self._take_slot()
        try:
            return bool(await self._complete(keys=[self.prefix + event_id], args=[token, max(1, int(retention_seconds * 1000))]))
        finally:
            self._free_slot()

    async def release(self, event_id: str, token: str) -> None:
        await self._take_slot()
        try:
            await self._release(keys=[self.prefix + event_id], args=[token])
        finally:
            self._free_slot()

    async def ping(self) -> None:
        await self._take_slot()
        try:
            await self.redis.ping()
        finally:
            self._free_slot()

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)


class MemorySeenStore:
    """The older one-phase store: the last ``capacity`` event ids, thread-safe (one process only).

    Kept for callers of ``create_app(seen=...)``; it forgets by count, so at a high rate an id
    is forgotten well inside the producer's retries. ``MemoryClaimStore`` forgets by time.
    """

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


class _SeenStoreClaims:
    """A ``SeenStore`` seen as a synchronous claim store (no in-flight state, no retention)."""

    def __init__(self, seen: SeenStore):
        self.seen = seen

    def claim(self, event_id: str, lease_seconds: float) -> Claim:
        return Claim(CLAIMED, "seen") if self.seen.first_time(event_id) else Claim(DONE)

    def extend(self, event_id: str, token: str, lease_seconds: float) -> bool:
        return True

    def complete(self, event_id: str, token: str, retention_seconds: float) -> bool:
        return True

    def release(self, event_id: str, token: str) -> None:
        self.seen.forget(event_id)


class _ThreadedStore:
    """A synchronous store behind the async interface: each call in a worker thread, off the event loop."""

    def __init__(self, store: Any):
        self.store = store

    async def claim(self, event_id: str, lease_seconds: float) -> Claim:
        return await asyncio.to_thread(self.store.claim, event_id, lease_seconds)

    async def extend(self, event_id: str, token: str, lease_seconds: float) -> bool:
        return await asyncio.to_thread(self.store.extend, event_id, token, lease_seconds)

    async def complete(self, event_id: str, token: str, retention_seconds: float) -> bool:
        return await asyncio.to_thread(self.store.complete, event_id, token, retention_seconds)

    async def release(self, event_id: str, token: str) -> None:
        await asyncio.to_thread(self.store.release, event_id, token)


def as_claim_store(store: Any) -> Any:
    """Any supported store as an async ``ClaimStore``: async as is, sync ones in threads, a ``SeenStore`` adapted."""
    if store is None:
        return MemoryClaimStore()
    if not hasattr(store, "claim") and hasattr(store, "first_time"):
        store = _SeenStoreClaims(store)
    missing = [m for m in ("claim", "extend", "complete", "release") if not callable(getattr(store, m, None))]
    if missing:
        raise TypeError(f"{type(store).__name__} is not a claim store: no {', '.join(missing)} "
                        "(see access_events.receiving.stores.ClaimStore)")
    if inspect.iscoroutinefunction(store.claim):
        return store
    return _ThreadedStore(store)


def open_store(url: str) -> Any:
    """The store a ``--store`` URL names: ``memory://`` or ``redis://HOST:PORT/DB`` (also ``rediss://``, ``unix://``)."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "memory":
        return MemoryClaimStore()
    if scheme in ("redis", "rediss", "unix"):
        return RedisClaimStore(url)
    raise ValueError(f"unknown store {url!r}: expected memory:// or redis://HOST:PORT/DB")


__all__ = ["CLAIMED", "Claim", "ClaimStore", "DEFAULT_LEASE_SECONDS", "DEFAULT_RETENTION_SECONDS", "DONE", "IN_FLIGHT",
           "MemoryClaimStore", "MemorySeenStore", "RedisClaimStore", "SeenStore", "as_claim_store", "open_store"]
