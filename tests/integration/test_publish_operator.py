"""The publish operator end to end: platform DB, storage connections, journal, XCom summary."""

from __future__ import annotations

import json
from datetime import date

import pytest
from airflow.sdk.exceptions import AirflowFailException

from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.errors import ConfigError
from ponton.hooks.local_storage import LocalStorageHook
from ponton.hooks.storage import split_conn_ids, storage_for
from ponton.operators.documents import ActiveMissionsOperator, PublishMissionDocumentsOperator

pytestmark = pytest.mark.integration


@pytest.fixture
def local_conn(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_STORAGE_LOCAL",
        json.dumps({"conn_type": "ponton_local_storage", "extra": {"path": str(tmp_path / "s")}}),
    )
    return tmp_path / "s"


def operator(**kwargs) -> PublishMissionDocumentsOperator:
    return PublishMissionDocumentsOperator(task_id="publish", mission_code="M-2026-021", **kwargs)


def test_publish_then_rerun_reports_uploaded_then_unchanged(platform_env, local_conn):
    seed(platform_env, date(2026, 3, 2))
    codes = ActiveMissionsOperator(task_id="missions").run({}, RunContext())
    assert codes == ["M-2026-014", "M-2026-021", "M-2026-030"]
    first = operator().run({}, RunContext("dag", "run", "publish"))
    assert (first["uploaded"], first["backends"]) == (1, ["local"]) and first["bytes_uploaded"] > 0
    again = operator().run({}, RunContext("dag", "run", "publish"))
    assert (again["uploaded"], again["unchanged"], again["bytes_uploaded"]) == (0, 1, 0)
    stored = [p.name for p in local_conn.rglob("*.pdf") if p.is_file()]
    assert stored == ["feuille-de-route-M-2026-021.pdf"]


def test_unknown_storage_connection_fails_the_task_without_retry(platform_env, local_conn):
    seed(platform_env, date(2026, 3, 2))
    with pytest.raises(AirflowFailException, match="'nowhere' does not exist"):
        operator(storage_conn_ids="nowhere").execute({})
    with pytest.raises(AirflowFailException, match="no storage connection"):
        operator(storage_conn_ids=" , ").execute({})


def test_connection_type_picks_the_backend_and_missing_local_uses_ponton_home(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_NOT_STORAGE", json.dumps({"conn_type": "http"}))
    with pytest.raises(ConfigError, match="not a storage type"):
        storage_for("not_storage")
    assert split_conn_ids("a, b,,c") == ["a", "b", "c"]
    hook = LocalStorageHook()
    assert hook.root.name == "storage"
    ok, message = hook.test_connection()
    assert ok and "writable" in message
