"""Calendar operators: one sync of one binding (mapped over bindings by the import DAG)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator


class CalendarSyncOperator(PontonOperator):
    """Lists changes of a binding's calendar, plans, applies, detects conflicts and journals.

    The same code as ``ponton sync run BINDING``. Idempotent: a retry re-lists from the last saved
    cursor and finds already-applied changes unchanged; remote creates are keyed by platform uid.
    """

    template_fields = ("binding_id", "dry_run", "allow_mass_delete")

    def __init__(
        self,
        *,
        binding_id: int | str,
        dry_run: bool | str = False,
        allow_mass_delete: bool | str = False,
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.binding_id = binding_id
        self.dry_run = dry_run
        self.allow_mass_delete = allow_mass_delete
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.hooks.connections import AirflowConnectionResolver
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal
        from ponton.retry import time_budget
        from ponton.sync.adapters import calendar_opener
        from ponton.sync.engine import run_sync_or_defer

        # A peer's Retry-After is waited for only while it fits the task's time; beyond that
        # the binding is deferred to the next run (see ponton.retry).
        timeout = self.execution_timeout.total_seconds() * 0.9 if self.execution_timeout else None
        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        with time_budget(timeout):
            return run_sync_or_defer(
                db,
                int(self.binding_id),
                calendar_opener(AirflowConnectionResolver()),
                journal=Journal(db, journal_context),
                dry_run=_flag(self.dry_run),
                allow_mass_delete=_flag(self.allow_mass_delete),
            )


class PublishCalendarFeedsOperator(PontonOperator):
    """Publishes one ICS feed per resource and mission through the storage backends."""

    template_fields = ("storage_conn_ids", "platform_conn_id")

    def __init__(
        self,
        *,
        storage_conn_ids: str | list[str] = "ponton_storage_local",
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.storage_conn_ids = storage_conn_ids
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.hooks.platform import PlatformDBHook
        from ponton.hooks.storage import storages_for
        from ponton.ics.publish import publish_feeds
        from ponton.journal import Journal

        storages = storages_for(self.storage_conn_ids)
        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        results = publish_feeds(db, storages, Journal(db, journal_context))
        return {
            "feeds": len({r.key for r in results}),
            "uploaded": sum(r.outcome == "uploaded" for r in results),
            "unchanged": sum(r.outcome == "unchanged" for r in results),
            "bytes_uploaded": sum(r.bytes_uploaded for r in results),
        }


def _flag(value: bool | str) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


def enabled_binding_ids(platform_conn_id: str = "ponton_platform") -> list[int]:
    """Ids of enabled bindings, for dynamic task mapping."""
    from ponton.hooks.platform import PlatformDBHook
    from ponton.sync.bindings import list_bindings

    db = PlatformDBHook(platform_conn_id=platform_conn_id).ensure_ready()
    return [b.id for b in list_bindings(db, enabled_only=True)]
