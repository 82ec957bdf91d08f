"""Storage publishing: an unchanged rerun must be nearly free, a large upload must stream.

* 50 roadmaps published to 3 destinations (three folders, each its own ledger), then published
  again unchanged: the rerun uploads 0 bytes and costs at most 5 % of the first run (it renders
  nothing: every destination's input fingerprint matches).
* A 200 MB file put through each backend (local folder, S3 on moto's server, Drive and SharePoint
  on the loopback fakes), each in a subprocess: its RSS, sampled every 5 ms during the upload,
  peaks at most 64 MB above the RSS just before it (parts, chunks and ranges of a few MiB, one in
  memory at a time; the peers run in this process and do not count).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks import Figure, at_most

ROADMAPS = 50
DESTINATIONS = 3
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
    from ponton.documents.ledger import Destination
    from ponton.documents.publish import publish_roadmap
    from ponton.journal import Journal
    from ponton.platform import PlatformDB
    from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

    with tempfile.TemporaryDirectory() as tmp:
        db = PlatformDB(f"sqlite:///{tmp}/platform.db")
        db.upgrade()
        codes = _fifty_missions(db)
        destinations = [
            Destination(
                conn_id=f"docs_{n}",
                storage=LocalFolderStorage(options=LocalOptions(root=Path(tmp) / f"storage-{n}")),
            )
            for n in range(DESTINATIONS)
        ]
        journal = Journal(db, RunContext())
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            uploaded = sum(
                r.bytes_uploaded
                for code in codes
                for r in publish_roadmap(db, destinations, journal, code)
            )
            runs.append((time.perf_counter() - started, uploaded))
        db.dispose()
    (first, first_bytes), (rerun, rerun_bytes) = runs
    where = f"{len(codes)} roadmaps x {DESTINATIONS} destinations"
    return [
        at_most(f"first publish of {where} (s)", first, 180, "s"),
        Figure("first publish uploaded (MB)", round(first_bytes / 1e6, 3), "> 0", first_bytes > 0),
        at_most("unchanged rerun uploaded (bytes)", rerun_bytes, 0, "B"),
        at_most("unchanged rerun / first run", rerun / first, 0.05, "x"),
    ]


# The child builds one backend (argv[1]) against the peer the parent serves, then measures its
# RSS, sampled every 5 ms, while it puts a LARGE_MB file: only the backend's memory counts.
CHILD = """
import io, json, os, sys, tempfile, threading
from types import SimpleNamespace

backend, size_mb, peer = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
PAGE = os.sysconf("SC_PAGE_SIZE")
CHUNK = 8 * 1024 * 1024


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


if backend == "local":
    from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

    storage = LocalFolderStorage(options=LocalOptions(root=peer["root"]))
elif backend == "s3":
    import boto3

    from ponton.storage.backends.s3 import S3Options, S3Storage

    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    client = boto3.client("s3", endpoint_url=peer["url"], region_name="us-east-1", **keys)
    storage = S3Storage.open(client=client, options=S3Options(bucket="ponton-bench"))
elif backend == "gdrive":
    from tests.fakes.gdrive_peer import drive_backend

    fake = SimpleNamespace(url=peer["url"], ca_file=peer["ca"])
    storage = drive_backend(fake, peer["key"], peer["folder"], chunk_size=CHUNK)
else:
    from tests.fakes.graph_peer import sharepoint_backend

    fake = SimpleNamespace(url=peer["url"], ca_file=peer["ca"], new_drive=lambda: peer["drive"])
    storage = sharepoint_backend(fake, chunk_size=25 * 320 * 1024, simple_upload_limit=CHUNK)
storage.put("warm-up.bin", io.BytesIO(b"warm"), content_type="application/octet-stream")
peak, done = [0], threading.Event()


def sample() -> None:
    while not done.wait(0.005):
        peak[0] = max(peak[0], rss())


with tempfile.TemporaryFile() as big:
    block = os.urandom(1024 * 1024)
    for _ in range(size_mb):
        big.write(block)
    big.seek(0)
    del block
    baseline = rss()
    sampler = threading.Thread(target=sample)
    sampler.start()
    receipt = storage.put("large.bin", big, content_type="application/octet-stream")
    done.set()
    sampler.join()
print(json.dumps({"extra_mb": (max(peak[0], rss()) - baseline) / 2**20, "size": receipt.size}))
"""


def _measure(backend: str, peer: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, backend, str(LARGE_MB), json.dumps(peer)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _peers(tmp: str):
    """Each backend's peer, served by this process: a folder, moto, the Drive and Graph fakes."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.fakes.gdrive import FakeDrive
    from tests.fakes.gdrive_peer import service_account_key
    from tests.fakes.graph_drive import FakeGraph
    from tests.fakes.graph_peer import CLIENT_ID, SECRET

    yield "local", {"root": f"{tmp}/local"}
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        client = boto3.client(
            "s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1", **keys
        )
        client.create_bucket(Bucket="ponton-bench")
        client.put_bucket_versioning(
            Bucket="ponton-bench", VersioningConfiguration={"Status": "Enabled"}
        )
        yield "s3", {"url": f"http://{host}:{port}"}
    finally:
        server.stop()
    with FakeDrive(Path(tmp)) as drive:
        key = service_account_key(drive)
        yield (
            "gdrive",
            {"url": drive.url, "ca": drive.ca_file, "key": key, "folder": drive.new_folder()},
        )
    graph_tls = Path(tmp) / "graph"
    graph_tls.mkdir()
    with FakeGraph(graph_tls, client_id=CLIENT_ID, client_secret=SECRET) as graph:
        yield "sharepoint", {"url": graph.url, "ca": graph.ca_file, "drive": graph.new_drive()}


def large_upload_rss() -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend, peer in _peers(tmp):
            result = _measure(backend, peer)
            figures += [
                Figure(
                    f"{backend} upload size (MB)",
                    LARGE_MB,
                    f"= {LARGE_MB}",
                    result["size"] == LARGE_MB * 2**20,
                ),
                at_most(
                    f"{LARGE_MB} MB {backend} upload extra peak RSS (MB)",
                    result["extra_mb"],
                    64,
                    "MB",
                ),
            ]
    return figures


def run() -> list[Figure]:
    return unchanged_rerun() + large_upload_rss()
