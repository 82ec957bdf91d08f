"""Two Celery workers syncing bindings of one mailbox: with a shared Redis, Graph never sees more
than Outlook's 4 concurrent requests on that mailbox (the fake refuses the 5th, as Outlook does)."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from ponton.calendars.backends.graph import mailbox_budget
from ponton.errors import RetryLater
from ponton.retry import time_budget
from ponton.sync.port import RemoteWrite
from tests.contract.remote_calendar import sample_event
from tests.fakes.graph_fixtures import outlook_backend_for

pytestmark = pytest.mark.integration

FORK = multiprocessing.get_context("fork")


def sync_bindings_of(fake, mailbox: str, worker: str, start) -> None:
    """What one worker does for its bindings of ``mailbox``: a batch of creates, then lookups
    from four threads (both workers start together, once they hold a token)."""
    backend = outlook_backend_for(fake, calendar=mailbox)
    backend.session.token()
    start.wait(30)
    uids = [f"{worker}-{i}@platform" for i in range(6)]
    backend.apply_writes([RemoteWrite("create", uid, event=sample_event(uid)) for uid in uids])
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(backend.find, uids * 2))
    assert all(found), found


def run_two_workers(fake, mailbox: str) -> None:
    start = FORK.Barrier(2)
    workers = [
        FORK.Process(target=sync_bindings_of, args=(fake, mailbox, name, start))
        for name in ("w1", "w2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]


def test_two_workers_on_one_mailbox_stay_within_four_concurrent_requests(
    graph_fake, redis_url, monkeypatch
):
    monkeypatch.setenv("PONTON_REDIS_URL", redis_url)
    mailbox = f"budget-{uuid.uuid4().hex[:8]}@contoso.example"
    graph_fake.latency = 0.05
    run_two_workers(graph_fake, mailbox)
    assert len(graph_fake.events(mailbox)) == 12
    assert 2 < graph_fake.mailbox_concurrency.peak[mailbox] <= 4  # contended, never past it
    assert graph_fake.mailbox_concurrency.refused == 0


def test_without_a_shared_redis_each_worker_counts_alone(graph_fake, monkeypatch):
    """The fallback, and what the Redis budget prevents: two workers overshoot together."""
    monkeypatch.setenv("PONTON_REDIS_URL", "none")
    mailbox = f"budget-{uuid.uuid4().hex[:8]}@contoso.example"
    graph_fake.latency = 0.1  # the two workers overlap widely
    run_two_workers(graph_fake, mailbox)
    assert len(graph_fake.events(mailbox)) == 12  # the refused requests were retried
    assert graph_fake.mailbox_concurrency.peak[mailbox] > 4
    assert graph_fake.mailbox_concurrency.refused > 0


def test_a_mailbox_busy_past_the_tasks_time_defers_the_request(graph_fake, redis_url, monkeypatch):
    """Another worker holds all 4 slots: the request waits what the task has left, then is
    deferred to the next run like a throttled one (RetryLater), without reaching Graph."""
    monkeypatch.setenv("PONTON_REDIS_URL", redis_url)
    mailbox = f"budget-{uuid.uuid4().hex[:8]}@contoso.example"
    backend = outlook_backend_for(graph_fake, calendar=mailbox)
    backend.session.token()
    before = graph_fake.count(prefix="/v1.0/users")
    with mailbox_budget().slots(mailbox, 4), time_budget(0.5), pytest.raises(RetryLater):
        backend.find("busy@platform")
    assert graph_fake.count(prefix="/v1.0/users") == before
