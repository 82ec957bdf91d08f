"""What every ponton operator shares: the error translation, the journal's run context and the
one paragraph each task logs."""

from __future__ import annotations

import abc
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

from ponton.context import RunContext
from ponton.errors import PermanentError
from ponton.operators.links import JournalLink


def run_context(context: Context) -> RunContext:
    """The journal's view of the running task."""
    ti = context.get("ti")
    return RunContext(
        dag_id=getattr(ti, "dag_id", None),
        run_id=context.get("run_id"),
        task_id=getattr(ti, "task_id", None),
    )


class PontonOperator(BaseOperator, abc.ABC):
    """Base for ponton operators: ``run`` returns a small JSON summary for XCom and the UI.

    The one place where ponton errors meet Airflow's retry logic. Permanent errors fail the task
    without retry (someone must fix configuration, data or credentials) and are logged as one
    line naming what the task works on (``subject``: a binding and its connection, a mission);
    the exception is raised without its chain so the log shows no traceback through ponton.
    Transient ones propagate unchanged so Airflow retries with backoff.
    """

    ui_color = "#d7ecff"
    operator_extra_links = (JournalLink(),)
    subject: str | None = None

    def execute(self, context: Context) -> Any:
        failure = None
        try:
            summary = self.run(context, run_context(context))
        except PermanentError as exc:
            failure = f"{self.subject or self.task_id}: {exc}"
        if failure is not None:
            self.log.error("%s", failure)
            raise AirflowFailException(failure) from None
        from ponton.narrative import compact

        if isinstance(summary, dict):
            summary = compact(summary)
        self.log.info("%s", self.narrate(summary))
        return summary

    def narrate(self, summary: Any) -> str:
        """The paragraph of the task log: what was done and what needs a person."""
        from ponton.narrative import generic_paragraph

        return generic_paragraph(self.subject or self.task_id, summary)

    @abc.abstractmethod
    def run(self, context: Context, journal_context: RunContext) -> Any:
        """Do the work; hooks are built here, never in ``__init__``."""
