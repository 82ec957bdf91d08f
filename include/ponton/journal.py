"""The integration journal: one row per meaningful action of any integration.

Logs are for humans; the journal is for audit and queries (``ponton journal tail``). Callers pass
details that are safe to keep: never a secret, a token or a private feed URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ponton.context import RunContext
from ponton.platform.db import PlatformDB
from ponton.platform.schema import integration_journal, utcnow

_INSERT = integration_journal.insert()
OUTCOMES = ("ok", "skipped", "changed", "conflict", "refused", "error")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    at: datetime
    integration: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    details: dict[str, Any] | None
    dag_id: str | None
    run_id: str | None
    task_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "integration": self.integration,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "details": self.details,
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "task_id": self.task_id,
        }


class Journal:
    """Writes and reads ``integration_journal``."""

    def __init__(self, db: PlatformDB, context: RunContext | None = None) -> None:
        self.db = db
        self.context = context or RunContext.from_env()

    def _row(
        self,
        integration: str,
        action: str,
        *,
        outcome: str,
        object_type: str | None,
        object_id: str | int | None,
        details: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        if outcome not in OUTCOMES:
            raise ValueError(f"journal outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        return {
            "at": utcnow(),
            "integration": integration,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "outcome": outcome,
            "details": dict(details) if details else None,
            "dag_id": self.context.dag_id,
            "run_id": self.context.run_id,
            "task_id": self.context.task_id,
        }

    def record(
        self,
        integration: str,
        action: str,
        *,
        outcome: str = "ok",
        object_type: str | None = None,
        object_id: str | int | None = None,
        details: Mapping[str, Any] | None = None,
        conn: sa.Connection | None = None,
    ) -> None:
        """Write one row; pass ``conn`` to commit it with the change it describes."""
        row = self._row(
            integration,
            action,
            outcome=outcome,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
        if conn is not None:
            conn.execute(_INSERT, row)
            return
        with self.db.begin() as own:
            own.execute(_INSERT, row)

    def tail(
        self,
        limit: int = 20,
        *,
        integration: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
    ) -> list[JournalEntry]:
        """The newest ``limit`` rows matching the filters, oldest first."""
        query = sa.select(integration_journal).order_by(integration_journal.c.id.desc())
        if integration:
            query = query.where(integration_journal.c.integration == integration)
        if outcome:
            query = query.where(integration_journal.c.outcome == outcome)
        if since:
            query = query.where(integration_journal.c.at >= since)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).mappings().all()
        return [JournalEntry(**row) for row in reversed(rows)]
