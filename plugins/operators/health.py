"""Operator running ``ponton doctor``'s checks and journaling the result."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator


class HealthChecksOperator(PontonOperator):
    """The checks of ``ponton doctor`` (platform DB, connections, webhook channels, credential end
    dates); fails, naming each problem and its fix, when one of them is a problem, so the DAG's
    failure callback alerts."""

    template_fields = ("platform_conn_id",)

    def __init__(self, *, platform_conn_id: str = "ponton_platform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.errors import ConfigError
        from ponton.hooks.connection_checks import doctor_checks
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal
        from ponton.ops.checks import summarize

        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).platform_db
        checks = doctor_checks(db)
        summary = summarize(checks)
        problems = [c for c in checks if c.failed]
        if not any(c.area == "platform" for c in problems):
            Journal(db, journal_context).record(
                "platform",
                "health_check",
                outcome="error" if problems else "ok",
                object_type="installation",
                object_id=db.dialect,
                details=summary,
            )
        for check in checks:
            self.log.info("%-15s %-40s %s %s", check.area, check.name, check.status, check.detail)
        if problems:
            raise ConfigError(
                "; ".join(f"{c.area} {c.name}: {c.detail} (fix: {c.fix})" for c in problems)
            )
        return summary
