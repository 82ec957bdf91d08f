"""Concurrency budgets: at most ``limit`` requests in flight per key (a mailbox, say), counted
across every process and machine that shares a Redis, else within this process only.

The Redis budget is a sorted-set semaphore: one member per held slot, scored by the instant its
lease ends (Redis server time, so workers' clocks do not matter). Taking slots is one Lua script
(drop expired leases, count, add), so two workers never both take the last slot. A holder's leases
are renewed in the background while it holds them; a worker killed mid-request stops renewing and
its slots come back when the lease ends. A wait that does not end within the budget's bound (or the
caller's :func:`~ponton.retry.time_budget`) raises :class:`~ponton.errors.ThrottledError`, so the
caller's retry policy backs off, retries, or defers the work to the next run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ponton.errors import ThrottledError, TransientError
from ponton.retry import remaining_seconds
from ponton.settings import budget_redis_url

if TYPE_CHECKING:
    from redis import Redis

DEFAULT_WAIT_SECONDS = 30.0
DEFAULT_LEASE_SECONDS = 15.0

# KEYS[1]: the budget's sorted set. ARGV: limit, slots wanted, lease (ms), holder token.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wanted, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) + wanted > tonumber(ARGV[1]) then
  return 0
end
for i = 1, wanted do
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4] .. ':' .. i)
end
if redis.call('PTTL', KEYS[1]) < lease then
  redis.call('PEXPIRE', KEYS[1], lease)
end
return 1
"""

# KEYS[1]: the sorted set. ARGV: lease (ms), then the members to extend (only those still held).
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
end
if redis.call('PTTL', KEYS[1]) < lease then
  redis.call('PEXPIRE', KEYS[1], lease)
end
return 1
"""


@dataclass
class _Held:
    key: str
    members: tuple[str, ...]


class ConcurrencyBudget(ABC):
    """Slots of one budget (``name``), at most ``limit`` held at once per key."""

    shared = False  # True when the count holds across processes and machines

    def __init__(self, name: str, limit: int, *, wait_seconds: float = DEFAULT_WAIT_SECONDS):
        self.name = name
        self.limit = limit
        self.wait_seconds = wait_seconds

    @contextmanager
    def slots(self, key: str, count: int = 1) -> Iterator[None]:
        """Hold ``count`` slots of ``key`` (at most ``limit``) for the block; they are given
        back on exit, whatever happens inside."""
        count = max(1, min(count, self.limit))
        left = remaining_seconds()
        wait = self.wait_seconds if left is None else min(self.wait_seconds, left)
        held = self._acquire(key.lower(), count, time.monotonic() + wait)
        if held is None:
            raise ThrottledError(
                f"{self.name} {key!r}: its {self.limit} concurrent requests stayed in use for "
                f"{wait:.0f} s ({'across workers' if self.shared else 'in this worker'}); "
                "retried with backoff, else deferred. If it lasts, sync fewer bindings of it at "
                "once, or look for a stuck worker"
            )
        try:
            yield
        finally:
            self._release(held)

    @abstractmethod
    def _acquire(self, key: str, count: int, deadline: float) -> _Held | None:
        """Take ``count`` slots of ``key`` before ``deadline`` (monotonic), else None."""

    @abstractmethod
    def _release(self, held: _Held) -> None: ...


class LocalBudget(ConcurrencyBudget):
    """Counts this process's holders only (no Redis configured)."""

    def __init__(self, name: str, limit: int, *, wait_seconds: float = DEFAULT_WAIT_SECONDS):
        super().__init__(name, limit, wait_seconds=wait_seconds)
        self._held: dict[str, int] = {}
        self._changed = threading.Condition()

    def _acquire(self, key: str, count: int, deadline: float) -> _Held | None:
        with self._changed:
            fits = self._changed.wait_for(
                lambda: self._held.get(key, 0) + count <= self.limit,
                timeout=max(0.0, deadline - time.monotonic()),
            )
            if not fits:
                return None
            self._held[key] = self._held.get(key, 0) + count
        return _Held(key, ("",) * count)

    def _release(self, held: _Held) -> None:
        with self._changed:
            self._held[held.key] -= len(held.members)
            if not self._held[held.key]:
                del self._held[held.key]
            self._changed.notify_all()


@dataclass
class _Renewals:
    """The slots this process holds, extended every third of a lease by one daemon thread."""

    pid: int = field(default_factory=os.getpid)
    held: dict[int, _Held] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None


class RedisBudget(ConcurrencyBudget):
    """Counts every holder sharing ``client``'s Redis."""

    shared = True

    def __init__(
        self,
        name: str,
        limit: int,
        client: Redis,
        *,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        super().__init__(name, limit, wait_seconds=wait_seconds)
        self.client = client
        self.lease_ms = int(lease_seconds * 1000)
        self._acquire_script = client.register_script(_ACQUIRE)
        self._renew_script = client.register_script(_RENEW)
        self._renewals = _Renewals()

    def redis_key(self, key: str) -> str:
        return f"ponton:budget:{self.name}:{key.lower()}"

    def _redis(self, what: str, call):
        from redis.exceptions import RedisError

        try:
            return call()
        except RedisError as exc:
            raise TransientError(
                f"{self.name}: the shared concurrency budget could not {what} ({exc}); check "
                "that the Redis of PONTON_REDIS_URL (or the Celery broker) is up"
            ) from exc

    def _acquire(self, key: str, count: int, deadline: float) -> _Held | None:
        token = secrets.token_hex(8)
        redis_key = self.redis_key(key)
        pause = 0.01
        while True:
            granted = self._redis(
                "take a slot",
                lambda: self._acquire_script(
                    keys=[redis_key], args=[self.limit, count, self.lease_ms, token]
                ),
            )
            if granted:
                held = _Held(redis_key, tuple(f"{token}:{i}" for i in range(1, count + 1)))
                self._track(held)
                return held
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, 0.2)

    def _release(self, held: _Held) -> None:
        with self._renewals.lock:
            self._renewals.held.pop(id(held), None)
        self._redis("give a slot back", lambda: self.client.zrem(held.key, *held.members))

    def _track(self, held: _Held) -> None:
        renewals = self._renewals
        with renewals.lock:
            if renewals.pid != os.getpid():  # a forked child: its parent's thread is not here
                self._renewals = renewals = _Renewals()
            renewals.held[id(held)] = held
            if renewals.thread is None:
                renewals.thread = threading.Thread(
                    target=self._renew_forever, args=(renewals,), daemon=True
                )
                renewals.thread.start()

    def _renew_forever(self, renewals: _Renewals) -> None:
        from redis.exceptions import RedisError

        while True:
            time.sleep(self.lease_ms / 3000)
            with renewals.lock:
                held = list(renewals.held.values())
            for one in held:
                # Redis away: the lease may lapse; the next acquire reports the outage.
                with contextlib.suppress(RedisError):
                    self._renew_script(keys=[one.key], args=[self.lease_ms, *one.members])


@functools.cache
def _budget(name: str, limit: int, url: str | None) -> ConcurrencyBudget:
    if not url:
        return LocalBudget(name, limit)
    import redis

    return RedisBudget(name, limit, redis.Redis.from_url(url, socket_timeout=5))


def shared_budget(name: str, limit: int) -> ConcurrencyBudget:
    """The budget ``name`` as configured: shared through Redis when ``PONTON_REDIS_URL`` (or
    a Redis Celery broker) is set, else counted in this process only."""
    return _budget(name, limit, budget_redis_url())
