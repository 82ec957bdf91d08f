"""What every ponton operator shares: the error translation and the journal's run context."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

from ponton.context import RunContext
from ponton.errors import PermanentError


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """The one place where ponton errors meet Airflow's retry logic.

    Permanent errors fail the task without retry (someone must fix configuration, data or
    credentials); transient ones propagate unchanged so Airflow retries with backoff.
    """
    try:
        yield
    except PermanentError as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc


def run_context(context: Context) -> RunContext:
    """The journal's view of the running task."""
    ti = context.get("ti")
    return RunContext(
        dag_id=getattr(ti, "dag_id", None),
        run_id=context.get("run_id"),
        task_id=getattr(ti, "task_id", None),
    )


class PontonOperator(BaseOperator, abc.ABC):
    """Base for ponton operators: ``run`` returns a small JSON summary for XCom and the UI."""

    ui_color = "#d7ecff"

    def execute(self, context: Context) -> dict[str, Any]:
        with fail_fast_on_permanent_errors():
            summary = self.run(context, run_context(context))
        self.log.info("summary: %s", summary)
        return summary

    @abc.abstractmethod
    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        """Do the work; hooks are built here, never in ``__init__``."""
