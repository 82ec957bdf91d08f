"""``make demo``: every DAG in dags/ run once on embedded defaults, in one process.

Sets up an Airflow home under .demo/ (SQLite metadata DB, local-filesystem secrets backend with the
demo connections), migrates and seeds the platform DB under .demo/, serves the demo fixtures on
loopback, runs each DAG with ``dag.test()`` and prints what each did. Exits non-zero when a DAG run
fails. ``--standalone`` starts ``airflow standalone`` on the same home instead (feeds and CalDAV
served as long as it runs); ``--doctor`` runs ``ponton doctor`` against the demo set-up.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from contextlib import closing
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ponton.demo.feeds import DEMO_FEEDS

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path(os.environ.get("PONTON_DEMO_DIR", ROOT / ".demo")).resolve()
AIRFLOW_HOME = DEMO / "airflow"
BIN = Path(sys.executable).parent


# Task logs at INFO (each ponton task logs one paragraph of what it did). Airflow warns on every
# connection lookup whose type holds a "_" (all provider types do, ponton's too) and pathspec
# deprecates the glob syntax of .airflowignore: neither says anything an operator can act on.
AIRFLOW_QUIET_AND_NARRATIVE = {
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__LOGGING__NAMESPACE_LEVELS": "airflow.models.connection=ERROR "
    "airflow.sdk.definitions.connection=ERROR",
    "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX": "regexp",
    # The task SDK's plugin loader reads .airflowignore as glob whatever the setting says.
    "PYTHONWARNINGS": "ignore:GitWildMatchPattern:DeprecationWarning",
    "AIRFLOW__API__HOST": "127.0.0.1",
}


def demo_environment() -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__SECRETS__BACKEND": ("airflow.secrets.local_filesystem.LocalFilesystemBackend"),
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(
            {"connections_file_path": str(DEMO / "connections.json")}
        ),
        **AIRFLOW_QUIET_AND_NARRATIVE,
        "PONTON_HOME": str(DEMO),
    }


def demo_connections(
    feed_base: str | None = None, caldav_url: str | None = None
) -> dict[str, dict]:
    """The demo's connections: embedded defaults only, every secret a throw-away value."""
    connections: dict[str, dict] = {
        "ponton_storage_local": {
            "conn_type": "ponton_local_storage",
            "extra": {"path": str(DEMO / "storage")},
        },
        # Mail is captured as .eml files, by explicit choice (never a fallback).
        "ponton_mail": {
            "conn_type": "ponton_local_mail",
            "extra": {"folder": str(DEMO / "mail"), "demo": True},
        },
        # The mail webhook receiver reads only these keys (docs/integrations/mail.md).
        "ponton_mail_webhooks": {
            "conn_type": "ponton_mail_webhooks",
            "login": "ponton",
            "password": "demo-webhook-password",
        },
    }
    if feed_base:
        # Private feed URLs are secrets: they live in connections, never in the binding.
        for key in DEMO_FEEDS:
            connections[f"ponton_ics_{key.split('.')[0]}"] = {
                "conn_type": "ponton_ics",
                "extra": {"url": f"{feed_base}/{key}.ics", "allow_hosts": "127.0.0.1"},
            }
    if caldav_url:
        connections["ponton_caldav_chloe"] = {
            "conn_type": "ponton_caldav",
            "login": "chloe",
            "password": "demo-app-password",
            "extra": {"calendar_url": caldav_url, "allow_hosts": "127.0.0.1"},
        }
    return connections


