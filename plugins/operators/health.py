"""Operator checking the platform DB and journaling the result."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator


class PlatformHealthOperator(PontonOperator):
    """Fails when the platform DB is unreachable or not migrated to the latest revision."""

    template_fields = ("platform_conn_id",)

    def __init__(self, *, platform_conn_id: str = "ponton_platform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.errors import ConfigError
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal

        hook = PlatformDBHook(platform_conn_id=self.platform_conn_id)
        ok, message = hook.test_connection()
        if not ok:
            raise ConfigError(message)
        db = hook.platform_db
        Journal(db, journal_context).record(
            "platform",
            "health_check",
            object_type="database",
            object_id=db.dialect,
            details={"revision": db.current_revision()},
        )
        return {"ok": True, "revision": db.current_revision(), "dialect": db.dialect}
