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
        from ponton.narrative import binding_title
        from ponton.retry import time_budget
        from ponton.sync.adapters import calendar_opener
        from ponton.sync.bindings import load_binding
        from ponton.sync.engine import run_sync_or_defer

        # A peer's Retry-After is waited for only while it fits the task's time; beyond that
        # the binding is deferred to the next run (see ponton.retry).
        timeout = self.execution_timeout.total_seconds() * 0.9 if self.execution_timeout else None
        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        self._db = db
        with db.engine.connect() as conn:
            binding = load_binding(conn, int(self.binding_id))
        self._title = binding_title(binding.id, binding.provider, binding.resource_key)
        self.subject = self._title + (f", connection {binding.conn_id}" if binding.conn_id else "")
        dry_run = _flag(self.dry_run)
        # The mapped task's label in the grid (map_index_template reads it).
        context["ponton_label"] = self._title + (" (dry run)" if dry_run else "")
        with time_budget(timeout):
            summary = run_sync_or_defer(
                db,
                binding.id,
                calendar_opener(AirflowConnectionResolver()),
                journal=Journal(db, journal_context),
                dry_run=dry_run,
                allow_mass_delete=_flag(self.allow_mass_delete),
            )
        queue = open_queue(db, binding.id)
        if queue:
            context["ponton_label"] += f" · {len(queue)} to review"
        self._queue = queue
        return summary

    def narrate(self, summary: dict[str, Any]) -> str:
        from ponton.narrative import sync_paragraph

        return sync_paragraph(summary, title=self._title, queue=self._queue)


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

        self.subject = "ICS feeds"
        storages = storages_for(self.storage_conn_ids)
        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        results = publish_feeds(db, storages, Journal(db, journal_context))
        return {
            "feeds": len({r.key for r in results}),
            "uploaded": sum(r.outcome == "uploaded" for r in results),
            "unchanged": sum(r.outcome == "unchanged" for r in results),
            "bytes_uploaded": sum(r.bytes_uploaded for r in results),
        }


def flag_review_queue(platform_conn_id: str = "ponton_platform") -> dict[str, Any]:
    """The ``needs_review`` task: green when nothing waits for a person, skipped (a pink square
    in an otherwise green grid) when conflicts or refused events wait, listing them."""
    import logging

    from airflow.sdk.exceptions import AirflowSkipException

    from ponton.hooks.platform import PlatformDBHook
    from ponton.narrative import QUEUE_KINDS, REVIEW_HINT

    queue = open_queue(PlatformDBHook(platform_conn_id=platform_conn_id).ensure_ready())
    if not queue:
        logging.getLogger(__name__).info("Nothing waits for a person: no open conflict.")
        return {}
    listed = ", ".join(f"#{i} {QUEUE_KINDS.get(kind, kind)}" for i, kind in queue)
    raise AirflowSkipException(f"{len(queue)} item(s) need a person: {listed}; {REVIEW_HINT}.")


def open_queue(db, binding_id: int | None = None) -> list[tuple[int, str]]:
    """(id, kind) of the open conflicts and refusals waiting for a person."""
    import sqlalchemy as sa

    from ponton.platform.schema import conflicts

    query = sa.select(conflicts.c.id, conflicts.c.kind).where(conflicts.c.status == "open")
    if binding_id is not None:
        query = query.where(conflicts.c.binding_id == binding_id)
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(conflicts.c.id))]


def _flag(value: bool | str) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


def enabled_binding_ids(platform_conn_id: str = "ponton_platform") -> list[int]:
    """Ids of enabled bindings, for dynamic task mapping."""
    from ponton.hooks.platform import PlatformDBHook
    from ponton.sync.bindings import list_bindings

    db = PlatformDBHook(platform_conn_id=platform_conn_id).ensure_ready()
    return [b.id for b in list_bindings(db, enabled_only=True)]
