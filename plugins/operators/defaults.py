"""Defaults shared by every ponton DAG, so each DAG file stays a short schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pendulum

from ponton.operators.notifier import PontonFailureNotifier

OWNER = "ponton"
START_DATE: datetime = pendulum.datetime(2026, 1, 1, tz="UTC")


#: No task may run longer: a stuck peer or a costly input fails the attempt (and Airflow retries)
#: instead of holding a worker slot for ever. The ICS cost budget stops far earlier; this is the
#: backstop for everything else.
EXECUTION_TIMEOUT = timedelta(minutes=30)


def default_args(**overrides: Any) -> dict[str, Any]:
    """Retries with exponential backoff; transient errors are retried, permanent ones are not.
    Every task has an ``execution_timeout``. A failed task mails ops through the shared mail
    provider (a no-op, logged, without a recipient configured)."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "execution_timeout": EXECUTION_TIMEOUT,
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "on_failure_callback": [PontonFailureNotifier()],
    }
    args.update(overrides)
    return args
