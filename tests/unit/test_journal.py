from datetime import timedelta

import pytest

from ponton.context import RunContext
from ponton.journal import Journal
from ponton.platform.schema import utcnow


def test_records_are_read_back_newest_last_with_run_context(platform_db):
    journal = Journal(platform_db, RunContext("dag", "run-1", "task"))
    journal.record("ics", "import", object_type="binding", object_id=7, details={"created": 2})
    journal.record("mail", "send", outcome="error", details={"reason": "bounced"})
    entries = journal.tail()
    assert [(e.integration, e.action, e.outcome) for e in entries] == [
        ("ics", "import", "ok"),
        ("mail", "send", "error"),
    ]
    first = entries[0]
    assert (first.object_id, first.details) == ("7", {"created": 2})
    assert (first.dag_id, first.run_id, first.task_id) == ("dag", "run-1", "task")


def test_tail_filters_by_integration_outcome_and_time(platform_db):
    journal = Journal(platform_db, RunContext())
    for i in range(5):
        journal.record("ics", "import", object_id=i)
    journal.record("mail", "send", outcome="error")
    assert [e.object_id for e in journal.tail(2, integration="ics")] == ["3", "4"]
    assert [e.integration for e in journal.tail(outcome="error")] == ["mail"]
    assert journal.tail(since=utcnow() + timedelta(minutes=1)) == []


def test_record_inside_a_caller_transaction_rolls_back_with_it(platform_db):
    journal = Journal(platform_db, RunContext())
    with pytest.raises(RuntimeError), platform_db.begin() as conn:
        journal.record("ics", "import", conn=conn)
        raise RuntimeError("crash before commit")
    assert journal.tail() == []


def test_unknown_outcome_is_refused(platform_db):
    with pytest.raises(ValueError, match="outcome 'great'"):
        Journal(platform_db).record("ics", "import", outcome="great")


def test_run_context_comes_from_airflow_task_environment(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "d")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "r")
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "t")
    assert RunContext.from_env() == RunContext("d", "r", "t")