def serve_feeds(folder: Path) -> str:
    """The demo ICS feeds on a loopback HTTP server (Last-Modified, 304 on If-Modified-Since)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def start_caldav_server() -> str:
    """A real Radicale CalDAV server on loopback with Chloé's work calendar; returns its URL.
    Stopped when the demo exits."""
    import caldav

    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shutil.rmtree(DEMO / "radicale", ignore_errors=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(DEMO / "radicale"),
            "--auth-type",
            "none",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(server.terminate)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("Radicale did not start within 20 s") from None
            time.sleep(0.1)
    client = caldav.DAVClient(url=f"http://127.0.0.1:{port}/", username="chloe", password="x")
    made = client.principal().make_calendar(name="Travail", cal_id="travail")
    return str(made.url)


def bind_demo_calendars(feed_base: str, caldav_url: str) -> None:
    """One import binding per demo feed and a two-way CalDAV binding for Chloé; credentials in
    the connections written here."""
    from ponton.platform import PlatformDB
    from ponton.sync.bindings import add_binding

    connections = demo_connections(feed_base, caldav_url)
    (DEMO / "connections.json").write_text(json.dumps(connections, indent=2))
    db = PlatformDB()
    for key in DEMO_FEEDS:
        add_binding(
            db,
            provider="ics",
            source=f"{key} personal calendar (private feed)",
            resource=key,
            direction="import",
            policy="remote-wins",
            conn_id=f"ponton_ics_{key.split('.')[0]}",
        )
    add_binding(
        db,
        provider="caldav",
        source=caldav_url,
        resource="chloe.dubois",
        direction="both",
        policy="newest-wins",
        conn_id="ponton_caldav_chloe",
    )
    db.dispose()


def prepare() -> str:
    """Fresh platform DB and folders, migrated Airflow home, seeded world; returns the feed URL."""
    DEMO.mkdir(exist_ok=True)
    (DEMO / "connections.json").write_text(json.dumps(demo_connections(), indent=2))
    for stale in DEMO.glob("platform.db*"):
        stale.unlink()
    shutil.rmtree(DEMO / "storage", ignore_errors=True)
    shutil.rmtree(DEMO / "mail", ignore_errors=True)
    started = time.monotonic()
    subprocess.run([str(BIN / "airflow"), "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    print(f"airflow metadata DB ready ({time.monotonic() - started:.0f}s)")
    subprocess.run([str(BIN / "ponton"), "demo", "seed"], check=True)
    from ponton.demo.feeds import write_demo_feeds
    from ponton.demo.seed import monday_of

    write_demo_feeds(DEMO / "feeds", monday_of(datetime.now(UTC).date()))
    feed_base = serve_feeds(DEMO / "feeds")
    bind_demo_calendars(feed_base, start_caldav_server())
    return feed_base


def run_every_dag() -> int:
    from airflow.dag_processing.dagbag import DagBag

    # After Airflow's own filters (which show deprecations raised from its modules): see above.
    warnings.filterwarnings("ignore", message="GitWildMatchPattern", category=DeprecationWarning)

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"import error in {path}:\n{error}", file=sys.stderr)
        return 1
    failures = 0
    rows = []
    for dag_id in sorted(bag.dag_ids):
        started = time.monotonic()
        dag = bag.get_dag(dag_id)
        # Airflow 3.3.2's dag.test() cannot finish a run whose DAG has deadline alerts (it looks
        # them up by a database id its in-memory copy lacks); the scheduler (make prodlike) can.
        dag.deadline = None
        run = dag.test()
        state = str(run.state)
        failures += state != "success"
        rows.append((dag_id, state, time.monotonic() - started, task_summaries(run)))
    print("\nponton demo: one run of every DAG\n")
    for dag_id, state, seconds, tasks in rows:
        print(f"  {dag_id:<32} {state:<8} {seconds:5.1f}s")
        for task_id, summary in tasks:
            print(f"      {task_id:<30} {summary}")
    print(mail_summary())
    print(review_summary())
    print(privacy_summary())
    print(f"\nplatform DB: {DEMO / 'platform.db'}   journal: .venv/bin/ponton journal tail")
    pdfs = sorted((DEMO / "storage").rglob("*.pdf"))
    print(f"roadmap PDFs ({len(pdfs)}): {DEMO / 'storage'}/missions/<code>/*.pdf")
    print("(export PONTON_HOME=.demo first to point the ponton command at the demo)")
    return 1 if failures else 0


def review_summary() -> str:
    """What needs a person after the demo: the open conflicts and refusals, by kind."""
    from ponton.narrative import QUEUE_KINDS
    from ponton.platform import PlatformDB
    from ponton.sync.resolution import list_conflicts

    db = PlatformDB()
    rows = list_conflicts(db)
    db.dispose()
    if not rows:
        return "\nneeds a person: nothing (no open conflict)"
    lines = [f"\nneeds a person: {len(rows)} open conflicts"]
    lines += [f"      #{r['id']} {QUEUE_KINDS.get(r['kind'], r['kind'])}" for r in rows]
    lines.append(
        "      review: the Conflicts page of `make airflow`, or .venv/bin/ponton conflicts list"
    )
    return "\n".join(lines)


def mail_summary() -> str:
    """How many notifications went out and where local capture put them."""
    from ponton.mail.ledger import status_counts
    from ponton.mail.status import STATUSES
    from ponton.platform import PlatformDB

    db = PlatformDB()
    counts = status_counts(db)
    db.dispose()
    sent = sum(n for status, n in counts.items() if status in STATUSES)
    by_status = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    captured = sorted((DEMO / "mail").glob("*.eml"))
    lines = [
        f"\nmail: {sent} of {sum(counts.values())} notifications sent ({by_status}); "
        f"{len(captured)} .eml files in {DEMO / 'mail'}"
    ]
    lines += [f"      {path.name}" for path in captured[:5]]
    lines.append("      statuses: .venv/bin/ponton notifications status")
    return "\n".join(lines)


def privacy_summary() -> str:
    """What became of Ana's private appointment and of the invitation she declined."""
    from ponton.demo.privacy import privacy_report
    from ponton.platform import PlatformDB

    db = PlatformDB()
    lines = privacy_report(db, published=DEMO / "storage", mails=DEMO / "mail")
    db.dispose()
    return "\nprivacy:\n" + "\n".join(f"      {line}" for line in lines)


def task_summaries(run) -> list[tuple[str, str]]:
    """Each task's state and the summary it returned (XCom), one line per task instance."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        xcoms = {
            (x.task_id, x.map_index): x.value
            for x in session.query(XComModel).filter(
                XComModel.dag_run_id == run.id, XComModel.key == "return_value"
            )
        }
        instances = sorted(
            run.get_task_instances(session=session), key=lambda ti: (ti.task_id, ti.map_index)
        )
        lines = []
        for ti in instances:
            label = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            if ti.rendered_map_index:
                label += f" {ti.rendered_map_index}"
            value = xcoms.get((ti.task_id, ti.map_index))
            lines.append((label, f"{ti.state}: {compact(value)}" if value else str(ti.state)))
    return lines


def compact(value: object) -> object:
    """A task summary without its zero counters, so the table reads at a glance."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v not in (0, False, None, [], {})}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standalone", action="store_true", help="start airflow standalone")
    parser.add_argument("--doctor", action="store_true", help="ponton doctor on the demo set-up")
    args = parser.parse_args()
    os.environ.update(demo_environment())
    if args.doctor:
        return subprocess.run([str(BIN / "ponton"), "doctor"], check=False).returncode
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    prepare()
    if args.standalone:
        # A child, not exec: the demo's feed server and Radicale must outlive the set-up.
        # Standalone starts its components as `airflow ...` from PATH.
        os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        try:
            return subprocess.run([str(BIN / "airflow"), "standalone"], check=False).returncode
        except KeyboardInterrupt:
            return 0
    return run_every_dag()


if __name__ == "__main__":
    sys.exit(main())
