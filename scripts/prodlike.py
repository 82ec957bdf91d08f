"""``make prodlike``: the DAGs on a production-like Airflow, on loopback.

PostgreSQL metadata DB and platform DB (fresh databases on the local server), CeleryExecutor with
Redis as broker, and the four Airflow 3 components as separate processes: scheduler, DAG processor,
API server and one Celery worker. Every DAG is triggered once and must succeed. Everything this
script started is stopped at the end, and its databases are dropped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack, closing
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".prodlike"
BIN = Path(sys.executable).parent
PG = os.environ.get("PONTON_PRODLIKE_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("PONTON_PRODLIKE_REDIS", "redis://127.0.0.1:6379/7")
TIMEOUT = int(os.environ.get("PONTON_PRODLIKE_TIMEOUT", "600"))


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(name: str) -> str:
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG}/{name}"


def drop_database(name: str) -> None:
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def environment(metadata_url: str, platform_url: str, port: int) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from demo import demo_connections

    HOME.mkdir(exist_ok=True)
    (HOME / "connections.json").write_text(json.dumps(demo_connections(), indent=2))
    return os.environ | {
        "AIRFLOW_HOME": str(HOME / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        # psycopg 3 serves Airflow's async engine too (no asyncpg needed).
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url.replace(
            "+psycopg://", "+psycopg_async://"
        ),
        "AIRFLOW__CELERY__BROKER_URL": REDIS,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(
            {"connections_file_path": str(HOME / "connections.json")}
        ),
        "PONTON_HOME": str(HOME / "ponton"),
        "PONTON_PLATFORM_DB_URL": platform_url,
    }


def airflow(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def airflow_json(env: dict[str, str], *args: str) -> list[dict]:
    """A CLI listing as JSON (log lines before it, or "No data found", are skipped)."""
    for line in airflow(env, *args, "-o", "json").splitlines():
        if line.startswith(("[{", "[]")):
            return json.loads(line)
    return []


def start(stack: ExitStack, env: dict[str, str], name: str, *args: str) -> None:
    log = (HOME / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "airflow"), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"started {name} (pid {proc.pid}, log .prodlike/{name}.log)")

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    stack.callback(stop)


def wait_for_webhooks(port: int) -> None:
    """The ponton plugin's webhook app answers on the API server (proves the plugin loads)."""
    url = f"http://127.0.0.1:{port}/ponton/webhooks/health"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                print(f"webhook receiver up: GET {url} -> {response.status}")
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer: see .prodlike/api-server.log") from None
            time.sleep(2)


def wait_for_runs(env: dict[str, str], dag_ids: list[str]) -> dict[str, str]:
    deadline = time.monotonic() + TIMEOUT
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        for dag_id in dag_ids:
            runs = airflow_json(env, "dags", "list-runs", dag_id)
            states[dag_id] = runs[0]["state"] if runs else "none"
        print("  " + ", ".join(f"{d}: {s}" for d, s in sorted(states.items())), flush=True)
        if all(s in ("success", "failed") for s in states.values()):
            return states
        time.sleep(10)
    return states


def _stop_on_sigterm(*_args) -> None:
    raise KeyboardInterrupt  # run the clean-up below: stop processes, drop databases


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    suffix = uuid.uuid4().hex[:8]
    names = (f"ponton_prodlike_airflow_{suffix}", f"ponton_prodlike_platform_{suffix}")
    metadata_url, platform_url = (create_database(n) for n in names)
    port = free_port()
    env = environment(metadata_url, platform_url, port)
    try:
        with ExitStack() as stack:
            airflow(env, "db", "migrate")
            subprocess.run([str(BIN / "ponton"), "demo", "seed"], env=env, check=True)
            start(stack, env, "api-server", "api-server", "--port", str(port))
            start(stack, env, "dag-processor", "dag-processor")
            start(stack, env, "scheduler", "scheduler")
            start(stack, env, "celery-worker", "celery", "worker")
            wait_for_webhooks(port)
            dag_ids = sorted(p.stem for p in (ROOT / "dags").glob("ponton_*.py"))
            deadline = time.monotonic() + 180
            while True:
                listed = {d["dag_id"] for d in airflow_json(env, "dags", "list")}
                if set(dag_ids) <= listed or time.monotonic() > deadline:
                    break
                time.sleep(5)
            for dag_id in dag_ids:
                airflow(env, "dags", "unpause", dag_id)
                airflow(env, "dags", "trigger", dag_id)
            states = wait_for_runs(env, dag_ids)
    finally:
        for name in names:
            drop_database(name)
    failed = {d: s for d, s in states.items() if s != "success"}
    print(
        f"\nprodlike (CeleryExecutor, PostgreSQL, Redis): {len(states) - len(failed)} of "
        f"{len(states)} DAG runs succeeded" + (f"; not successful: {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
