"""Deadline alerts of the sync DAGs (Airflow 3 ``DeadlineAlert``): a run still unfinished some
time after it was queued is late; the callback journals it, logs a warning and mails ops through
the shared mail provider (the same notifier as task failures).

The callback runs in the triggerer (``AsyncCallback``), so it must stay small and importable
there; ``DEADLINE_CALLBACK`` is the one place every sync DAG's alert points at.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

log = logging.getLogger(__name__)


FINISHED = ("success", "failed")


async def journal_missed_deadline(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Record the late run in the journal (``platform / deadline_missed``), log it and mail ops.

    Airflow prunes a run's deadline only when the run succeeds: a run that *failed* before its
    deadline still reaches this callback. It has already alerted through the failure notifier, so
    it is left alone here.
    """
    import asyncio

    dag_run = _dag_run(context)
    dag_id = kwargs.get("dag_id") or dag_run.get("dag_id")
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id")
    run = run_id or f"queued at {dag_run.get('queued_at') or 'an unknown time'}"
    if dag_run.get("state") in FINISHED:
        log.info(
            "ponton: %s of %s finished (%s) before its deadline", run, dag_id, dag_run["state"]
        )
        return
    minutes = kwargs.get("interval_minutes")
    log.warning(
        "ponton: DAG run %s of %s was not finished %s minutes after it was queued",
        run,
        dag_id,
        minutes,
    )
    await asyncio.to_thread(_journal, dag_id, run, minutes)
    await asyncio.to_thread(_mail, dag_id, run, minutes)


def _dag_run(context: dict[str, Any] | None) -> dict[str, Any]:
    """The run as Airflow hands it to deadline callbacks (a ``DAGRunResponse`` dumped as JSON)."""
    dag_run = (context or {}).get("dag_run")
    return dag_run if isinstance(dag_run, dict) else {}


def _mail(dag_id: str | None, run_id: str | None, interval_minutes: int | None) -> None:
    from ponton.operators.notifier import PontonFailureNotifier

    PontonFailureNotifier().alert(
        {
            "dag_id": dag_id or "?",
            "task_id": "deadline",
            "run_id": run_id or "?",
            "try_number": "-",
            "log_url": "(see the DAG run in the Airflow UI)",
            "error": f"the run was not finished {interval_minutes} minutes after it was queued",
        }
    )


def _journal(dag_id: str | None, run_id: str | None, interval_minutes: int | None) -> None:
    from ponton.context import RunContext
    from ponton.hooks.platform import PlatformDBHook
    from ponton.journal import Journal

    db = PlatformDBHook().platform_db
    Journal(db, RunContext(dag_id=dag_id, run_id=run_id, task_id=None)).record(
        "platform",
        "deadline_missed",
        outcome="error",
        object_type="dag_run",
        object_id=run_id,
        details={"dag_id": dag_id, "deadline_minutes": interval_minutes},
    )


DEADLINE_CALLBACK = journal_missed_deadline


def sync_deadline(dag_id: str, interval: timedelta) -> DeadlineAlert:
    """Late when not finished ``interval`` after the run was queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(
            DEADLINE_CALLBACK,
            kwargs={"dag_id": dag_id, "interval_minutes": int(interval.total_seconds() // 60)},
        ),
    )
