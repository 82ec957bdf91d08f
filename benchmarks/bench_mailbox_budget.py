"""What sharing Outlook's mailbox budget through Redis costs a Graph request.

The same lookups against the Graph fake (loopback HTTPS), counted per process or through the
local Redis, interleaved round by round so machine load weighs on both alike. Goal: at most 1.25x
the per-process time. Also the time one slot takes to take and give back (two Redis round trips).
Skipped when no Redis answers on ``PONTON_TEST_REDIS_URL`` (default 127.0.0.1:6379).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from contextlib import ExitStack

from benchmarks import Figure, at_most

ROUNDS, CALLS = 10, 20


def _lookups(backend, redis_url: str) -> float:
    os.environ["PONTON_REDIS_URL"] = redis_url
    started = time.perf_counter()
    for i in range(CALLS):
        backend.find(f"bench-{i}@platform")
    return time.perf_counter() - started


def run() -> list[Figure]:
    import redis
    import trustme

    from ponton.limits import RedisBudget
    from tests.fakes.graph import FakeGraph
    from tests.fakes.graph_fixtures import SECRET, outlook_backend_for

    url = os.environ.get("PONTON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return [Figure("mailbox budget (skipped: no Redis)", 0, "info", True)]
    saved = {k: os.environ.get(k) for k in ("PONTON_REDIS_URL", "REQUESTS_CA_BUNDLE")}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(f"{tmp}/ca.pem")
        os.environ["REQUESTS_CA_BUNDLE"] = f"{tmp}/ca.pem"
        graph = stack.enter_context(
            FakeGraph(ca.issue_cert("127.0.0.1"), client_id="app-1", client_secret=SECRET)
        )
        backend = outlook_backend_for(
            graph, calendar=f"bench-{uuid.uuid4().hex[:8]}@contoso.example"
        )
        _lookups(backend, "none")  # token and connections warm
        local = shared = 0.0
        for _ in range(ROUNDS):
            local += _lookups(backend, "none")
            shared += _lookups(backend, url)
        budget = RedisBudget("bench", 4, redis.Redis.from_url(url))
        started = time.perf_counter()
        for _ in range(500):
            with budget.slots("bench@contoso.example"):
                pass
        slot_ms = (time.perf_counter() - started) / 500 * 1000
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    per_request = local / (ROUNDS * CALLS) * 1000
    return [
        at_most("mailbox budget: Graph lookup, Redis / per process", shared / local, 1.25, "x"),
        Figure(
            "mailbox budget: one slot taken and given back (ms)", round(slot_ms, 3), "info", True
        ),
        Figure(
            "mailbox budget: one Graph lookup at the fake (ms)", round(per_request, 3), "info", True
        ),
    ]
