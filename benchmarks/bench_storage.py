"""Storage publishing: an unchanged rerun must be nearly free, a large upload must stream.

* 50 roadmaps published to the local folder, then published again unchanged: the rerun uploads
  0 bytes and costs at most 5 % of the first run (it renders nothing: the input fingerprint
  matches).
* A 200 MB file put to moto's S3 server through the S3 storage hook, in a subprocess: its RSS,
  sampled every 5 ms during the upload, peaks at most 64 MB above the RSS just before it
  (multipart parts of 8 MiB, one in memory at a time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks import Figure, at_most

ROADMAPS = 50
LARGE_MB = 200


def _fifty_missions(db) -> list[str]:
    """The demo world plus enough copies of its missions (team, events) to reach 50."""
    import sqlalchemy as sa

    from ponton.demo.seed import seed
    from ponton.platform.schema import mission_members, missions, planning_events

    seed(db, date(2026, 3, 2))
    with db.begin() as conn:
        source = conn.execute(sa.select(missions).order_by(missions.c.id)).mappings().first()
        members = (
            conn.execute(
                sa.select(mission_members).where(mission_members.c.mission_id == source["id"])
            )
            .mappings()
            .all()
        )
        events = (
            conn.execute(
                sa.select(planning_events).where(planning_events.c.mission_id == source["id"])
            )
            .mappings()
            .all()
        )
        for n in range(ROADMAPS - 3):
            row = {k: v for k, v in source.items() if k not in ("id", "created_at", "updated_at")}
            row |= {"code": f"M-BENCH-{n:03d}", "title": f"{source['title']} — lot {n}"}
            mission_id = conn.execute(missions.insert().returning(missions.c.id), row).scalar_one()
            conn.execute(
                mission_members.insert(), [dict(m) | {"mission_id": mission_id} for m in members]
            )
            conn.execute(
                planning_events.insert(),
                [
                    {k: v for k, v in e.items() if k not in ("id", "created_at", "updated_at")}
                    | {
                        "uid": f"{e['uid']}-{n}",
                        "mission_id": mission_id,
                        "start_at": e["start_at"] and e["start_at"] + timedelta(days=n % 7),
                        "end_at": e["end_at"] and e["end_at"] + timedelta(days=n % 7),
                    }
                    for e in events
                ],
            )
    from ponton.documents.roadmap import mission_codes

    return mission_codes(db)


def unchanged_rerun() -> list[Figure]:
    from ponton.context import RunContext
    from ponton.documents.publish import publish_roadmap
    from ponton.journal import Journal
    from ponton.platform import PlatformDB
    from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

    with tempfile.TemporaryDirectory() as tmp:
        db = PlatformDB(f"sqlite:///{tmp}/platform.db")
        db.upgrade()
        codes = _fifty_missions(db)
        storage, journal = (
            LocalFolderStorage(options=LocalOptions(root=Path(tmp) / "storage")),
            Journal(db, RunContext()),
        )
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            uploaded = sum(
                r.bytes_uploaded
                for code in codes
                for r in publish_roadmap(db, [storage], journal, code)
            )
            runs.append((time.perf_counter() - started, uploaded))
        db.dispose()
    (first, first_bytes), (rerun, rerun_bytes) = runs
    return [
        at_most(f"first publish of {len(codes)} roadmaps (s)", first, 120, "s"),
        Figure("first publish uploaded (MB)", round(first_bytes / 1e6, 3), "> 0", first_bytes > 0),
        at_most("unchanged rerun uploaded (bytes)", rerun_bytes, 0, "B"),
        at_most("unchanged rerun / first run", rerun / first, 0.05, "x"),
    ]


CHILD = """
import io, json, os, sys, tempfile, threading
from ponton.hooks.s3_storage import S3StorageHook

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


hook = S3StorageHook(storage_conn_id="ponton_bench_s3").get_conn()
hook.put("warm-up.bin", io.BytesIO(b"warm"), content_type="application/octet-stream")
peak, done = [0], threading.Event()


def sample() -> None:
    while not done.wait(0.005):
        peak[0] = max(peak[0], rss())


with tempfile.TemporaryFile() as big:
    block = os.urandom(1024 * 1024)
    for _ in range(int(sys.argv[1])):
        big.write(block)
    big.seek(0)
    del block
    baseline = rss()
    sampler = threading.Thread(target=sample)
    sampler.start()
    receipt = hook.put("large.bin", big, content_type="application/octet-stream")
    done.set()
    sampler.join()
print(json.dumps({"extra_mb": (max(peak[0], rss()) - baseline) / 2**20, "size": receipt.size}))
"""


def large_upload_rss() -> list[Figure]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        client.create_bucket(Bucket="ponton-bench")
        client.put_bucket_versioning(
            Bucket="ponton-bench", VersioningConfiguration={"Status": "Enabled"}
        )
        aws = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        env = dict(
            os.environ,
            AIRFLOW_CONN_AWS_BENCH=json.dumps(
                {"conn_type": "aws", "login": "bench", "password": "bench", "extra": aws}
            ),
            AIRFLOW_CONN_PONTON_BENCH_S3=json.dumps(
                {
                    "conn_type": "ponton_s3",
                    "extra": {"bucket": "ponton-bench", "aws_conn_id": "aws_bench"},
                }
            ),
        )
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(LARGE_MB)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    return [
        Figure(
            "S3 upload size (MB)", LARGE_MB, f"= {LARGE_MB}", result["size"] == LARGE_MB * 2**20
        ),
        at_most(f"{LARGE_MB} MB S3 upload extra peak RSS (MB)", result["extra_mb"], 64, "MB"),
    ]


def run() -> list[Figure]:
    return unchanged_rerun() + large_upload_rss()
