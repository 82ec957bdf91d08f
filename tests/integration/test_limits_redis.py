"""The shared concurrency budget against a real Redis: processes contending for one key never hold
more than the limit together, a killed holder's slots come back after its lease, a live holder's
lease is renewed, and keys do not share slots; ``ponton doctor`` says whether the budget is
shared."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import uuid

import pytest
import redis

from ponton.errors import ThrottledError
from ponton.limits import RedisBudget
from ponton.ops.checks import check_shared_budget
from ponton.retry import time_budget


def take(budget, key: str, count: int = 1) -> None:
    with budget.slots(key, count):
        pass


pytestmark = pytest.mark.integration

FORK = multiprocessing.get_context("fork")


def budget(url: str, name: str, limit: int, **kwargs) -> RedisBudget:
    return RedisBudget(name, limit, redis.Redis.from_url(url), **kwargs)


def contend(url: str, name: str, limit: int, rounds: int, counter: str, seen: str) -> None:
    """Take one slot ``rounds`` times; while holding it, count the holders at that instant."""
    mine = budget(url, name, limit, wait_seconds=30)
    client = mine.client
    for _ in range(rounds):
        with mine.slots("mailbox@example.com"):
            client.rpush(seen, client.incr(counter))
            time.sleep(0.01)
            client.decr(counter)


def hold_forever(url: str, name: str, lease: float, ready) -> None:
    with budget(url, name, 2, lease_seconds=lease).slots("mailbox@example.com"):
        ready.set()
        time.sleep(3600)


@pytest.fixture
def name(redis_url):
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    client.delete(*(client.keys(f"ponton:budget:{name}:*") or [f"{name}:none"]))
    client.delete(f"{name}:counter", f"{name}:seen")


def test_processes_contending_for_one_mailbox_never_exceed_the_limit(redis_url, name):
    counter, seen = f"{name}:counter", f"{name}:seen"
    workers = [
        FORK.Process(target=contend, args=(redis_url, name, 3, 15, counter, seen)) for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 6
    observed = [int(v) for v in redis.Redis.from_url(redis_url).lrange(seen, 0, -1)]
    assert len(observed) == 6 * 15
    assert max(observed) == 3  # contended up to the limit, never past it


def test_a_killed_holders_slot_comes_back_after_its_lease(redis_url, name):
    ready = FORK.Event()
    holder = FORK.Process(target=hold_forever, args=(redis_url, name, 2.0, ready))
    holder.start()
    assert ready.wait(10)
    alive = budget(redis_url, name, 2, lease_seconds=2.0)  # keeps the key alive meanwhile
    with alive.slots("mailbox@example.com"):
        waiting = budget(redis_url, name, 2, wait_seconds=0.3)
        with pytest.raises(ThrottledError, match="across workers"):
            take(waiting, "mailbox@example.com")
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)
        patient = budget(redis_url, name, 2, wait_seconds=10)
        take(patient, "MAILBOX@example.com")  # one mailbox, whatever the case


def test_a_live_holders_lease_is_renewed_past_its_length(redis_url, name):
    holder = budget(redis_url, name, 1, lease_seconds=1.0)
    other = budget(redis_url, name, 1, wait_seconds=0)
    with holder.slots("mailbox@example.com"):
        time.sleep(2.5)
        with pytest.raises(ThrottledError):
            take(other, "mailbox@example.com")
    take(other, "mailbox@example.com")  # given back on exit


def test_separate_mailboxes_do_not_share_slots(redis_url, name):
    shared = budget(redis_url, name, 1, wait_seconds=0)
    with shared.slots("a@example.com"):
        take(shared, "b@example.com")
        with pytest.raises(ThrottledError):
            take(shared, "a@example.com")


def test_a_batch_takes_several_slots_at_once(redis_url, name):
    shared = budget(redis_url, name, 4, wait_seconds=0)
    with shared.slots("a@example.com", 3):
        take(shared, "a@example.com", 1)
        with pytest.raises(ThrottledError):
            take(shared, "a@example.com", 2)
    with shared.slots("a@example.com", 20):  # more than the limit: all of it, no more
        assert shared.client.zcard(shared.redis_key("a@example.com")) == 4


def test_the_wait_for_a_slot_ends_with_the_callers_time_budget(redis_url, name):
    holder = budget(redis_url, name, 1)
    waiting = budget(redis_url, name, 1, wait_seconds=30)
    with holder.slots("a@example.com"):
        started = time.monotonic()
        with time_budget(0.2), pytest.raises(ThrottledError):
            take(waiting, "a@example.com")
        assert time.monotonic() - started < 5


def test_a_shorter_lease_does_not_expire_a_longer_one(redis_url, name):
    long_held = budget(redis_url, name, 2, lease_seconds=3)
    short = budget(redis_url, name, 2, lease_seconds=0.3, wait_seconds=0)
    with long_held.slots("a@example.com"):
        take(short, "a@example.com")
        time.sleep(0.6)
        with short.slots("a@example.com"), pytest.raises(ThrottledError):
            take(short, "a@example.com")


def test_the_doctor_says_whether_the_budget_is_shared(redis_url, monkeypatch):
    monkeypatch.delenv("AIRFLOW__CELERY__BROKER_URL", raising=False)
    monkeypatch.setenv("PONTON_REDIS_URL", "none")
    alone = check_shared_budget()
    assert alone.status == "not configured" and "4 x N" in alone.detail
    monkeypatch.setenv("PONTON_REDIS_URL", "redis://:hunter2@127.0.0.1:1/3")
    down = check_shared_budget()
    assert down.failed and "127.0.0.1:1/3 unreachable" in down.detail
    assert "hunter2" not in down.detail + down.fix
    monkeypatch.setenv("PONTON_REDIS_URL", redis_url)
    assert check_shared_budget().status == "ok"
