"""Deadline alerts: every sync DAG declares one counted from when the run was queued, and the
callback (run by the triggerer) journals the late run."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from ponton.platform.schema import integration_journal
from tests.conftest import ROOT

SYNC_DAGS = (
    "ponton_calendar_import",
    "ponton_calendar_channels",
    "ponton_calendar_publish",
    "ponton_documents_publish",
    "ponton_mail_dispatch",
    "ponton_mail_reconcile",
)


@pytest.mark.dags
def test_every_sync_dag_has_a_deadline_from_queued_time():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import DeadlineReference

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    for dag_id in SYNC_DAGS:
        [alert] = bag.dags[dag_id].deadline
        assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT, dag_id
        assert alert.interval.total_seconds() > 0
        assert alert.callback.path == "ponton.operators.deadlines.journal_missed_deadline"
        assert alert.callback.kwargs["dag_id"] == dag_id


@pytest.mark.integration
def test_a_missed_deadline_is_journaled(platform_env):
    from ponton.operators.deadlines import journal_missed_deadline

    # The shape Airflow passes: DAGRunResponse.model_dump(mode="json") (airflow.models.deadline).
    context = {
        "dag_run": {
            "dag_id": "ponton_calendar_import",
            "dag_run_id": "scheduled__late",
            "state": "running",
        }
    }
    asyncio.run(
        journal_missed_deadline(context, dag_id="ponton_calendar_import", interval_minutes=30)
    )
    with platform_env.begin() as conn:
        [row] = conn.execute(sa.select(integration_journal)).mappings().all()
    assert (row["integration"], row["action"], row["outcome"]) == (
        "platform",
        "deadline_missed",
        "error",
    )
    assert row["object_id"] == "scheduled__late"
    assert row["details"] == {"dag_id": "ponton_calendar_import", "deadline_minutes": 30}


@pytest.mark.integration
def test_a_missed_deadline_is_mailed_to_ops(platform_env, tmp_path, monkeypatch):
    from email import message_from_bytes, policy

    from ponton.operators.deadlines import journal_missed_deadline

    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", '{"conn_type": "ponton_local_mail"}')
    monkeypatch.setenv("PONTON_OPS_EMAIL", "ops@ponton.example")
    context = {"dag_run": {"dag_id": "ponton_mail_dispatch", "run_id": "scheduled__late"}}
    asyncio.run(
        journal_missed_deadline(context, dag_id="ponton_mail_dispatch", interval_minutes=20)
    )
    (mail,) = (tmp_path / "mail").glob("*.eml")
    msg = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert "ponton_mail_dispatch.deadline" in str(msg["Subject"])
    assert "not finished 20 minutes after it was queued" in msg.get_body(("plain",)).get_content()


@pytest.mark.integration
@pytest.mark.parametrize("state", ["success", "failed"])
def test_a_finished_run_never_raises_a_deadline_alert(platform_env, state):
    from ponton.operators.deadlines import journal_missed_deadline

    context = {"dag_run": {"dag_id": "ponton_mail_dispatch", "dag_run_id": "r1", "state": state}}
    asyncio.run(journal_missed_deadline(context, dag_id="ponton_mail_dispatch", interval_minutes=5))
    with platform_env.begin() as conn:
        assert conn.execute(sa.select(integration_journal)).mappings().all() == []


@pytest.mark.integration
def test_a_late_run_without_run_id_is_named_by_when_it_was_queued(platform_env):
    from ponton.operators.deadlines import journal_missed_deadline

    context = {"dag_run": {"dag_id": "ponton_health", "queued_at": "2026-03-02T08:00:00Z"}}
    asyncio.run(journal_missed_deadline(context, dag_id="ponton_health", interval_minutes=5))
    with platform_env.begin() as conn:
        [row] = conn.execute(sa.select(integration_journal)).mappings().all()
    assert row["object_id"] == "queued at 2026-03-02T08:00:00Z"
