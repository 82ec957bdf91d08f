"""The ponton_health task: the doctor's checks inside Airflow, a journal row per run, and a
failure naming each problem and its fix (so the DAG's failure notifier alerts)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from ponton.platform.schema import integration_journal

pytestmark = pytest.mark.integration


def _run(monkeypatch, tmp_path, storage_path):
    from ponton.operators.health import HealthChecksOperator

    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_STORAGE_LOCAL",
        json.dumps({"conn_type": "ponton_local_storage", "extra": {"path": str(storage_path)}}),
    )
    mail = {"conn_type": "ponton_local_mail", "extra": {"folder": str(tmp_path), "demo": True}}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(mail))
    return HealthChecksOperator(task_id="run_checks").execute({"run_id": "manual__health"})


def _journal(db):
    with db.begin() as conn:
        return conn.execute(sa.select(integration_journal)).mappings().all()


def test_healthy_installation_returns_counts_and_journals_ok(platform_env, monkeypatch, tmp_path):
    summary = _run(monkeypatch, tmp_path, tmp_path / "storage")
    # Zero counts and empty lists are left out of the XCom summary.
    assert summary["ok"] >= 2 and "problems" not in summary and "failed" not in summary
    [row] = _journal(platform_env)
    assert (row["action"], row["outcome"]) == ("health_check", "ok")


def test_a_broken_connection_fails_the_task_naming_it_and_the_fix(
    platform_env, monkeypatch, tmp_path
):
    from airflow.sdk.exceptions import AirflowFailException

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AirflowFailException) as failure:
        _run(monkeypatch, tmp_path, blocker / "storage")
    message = str(failure.value)
    assert "ponton_storage_local (ponton_local_storage)" in message
    assert "fix its permissions" in message and "fix: correct connection" in message
    [row] = _journal(platform_env)
    assert row["outcome"] == "error"
    assert row["details"]["failed"] == ["connection: ponton_storage_local (ponton_local_storage)"]
