"""Unauthenticated load on the webhook app must not hold up its health route.

The app runs under uvicorn on loopback (one worker, as inside the API server) with a migrated
SQLite platform DB. ``/webhooks/health`` is timed idle, then again while a separate process keeps
four connections busy with what an attacker without credentials can send: a 1 MB Graph batch of
20 000 notifications, a Graph batch naming unknown subscriptions (one database read), Google
posts for unknown channels and ``"[" * 100000``. Goal: the median health latency grows by at most
100 ms; the ratio to the idle latency is printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks import Figure, at_most
from ponton.platform import PlatformDB
from tests.fakes.loopback import unused_port

SAMPLES = 150
LOAD = r"""
import json, sys, threading, time
import requests
url, seconds = sys.argv[1], float(sys.argv[2])
big = json.dumps({"value": [{"subscriptionId": f"s{i}", "clientState": "x" * 20, "id": str(i)}
                            for i in range(20_000)]})[:999_000] + "]}"
unknown = json.dumps({"value": [{"subscriptionId": f"sub-{i}", "clientState": "guess"}
                                for i in range(500)]})
google = {"X-Goog-Channel-ID": "nope", "X-Goog-Channel-Token": "guess",
          "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "1"}
shots = [("graph", {"data": big}), ("graph", {"data": unknown}),
         ("google", {"headers": google}), ("graph", {"data": "[" * 100_000})]
sent = [0]
def hammer(kind, kwargs):
    session = requests.Session()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        session.post(f"{url}/webhooks/{kind}", timeout=30, **kwargs)
        sent[0] += 1
threads = [threading.Thread(target=hammer, args=shot) for shot in shots]
for t in threads: t.start()
for t in threads: t.join()
print(sent[0])
"""


def _latencies(session: requests.Session, url: str) -> list[float]:
    found = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        session.get(f"{url}/webhooks/health", timeout=30).raise_for_status()
        found.append(time.perf_counter() - started)
        time.sleep(0.01)
    return found


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'platform.db'}"
        PlatformDB(db_url).upgrade()
        port = unused_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PONTON_PLATFORM_DB_URL": db_url}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "ponton.webhooks:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        try:
            session = requests.Session()
            deadline = time.monotonic() + 60
            while True:
                try:
                    session.get(f"{url}/webhooks/health", timeout=2)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            idle = _latencies(session, url)
            load = subprocess.Popen(
                [sys.executable, "-c", LOAD, url, "30"], stdout=subprocess.PIPE, text=True
            )
            time.sleep(2)  # let the load reach its pace
            loaded = _latencies(session, url)
            posts = int(load.communicate(timeout=120)[0].strip() or 0)
        finally:
            server.terminate()
            server.wait(timeout=30)
    idle_ms, loaded_ms = statistics.median(idle) * 1000, statistics.median(loaded) * 1000
    p95 = statistics.quantiles(loaded, n=20)[-1] * 1000
    print(
        f"  health idle {idle_ms:.1f} ms, under load {loaded_ms:.1f} ms (p95 {p95:.1f} ms), "
        f"{posts} hostile posts answered",
        file=sys.stderr,
    )
    return [
        at_most(
            "webhook health delay under unauthenticated load (ms)", loaded_ms - idle_ms, 100, "ms"
        ),
        Figure(
            "webhook health latency under load / idle",
            round(loaded_ms / idle_ms, 2),
            "info",
            True,
            "x",
        ),
        Figure("webhook health p95 under load (ms)", round(p95, 1), "info", True, "ms"),
        Figure("webhook hostile posts answered in 30 s", posts, "info", True),
    ]
