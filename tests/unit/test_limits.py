"""Concurrency budgets without Redis (per process), and which Redis shares them when configured."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ponton.errors import ThrottledError
from ponton.limits import LocalBudget, RedisBudget, shared_budget
from ponton.settings import budget_redis_url


def take(budget, key: str, count: int = 1) -> None:
    with budget.slots(key, count):
        pass


pytestmark = pytest.mark.unit


def test_threads_of_one_process_never_exceed_the_local_limit():
    budget = LocalBudget("test", 2)
    holders, seen, lock = [0], [], threading.Lock()

    def hold(_):
        with budget.slots("Mailbox@example.com"):
            with lock:
                holders[0] += 1
                seen.append(holders[0])
            time.sleep(0.01)
            with lock:
                holders[0] -= 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(hold, range(40)))
    assert max(seen) == 2


def test_a_local_wait_past_its_bound_raises_a_throttled_error():
    budget = LocalBudget("Graph mailbox", 1, wait_seconds=0.05)
    with budget.slots("a@example.com"):
        with pytest.raises(ThrottledError, match="in this worker"):
            take(budget, "A@example.com")
        take(budget, "b@example.com")
    take(budget, "a@example.com", 5)  # slots are given back on exit


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"AIRFLOW__CELERY__BROKER_URL": "redis://broker:6379/0"}, "redis://broker:6379/0"),
        ({"AIRFLOW__CELERY__BROKER_URL": "amqp://guest@rabbit//"}, None),
        (
            {
                "PONTON_REDIS_URL": "rediss://budget:6380/2",
                "AIRFLOW__CELERY__BROKER_URL": "redis://b",
            },
            "rediss://budget:6380/2",
        ),
        ({"PONTON_REDIS_URL": "none", "AIRFLOW__CELERY__BROKER_URL": "redis://b"}, None),
    ],
)
def test_the_shared_redis_is_explicit_else_a_redis_celery_broker(monkeypatch, env, expected):
    monkeypatch.delenv("PONTON_REDIS_URL", raising=False)
    monkeypatch.delenv("AIRFLOW__CELERY__BROKER_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert budget_redis_url() == expected


def test_the_budget_is_shared_only_when_a_redis_is_configured(monkeypatch):
    monkeypatch.delenv("AIRFLOW__CELERY__BROKER_URL", raising=False)
    monkeypatch.setenv("PONTON_REDIS_URL", "none")
    assert isinstance(shared_budget("Graph mailbox", 4), LocalBudget)
    monkeypatch.setenv("PONTON_REDIS_URL", "redis://127.0.0.1:1/0")  # not contacted until used
    assert isinstance(shared_budget("Graph mailbox", 4), RedisBudget)
