"""Every DAG file parses through Airflow's DagBag, offline, and follows the house rules."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.dags

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))


class _NoNetwork(socket.socket):
    def connect(self, *args, **kwargs):
        raise AssertionError(f"network access at DAG parse time: {args}")


@pytest.fixture(scope="module")
def dagbag():
    """Parsed with sockets disabled and the platform DB pointed at an unreachable server:
    any network or database I/O at parse time becomes an import error."""
    from airflow.dag_processing.dagbag import DagBag

    real_socket = socket.socket
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PONTON_PLATFORM_DB_URL", "postgresql://nobody@192.0.2.1:5432/none")
        socket.socket = _NoNetwork
        try:
            return DagBag(dag_folder=str(DAGS))
        finally:
            socket.socket = real_socket


def test_every_dag_file_imports_without_error(dagbag):
    assert dagbag.import_errors == {}
    files_with_dags = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert files_with_dags == {p.name for p in DAG_FILES}


def test_dag_ids_match_their_file_names(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert Path(dag.fileloc).stem == dag_id


def test_every_dag_has_owner_tags_description_doc_and_single_active_run(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "ponton" in dag.tags, dag_id
        assert dag.description and len(dag.description) < 200, f"{dag_id}: needs a description"
        assert dag.doc_md and "Rerun" in dag.doc_md, f"{dag_id}: doc_md must say if a rerun is safe"
        assert dag.max_active_runs == 1, dag_id
        assert not dag.catchup, dag_id
        for task in dag.tasks:
            assert task.owner == "ponton", (dag_id, task.task_id)


def test_every_task_retries_with_exponential_backoff(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.retry_exponential_backoff, (dag_id, task.task_id)
            assert task.max_retry_delay and task.max_retry_delay <= timedelta(hours=1)


HEAVY = ("googleapiclient", "weasyprint", "boto3", "msgraph", "caldav", "sendgrid", "postmarker")
PARSE_AND_LIST_HEAVY = """
import importlib.util, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("HEAVY:" + ",".join(name for name in sys.argv[2:] if name in sys.modules))
"""


def test_every_task_has_an_execution_timeout(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            timeout = task.execution_timeout
            assert timeout and timeout <= timedelta(hours=2), (dag_id, task.task_id)


def test_parsing_imports_no_heavy_client_library(dagbag):
    # A fresh interpreter: other tests in this worker may already have imported these libraries.
    out = subprocess.run(
        [sys.executable, "-c", PARSE_AND_LIST_HEAVY, str(DAGS), *HEAVY],
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [line for line in out.stdout.splitlines() if line.startswith("HEAVY:")]
    loaded = [name for name in line.removeprefix("HEAVY:").split(",") if name]
    assert loaded == [], f"DAG parsing imported {loaded}: import them inside tasks"


def test_every_task_mails_ops_when_it_fails(dagbag):
    from ponton.operators.notifier import PontonFailureNotifier

    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert any(isinstance(c, PontonFailureNotifier) for c in callbacks), (
                dag_id,
                task.task_id,
            )


def test_no_top_level_hooks_or_operators_module(dagbag):
    assert "hooks" not in sys.modules and "operators" not in sys.modules
