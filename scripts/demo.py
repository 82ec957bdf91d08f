"""``make demo``: every DAG in dags/ run once on embedded defaults, in one process.

Sets up an Airflow home under .demo/ (SQLite metadata DB, local-filesystem secrets backend with the
demo connections), migrates and seeds the platform DB under .demo/, serves the demo fixtures on
loopback, runs each DAG with ``dag.test()`` and prints what each did. Exits non-zero when a DAG run
fails. ``--standalone`` starts ``airflow standalone`` on the same home instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
AIRFLOW_HOME = DEMO / "airflow"
BIN = Path(sys.executable).parent


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
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "PONTON_HOME": str(DEMO),
    }


def demo_connections() -> dict[str, dict]:
    """The demo's connections: embedded defaults only, every secret a throw-away value."""
    return {
        "ponton_platform": {"conn_type": "ponton_platform"},
    }


def prepare() -> None:
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


def run_every_dag() -> int:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"import error in {path}:\n{error}", file=sys.stderr)
        return 1
    failures = 0
    rows = []
    for dag_id in sorted(bag.dag_ids):
        started = time.monotonic()
        run = bag.get_dag(dag_id).test()
        state = str(run.state)
        failures += state != "success"
        rows.append((dag_id, state, time.monotonic() - started, task_summaries(run)))
    print("\nponton demo: one run of every DAG\n")
    for dag_id, state, seconds, tasks in rows:
        print(f"  {dag_id:<32} {state:<8} {seconds:5.1f}s")
        for task_id, summary in tasks:
            print(f"      {task_id:<30} {summary}")
    print(mail_summary())
    print(f"\nplatform DB: {DEMO / 'platform.db'}   journal: .venv/bin/ponton journal tail")
    print("(export PONTON_HOME=.demo first to point the ponton command at the demo)")
    return 1 if failures else 0


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
            value = xcoms.get((ti.task_id, ti.map_index))
            lines.append((label, f"{ti.state}: {value}" if value is not None else str(ti.state)))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standalone", action="store_true", help="start airflow standalone")
    args = parser.parse_args()
    os.environ.update(demo_environment())
    prepare()
    if args.standalone:
        os.execv(str(BIN / "airflow"), [str(BIN / "airflow"), "standalone"])
    return run_every_dag()


if __name__ == "__main__":
    sys.exit(main())
