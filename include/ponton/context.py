"""Which Airflow task is running, as the journal records it. Import-light on purpose: operators
import it at DAG parse time."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunContext:
    """Which Airflow task wrote a row; empty outside Airflow (CLI, tests)."""

    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None

    @classmethod
    def from_env(cls) -> RunContext:
        """Airflow exports these variables to every running task."""
        return cls(
            dag_id=os.environ.get("AIRFLOW_CTX_DAG_ID"),
            run_id=os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"),
            task_id=os.environ.get("AIRFLOW_CTX_TASK_ID"),
        )
