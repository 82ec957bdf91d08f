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


async def journal_missed_deadline(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Record the late run in the journal (``platform / deadline_missed``) and log it."""
    import asyncio

    dag_id = kwargs.get("dag_id") or _from_context(context, "dag_id")
    run_id = _from_context(context, "run_id")
    log.warning("ponton: DAG run %s of %s missed its deadline (%s)", run_id, dag_id, kwargs)
    minutes = kwargs.get("interval_minutes")
    await asyncio.to_thread(_journal, dag_id, run_id, minutes)
    await asyncio.to_thread(_mail, dag_id, run_id, minutes)


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


def _from_context(context: dict[str, Any] | None, key: str) -> Any:
    if not context:
        return None
    dag_run = context.get("dag_run")
    value = context.get(key)
    if value is None and dag_run is not None:
        value = dag_run.get(key) if isinstance(dag_run, dict) else getattr(dag_run, key, None)
    return value


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
